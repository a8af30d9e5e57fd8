"""The IP records the `ip_use` rule reads: assets with their owners, and licences.
The register's full workflows (shares, protection, royalties) come with the IP issue."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.registry.models import Organisation
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class IpKind(enum.StrEnum):
    BACKGROUND = "background"
    RESULT = "result"


class IpAsset(Entity, Base):
    __tablename__ = "ip_assets"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[IpKind] = mapped_column(enum_column(IpKind))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), index=True)
    owners: Mapped[list[IpOwner]] = relationship(
        back_populates="asset", cascade="all, delete-orphan"
    )


class IpOwner(Base):
    __tablename__ = "ip_owners"
    __table_args__ = (UniqueConstraint("asset_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    share_percent: Mapped[int] = mapped_column(default=100)
    asset: Mapped[IpAsset] = relationship(back_populates="owners")
    organisation: Mapped[Organisation] = relationship()


class LicenceStatus(enum.StrEnum):
    ACTIVE = "active"
    TERMINATED = "terminated"


class Licence(Entity, Base):
    """A licence or access right from an owner of an asset to another organisation."""

    __tablename__ = "ip_licences"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id"), index=True)
    licensor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    licensee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    purposes: Mapped[list[str]]
    #: Nations where it may be used; empty means worldwide.
    territory: Mapped[list[str]]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    status: Mapped[LicenceStatus] = mapped_column(
        enum_column(LicenceStatus), default=LicenceStatus.ACTIVE
    )
    terms: Mapped[str | None] = mapped_column(Text)
