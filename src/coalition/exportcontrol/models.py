"""The export records the `export` rule reads: authorisations issued by an exporting
nation, and exemptions whose conditions are data. Their full workflows (applications,
provisos, drawdown) come with the export register; the rule needs the records now."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalition.policy.labels import ExportRegime
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class AuthorisationKind(enum.StrEnum):
    LICENCE = "licence"  # e.g. a DSP-5 or an EAR licence
    AGREEMENT = "agreement"  # e.g. a TAA or MLA
    NATIONAL_LICENCE = "national_licence"


class AuthorisationStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class ExportAuthorisation(Entity, Base):
    __tablename__ = "export_authorisations"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[AuthorisationKind] = mapped_column(enum_column(AuthorisationKind))
    issuing_nation: Mapped[str] = mapped_column(String(3))
    regime: Mapped[ExportRegime] = mapped_column(enum_column(ExportRegime))
    #: Lists are "any" when empty, as in the rule.
    categories: Mapped[list[str]]
    recipient_nations: Mapped[list[str]]
    end_user_ids: Mapped[list[str]]
    project_ids: Mapped[list[str]]
    purposes: Mapped[list[str]]
    value_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_used: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal(0))
    quantity_limit: Mapped[int | None]
    quantity_used: Mapped[int] = mapped_column(default=0)
    provisos: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    status: Mapped[AuthorisationStatus] = mapped_column(
        enum_column(AuthorisationStatus), default=AuthorisationStatus.ACTIVE
    )


class Exemption(Entity, Base):
    """A named exemption (ITAR's Canadian exemption, say): every listed condition must hold."""

    __tablename__ = "export_exemptions"
    name: Mapped[str] = mapped_column(String(120), unique=True)
    citation: Mapped[str | None] = mapped_column(String(200))
    regime: Mapped[ExportRegime] = mapped_column(enum_column(ExportRegime))
    exporting_nation: Mapped[str] = mapped_column(String(3))
    conditions: Mapped[dict[str, Any]]
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
