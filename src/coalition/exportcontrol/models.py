"""The export records the `export` rule reads: authorisations issued by an exporting
nation, and exemptions whose conditions are data. Their full workflows (applications,
provisos, drawdown) come with the export register; the rule needs the records now."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coalition.policy.labels import ExportRegime
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class AuthorisationKind(enum.StrEnum):
    DSP_5 = "dsp_5"  # ITAR: permanent export of unclassified defence articles or data
    DSP_85 = "dsp_85"  # ITAR: classified defence articles or data
    TAA = "taa"  # ITAR technical assistance agreement
    MLA = "mla"  # ITAR manufacturing licence agreement
    LICENCE = "licence"  # another individual licence (an EAR licence, say)
    AGREEMENT = "agreement"  # another agreement
    NATIONAL_LICENCE = "national_licence"  # another nation's individual licence
    GENERAL_LICENCE = "general_licence"  # an open or general licence


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


class AuthorisationAmendment(Base):
    """One amendment of an authorisation: the fields it changed (old and new values) and
    why, in order."""

    __tablename__ = "export_authorisation_amendments"
    __table_args__ = (UniqueConstraint("authorisation_id", "number"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    authorisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("export_authorisations.id"), index=True
    )
    number: Mapped[int]
    #: Field name -> [old value, new value], as JSON.
    changes: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthorisationDrawdown(Base):
    """Value or quantity used under an authorisation: by a release, or recorded by the
    export-control officer for a shipment outside Coalition."""

    __tablename__ = "export_authorisation_drawdowns"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    authorisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("export_authorisations.id"), index=True
    )
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal(0))
    quantity: Mapped[int] = mapped_column(default=0)
    #: What used it: a release's reference, a shipment's number.
    reference: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
