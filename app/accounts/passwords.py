"""Password hashing (argon2id, S03) and the password policy (S01, S02)."""
from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from werkzeug.security import check_password_hash

# OWASP/ASVS Appendix C: argon2id, m >= 47104 KiB (46 MiB), t >= 1, p = 1; we default to m=47104, t=2.
# ARGON2_MEMORY_COST / ARGON2_TIME_COST may raise them; production refuses lower values (config.py).
DEFAULT_MEMORY_COST = 47104
DEFAULT_TIME_COST = 2


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
    # A hash to verify against when the account does not exist, at the same cost as a real one (S05).
    return hasher, hasher.hash("concept-arena-timing-equaliser")


def _hasher() -> tuple[PasswordHasher, str]:
    if has_app_context():
        return _hasher_for(int(current_app.config.get("ARGON2_TIME_COST", DEFAULT_TIME_COST)),
                           int(current_app.config.get("ARGON2_MEMORY_COST", DEFAULT_MEMORY_COST)))
    return _hasher_for(DEFAULT_TIME_COST, DEFAULT_MEMORY_COST)


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check `password` exactly as typed (no strip, no case change: S02). Unknown users cost the same."""
    if not stored:
        hasher, dummy = _hasher()
        with contextlib.suppress(VerificationError):
            hasher.verify(dummy, password + "x")
        return False
    if stored.startswith(("scrypt:", "pbkdf2:")):  # legacy Werkzeug hashes, upgraded at login (S03)
        return check_password_hash(stored, password)
    try:
        return _hasher()[0].verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    if not stored.startswith("$argon2"):
        return True
    try:
        return _hasher()[0].check_needs_rehash(stored)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a ranked list of the 30,000 most common passwords from real breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """True for a password on the common list, also with digits or symbols tacked on ("password1234")."""
    lowered = password.lower()
    common = _common_passwords()
    if lowered in common:
        return True
    stripped = lowered.rstrip("0123456789!?.#*@$_- ")
    stripped = stripped.lstrip("0123456789!?.#*@$_- ")
    if len(stripped) >= 4 and stripped in common:
        return True
    # One character repeated, or a single keyboard run, however long.
    return len(set(lowered)) <= 2
