"""Daiban's password hasher: Argon2id, tuned so that a shift's logins do not stall the server.

Django's PBKDF2 (1.5 million rounds in Django 6.1) took about 310 ms of CPU per login on
the 2-core machine Daiban is measured on; 3,000 grid workers starting a shift kept both
cores busy for a quarter of an hour and every other page waited. Argon2id is memory-hard
(a guessing rig pays in memory, not only in rounds), so it protects as well at a fraction
of the CPU. Django's own Argon2 defaults (100 MiB, 2 passes, 8 lanes) still took about
170 ms of CPU there, spread by argon2-cffi over threads, so one login held both cores
for 110 ms. This hasher keeps 2 passes over 64 MiB in one lane (RFC 9106's second
recommended setting with one lane; above OWASP's minimum of 19 MiB): 85–100 ms of one
core, the other free for the pages.

Its ``algorithm`` is Django's ("argon2"), so a hash made with other parameters still
verifies and Django rewrites it with these at the next login (``must_update``), as it
rewrites every PBKDF2 hash of the older settings.
"""

from django.contrib.auth import hashers


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 64 * 1024  # KiB: 64 MiB per login being checked, freed at once
    parallelism = 1
