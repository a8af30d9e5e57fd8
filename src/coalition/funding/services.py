"""Use cases of funding: one transaction each, every change recorded in the ledger.
The rules they apply live in coalition.funding.rules and coalition.funding.money."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import (
    Permission,
    Principal,
    Target,
    authorize,
    holds_somewhere,
)
from coalition.agreements.models import Agreement, AgreementParty
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import (
    Conflict,
    FieldProblem,
    NotFound,
    PermissionDenied,
    Problems,
    ValidationFailed,
)
from coalition.funding import money
from coalition.funding.models import (
    BudgetLine,
    Contribution,
    ContributionKind,
    ContributionStatus,
    Expenditure,
    WorkshareAward,
)
from coalition.funding.rules import FiscalCalendar, fiscal_year_in_period
from coalition.funding.schemas import (
    BudgetLineIn,
    BudgetLineOut,
    ContributionDecisionIn,
    ContributionIn,
    ContributionOut,
    ExpenditureIn,
    ExpenditureOut,
    ImportResult,
    RowProblem,
    WithdrawalIn,
    WorkshareAwardIn,
    WorkshareAwardOut,
)
from coalition.projects.models import Project, WorkPackage
from coalition.projects.services import project_target
from coalition.registry.models import Nation, Organisation
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork

Row = TypeVar("Row", bound=BaseModel)

# --- reading ----------------------------------------------------------------------------------


def _read(actor: Principal) -> None:
    require(actor, Permission.DIRECTORY_READ, Target.node())


def rates_of(agreement: Agreement) -> money.Rates | None:
    """The agreement's fixed rates; None while it names no accounting currency."""
    if agreement.accounting_currency is None:
        return None
    return money.Rates(
        agreement.accounting_currency,
        {c: Decimal(str(r)) for c, r in agreement.exchange_rates.items()},
    )


def party_nations(agreement: Agreement) -> set[str]:
    return {p.organisation.nation_code for p in agreement.parties}


def calendars(session: Session) -> dict[str, FiscalCalendar]:
    return {
        code: FiscalCalendar(month, day)
        for code, month, day in session.execute(
            select(Nation.code, Nation.fiscal_year_start_month, Nation.fiscal_year_start_day)
        )
    }


@dataclass(frozen=True)
class _Names:
    """Codes of what records refer to, read once per list rather than once per row."""

    organisations: dict[uuid.UUID, str]
    projects: dict[uuid.UUID, str]
    work_packages: dict[uuid.UUID, str]
    agreements: dict[uuid.UUID, str]

    @classmethod
    def load(cls, session: Session) -> _Names:
        return cls(
            dict(session.execute(select(Organisation.id, Organisation.short_name)).all()),
            dict(session.execute(select(Project.id, Project.code)).all()),
            dict(session.execute(select(WorkPackage.id, WorkPackage.code)).all()),
            dict(session.execute(select(Agreement.id, Agreement.reference)).all()),
        )


def agreement_by_reference(session: Session, reference: str) -> Agreement | None:
    return session.scalar(
        select(Agreement)
        .options(selectinload(Agreement.parties).joinedload(AgreementParty.organisation))
        .where(Agreement.reference == reference)
    )


def agreement_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    _read(actor)
    with uow:
        found = uow.session.scalar(select(Agreement.id).where(Agreement.reference == reference))
    if found is None:
        raise NotFound(f"no agreement '{reference}'")
    return found


# --- checks shared by every record ------------------------------------------------------------

#: The largest amount one record may hold, in minor units: far inside the 64-bit integers
#: amounts are stored and summed in (a larger one failed on insert: a crash on SQLite, an
#: error without its field on PostgreSQL), so that sums over many records stay exact too.
MAX_MINOR = 10**15


