"""Rules of the export register: expiry warnings and what an authorisation has left."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

#: Warnings come 90, 60 and 30 days before an authorisation lapses.
WARNING_DAYS = (30, 60, 90)


def expiry_warning(valid_until: date, today: date) -> int | None:
    """The tightest warning band an authorisation is in (30, 60 or 90 days), if any.
    ``valid_until`` is the first day it no longer covers anything."""
    left = (valid_until - today).days
    if left <= 0:
        return None
    for band in WARNING_DAYS:
        if left <= band:
            return band
    return None


def remaining(limit: Decimal | int | None, used: Decimal | int) -> Decimal | int | None:
    if limit is None:
        return None
    return max(limit - used, 0)


def overdraws(
    value_limit: Decimal | None,
    value_used: Decimal,
    quantity_limit: int | None,
    quantity_used: int,
    value: Decimal,
    quantity: int,
) -> str | None:
    """Why drawing ``value`` and ``quantity`` would exceed a limit, or None."""
    if value_limit is not None and value_used + value > value_limit:
        return f"value {value} exceeds what remains ({value_limit - value_used})"
    if quantity_limit is not None and quantity_used + quantity > quantity_limit:
        return f"quantity {quantity} exceeds what remains ({quantity_limit - quantity_used})"
    return None
