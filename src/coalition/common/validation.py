"""Validators for codes and ranges used by several domains."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import pycountry
from pydantic import AfterValidator, StringConstraints

from coalition.errors import Problems


def nation_code(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.countries.get(alpha_3=code) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-3 country code")
    return code


def currency_code(value: str) -> str:
    code = value.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return code


def text(max_length: int, min_length: int = 1) -> object:
    """Trimmed text whose limit matches its column, so the database never refuses it."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


NationCode = Annotated[str, AfterValidator(nation_code)]
CurrencyCode = Annotated[str, AfterValidator(currency_code)]
Name = Annotated[str, text(200)]
ShortText = Annotated[str, text(80)]
PersonName = Annotated[str, text(120)]
Code = Annotated[str, text(40)]
PlanCode = Annotated[str, text(20)]
IssuerCode = Annotated[str, text(8)]
#: A nation trigraph or a group tetragraph, as written in releasability markings.
Marking = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=8)
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


def check_range(
    problems: Problems, start_field: str, start: date, end_field: str, end: date | None
) -> None:
    if end is not None and end <= start:
        problems.add(end_field, f"must be after {start_field} ({start.isoformat()})")


def ranges_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Half-open ranges [start, end); an open end runs forever."""
    return (a_end is None or b_start < a_end) and (b_end is None or a_start < b_end)