@dataclass
class _Context:
    """What a row of funding refers to, looked up once per use case (or per import)."""

    session: Session
    actor: Principal
    problems: Problems
    prefix: str = ""

    def add(self, name: str, message: str) -> None:
        self.problems.add(f"{self.prefix}{name}", message)

    def project(self, code: str) -> Project | None:
        project = self.session.scalar(
            select(Project)
            .options(selectinload(Project.participants), selectinload(Project.work_packages))
            .where(Project.code == code)
        )
        if project is None:
            self.add("project", f"no project '{code}'")
        return project

    def work_package(self, project: Project, code: str) -> WorkPackage | None:
        for wp in project.work_packages:
            if wp.code == code:
                return wp
        self.add("work_package", f"{project.code} has no work package '{code}'")
        return None

    def organisation(self, short_name: str) -> Organisation | None:
        found = self.session.scalar(
            select(Organisation).where(Organisation.short_name == short_name)
        )
        if found is None:
            self.add("organisation", f"no organisation '{short_name}'")
        return found

    def agreement(self, reference: str) -> Agreement | None:
        found = agreement_by_reference(self.session, reference)
        if found is None:
            self.add("agreement", f"no agreement '{reference}'")
        return found

    def agreement_of(self, project: Project) -> Agreement:
        agreement = agreement_by_reference(self.session, project.agreement.reference)
        assert agreement is not None
        return agreement

    def amount(self, name: str, amount: Decimal, currency: str, agreement: Agreement) -> int | None:
        """``amount`` in minor units, if its currency has a rate the agreement fixed."""
        rates = rates_of(agreement)
        if rates is None:
            self.add(
                "currency",
                f"{agreement.reference} fixes no exchange rates yet: amend it to name its "
                "accounting currency and rates",
            )
            return None
        if not rates.has(currency):
            agreed = ", ".join(sorted(rates.currencies))
            self.add(
                "currency", f"{agreement.reference} fixes no rate for {currency} (agreed: {agreed})"
            )
            return None
        try:
            minor = money.to_minor(amount, currency)
        except ValueError as error:
            self.add(name, str(error))
            return None
        if abs(minor) > MAX_MINOR:
            most = money.from_minor(MAX_MINOR, currency)
            self.add(name, f"is more than the books hold (at most {most} {currency})")
            return None
        return minor

    def day_in_agreement(self, name: str, day: date, agreement: Agreement) -> None:
        if day < agreement.effective_from:
            self.add(
                name, f"is before {agreement.reference} takes effect ({agreement.effective_from})"
            )
        elif agreement.expires_on is not None and day >= agreement.expires_on:
            self.add(name, f"is after {agreement.reference} expires ({agreement.expires_on})")

    def party_nation(self, name: str, nation: str, agreement: Agreement) -> None:
        if nation not in party_nations(agreement):
            self.add(name, f"{nation} is not a party nation of {agreement.reference}")

    def may(self, target: Target, what: str) -> bool:
        decision = authorize(self.actor, Permission.FUNDING_MANAGE, target)
        if not decision.allowed:
            self.add("", f"you may not record funding {what}: {decision.reason}")
        return decision.allowed


def _org_target(session: Session, organisation: Organisation, project: Project | None) -> Target:
    ids = organisation_target(session, organisation).organisation_ids
    return Target.of(ids, project.id if project is not None else None)


# --- budgets ----------------------------------------------------------------------------------


def _budget_target(session: Session, project: Project, nation: str) -> Target:
    """A nation's budget lines are kept by the project's leads and by the participants of
    that nation (a finance officer sets the budget their nation funds)."""
    ids = set(project_target(session, project).organisation_ids)
    for participant in project.participants:
        if participant.organisation.nation_code == nation and participant.withdrew_on is None:
            ids |= organisation_target(session, participant.organisation).organisation_ids
    return Target.of(ids, project.id)


def _budget_line(ctx: _Context, data: BudgetLineIn) -> BudgetLine | None:
    project = ctx.project(data.project)
    if project is None:
        return None
    wp = ctx.work_package(project, data.work_package)
    agreement = ctx.agreement_of(project)
    ctx.party_nation("nation", data.nation, agreement)
    calendar = calendars(ctx.session).get(data.nation)
    if calendar is None:
        ctx.add("nation", f"{data.nation} is not configured on this node")
    elif not fiscal_year_in_period(
        calendar, data.fiscal_year, agreement.effective_from, agreement.expires_on
    ):
        first, last = calendar.bounds(data.fiscal_year)
        ctx.add(
            "fiscal_year",
            f"{data.nation} FY{data.fiscal_year} ({first} to {last}) lies outside "
            f"{agreement.reference} ({agreement.effective_from} to "
            f"{agreement.expires_on or 'open-ended'})",
        )
    minor = ctx.amount("amount", data.amount, data.currency, agreement)
    if not ctx.may(_budget_target(ctx.session, project, data.nation), f"for {project.code}"):
        return None
    if wp is None or minor is None or calendar is None:
        return None
    return BudgetLine(
        project_id=project.id,
        work_package_id=wp.id,
        category=data.category,
        nation_code=data.nation,
        fiscal_year=data.fiscal_year,
        kind=data.kind,
        amount_minor=minor,
        currency=data.currency,
        note=data.note,
    )


