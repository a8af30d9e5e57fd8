"""The risk register of a project and its work packages: likelihood and impact on a 1 to 5
scale, their product as the score, an owner, mitigations and a status. Every assessment is
kept (RiskAssessment), so a risk's history and trend can be shown and reported."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.projects.models import Project, WorkPackage
from coalition.registry.models import Person
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class RiskStatus(enum.StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    #: The risk happened: it is now an issue to manage.
    OCCURRED = "occurred"
    CLOSED = "closed"


class RiskCategory(enum.StrEnum):
    TECHNICAL = "technical"
    SCHEDULE = "schedule"
    COST = "cost"
    SECURITY = "security"
    EXPORT_CONTROL = "export_control"
    IP = "ip"
    PARTNERSHIP = "partnership"
    OTHER = "other"


class Risk(Entity, Base):
    __tablename__ = "risks"
    __table_args__ = (
        CheckConstraint("likelihood BETWEEN 1 AND 5", name="likelihood"),
        CheckConstraint("impact BETWEEN 1 AND 5", name="impact"),
    )
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"), index=True)
    work_package_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("work_packages.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[RiskCategory] = mapped_column(enum_column(RiskCategory))
    likelihood: Mapped[int]
    impact: Mapped[int]
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    mitigation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RiskStatus] = mapped_column(
        enum_column(RiskStatus), default=RiskStatus.OPEN, index=True
    )
    raised_on: Mapped[date]
    closed_on: Mapped[date | None]
    project: Mapped[Project] = relationship()
    work_package: Mapped[WorkPackage | None] = relationship()
    owner: Mapped[Person] = relationship()
    assessments: Mapped[list[RiskAssessment]] = relationship(
        back_populates="risk",
        order_by="RiskAssessment.id",
        cascade="all, delete-orphan",
    )

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class RiskAssessment(Base):
    """A risk as assessed on a day: the register's history."""

    __tablename__ = "risk_assessments"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    risk_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("risks.id", ondelete="CASCADE"), index=True
    )
    assessed_on: Mapped[date]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(120))
    likelihood: Mapped[int]
    impact: Mapped[int]
    status: Mapped[RiskStatus] = mapped_column(enum_column(RiskStatus))
    note: Mapped[str | None] = mapped_column(Text)
    risk: Mapped[Risk] = relationship(back_populates="assessments")

    @property
    def score(self) -> int:
        return self.likelihood * self.impact
