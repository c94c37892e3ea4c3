"""National IDs at rest: encrypted (Fernet), looked up by a keyed digest (HMAC-SHA256,
never a plain hash: 18-digit IDs are too few to survive a dictionary), shown masked.

``DAIBAN_FIELD_KEY`` holds one key, or several separated by commas while a key is being
replaced: the first encrypts and digests what is written, every key still decrypts and
finds what was written with it. ``rotate_field_key`` then rewrites every stored ID with
the first key, after which the old ones can be dropped.

The lookup digest rotates with the key on purpose: a leaked key opens the digests to a
dictionary of every possible ID as surely as it opens the ciphertexts, so keeping the
old digest key would keep the leak. Until the rotation is done, duplicates are found by
looking a number up under every key's digest (``digests``): one query, a few values.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def field_keys(value: str | None = None) -> tuple[str, ...]:
    """The configured keys, newest first (``DAIBAN_FIELD_KEY``, comma-separated)."""
    raw = settings.DAIBAN_FIELD_KEY if value is None else value
    return tuple(key.strip() for key in raw.split(",") if key.strip())


@cache
def _derive(purpose: bytes, field_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"daiban-field-keys", info=purpose).derive(
        field_key.encode()
    )


@cache
def _fernet_of(field_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"encrypt national id", field_key)))


def _fernet() -> MultiFernet:
    return MultiFernet([_fernet_of(key) for key in field_keys()])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def is_current(token: str) -> bool:
    """Encrypted with the first (current) key: nothing for a rotation to do."""
    try:
        _fernet_of(field_keys()[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _digest_with(field_key: str, plain: str) -> str:
    return hmac.new(_derive(b"look up national id", field_key), plain.encode(), hashlib.sha256).hexdigest()


def digest(plain: str) -> str:
    """The digest stored with a national ID written now (the current key's)."""
    return _digest_with(field_keys()[0], plain)


def digests(plain: str) -> list[str]:
    """Every digest a stored copy of this ID may carry: one per configured key, current
    first. Look duplicates up with ``national_id_digest__in=digests(number)``."""
    return list(dict.fromkeys(_digest_with(key, plain) for key in field_keys()))


def mask(national_id: str) -> str:
    """330782********1234: enough to tell two people apart on a list, not enough to use."""
    if len(national_id) < 10:
        return "*" * len(national_id)
    return national_id[:6] + "*" * (len(national_id) - 10) + national_id[-4:]
