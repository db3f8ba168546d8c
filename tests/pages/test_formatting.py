"""Dates, times, numbers and money in the viewer's locale and time zone, through the real filters."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask import render_template_string, request

# 00:30 UTC on 29 March 2026: 01:30 in Copenhagen, Oslo and Stockholm (CET), 00:30 in London (GMT;
# summer time starts half an hour later).
WHEN = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
TEMPLATE = ("[{{ when|datetime }}][{{ amount|money(currency) }}][{{ 1234567.5|number }}]"
            "[{{ day|date('long') }}][{{ none|datetime }}]")


@pytest.fixture
def format_app(app):
    @app.route("/_test/format")
    def _format() -> str:
        return render_template_string(TEMPLATE, when=WHEN, amount=12345000, currency=request.args["cur"],
                                      day=date(2026, 12, 24), none=None)
    return app


def _parts(client, currency: str, **headers: str) -> list[str]:
    response = client.get(f"/_test/format?cur={currency}", headers=headers)
    assert response.status_code == 200
    return re.findall(r"\[([^\]]*)\]", response.get_data(as_text=True))


@pytest.mark.parametrize(("locale", "tz", "currency", "expected"), [
    ("da", "Europe/Copenhagen", "DKK",
     ["29. mar. 2026 01.30", "123.450\xa0kr.", "1.234.567,5", "24. december 2026", ""]),
    ("en", "Europe/London", "DKK",
     ["Mar 29, 2026, 12:30\u202fAM", "DKK\xa0123,450", "1,234,567.5", "December 24, 2026", ""]),
    ("nb", "Europe/Oslo", "NOK",
     ["29. mars 2026, 01:30", "123\xa0450\xa0kr", "1\xa0234\xa0567,5", "24. desember 2026", ""]),
    ("sv", "Europe/Stockholm", "SEK",
     ["29 mars 2026 01:30", "123\xa0450\xa0kr", "1\xa0234\xa0567,5", "24 december 2026", ""]),
])
def test_viewer_locale_and_time_zone(format_app, make_user, sign_in, locale, tz, currency, expected) -> None:
    email = f"fmt-{locale}@example.org"
    make_user(email, locale=locale, timezone=tz)
    client = sign_in(email)
    assert _parts(client, currency) == expected


def test_same_moment_differs_by_time_zone_for_the_same_locale(format_app, make_user, sign_in) -> None:
    make_user("oslo@example.org", locale="en", timezone="Europe/Oslo")
    make_user("nyc@example.org", locale="en", timezone="America/New_York")
    oslo = _parts(sign_in("oslo@example.org"), "EUR")[0]
    nyc = _parts(sign_in("nyc@example.org"), "EUR")[0]
    assert oslo == "Mar 29, 2026, 1:30\u202fAM"
    assert nyc == "Mar 28, 2026, 8:30\u202fPM"


def test_anonymous_viewer_gets_header_locale_and_default_zone(format_app) -> None:
    client = format_app.test_client()
    parts = _parts(client, "SEK", **{"Accept-Language": "sv-SE,sv;q=0.9"})
    assert parts[0] == "29 mars 2026 01:30"  # BABEL_DEFAULT_TIMEZONE Europe/Copenhagen
    assert parts[1] == "123\xa0450\xa0kr"


def test_money_uses_each_currencys_minor_unit(format_app) -> None:
    client = format_app.test_client()
    assert _parts(client, "ISK", **{"Accept-Language": "da"})[1] == "12.345.000\xa0ISK"  # no minor unit
    assert _parts(client, "EUR", **{"Accept-Language": "da"})[1] == "123.450\xa0€"
