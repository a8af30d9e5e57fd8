"""Money, exactly: minor units per currency, exact conversion at fixed rates, one rounding
rule (half to even, once, to the minor unit shown) and largest-remainder allocation, so
that totals balance across currencies and no minor unit is created or lost by grouping.

The allocation properties check `allocate` against what its documentation promises,
computed here from the exact parts (sums, floors, remainders), not by calling it twice.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.funding.money import (
    Rates,
    allocate,
    from_minor,
    minor_digits,
    parse_amount,
    round_half_even,
    to_minor,
)

CURRENCIES = ("USD", "GBP", "CAD", "NOK", "EUR", "JPY", "KWD")
NATIONS = ("USA", "GBR", "CAN", "NOR", "FRA", "JPN", "KWT", "AUS")

#: Units of the accounting currency per unit of another, as published: up to 6 places.
rate_values = st.decimals(
    min_value=Decimal("0.000001"), max_value=Decimal("100000"), places=6, allow_nan=False
)
rate_tables = st.fixed_dictionaries(dict.fromkeys(CURRENCIES, rate_values))
currencies = st.sampled_from(CURRENCIES)
minor_amounts = st.integers(min_value=0, max_value=10**13)
#: Exact parts of a total, as a conversion leaves them: any sign, any denominator.
exact_parts = st.fractions(
    min_value=-(10**9), max_value=10**9, max_denominator=10**6
) | st.integers(-(10**9), 10**9).map(Fraction)
#: Fixed rates, a reporting currency and (nation, currency, minor units) entries.
Ledger = tuple[Rates, str, list[tuple[str, str, int]]]
part_tables = st.dictionaries(st.sampled_from(NATIONS), exact_parts, max_size=len(NATIONS))


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    accounting = draw(currencies)
    rates = Rates(accounting, draw(rate_tables))
    reporting = draw(currencies)
    entries = draw(
        st.lists(st.tuples(st.sampled_from(NATIONS), currencies, minor_amounts), max_size=30)
    )
    return rates, reporting, entries


# --- minor units ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("USD", 2), ("GBP", 2), ("EUR", 2), ("NOK", 2), ("CAD", 2), ("JPY", 0), ("KWD", 3)],
)
def test_minor_digits_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


@pytest.mark.parametrize("code", ["ZZZ", "US", "", "EURO"])
def test_unknown_currency_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        minor_digits(code)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("12.30", "USD", 1230),
        ("12.300", "USD", 1230),  # trailing zeros add no precision
        ("1500", "JPY", 1500),
        ("1.5E+3", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("-0.01", "USD", -1),
        ("0", "KWD", 0),
    ],
)
def test_to_minor_counts_minor_units(amount: str, currency: str, minor: int) -> None:
    assert to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("0.5", "JPY"),
        ("1.001", "USD"),
        ("0.0001", "KWD"),
        ("12.345", "GBP"),
        # More significant digits than the default decimal context keeps: once, the
        # excess was rounded away instead of refused.
        ("12345678901234567890123456.789", "USD"),
    ],
)
def test_to_minor_refuses_more_decimals_than_the_currency_has(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match=f"{currency} has {minor_digits(currency)} decimal"):
        to_minor(Decimal(amount), currency)


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_to_minor_refuses_what_is_not_a_number(amount: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        to_minor(Decimal(amount), "USD")


@given(currencies, st.integers(min_value=-(10**40), max_value=10**40))
def test_minor_units_round_trip(currency: str, minor: int) -> None:
    amount = from_minor(minor, currency)
    assert to_minor(amount, currency) == minor
    assert from_minor(to_minor(amount, currency), currency) == amount


@given(currencies, st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_an_amount_is_held_exactly_or_refused(currency: str, amount: Decimal) -> None:
    fits = (Fraction(amount) * 10 ** minor_digits(currency)).denominator == 1
    if fits:
        assert from_minor(to_minor(amount, currency), currency) == amount
    else:
        with pytest.raises(ValueError, match="decimal places"):
            to_minor(amount, currency)


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [("12.50", "12.50"), (" 7 ", "7"), ("1_000_000.25", "1000000.25"), ("-3.1", "-3.1")],
)
def test_amounts_are_parsed_exactly(text: str, amount: str) -> None:
    parsed = parse_amount(text)
    assert parsed == Decimal(amount) and str(parsed) == amount


@pytest.mark.parametrize(
    "text", ["", "  ", "1,000.00", "1e3", "1E3", "twelve", "1.2.3", "NaN", "Infinity", "-inf"]
)
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount"):
        parse_amount(text)


# --- rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(1, 2), 0),
        (Fraction(3, 2), 2),
        (Fraction(5, 2), 2),
        (Fraction(7, 2), 4),
        (Fraction(-1, 2), 0),
        (Fraction(-3, 2), -2),
        (Fraction(-5, 2), -2),
        (Fraction(1, 3), 0),
        (Fraction(2, 3), 1),
        (Fraction(-2, 3), -1),
        (Fraction(1000001, 1000000), 1),
        (Fraction(4), 4),
    ],
)
def test_round_half_even_is_bankers_rounding(value: Fraction, rounded: int) -> None:
    assert round_half_even(value) == rounded


@given(exact_parts)
def test_round_half_even_is_nearest_and_breaks_ties_to_even(value: Fraction) -> None:
    rounded = round_half_even(value)
    assert isinstance(rounded, int)
    assert abs(rounded - value) <= Fraction(1, 2)
    if abs(rounded - value) == Fraction(1, 2):
        assert rounded % 2 == 0


@given(st.integers(-(10**6), 10**6))
def test_round_half_even_does_not_drift_over_many_halves(start: int) -> None:
    halves = [Fraction(2 * n + 1, 2) for n in range(start, start + 100)]
    assert sum(map(round_half_even, halves)) == sum(halves)


# --- conversion -----------------------------------------------------------------------------


def test_conversion_uses_the_agreed_rates_and_minor_units() -> None:
    rates = Rates("EUR", {"USD": Decimal("0.9"), "JPY": Decimal("0.006"), "KWD": Decimal("3")})
    assert rates.convert_minor(100, "USD", "EUR") == 90  # $1.00 is 0.90 EUR
    assert rates.convert_minor(1000, "JPY", "EUR") == 600  # 1000 yen is 6.00 EUR
    assert rates.convert_minor(1000, "KWD", "EUR") == 300  # 1.000 KWD is 3.00 EUR
    assert rates.convert_minor(100, "USD", "JPY") == 150  # via EUR: 0.9 / 0.006 yen
    assert rates.convert_minor(1, "EUR", "KWD") == Fraction(10, 3)  # exact, not 3.333
    assert rates.convert_minor(7, "NOK", "NOK") == 7  # no rate is needed to stay put


def test_the_accounting_currency_is_worth_one_whatever_the_table_says() -> None:
    rates = Rates("EUR", {"EUR": Decimal("2"), "USD": Decimal("0.5")})
    assert rates.convert_minor(100, "EUR", "USD") == 200
    assert rates.currencies == {"EUR", "USD"}
    assert rates.has("USD") and not rates.has("GBP")


def test_a_currency_without_an_agreed_rate_is_refused() -> None:
    rates = Rates("EUR", {"USD": Decimal("0.9")})
    with pytest.raises(ValueError, match="no agreed rate for GBP"):
        rates.convert_minor(100, "GBP", "EUR")
    with pytest.raises(ValueError, match="no agreed rate for GBP"):
        rates.convert_minor(100, "USD", "GBP")


@given(ledgers())
def test_conversion_is_exact_and_linear(ledger: Ledger) -> None:
    rates, reporting, entries = ledger
    one_by_one = sum((rates.convert_minor(m, c, reporting) for _, c, m in entries), Fraction(0))
    per_currency: dict[str, int] = defaultdict(int)
    for _, currency, minor in entries:
        per_currency[currency] += minor
    grouped = sum(
        (rates.convert_minor(m, c, reporting) for c, m in per_currency.items()), Fraction(0)
    )
    assert one_by_one == grouped
    assert round_half_even(one_by_one) == round_half_even(grouped)


@given(rate_tables, currencies, currencies, currencies, minor_amounts)
def test_conversion_through_any_currency_agrees_with_direct_conversion(
    table: dict[str, Decimal], accounting: str, source: str, via: str, minor: int
) -> None:
    rates = Rates(accounting, table)
    direct = rates.convert_minor(minor, source, via)
    to_accounting = rates.convert_minor(minor, source, accounting)
    assert to_accounting == direct * rates.convert_minor(1, via, accounting)
    # The same amount in major units, worked out from the rates by hand.
    per_unit = {c: Fraction(table[c]) for c in CURRENCIES} | {accounting: Fraction(1)}
    major = Fraction(minor, 10 ** minor_digits(source)) * per_unit[source] / per_unit[via]
    assert direct == major * 10 ** minor_digits(via)


# --- allocation -----------------------------------------------------------------------------


def _assert_largest_remainder(exact: dict[str, Fraction], parts: dict[str, int]) -> None:
    total = round_half_even(sum(exact.values(), Fraction(0)))
    assert parts.keys() == exact.keys()
    assert sum(parts.values()) == total
    for key, value in exact.items():
        assert abs(parts[key] - value) < 1
    up = [k for k in exact if parts[k] > exact[k]]
    down = [k for k in exact if parts[k] < exact[k]]
    # Only the largest remainders were rounded up.
    assert all(exact[u] % 1 >= exact[d] % 1 for u in up for d in down)


def test_parts_add_up_to_the_rounded_total() -> None:
    thirds = {"USA": Fraction(1, 3), "GBR": Fraction(1, 3), "FRA": Fraction(1, 3)}
    assert sum(allocate({k: v * 100 for k, v in thirds.items()}).values()) == 100
    # Rounded one by one these would make 0 + 0 + 0; together they are 1.
    assert sorted(allocate(thirds).values()) == [0, 0, 1]
    assert allocate({"USA": Fraction(5, 2), "GBR": Fraction(5, 2)}) == {"USA": 3, "GBR": 2}
    assert allocate({"USA": Fraction(-7, 4), "GBR": Fraction(3, 4)}) == {"USA": -2, "GBR": 1}
    assert allocate({"USA": Fraction(12)}) == {"USA": 12}
    assert allocate({}) == {}


@given(part_tables)
def test_allocation_is_largest_remainder(exact: dict[str, Fraction]) -> None:
    _assert_largest_remainder(exact, allocate(exact))


@given(part_tables.flatmap(lambda t: st.tuples(st.just(t), st.permutations(list(t)))))
def test_allocation_does_not_depend_on_dictionary_order(
    table_and_order: tuple[dict[str, Fraction], list[str]],
) -> None:
    exact, order = table_and_order
    assert allocate(exact) == allocate({k: exact[k] for k in order})


@given(st.dictionaries(st.sampled_from(NATIONS), st.integers(-(10**9), 10**9).map(Fraction)))
def test_whole_parts_are_left_as_they_are(exact: dict[str, Fraction]) -> None:
    assert allocate(exact) == {k: int(v) for k, v in exact.items()}


@given(ledgers())
def test_totals_balance_across_currencies(
    ledger: Ledger,
) -> None:
    """Per nation, entries in any currency convert exactly to the reporting currency;
    the shown parts add up to the shown total, whichever way the entries are grouped."""
    rates, reporting, entries = ledger
    by_nation: dict[str, Fraction] = defaultdict(Fraction)
    by_currency: dict[str, Fraction] = defaultdict(Fraction)
    for nation, currency, minor in entries:
        converted = rates.convert_minor(minor, currency, reporting)
        by_nation[nation] += converted
        by_currency[currency] += converted
    total = round_half_even(sum(by_nation.values(), Fraction(0)))
    nations_shown, currencies_shown = allocate(by_nation), allocate(by_currency)
    _assert_largest_remainder(by_nation, nations_shown)
    _assert_largest_remainder(by_currency, currencies_shown)
    assert sum(nations_shown.values()) == sum(currencies_shown.values()) == total
