"""Portable enum column type shared by the domain models."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def enum_column(cls: type[enum.Enum]) -> Enum:
    # Store the readable value, not the Python name, as a CHECKed string rather than a
    # native type, so adding a member is a plain migration on both backends.
    return Enum(cls, native_enum=False, values_callable=lambda e: [m.value for m in e], length=60)
