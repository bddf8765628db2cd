"""Public identifiers: random, unguessable, easy to read aloud over the phone."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: codes are read from paper and over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int = 10, prefix: str = "") -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def random_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
