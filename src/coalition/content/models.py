"""An artifact's data key (wrapped) and its content versions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coalition.store.base import Base, utcnow


class ArtifactKey(Base):
    """The artifact's AES-256 data key, wrapped by the node's content key (never stored
    in clear)."""

    __tablename__ = "artifact_keys"
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentVersion(Base):
    """One uploaded version of an artifact's content, sealed in the blob store."""

    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("artifact_id", "number"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    #: SHA-256 of the plaintext, hex: what the uploader sent, checked again on every read.
    sha256: Mapped[str] = mapped_column(String(64))
    #: The blob's name in the store.
    blob: Mapped[str] = mapped_column(String(80), unique=True)
    segment_size: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
