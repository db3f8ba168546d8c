"""Password hashing (argon2id, S03) and the password policy (S01, S02)."""
from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from werkzeug.security import check_password_hash

# OWASP/ASVS Appendix C: argon2id, m >= 47104 KiB (46 MiB), t >= 1, p = 1; we use m=47104, t=2.
_hasher = PasswordHasher(time_cost=2, memory_cost=47104, parallelism=1)
# A fixed hash to verify against when the account does not exist, so the time spent is the same (S05).
_DUMMY_HASH = _hasher.hash("concept-arena-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check `password` exactly as typed (no strip, no case change: S02). Unknown users cost the same."""
    if not stored:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password + "x")
        return False
    if stored.startswith(("scrypt:", "pbkdf2:")):  # legacy Werkzeug hashes, upgraded at login (S03)
        return check_password_hash(stored, password)
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    if not stored.startswith("$argon2"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
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
