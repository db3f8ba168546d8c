"""Signed, expiring, purpose-bound tokens for the links we email (S07).

Each purpose has its own salt, so a verification token is worthless on the reset route. Time
comes from the app clock, so tests move it with `clock.advance()`. Single use is a property of
the payload: a token names the state it was issued for (the unverified address, the password
fingerprint, the old address), and the state changes once it is used.
"""
from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.core.timeutil import clock


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"
    CHANGE_EMAIL = "change-email"


_TTL_KEYS = {
    TokenPurpose.VERIFY_EMAIL: "VERIFY_TOKEN_TTL",
    TokenPurpose.RESET_PASSWORD: "RESET_TOKEN_TTL",
    TokenPurpose.CHANGE_EMAIL: "EMAIL_CHANGE_TOKEN_TTL",
}


class TokenError(Exception):
    """The token is malformed, forged, expired, for another purpose, or already used."""


class ClockSigner(TimestampSigner):
    """Stamps and checks ages with the app clock instead of time.time()."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class ClockSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer on the app clock. itsdangerous 2.x reads the time in its signer, not
    the serializer, so the clock goes into the signer class."""

    default_signer = ClockSigner


def _serializer(purpose: TokenPurpose) -> ClockSerializer:
    return ClockSerializer(current_app.config["SECRET_KEY"], salt=f"concept-arena/{purpose.value}")


def ttl(purpose: TokenPurpose) -> timedelta:
    value: timedelta = current_app.config[_TTL_KEYS[purpose]]
    return value


def make_token(purpose: TokenPurpose, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: TokenPurpose, token: str) -> dict[str, Any]:
    """The payload of a valid, unexpired token for `purpose`. Raises TokenError."""
    if not token or len(token) > 2000:
        raise TokenError("empty or oversized token")
    try:
        payload = _serializer(purpose).loads(token, max_age=int(ttl(purpose).total_seconds()))
    except SignatureExpired as exc:
        raise TokenError("expired") from exc
    except BadSignature as exc:
        raise TokenError("bad signature") from exc
    if not isinstance(payload, dict):
        raise TokenError("bad payload")
    return payload
