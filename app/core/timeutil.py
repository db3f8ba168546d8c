"""Time: the one clock the app reads, and UTC normalisation.

Tests move time with `clock.set(...)`/`clock.advance(...)`; nothing in the app calls
datetime.now() directly.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def set(self, when: datetime | None) -> None:
        """Freeze the clock at `when` (aware), or unfreeze with None."""
        self._frozen = as_utc(when) if when is not None else None

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta(0)


clock = Clock()


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, from the app's clock. Use as a column default."""
    return clock.now()


def as_utc(value: datetime) -> datetime:
    """Make a datetime aware UTC; SQLite hands back naive values that are UTC by construction."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_ZONES: frozenset[str] | None = None


def valid_timezones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return _ZONES


def is_valid_timezone(name: str) -> bool:
    return name in valid_timezones() or name == "UTC"


def zone(name: str | None, default: str = "Europe/Copenhagen") -> ZoneInfo:
    return ZoneInfo(name if name and is_valid_timezone(name) else default)