def _store_budget_line(uow: UnitOfWork, actor: Principal, line: BudgetLine) -> BudgetLine:
    """Insert the line, or replace the amount of the line it sets again."""
    existing = uow.session.scalar(
        select(BudgetLine).where(
            BudgetLine.work_package_id == line.work_package_id,
            BudgetLine.category == line.category,
            BudgetLine.nation_code == line.nation_code,
            BudgetLine.fiscal_year == line.fiscal_year,
            BudgetLine.kind == line.kind,
        )
    )
    details = {
        "work_package_id": line.work_package_id,
        "category": line.category,
        "nation": line.nation_code,
        "fiscal_year": line.fiscal_year,
        "kind": line.kind,
        "amount": str(money.from_minor(line.amount_minor, line.currency)),
        "currency": line.currency,
    }
    if existing is not None:
        details["was"] = str(money.from_minor(existing.amount_minor, existing.currency))
        existing.amount_minor, existing.currency = line.amount_minor, line.currency
        existing.note = line.note
        line = existing
    else:
        uow.add(line)
        uow.flush()
    record_event(uow, actor, "funding:budget:set", line, details)
    return line


def set_budget_line(uow: UnitOfWork, actor: Principal, data: BudgetLineIn) -> BudgetLineOut:
    with uow:
        uow.for_writing()
        problems = Problems()
        line = _budget_line(_Context(uow.session, actor, problems), data)
        _raise_or_deny(problems)
        assert line is not None
        line = _store_budget_line(uow, actor, line)
        out = _budget_out(_Names.load(uow.session), line)
        uow.commit()
        return out


def list_budget_lines(
    uow: UnitOfWork, actor: Principal, *, project_code: str | None = None
) -> list[BudgetLineOut]:
    _read(actor)
    with uow:
        query = select(BudgetLine).order_by(
            BudgetLine.project_id, BudgetLine.fiscal_year, BudgetLine.category
        )
        if project_code is not None:
            query = query.join(Project, Project.id == BudgetLine.project_id).where(
                Project.code == project_code
            )
        lines = list(uow.session.scalars(query))
        names = _Names.load(uow.session)
        return [_budget_out(names, line) for line in lines]


def _budget_out(names: _Names, line: BudgetLine) -> BudgetLineOut:
    return BudgetLineOut(
        id=line.id,
        project=names.projects.get(line.project_id, ""),
        work_package=names.work_packages.get(line.work_package_id, ""),
        category=line.category,
        nation=line.nation_code,
        fiscal_year=line.fiscal_year,
        kind=line.kind,
        amount=money.from_minor(line.amount_minor, line.currency),
        currency=line.currency,
        note=line.note,
    )


# --- expenditure ------------------------------------------------------------------------------


def _expenditure(ctx: _Context, data: ExpenditureIn) -> Expenditure | None:
    project = ctx.project(data.project)
    organisation = ctx.organisation(data.organisation)
    if project is None or organisation is None:
        return None
    wp = ctx.work_package(project, data.work_package)
    agreement = ctx.agreement_of(project)
    ctx.day_in_agreement("incurred_on", data.incurred_on, agreement)
    if not any(p.organisation_id == organisation.id for p in project.participants):
        ctx.add("organisation", f"{organisation.short_name} does not take part in {project.code}")
    minor = ctx.amount("amount", data.amount, data.currency, agreement)
    if not ctx.may(
        _org_target(ctx.session, organisation, project), f"for {organisation.short_name}"
    ):
        return None
    if wp is None or minor is None:
        return None
    return Expenditure(
        project_id=project.id,
        work_package_id=wp.id,
        category=data.category,
        organisation_id=organisation.id,
        nation_code=organisation.nation_code,
        kind=data.kind,
        incurred_on=data.incurred_on,
        amount_minor=minor,
        currency=data.currency,
        reference=data.reference,
        description=data.description,
    )


def record_expenditure(uow: UnitOfWork, actor: Principal, data: ExpenditureIn) -> ExpenditureOut:
    with uow:
        uow.for_writing()
        problems = Problems()
        row = _expenditure(_Context(uow.session, actor, problems), data)
        _raise_or_deny(problems)
        assert row is not None
        _store(uow, actor, "funding:expenditure:record", row, data)
        out = _expenditure_out(_Names.load(uow.session), row)
        uow.commit()
        return out


