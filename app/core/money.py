"""Exchange rates for comparing prizes paid in different currencies (issue 12, item 4).

The rates are fixed and indicative, read from the configuration (PRIZE_EXCHANGE_RATES, relative to
PRIZE_REFERENCE_CURRENCY; README "Configuration"). They only order the public list by "Largest
prize" and apply the prize filters when no currency is chosen: every amount is still shown, and
stored, in its own currency. No rate is fetched from anywhere at run time.

Prizes are compared as integers, the same on SQLite and PostgreSQL, so that an order (and so a
page of the list) never depends on floating-point rounding: each currency gets an integer factor,
and `minor units x factor` is the amount in the reference currency scaled by 10**(RATE_DIGITS +
the largest number of decimals among the currencies).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision

DEFAULT_REFERENCE_CURRENCY = "EUR"
# What one unit is worth in euros, rounded from the European Central Bank's reference rates of
# late 2025. Good enough to order prizes; change them in the configuration when they drift.
DEFAULT_RATES_TO_EUR: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "DKK": Decimal("0.134"),
    "NOK": Decimal("0.085"),
    "SEK": Decimal("0.091"),
    "ISK": Decimal("0.0070"),
    "USD": Decimal("0.86"),
    "GBP": Decimal("1.15"),
}
# Decimals kept from each rate when comparing (0.0070 ISK is 7000 millionths).
RATE_DIGITS = 6
_CODE = re.compile(r"^[A-Z]{3}$")


def parse_rates(text: str) -> dict[str, Decimal]:
    """"DKK=0.134, NOK=0.085" (commas or spaces between pairs) -> {"DKK": Decimal("0.134"), ...}.
    Raises ValueError naming the bad pair."""
    rates: dict[str, Decimal] = {}
    for pair in re.split(r"[,\s]+", text.strip()):
        if not pair:
            continue
        code, sep, value = pair.partition("=")
        code = code.strip().upper()
        try:
            rate = Decimal(value.strip())
        except InvalidOperation:
            rate = Decimal(0)
        if not sep or not _CODE.match(code) or not rate.is_finite() or rate <= 0:
            raise ValueError(f"PRIZE_EXCHANGE_RATES: {pair!r} is not CODE=positive number (for example DKK=0.134)")
        rates[code] = rate
    return rates


def exchange_rates(reference: str, overrides: str | None = None) -> dict[str, Decimal]:
    """The rates to `reference`: the defaults (re-expressed in `reference` when it is one of them),
    then the `overrides` text on top; the reference itself is always 1. Raises ValueError."""
    reference = reference.strip().upper()
    if not _CODE.match(reference):
        raise ValueError(f"PRIZE_REFERENCE_CURRENCY: {reference!r} is not a three-letter currency code")
    rates: dict[str, Decimal] = {}
    if reference in DEFAULT_RATES_TO_EUR:
        base = DEFAULT_RATES_TO_EUR[reference]
        rates = {code: rate / base for code, rate in DEFAULT_RATES_TO_EUR.items()}
    rates.update(parse_rates(overrides or ""))
    rates[reference] = Decimal(1)
    return rates


def _as_decimals(rates: Mapping[str, object]) -> dict[str, Decimal]:
    # Tests and config files may give floats or strings; str() keeps 0.134 from becoming 0.1340000000000000079...
    return {code: Decimal(str(rate)) for code, rate in rates.items()}


def _scale_digits(rates: Mapping[str, object]) -> int:
    return RATE_DIGITS + max((get_currency_precision(code) for code in rates), default=2)


def comparison_factors(rates: Mapping[str, object]) -> dict[str, int]:
    """{currency: integer factor}: minor units x factor = the amount in the reference currency, scaled."""
    scale = _scale_digits(rates)
    return {code: int((rate * 10 ** (scale - get_currency_precision(code))).to_integral_value())
            for code, rate in _as_decimals(rates).items()}


def comparison_key(minor: int, currency: str, rates: Mapping[str, object]) -> int:
    """The Python twin of queries.prize_comparison(): what the list sorts a prize by (0 without a rate)."""
    return minor * comparison_factors(rates).get(currency, 0)


def comparison_threshold(whole_reference_units: int, rates: Mapping[str, object]) -> int:
    """A whole amount of the reference currency on the scale of comparison_key()."""
    return whole_reference_units * 10 ** _scale_digits(rates)


def whole_to_minor(amount: int, currency: str) -> int:
    """Whole units of `currency` (a filter's "at least 50000") in its minor units (cents, øre)."""
    return amount * 10 ** get_currency_precision(currency)
