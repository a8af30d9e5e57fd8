"""Money, exactly: amounts in a currency's minor units, conversion at the agreement's fixed
rates, and the one rounding rule every funding figure follows.

Pure: no I/O. Amounts are stored as whole minor units (cents, pence, yen) so that sums in
SQL are exact on every database; conversions are exact fractions; a figure is rounded
once, half to even, to the minor unit of the currency it is shown in. Where a table shows
the parts of a total, the parts are rounded by largest remainder so that they add up to
the rounded total: no minor unit is created or lost by grouping (docs/funding.md,
docs/decisions/0015-funding.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import MAX_PREC, Context, Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from typing import TypeVar

import pycountry
from babel.numbers import get_currency_precision

K = TypeVar("K", bound=Hashable)

#: Rates are given to at most this many decimal places (the precision of published
#: reference rates is 4 to 6; 10 leaves room without inviting float noise).
RATE_PLACES = 10

#: Moving the decimal point must never round: the default context keeps 28 digits.
_EXACT = Context(prec=MAX_PREC)


@cache
def minor_digits(currency: str) -> int:
    """Digits after the decimal point in ``currency``'s minor unit (ISO 4217): 2 for USD,
    0 for JPY, 3 for KWD."""
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise ValueError(f"'{currency}' is not an ISO 4217 currency code")
    return int(get_currency_precision(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` (in major units) as whole minor units; refuses what a currency cannot hold
    (more decimals than its minor unit) rather than rounding money someone typed."""
    digits = minor_digits(currency)
    if not amount.is_finite():
        raise ValueError("is not a number")
    scaled = amount.scaleb(digits, _EXACT)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} has {digits} decimal places; {amount} has more")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency), _EXACT)


def parse_amount(text: str) -> Decimal:
    """A decimal amount from text, with no thousands separators or exponents."""
    cleaned = text.strip().replace("_", "")
    if not cleaned or any(c in cleaned for c in "eE,"):
        raise ValueError(f"'{text}' is not an amount; write digits with a '.' for decimals")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"'{text}' is not an amount")
    return amount


class Rates:
    """The agreement's fixed exchange rates: how many units of the accounting currency one
    unit of each other currency is worth. The accounting currency is worth 1."""

    def __init__(self, accounting: str, rates: Mapping[str, Decimal]) -> None:
        self.accounting = accounting
        self._per_unit: dict[str, Fraction] = {accounting: Fraction(1)}
        for currency, rate in rates.items():
            if currency != accounting:
                self._per_unit[currency] = Fraction(rate)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self._per_unit)

    def has(self, currency: str) -> bool:
        return currency in self._per_unit

    def convert_minor(self, minor: int, source: str, target: str) -> Fraction:
        """``minor`` units of ``source`` as an exact number of ``target`` minor units."""
        if source == target:
            return Fraction(minor)
        try:
            factor = self._per_unit[source] / self._per_unit[target]
        except KeyError as missing:
            raise ValueError(f"no agreed rate for {missing.args[0]}") from None
        digits = minor_digits(target) - minor_digits(source)
        return Fraction(minor) * factor * Fraction(10) ** digits


def round_half_even(value: Fraction) -> int:
    """``value`` rounded to an integer, half to even (banker's rounding: no drift up or
    down over many figures)."""
    return round(value)


def allocate(exact: Mapping[K, Fraction]) -> dict[K, int]:
    """Round each part so that the parts add up to the rounded total (largest remainder).

    Every part ends up within one unit of its own exact value, and
    ``sum(result.values()) == round_half_even(sum(exact.values()))`` always holds.
    """
    total = round_half_even(sum(exact.values(), Fraction(0)))
    floors = {key: value.numerator // value.denominator for key, value in exact.items()}
    short = total - sum(floors.values())
    # Floors never exceed their parts and the total is within half a unit of their sum,
    # so 0 <= short <= len(exact): each of the largest remainders gets one unit (ties by
    # key, so the result does not depend on dictionary order).
    by_remainder = sorted(exact, key=lambda k: (exact[k] - floors[k], str(k)), reverse=True)
    result = dict(floors)
    for key in by_remainder[:short]:
        result[key] += 1
    return result