def list_expenditures(
    uow: UnitOfWork, actor: Principal, *, project_code: str | None = None, limit: int = 500
) -> list[ExpenditureOut]:
    _read(actor)
    with uow:
        query = select(Expenditure).order_by(Expenditure.incurred_on.desc()).limit(limit)
        if project_code is not None:
            query = query.join(Project, Project.id == Expenditure.project_id).where(
                Project.code == project_code
            )
        rows = list(uow.session.scalars(query))
        names = _Names.load(uow.session)
        return [_expenditure_out(names, row) for row in rows]


def _expenditure_out(names: _Names, row: Expenditure) -> ExpenditureOut:
    return ExpenditureOut(
        id=row.id,
        project=names.projects.get(row.project_id, ""),
        work_package=names.work_packages.get(row.work_package_id, ""),
        category=row.category,
        organisation=names.organisations.get(row.organisation_id, ""),
        nation=row.nation_code,
        kind=row.kind,
        incurred_on=row.incurred_on,
        amount=money.from_minor(row.amount_minor, row.currency),
        currency=row.currency,
        reference=row.reference,
        description=row.description,
    )


# --- contributions ----------------------------------------------------------------------------


def _contribution(ctx: _Context, data: ContributionIn) -> Contribution | None:
    agreement = ctx.agreement(data.agreement)
    organisation = ctx.organisation(data.organisation)
    if agreement is None or organisation is None:
        return None
    project = wp = None
    if data.project is not None:
        project = ctx.project(data.project)
        if project is not None and project.agreement_id != agreement.id:
            ctx.add("project", f"{project.code} is not a project of {agreement.reference}")
        if project is not None and data.work_package is not None:
            wp = ctx.work_package(project, data.work_package)
    ctx.party_nation("organisation", organisation.nation_code, agreement)
    ctx.day_in_agreement("made_on", data.made_on, agreement)
    minor = ctx.amount("amount", data.amount, data.currency, agreement)
    if ctx.session.scalar(select(Contribution.id).where(Contribution.reference == data.reference)):
        ctx.add("reference", f"a contribution '{data.reference}' already exists")
    if not ctx.may(_org_target(ctx.session, organisation, None), f"for {organisation.short_name}"):
        return None
    if minor is None:
        return None
    in_kind = data.kind is ContributionKind.IN_KIND
    return Contribution(
        reference=data.reference,
        agreement_id=agreement.id,
        project_id=project.id if project is not None else None,
        work_package_id=wp.id if wp is not None else None,
        organisation_id=organisation.id,
        nation_code=organisation.nation_code,
        kind=data.kind,
        in_kind_type=data.in_kind_type,
        made_on=data.made_on,
        amount_minor=minor,
        currency=data.currency,
        description=data.description,
        valuation_method=data.valuation_method,
        evidence=data.evidence,
        status=ContributionStatus.PROPOSED if in_kind else ContributionStatus.ACCEPTED,
    )


def record_contribution(uow: UnitOfWork, actor: Principal, data: ContributionIn) -> ContributionOut:
    """Cash counts at once; a contribution in kind counts once its valuation is accepted."""
    with uow:
        uow.for_writing()
        problems = Problems()
        row = _contribution(_Context(uow.session, actor, problems), data)
        _raise_or_deny(problems)
        assert row is not None
        _store(uow, actor, "funding:contribution:record", row, data)
        out = _contribution_out(_Names.load(uow.session), row)
        uow.commit()
        return out


