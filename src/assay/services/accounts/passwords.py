"""Password and secret hashing: argon2 for passwords, SHA-256 for random high-entropy tokens."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not reveal usernames.

    Made on first use, not at import (nothing runs at import time)."""
    return _hasher.hash("not-a-real-password")


MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends the same work, even for an unknown user (None)."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """SHA-256 hex of a random token; tokens have full entropy so a fast hash is right here."""
    return hashlib.sha256(token.encode()).hexdigest()
