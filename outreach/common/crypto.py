"""National IDs at rest: encrypted (Fernet), looked up by a keyed digest (HMAC-SHA256,
never a plain hash: 18-digit IDs are too few to survive a dictionary), shown masked."""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _derive(purpose: bytes, field_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"daiban-field-keys", info=purpose).derive(
        field_key.encode()
    )


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"encrypt national id", settings.DAIBAN_FIELD_KEY)))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def digest(plain: str) -> str:
    key = _derive(b"look up national id", settings.DAIBAN_FIELD_KEY)
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()


def mask(national_id: str) -> str:
    """330782********1234: enough to tell two people apart on a list, not enough to use."""
    if len(national_id) < 10:
        return "*" * len(national_id)
    return national_id[:6] + "*" * (len(national_id) - 10) + national_id[-4:]