def decide_contribution(
    uow: UnitOfWork, actor: Principal, contribution_id: uuid.UUID, data: ContributionDecisionIn
) -> ContributionOut:
    """Record the oversight body's acceptance or rejection of an in-kind valuation. It is
    recorded by a party of another nation than the contributor's: no nation accepts its
    own valuation."""
    with uow:
        uow.for_writing()
        session = uow.session
        row = session.get(Contribution, contribution_id, with_for_update=True)
        if row is None:
            raise NotFound("no contribution with this id")
        agreement = session.get(Agreement, row.agreement_id)
        assert agreement is not None
        # Parties of another nation: neither the contributor nor its parent agency (nor any
        # other organisation of its nation) accepts its own valuation.
        others = {
            p.organisation_id
            for p in agreement.parties
            if p.organisation.nation_code != row.nation_code
        }
        require(actor, Permission.FUNDING_MANAGE, Target.of(others))
        if row.kind is not ContributionKind.IN_KIND:
            raise ValidationFailed.of(
                "outcome", "cash counts when recorded; only in kind is decided"
            )
        if row.status is not ContributionStatus.PROPOSED:
            raise Conflict(f"status: the valuation was already {row.status}")
        if data.decided_on < row.made_on:
            raise ValidationFailed.of("decided_on", f"is before the contribution ({row.made_on})")
        row.status = ContributionStatus(data.outcome)
        row.decided_on = data.decided_on
        row.decided_by = data.decided_by
        row.decision_reference = data.decision_reference
        row.decision_note = data.note
        record_event(uow, actor, f"funding:contribution:{data.outcome}", row, data.model_dump())
        out = _contribution_out(_Names.load(session), row)
        uow.commit()
        return out


def withdraw_contribution(
    uow: UnitOfWork, actor: Principal, contribution_id: uuid.UUID, data: WithdrawalIn
) -> ContributionOut:
    """Withdraw a contribution recorded in error. It stays in the books with its reason and
    counts nowhere; whoever may record for the contributor may withdraw it."""
    with uow:
        uow.for_writing()
        session = uow.session
        row = session.get(Contribution, contribution_id, with_for_update=True)
        if row is None:
            raise NotFound("no contribution with this id")
        require(actor, Permission.FUNDING_MANAGE, _org_target(session, row.organisation, None))
        if row.status is ContributionStatus.WITHDRAWN:
            raise Conflict(f"status: {row.reference} was already withdrawn on {row.withdrawn_on}")
        if data.withdrawn_on < row.made_on:
            raise ValidationFailed.of("withdrawn_on", f"is before the contribution ({row.made_on})")
        event = {"from": row.status, **data.model_dump()}
        row.status = ContributionStatus.WITHDRAWN
        row.withdrawn_on, row.withdrawal_reason = data.withdrawn_on, data.reason
        record_event(uow, actor, "funding:contribution:withdraw", row, event)
        out = _contribution_out(_Names.load(session), row)
        uow.commit()
        return out


def contribution_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    _read(actor)
    with uow:
        found = uow.session.scalar(
            select(Contribution.id).where(Contribution.reference == reference)
        )
    if found is None:
        raise NotFound(f"no contribution '{reference}'")
    return found


def get_contribution(
    uow: UnitOfWork, actor: Principal, contribution_id: uuid.UUID
) -> ContributionOut:
    _read(actor)
    with uow:
        row = uow.session.get(Contribution, contribution_id)
        if row is None:
            raise NotFound("no contribution with this id")
        return _contribution_out(_Names.load(uow.session), row)


def list_contributions(
    uow: UnitOfWork,
    actor: Principal,
    *,
    agreement_reference: str | None = None,
    status: ContributionStatus | None = None,
    limit: int = 500,
) -> list[ContributionOut]:
    """The latest ``limit`` contributions, newest first."""
    _read(actor)
    with uow:
        query = (
            select(Contribution)
            .order_by(Contribution.made_on.desc(), Contribution.reference)
            .limit(limit)
        )
        if agreement_reference is not None:
            query = query.join(Agreement, Agreement.id == Contribution.agreement_id).where(
                Agreement.reference == agreement_reference
            )
        if status is not None:
            query = query.where(Contribution.status == status)
        rows = list(uow.session.scalars(query))
        names = _Names.load(uow.session)
        return [_contribution_out(names, row) for row in rows]


def _contribution_out(names: _Names, row: Contribution) -> ContributionOut:
    return ContributionOut(
        id=row.id,
        reference=row.reference,
        agreement=names.agreements.get(row.agreement_id, ""),
        project=names.projects.get(row.project_id) if row.project_id else None,
        work_package=names.work_packages.get(row.work_package_id) if row.work_package_id else None,
        organisation=names.organisations.get(row.organisation_id, ""),
        nation=row.nation_code,
        kind=row.kind,
        in_kind_type=row.in_kind_type,
        made_on=row.made_on,
        amount=money.from_minor(row.amount_minor, row.currency),
        currency=row.currency,
        description=row.description,
        valuation_method=row.valuation_method,
        evidence=row.evidence,
        status=row.status,
        decided_on=row.decided_on,
        decided_by=row.decided_by,
        decision_reference=row.decision_reference,
        decision_note=row.decision_note,
        withdrawn_on=row.withdrawn_on,
        withdrawal_reason=row.withdrawal_reason,
    )


