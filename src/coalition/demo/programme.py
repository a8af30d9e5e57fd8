"""Load the demo programme through the ordinary use cases, idempotently.

Every write is a call to a service function, one transaction each, so the demo passes the
same validation, permission checks and event records as data entered by hand. Before each
write the loader looks the object up by its natural key (nation code, short name, e-mail,
reference, code, username); what exists is left alone, so a second run creates nothing.
Statuses converge: an agreement left in draft by an interrupted run is brought into force.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.accounts.models import Account
from coalition.accounts.permissions import Principal, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.models import Agreement, AgreementStatus, Amendment
from coalition.agreements.schemas import AgreementIn, AmendmentIn, PartyIn, StatusChangeIn
from coalition.agreements.services import add_amendment, change_status, create_agreement
from coalition.demo.logins import DEMO_PASSWORD, LOGINS
from coalition.demo.partners import (
    NATIONS,
    ORGANISATION_BY_SHORT_NAME,
    ORGANISATIONS,
    SECURITY_AGREEMENTS,
)
from coalition.demo.people import PEOPLE
from coalition.demo.projects import ProjectLoader
from coalition.demo.specs import ClearanceSpec, Days, GrantSpec
from coalition.demo.techdata import TechDataLoader
from coalition.demo.work import AGREEMENTS, PROJECTS
from coalition.projects.models import Milestone, Project, WorkPackage
from coalition.registry.models import (
    Briefing,
    ClassificationScheme,
    Clearance,
    ClearanceStatus,
    Nation,
    Organisation,
    Person,
    SecurityAgreement,
)
from coalition.registry.people import add_briefing, add_clearance, create_person, update_clearance
from coalition.registry.reference import load_reference
from coalition.registry.schemas import (
    BriefingIn,
    ClearanceIn,
    ClearanceUpdate,
    NationIn,
    OrganisationIn,
    PersonIn,
    SecurityAgreementIn,
)
from coalition.registry.services import (
    create_nation,
    create_organisation,
    create_security_agreement,
)
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact

__all__ = ["DEMO_PASSWORD", "DemoSummary", "load_demo"]

T = TypeVar("T")

# Vetting references look like the issuing authority's own case numbers.
_VETTING_AUTHORITY = {
    "USA": "DCSA",
    "GBR": "UKSV",
    "FRA": "DRSD",
    "DEU": "BAMAD",
    "CAN": "PSPC",
    "AUS": "AGSVA",
    "NATO": "NOS",
}


@dataclass(frozen=True)
class DemoSummary:
    """What exists after loading, how much this run created, and the demo log-ins."""

    nations: int
    organisations: int
    people: int
    clearances: int
    security_agreements: int
    agreements: int
    projects: int
    work_packages: int
    milestones: int
    accounts: int
    artifacts: int
    created: int
    logins: list[tuple[str, str, str]]


def load_demo(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    reference_dir: Path,
    today: date | None = None,
) -> DemoSummary:
    """Create the demo programme (dates relative to ``today``) unless it already exists."""
    loader = _DemoLoader(uow, actor, today or date.today())
    loader.load_reference_if_missing(reference_dir)
    loader.load_nations()
    loader.load_organisations()
    loader.load_people()
    loader.load_security_agreements()
    loader.load_agreements()
    projects = ProjectLoader(
        uow, actor, loader.day, loader.organisations, loader.people, loader.agreements
    )
    projects.load(PROJECTS)
    loader.load_accounts(projects.projects)
    techdata = TechDataLoader(
        uow, actor, loader.day, loader.organisations, loader.people, projects.projects
    )
    techdata.load()
    return loader.summary(projects.created + techdata.created)


class _DemoLoader:
    def __init__(self, uow: Callable[[], UnitOfWork], actor: Principal, today: date) -> None:
        self._uow = uow
        self._actor = actor
        self._today = today
        self.created = 0
        self.organisations: dict[str, uuid.UUID] = {}
        #: People by full name, the key the project and log-in data use.
        self.people: dict[str, uuid.UUID] = {}
        self.agreements: dict[str, uuid.UUID] = {}

    def day(self, offset: Days) -> date:
        return self._today + timedelta(days=offset)

    def _read(self, query: Callable[[Session], T]) -> T:
        with self._uow() as unit:
            return query(unit.session)

    # --- registry ---------------------------------------------------------------------------

    def load_reference_if_missing(self, reference_dir: Path) -> None:
        # Reloading would replace an operator's edited tables with the files' content, so
        # the reference data is loaded only on a node that has none yet.
        if self._read(lambda s: s.scalar(select(ClassificationScheme.code).limit(1))) is None:
            load_reference(self._uow(), self._actor, reference_dir)

    def load_nations(self) -> None:
        existing = set(self._read(lambda s: s.scalars(select(Nation.code)).all()))
        for spec in NATIONS:
            if spec.code in existing:
                continue
            create_nation(
                self._uow(),
                self._actor,
                NationIn(
                    code=spec.code,
                    scheme_code=spec.scheme_code,
                    currency=spec.currency,
                    fiscal_year_start_month=spec.fiscal_year_start_month,
                    fiscal_year_start_day=spec.fiscal_year_start_day,
                ),
            )
            self.created += 1

    def load_organisations(self) -> None:
        self.organisations = dict(
            self._read(lambda s: s.execute(select(Organisation.short_name, Organisation.id)).all())
        )
        for spec in ORGANISATIONS:
            if spec.short_name in self.organisations:
                continue
            created = create_organisation(
                self._uow(),
                self._actor,
                OrganisationIn(
                    name=spec.name,
                    short_name=spec.short_name,
                    kind=spec.kind,
                    nation_code=spec.nation_code,
                    city=spec.city,
                    parent_id=self.organisations[spec.parent] if spec.parent else None,
                    website=f"https://www.{spec.domain}",
                ),
            )
            self.organisations[spec.short_name] = created.id
            self.created += 1

    def load_people(self) -> None:
        by_email = dict(self._read(lambda s: s.execute(select(Person.email, Person.id)).all()))
        clearances = {
            (person_id, reference): (clearance_id, status)
            for person_id, reference, clearance_id, status in self._read(
                lambda s: s.execute(
                    select(Clearance.person_id, Clearance.reference, Clearance.id, Clearance.status)
                ).all()
            )
        }
        briefings = set(
            self._read(lambda s: s.execute(select(Briefing.person_id, Briefing.name)).all())
        )
        for spec in PEOPLE:
            email = spec.email(ORGANISATION_BY_SHORT_NAME[spec.employer].domain)
            person_id = by_email.get(email)
            if person_id is None:
                person_id = create_person(
                    self._uow(),
                    self._actor,
                    PersonIn(
                        given_name=spec.given_name,
                        family_name=spec.family_name,
                        email=email,
                        employer_id=self.organisations[spec.employer],
                        citizenships=list(spec.citizenships),
                        job_title=spec.job_title,
                    ),
                ).id
                self.created += 1
            self.people[spec.full_name] = person_id
            for clearance in spec.clearances:
                reference = _vetting_reference(email, clearance)
                self._ensure_clearance(
                    person_id, reference, clearance, clearances.get((person_id, reference))
                )
            for briefing in spec.briefings:
                if (person_id, briefing.name) in briefings:
                    continue
                add_briefing(
                    self._uow(),
                    self._actor,
                    person_id,
                    BriefingIn(
                        kind=briefing.kind,
                        name=briefing.name,
                        given_on=self.day(briefing.given_on),
                        expires_on=None
                        if briefing.expires_on is None
                        else self.day(briefing.expires_on),
                        note=briefing.note,
                    ),
                )
                self.created += 1

    def _ensure_clearance(
        self,
        person_id: uuid.UUID,
        reference: str,
        spec: ClearanceSpec,
        existing: tuple[uuid.UUID, ClearanceStatus] | None,
    ) -> None:
        if existing is None:
            clearance_id = add_clearance(
                self._uow(),
                self._actor,
                person_id,
                ClearanceIn(
                    issuer=spec.issuer,
                    level_name=spec.level_name,
                    reference=reference,
                    valid_from=self.day(spec.valid_from),
                    valid_until=self.day(spec.valid_until),
                ),
            ).id
            self.created += 1
            status = ClearanceStatus.ACTIVE
        else:
            clearance_id, status = existing
        # A revoked clearance is final, so there is nothing left to converge.
        if status is not spec.status and status is not ClearanceStatus.REVOKED:
            update_clearance(
                self._uow(),
                self._actor,
                clearance_id,
                ClearanceUpdate(
                    status=spec.status,
                    reason=spec.reason or "restored by the demo programme",
                ),
            )

    def load_security_agreements(self) -> None:
        existing = set(self._read(lambda s: s.scalars(select(SecurityAgreement.reference)).all()))
        for spec in SECURITY_AGREEMENTS:
            if spec.reference in existing:
                continue
            create_security_agreement(
                self._uow(),
                self._actor,
                SecurityAgreementIn(
                    reference=spec.reference,
                    title=spec.title,
                    parties=list(spec.parties),
                    max_level=spec.max_level,
                    in_force_from=spec.in_force_from,
                    in_force_until=spec.in_force_until,
                ),
            )
            self.created += 1

    # --- agreements -------------------------------------------------------------------------

    def load_agreements(self) -> None:
        existing = {
            reference: (agreement_id, status)
            for reference, agreement_id, status in self._read(
                lambda s: s.execute(
                    select(Agreement.reference, Agreement.id, Agreement.status)
                ).all()
            )
        }
        amendments = set(
            self._read(lambda s: s.execute(select(Amendment.agreement_id, Amendment.title)).all())
        )
        # Parents come before their children in the data, so a parent is in force by the
        # time its child asks to be.
        for spec in AGREEMENTS:
            if spec.reference in existing:
                agreement_id, status = existing[spec.reference]
            else:
                signed_on = None if spec.signed_on is None else self.day(spec.signed_on)
                agreement_id = create_agreement(
                    self._uow(),
                    self._actor,
                    AgreementIn(
                        **spec.terms.model_dump(),
                        reference=spec.reference,
                        title=spec.title,
                        kind=spec.kind,
                        parent_id=self.agreements[spec.parent] if spec.parent else None,
                        effective_from=self.day(spec.effective_from),
                        expires_on=self.day(spec.expires_on),
                        summary=spec.summary,
                        parties=[
                            PartyIn(organisation_id=self.organisations[p], signed_on=signed_on)
                            for p in spec.parties
                        ],
                    ),
                ).id
                status = AgreementStatus.DRAFT
                self.created += 1
            self.agreements[spec.reference] = agreement_id
            if spec.status is AgreementStatus.IN_FORCE and status is AgreementStatus.DRAFT:
                change_status(
                    self._uow(),
                    self._actor,
                    agreement_id,
                    StatusChangeIn(
                        to_status=AgreementStatus.IN_FORCE,
                        reason="Signed by all participants.",
                    ),
                )
            for amendment in spec.amendments:
                if (agreement_id, amendment.title) in amendments:
                    continue
                add_amendment(
                    self._uow(),
                    self._actor,
                    agreement_id,
                    AmendmentIn(
                        title=amendment.title,
                        summary=amendment.summary,
                        signed_on=self.day(amendment.signed_on),
                        effective_from=self.day(amendment.effective_from),
                    ),
                )
                self.created += 1

    # --- accounts ---------------------------------------------------------------------------

    def load_accounts(self, projects: dict[str, uuid.UUID]) -> None:
        usernames = set(self._read(lambda s: s.scalars(select(Account.username)).all()))
        people_with_account = set(
            self._read(
                lambda s: s.scalars(
                    select(Account.person_id).where(Account.person_id.is_not(None))
                ).all()
            )
        )
        for spec in LOGINS:
            if spec.username in usernames:
                continue
            person_id = self.people[spec.person] if spec.person else None
            # Someone may have given the person an account by hand; the demo log-in then
            # stays unlinked rather than failing.
            if person_id in people_with_account:
                person_id = None
            create_account(
                self._uow(),
                self._actor,
                AccountIn(
                    username=spec.username,
                    display_name=spec.display_name,
                    password=SecretStr(DEMO_PASSWORD),
                    person_id=person_id,
                    grants=[self._grant(g, projects) for g in spec.grants],
                ),
            )
            self.created += 1

    def _grant(self, spec: GrantSpec, projects: dict[str, uuid.UUID]) -> GrantIn:
        scope_id: uuid.UUID | None = None
        if spec.scope_kind is ScopeKind.ORGANISATION and spec.scope:
            scope_id = self.organisations[spec.scope]
        elif spec.scope_kind is ScopeKind.PROJECT and spec.scope:
            scope_id = projects[spec.scope]
        return GrantIn(role=spec.role, scope_kind=spec.scope_kind, scope_id=scope_id)

    # --- summary ----------------------------------------------------------------------------

    def summary(self, created_by_projects: int) -> DemoSummary:
        def count(model: type[object]) -> Callable[[Session], int]:
            return lambda s: s.scalar(select(func.count()).select_from(model)) or 0

        return DemoSummary(
            nations=self._read(count(Nation)),
            organisations=self._read(count(Organisation)),
            people=self._read(count(Person)),
            clearances=self._read(count(Clearance)),
            security_agreements=self._read(count(SecurityAgreement)),
            agreements=self._read(count(Agreement)),
            projects=self._read(count(Project)),
            work_packages=self._read(count(WorkPackage)),
            milestones=self._read(count(Milestone)),
            accounts=self._read(count(Account)),
            artifacts=self._read(count(Artifact)),
            created=self.created + created_by_projects,
            logins=[(spec.username, DEMO_PASSWORD, spec.description) for spec in LOGINS],
        )


def _vetting_reference(email: str, spec: ClearanceSpec) -> str:
    """A stable case number per person and clearance, so a rerun finds the clearance again."""
    digest = zlib.crc32(f"{email}|{spec.issuer}|{spec.level_name}".encode()) % 1_000_000
    return f"{_VETTING_AUTHORITY.get(spec.issuer, spec.issuer)}-{digest:06d}"
