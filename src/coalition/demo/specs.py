"""Shapes of the demo data: plain frozen records, read by the loader in programme.py.

Every date is a day offset from the day the demo is loaded (negative = in the past), so
the demo always looks alive: clearances about to expire, milestones late or coming up.
Security agreements are the exception: they are historical treaties with fixed dates.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from coalition.accounts.permissions import Role, ScopeKind
from coalition.agreements.models import AgreementKind, AgreementStatus
from coalition.agreements.schemas import Terms
from coalition.projects.models import DeliverableStatus, MemberRole, ParticipantRole
from coalition.registry.models import BriefingKind, ClearanceStatus, OrganisationKind

#: Days from the load date; negative numbers lie in the past.
Days = int


@dataclass(frozen=True)
class NationSpec:
    code: str
    scheme_code: str
    fiscal_year_start_month: int
    fiscal_year_start_day: int
    currency: str


@dataclass(frozen=True)
class OrganisationSpec:
    short_name: str
    name: str
    kind: OrganisationKind
    nation_code: str
    city: str
    #: Short name of the parent organisation, which must be listed earlier.
    parent: str | None = None
    #: Mail domain of its people; also its (fictional) web address.
    domain: str = ""


@dataclass(frozen=True)
class ClearanceSpec:
    issuer: str
    level_name: str
    valid_from: Days
    valid_until: Days
    status: ClearanceStatus = ClearanceStatus.ACTIVE
    #: Why the clearance left the active status; required unless it is active.
    reason: str | None = None


@dataclass(frozen=True)
class BriefingSpec:
    kind: BriefingKind
    name: str
    given_on: Days
    expires_on: Days | None = None
    note: str | None = None


@dataclass(frozen=True)
class PersonSpec:
    given_name: str
    family_name: str
    employer: str
    citizenships: tuple[str, ...]
    job_title: str
    clearances: tuple[ClearanceSpec, ...] = ()
    briefings: tuple[BriefingSpec, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def email(self, domain: str) -> str:
        """``given.family@domain`` in plain ASCII: "Élodie" becomes "elodie"."""
        local = f"{self.given_name}.{self.family_name}".lower().replace(" ", "").replace("'", "")
        ascii_local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
        return f"{ascii_local}@{domain}"


@dataclass(frozen=True)
class SecurityAgreementSpec:
    reference: str
    title: str
    parties: tuple[str, ...]
    max_level: int
    in_force_from: date
    in_force_until: date | None = None


@dataclass(frozen=True)
class AmendmentSpec:
    title: str
    summary: str
    signed_on: Days
    effective_from: Days


@dataclass(frozen=True)
class AgreementSpec:
    reference: str
    title: str
    kind: AgreementKind
    #: Short names of the signatory organisations, each signing on ``signed_on``.
    parties: tuple[str, ...]
    #: None while the text is still being negotiated.
    signed_on: Days | None
    effective_from: Days
    expires_on: Days
    terms: Terms
    summary: str
    status: AgreementStatus = AgreementStatus.IN_FORCE
    #: Reference of the parent agreement, which must be listed earlier.
    parent: str | None = None
    amendments: tuple[AmendmentSpec, ...] = ()


@dataclass(frozen=True)
class ParticipantSpec:
    organisation: str
    role: ParticipantRole
    joined_on: Days


@dataclass(frozen=True)
class MemberSpec:
    #: The person's full name ("given family"), unique among the demo people.
    person: str
    role: MemberRole
    joined_on: Days


@dataclass(frozen=True)
class DeliverableSpec:
    code: str
    title: str
    due_on: Days
    status: DeliverableStatus = DeliverableStatus.PLANNED


@dataclass(frozen=True)
class WorkPackageSpec:
    code: str
    title: str
    lead: str
    description: str
    deliverables: tuple[DeliverableSpec, ...] = ()


@dataclass(frozen=True)
class MilestoneSpec:
    code: str
    title: str
    due_on: Days
    #: The day it was achieved; None while still planned (late once ``due_on`` has passed).
    achieved_on: Days | None = None


@dataclass(frozen=True)
class ProjectSpec:
    code: str
    title: str
    agreement: str
    lead: str
    start_on: Days
    end_on: Days
    classification_ceiling: int
    description: str
    active: bool
    partners: tuple[ParticipantSpec, ...] = ()
    members: tuple[MemberSpec, ...] = ()
    work_packages: tuple[WorkPackageSpec, ...] = ()
    milestones: tuple[MilestoneSpec, ...] = ()


@dataclass(frozen=True)
class GrantSpec:
    role: Role
    scope_kind: ScopeKind = ScopeKind.NODE
    #: Short name of the organisation, or code of the project, the role is held in.
    scope: str | None = None


@dataclass(frozen=True)
class LoginSpec:
    username: str
    display_name: str
    description: str
    grants: tuple[GrantSpec, ...]
    #: Full name of the person the account belongs to, if any.
    person: str | None = None