# --- workshare --------------------------------------------------------------------------------


def _award(ctx: _Context, data: WorkshareAwardIn) -> WorkshareAward | None:
    project = ctx.project(data.project)
    organisation = ctx.organisation(data.organisation)
    if project is None or organisation is None:
        return None
    wp = ctx.work_package(project, data.work_package) if data.work_package else None
    agreement = ctx.agreement_of(project)
    ctx.party_nation("organisation", organisation.nation_code, agreement)
    ctx.day_in_agreement("awarded_on", data.awarded_on, agreement)
    minor = ctx.amount("value", data.value, data.currency, agreement)
    if ctx.session.scalar(
        select(WorkshareAward.id).where(WorkshareAward.reference == data.reference)
    ):
        ctx.add("reference", f"an award '{data.reference}' already exists")
    if not ctx.may(project_target(ctx.session, project), f"for project {project.code}"):
        return None
    if minor is None or (data.work_package and wp is None):
        return None
    return WorkshareAward(
        reference=data.reference,
        agreement_id=agreement.id,
        project_id=project.id,
        work_package_id=wp.id if wp is not None else None,
        organisation_id=organisation.id,
        nation_code=organisation.nation_code,
        kind=data.kind,
        title=data.title,
        awarded_on=data.awarded_on,
        value_minor=minor,
        currency=data.currency,
    )


def award_workshare(uow: UnitOfWork, actor: Principal, data: WorkshareAwardIn) -> WorkshareAwardOut:
    with uow:
        uow.for_writing()
        problems = Problems()
        row = _award(_Context(uow.session, actor, problems), data)
        _raise_or_deny(problems)
        assert row is not None
        _store(uow, actor, "funding:workshare:award", row, data)
        out = _award_out(_Names.load(uow.session), row)
        uow.commit()
        return out


def withdraw_award(
    uow: UnitOfWork, actor: Principal, award_id: uuid.UUID, data: WithdrawalIn
) -> WorkshareAwardOut:
    """Withdraw an award recorded in error (or cancelled before any work): it stays in the
    books with its reason and no longer counts as workshare."""
    with uow:
        uow.for_writing()
        session = uow.session
        row = session.get(WorkshareAward, award_id, with_for_update=True)
        if row is None:
            raise NotFound("no workshare award with this id")
        require(actor, Permission.FUNDING_MANAGE, project_target(session, row.project))
        if row.withdrawn_on is not None:
            raise Conflict(
                f"withdrawn_on: {row.reference} was already withdrawn on {row.withdrawn_on}"
            )
        if data.withdrawn_on < row.awarded_on:
            raise ValidationFailed.of("withdrawn_on", f"is before the award ({row.awarded_on})")
        row.withdrawn_on, row.withdrawal_reason = data.withdrawn_on, data.reason
        record_event(uow, actor, "funding:workshare:withdraw", row, data.model_dump())
        out = _award_out(_Names.load(session), row)
        uow.commit()
        return out


def award_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    _read(actor)
    with uow:
        found = uow.session.scalar(
            select(WorkshareAward.id).where(WorkshareAward.reference == reference)
        )
    if found is None:
        raise NotFound(f"no workshare award '{reference}'")
    return found


def get_award(uow: UnitOfWork, actor: Principal, award_id: uuid.UUID) -> WorkshareAwardOut:
    _read(actor)
    with uow:
        row = uow.session.get(WorkshareAward, award_id)
        if row is None:
            raise NotFound("no workshare award with this id")
        return _award_out(_Names.load(uow.session), row)


def list_awards(
    uow: UnitOfWork,
    actor: Principal,
    *,
    agreement_reference: str | None = None,
    limit: int = 500,
) -> list[WorkshareAwardOut]:
    """The latest ``limit`` awards, newest first."""
    _read(actor)
    with uow:
        query = (
            select(WorkshareAward)
            .order_by(WorkshareAward.awarded_on.desc(), WorkshareAward.reference)
            .limit(limit)
        )
        if agreement_reference is not None:
            query = query.join(Agreement, Agreement.id == WorkshareAward.agreement_id).where(
                Agreement.reference == agreement_reference
            )
        rows = list(uow.session.scalars(query))
        names = _Names.load(uow.session)
        return [_award_out(names, row) for row in rows]


