"""Template helpers every feature uses: moments in the viewer's time zone, durations and countdowns,
percentages, file sizes. Registered once, app-wide, by `init_app` (called from create_app)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name
from babel.lists import format_list
from babel.numbers import format_percent
from babel.units import format_unit
from flask import Flask
from flask_babel import get_locale, get_timezone

from app.core.files import format_size, type_label
from app.core.timeutil import as_utc, clock, zone


def _locale() -> Any:
    return get_locale() or "en"


def percent(value: int | float) -> str:
    """A whole percentage (60 -> "60 %" in Danish, "60%" in English)."""
    return format_percent(value / 100, locale=_locale())


def format_moment(value: datetime | None, tzname: str | None = None) -> str:
    """Weekday, date and time (no seconds) in `tzname`, or in the viewer's time zone."""
    if value is None:
        return ""
    tz = zone(tzname) if tzname else get_timezone()
    local = as_utc(value).astimezone(tz)
    locale = _locale()
    return (get_datetime_format("long", locale=locale).replace("'", "")
            .replace("{0}", format_time(local, "short", tzinfo=tz, locale=locale))
            .replace("{1}", format_date(local, "full", locale=locale)))


def zone_label(value: datetime | None, tzname: str | None = None) -> str:
    """The time zone's name at that moment, in words ("Central European Summer Time")."""
    tz = zone(tzname) if tzname else get_timezone()
    moment = as_utc(value).astimezone(tz) if value is not None else clock.now().astimezone(tz)
    return get_timezone_name(moment, "long", locale=_locale())


def other_zone(value: datetime | None, tzname: str) -> bool:
    """Whether the organiser's zone shows `value` differently from the viewer's."""
    if value is None:
        return False
    moment = as_utc(value)
    return moment.astimezone(zone(tzname)).utcoffset() != moment.astimezone(get_timezone()).utcoffset()


def iso_utc(value: datetime | None) -> str:
    """ISO 8601 in UTC with a Z ("2026-12-02T11:00:00Z"); "" for no value."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def duration_text(delta: timedelta) -> str:
    """ "3 days, 4 hours" / "5 hours, 12 minutes" / "7 minutes", in the current language."""
    locale = _locale()
    minutes = max(1, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        parts = [(days, "duration-day"), (hours, "duration-hour")]
    elif hours:
        parts = [(hours, "duration-hour"), (mins, "duration-minute")]
    else:
        parts = [(mins, "duration-minute")]
    return format_list([format_unit(n, unit, length="long", locale=locale) for n, unit in parts if n],
                       style="unit", locale=locale)


@dataclass(frozen=True)
class Countdown:
    """A countdown rendered on the server, which countdown.js keeps ticking in the page."""

    text: str  # "Closes in 3 days, 4 hours"
    template: str  # the same sentence with {time} in place of the duration, for countdown.js
    target: datetime


def init_app(app: Flask) -> None:
    for helper in (percent, format_moment, zone_label, other_zone, iso_utc):
        app.add_template_global(helper)
    app.add_template_filter(format_size, "filesize")
    app.add_template_filter(type_label, "document_type")
