"""Passwords: Argon2id with Daiban's parameters for every new hash, and older hashes
(PBKDF2, Argon2 of other parameters) rewritten at the user's next successful login.

The rest of the suite hashes with MD5 (tests/conftest.py); these tests put Daiban's own
list back."""

import pytest
from django.contrib.auth import hashers
from django.urls import reverse

from config import settings as daiban_settings

pytestmark = pytest.mark.django_db

PASSWORD = "daiban-demo"
DAIBAN_ARGON2 = "argon2$argon2id$v=19$m=65536,t=2,p=1$"


@pytest.fixture(autouse=True)
def _daiban_hashers(settings):
    settings.PASSWORD_HASHERS = daiban_settings.PASSWORD_HASHERS


class _CheapArgon2(hashers.Argon2PasswordHasher):
    """An Argon2 hash of other parameters, as an earlier setting would have left."""

    time_cost, memory_cost, parallelism = 1, 1024, 1


def _log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_new_passwords_are_hashed_with_argon2id_and_daibans_parameters():
    assert hashers.make_password(PASSWORD).startswith(DAIBAN_ARGON2)


@pytest.mark.parametrize(
    "old_hash",
    [
        hashers.PBKDF2PasswordHasher().encode(PASSWORD, "pepper-salt-1", iterations=1000),
        _CheapArgon2().encode(PASSWORD, "pepper-salt-2"),
    ],
    ids=["pbkdf2", "argon2-other-parameters"],
)
def test_an_older_hash_is_rewritten_as_argon2id_at_the_next_login(client, demo_users, old_hash):
    worker = demo_users["worker"]
    worker.password = old_hash
    worker.save(update_fields=["password"])

    assert _log_in(client, "worker", "wrong-password").status_code == 200
    worker.refresh_from_db()
    assert worker.password == old_hash  # a failed login rewrites nothing

    response = _log_in(client, "worker", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    worker.refresh_from_db()
    assert worker.password.startswith(DAIBAN_ARGON2)

    client.post(reverse("logout"))
    assert _log_in(client, "worker", PASSWORD).status_code == 302  # the new hash lets her in