def _award_out(names: _Names, row: WorkshareAward) -> WorkshareAwardOut:
    return WorkshareAwardOut(
        id=row.id,
        reference=row.reference,
        agreement=names.agreements.get(row.agreement_id, ""),
        project=names.projects.get(row.project_id, ""),
        work_package=names.work_packages.get(row.work_package_id) if row.work_package_id else None,
        organisation=names.organisations.get(row.organisation_id, ""),
        nation=row.nation_code,
        kind=row.kind,
        title=row.title,
        awarded_on=row.awarded_on,
        value=money.from_minor(row.value_minor, row.currency),
        currency=row.currency,
        withdrawn_on=row.withdrawn_on,
        withdrawal_reason=row.withdrawal_reason,
    )


# --- import -----------------------------------------------------------------------------------

ImportKind = str
#: What a row of each kind of file is, and the check that makes it a record.
_PREPARE: dict[str, tuple[type[BaseModel], Callable[[_Context, Any], Any]]] = {
    "budget": (BudgetLineIn, _budget_line),
    "contributions": (ContributionIn, _contribution),
}


def import_rows(
    uow: UnitOfWork,
    actor: Principal,
    kind: ImportKind,
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    partial: bool = False,
) -> ImportResult:
    """Import numbered rows of a budget or contributions file in one transaction: every
    row is checked as its single use case would check it. By default a bad row changes
    nothing and every bad row is listed; with ``partial`` the good rows are kept and the
    bad ones reported as skipped."""
    from coalition.web.problems import located

    schema, prepare = _PREPARE[kind]
    if not holds_somewhere(actor, Permission.FUNDING_MANAGE):
        # Whoever may record funding nowhere is refused outright, as a single record would
        # be; the rows of a permitted recorder are checked one by one.
        raise PermissionDenied(f"{Permission.FUNDING_MANAGE} is not granted to {actor.name}")
    if not rows:
        raise ValidationFailed.of("file", "has no rows under its header")
    with uow:
        uow.for_writing()
        session = uow.session
        bad: list[RowProblem] = []
        good: list[Any] = []
        references: set[str] = set()
        for number, values in rows:
            problems = Problems()
            try:
                data = schema.model_validate(values)
            except ValidationError as error:
                bad += [
                    RowProblem(row=number, field=f, message=m) for f, m in located(error.errors())
                ]
                continue
            reference = getattr(data, "reference", None)
            if reference is not None:
                if reference in references:
                    problems.add("reference", "appears on an earlier row too")
                references.add(reference)
            row = prepare(_Context(session, actor, problems), data)
            if problems.items:
                bad += [
                    RowProblem(row=number, field=p.field or "row", message=p.message)
                    for p in problems.items
                ]
            elif row is not None:
                good.append(row)
        if bad and not partial:
            raise ValidationFailed(
                [FieldProblem(f"rows[{p.row}].{p.field}", p.message) for p in bad]
            )
        for row in good:
            if isinstance(row, BudgetLine):
                _store_budget_line(uow, actor, row)
            else:
                uow.add(row)
                uow.flush()
                record_event(
                    uow,
                    actor,
                    "funding:contribution:record",
                    row,
                    {"imported": True, "reference": row.reference},
                )
        uow.commit()
        return ImportResult(imported=len(good), skipped=bad)


# --- helpers ----------------------------------------------------------------------------------


def _store(uow: UnitOfWork, actor: Principal, tag: str, row: Any, data: BaseModel) -> None:
    uow.add(row)
    uow.flush()
    record_event(uow, actor, tag, row, data.model_dump())


def _raise_or_deny(problems: Problems) -> None:
    """A refusal of permission is a 403 of its own; field problems are a 422."""
    denied = [p for p in problems.items if p.field == ""]
    if denied:
        raise PermissionDenied(denied[0].message)
    problems.raise_if_any()


def form_choices(uow: UnitOfWork, actor: Principal) -> dict[str, list[str]]:
    """Codes the forms offer: agreements, projects, work packages and organisations."""
    _read(actor)
    with uow:
        session = uow.session
        return {
            "agreements": list(
                session.scalars(select(Agreement.reference).order_by(Agreement.reference))
            ),
            "projects": list(session.scalars(select(Project.code).order_by(Project.code))),
            "work_packages": sorted(set(session.scalars(select(WorkPackage.code)))),
            "organisations": list(
                session.scalars(select(Organisation.short_name).order_by(Organisation.short_name))
            ),
        }
