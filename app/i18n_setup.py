"""Locale and time zone selection, and the formatting helpers templates use."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import get_datetime_format
from babel.numbers import get_currency_precision
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import (
    Babel,
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
)
from flask_login import current_user

from app.core.timeutil import is_valid_timezone
from app.i18n import install_jinja_gettext

# Endonyms: each language is named in itself, so a reader finds their own (WCAG 3.1.2 marks them).
LANGUAGE_NAMES = {"en": "English", "da": "Dansk", "nb": "Norsk bokmål", "sv": "Svenska"}
# Browsers send "no" or "nn" for Norwegian; Bokmål is what we have.
_ALIASES = {"no": "nb", "nn": "nb"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return language_from_header(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def language_from_header(languages: tuple[str, ...]) -> str | None:
    """The first Accept-Language entry, by quality, whose primary subtag we have.

    Not Werkzeug's best_match: it prefers any exact match to a primary-tag match, so
    "sv-SE,en;q=0.3" would give English to a Swedish browser.
    """
    for value, quality in request.accept_languages:  # sorted by quality, highest first
        if quality <= 0:
            continue
        primary = value.replace("_", "-").split("-", 1)[0].lower()
        code = _ALIASES.get(primary, primary)
        if code in languages:
            return code
    return None


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated \
            and is_valid_timezone(current_user.timezone):
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


# CLDR's currency spacing (Babel does not apply it): a currency written in letters next to a digit
# gets a no-break space, so English reads "NOK 75,000", while "€75,000" keeps its symbol close.
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def format_money(minor: int, currency: str) -> str:
    """Integer minor units of `currency`, as people write amounts in the current locale: "NOK 75,000"
    in English, "75.000 kr." in Danish, "75 000 kr" in Norwegian; decimals only when there are some."""
    digits = get_currency_precision(currency)
    amount = Decimal(minor).scaleb(-digits)
    if digits and minor % 10 ** digits == 0:
        # The locale's own pattern without its fraction part ("#,##0.00 ¤" -> "#,##0 ¤").
        pattern = (get_locale() or Locale.parse("en")).currency_formats["standard"].pattern
        text = format_currency(amount, currency, format=re.sub(r"\.0+", "", pattern), currency_digits=False)
    else:
        text = format_currency(amount, currency, format_type="standard")
    return _LETTER_DIGIT.sub("\u00a0", text)


def init_i18n(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_jinja_gettext(app.jinja_env)
    # {% trans %} blocks collapse their whitespace, as `pybabel extract` does with trimmed = true.
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def _i18n_context() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or "en"), "language_names": LANGUAGE_NAMES}

    from app.core.markdown import render_markdown

    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["number"] = format_decimal

    def _datetime(value: datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        if fmt == "medium":
            # The locale's medium date with its short time ("3 Dec 2026, 15:30"): never the seconds.
            pattern = get_datetime_format("medium", locale=get_locale()).replace("'", "")
            return pattern.replace("{1}", format_date(value, "medium")).replace("{0}", format_time(value, "short"))
        return format_datetime(value, fmt)

    app.jinja_env.filters["datetime"] = _datetime

    def _date(value: date | None, fmt: str = "medium") -> str:
        return format_date(value, fmt) if value is not None else ""

    app.jinja_env.filters["date"] = _date
