"""Release requests: items, recipients, and the national approvals they need."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.policy.facts import Purpose
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApprovalKind(enum.StrEnum):
    CLASSIFIED = "classified"  # the originating nation's security officer
    EXPORT = "export"  # the exporting nation's export-control officer
    ORIGINATOR = "originator"  # the owning organisation, for ORCON


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReleaseRequest(Entity, Base):
    __tablename__ = "release_requests"
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    requested_by: Mapped[str] = mapped_column(String(120))
    requester_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose))
    justification: Mapped[str] = mapped_column(Text)
    #: What the release is worth and how many items it counts as, for export
    #: authorisations with value or quantity limits (drawn down on approval).
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    quantity: Mapped[int | None]
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus), default=RequestStatus.SUBMITTED
    )
    decided_at: Mapped[datetime | None]
    items: Mapped[list[ReleaseItem]] = relationship(order_by="ReleaseItem.position")
    recipients: Mapped[list[ReleaseRecipient]] = relationship()
    approvals: Mapped[list[ReleaseApproval]] = relationship(order_by="ReleaseApproval.key")


class ReleaseItem(Base):
    __tablename__ = "release_items"
    __table_args__ = (UniqueConstraint("request_id", "artifact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("release_requests.id"), index=True)
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"))
    position: Mapped[int]


class ReleaseRecipient(Base):
    __tablename__ = "release_recipients"
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("release_requests.id"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True
    )


class ReleaseApproval(Base):
    """One approval a request needs: a kind, for a nation (or, for ORCON, an owning
    organisation), due by a date; decided once."""

    __tablename__ = "release_approvals"
    __table_args__ = (UniqueConstraint("request_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("release_requests.id"), index=True)
    #: e.g. "classified:USA", "export:USA:ITAR", "originator:<organisation id>".
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[ApprovalKind] = mapped_column(enum_column(ApprovalKind))
    nation: Mapped[str] = mapped_column(String(3))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    regime: Mapped[str | None] = mapped_column(String(20))
    due_on: Mapped[date]
    status: Mapped[ApprovalStatus] = mapped_column(
        enum_column(ApprovalStatus), default=ApprovalStatus.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
