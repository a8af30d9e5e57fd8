"""Checks that keep an agreement consistent with its parent, its children and its projects.

They run inside the use case's transaction, after the change is applied and before it is
committed, so a change that would leave anything inconsistent is refused as a whole.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.agreements.models import Agreement, AgreementStatus
from coalition.agreements.rules import check_terms
from coalition.common.validation import nation_code
from coalition.errors import Problems
from coalition.projects.models import Project, ProjectStatus, WorkPackage
from coalition.registry.models import NationGroup

LIVE = {AgreementStatus.DRAFT, AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED}
OPEN_PROJECT = {ProjectStatus.PROPOSED, ProjectStatus.ACTIVE}


def check_agreement(session: Session, agreement: Agreement) -> None:
    """The agreement on its own, against its parent, its children and its projects."""
    problems = Problems()
    if agreement.expires_on is not None and agreement.expires_on <= agreement.effective_from:
        problems.add("expires_on", "must be after effective_from")
    parent = agreement.parent
    if parent is not None:
        _check_within(problems, agreement, parent, "the parent " + parent.reference)
    if agreement.id is not None:  # a new agreement has nothing under it yet
        children = session.scalars(select(Agreement).where(Agreement.parent_id == agreement.id))
        for child in children:
            if child.status in LIVE:
                _check_contains(problems, agreement, child)
        _check_projects(problems, session, agreement)
    _check_terms(problems, session, agreement)
    problems.raise_if_any()


def _check_within(problems: Problems, child: Agreement, parent: Agreement, name: str) -> None:
    if parent.effective_from > child.effective_from:
        problems.add("effective_from", f"is before {name} takes effect ({parent.effective_from})")
    if parent.expires_on and (child.expires_on is None or child.expires_on > parent.expires_on):
        problems.add("expires_on", f"must not outlast {name} ({parent.expires_on})")
    if child.classification_ceiling > parent.classification_ceiling:
        problems.add("classification_ceiling", f"exceeds the ceiling of {name}")
    parent_nations = {p.organisation.nation_code for p in parent.parties}
    strangers = sorted({p.organisation.nation_code for p in child.parties} - parent_nations)
    if strangers:
        problems.add("parties", f"{', '.join(strangers)} is not a party nation of {name}")


def _check_contains(problems: Problems, parent: Agreement, child: Agreement) -> None:
    """The same rules seen from the parent: a change must not leave a child outside it."""
    where = f"the {child.status} agreement {child.reference} under it"
    if parent.effective_from > child.effective_from:
        problems.add("effective_from", f"would start after {where} ({child.effective_from})")
    if parent.expires_on and (child.expires_on is None or child.expires_on > parent.expires_on):
        problems.add("expires_on", f"would end before {where} ({child.expires_on or 'open'})")
    if child.classification_ceiling > parent.classification_ceiling:
        problems.add("classification_ceiling", f"would fall below the ceiling of {where}")
    parent_nations = {p.organisation.nation_code for p in parent.parties}
    orphaned = sorted({p.organisation.nation_code for p in child.parties} - parent_nations)
    if orphaned:
        problems.add("parties", f"{', '.join(orphaned)} is still a party to {where}")


def _check_projects(problems: Problems, session: Session, agreement: Agreement) -> None:
    projects = session.scalars(
        select(Project).where(
            Project.agreement_id == agreement.id, Project.status.in_(OPEN_PROJECT)
        )
    )
    nations = {p.organisation.nation_code for p in agreement.parties}
    for project in projects:
        where = f"project {project.code}"
        if project.start_on < agreement.effective_from:
            problems.add(
                "effective_from", f"would be after the start of {where} ({project.start_on})"
            )
        if agreement.expires_on and (
            project.end_on is None or project.end_on > agreement.expires_on
        ):
            problems.add(
                "expires_on", f"would be before the end of {where} ({project.end_on or 'open'})"
            )
        if project.classification_ceiling > agreement.classification_ceiling:
            problems.add("classification_ceiling", f"would fall below the ceiling of {where}")
        outside = sorted(
            {
                p.organisation.nation_code
                for p in project.participants
                if p.withdrew_on is None and p.organisation.nation_code not in nations
            }
        )
        if outside:
            problems.add("parties", f"{', '.join(outside)} still takes part in {where}")


def _check_terms(problems: Problems, session: Session, agreement: Agreement) -> None:
    known_groups = set(session.scalars(select(NationGroup.code)))
    for index, code in enumerate(agreement.default_releasability):
        if code in known_groups:
            continue
        try:
            nation_code(code)
        except ValueError:
            problems.add(f"default_releasability[{index}]", f"'{code}' is no nation or group")
    check_terms(
        problems,
        decision_rule=agreement.decision_rule,
        qualified_majority_percent=agreement.qualified_majority_percent,
        cost_share_rule=agreement.cost_share_rule,
        cost_shares=agreement.cost_shares,
        party_nations={p.organisation.nation_code for p in agreement.parties},
        fixed_contributions=agreement.fixed_contributions,
        work_package_shares=agreement.work_package_shares,
        accounting_currency=agreement.accounting_currency,
        exchange_rates=agreement.exchange_rates,
        balance_band=(agreement.balance_band_low_percent, agreement.balance_band_high_percent),
    )


def check_changed_funding_terms(session: Session, agreement: Agreement, changed: set[str]) -> None:
    """Funding terms changed on an agreement that keeps books: work package shares must
    name work packages of its projects (at creation none exist yet, so this is checked
    when the shares change), and every currency its funding records use must keep a rate,
    or their reports could no longer be converted."""
    from coalition.funding.models import BudgetLine, Contribution, Expenditure, WorkshareAward

    problems = Problems()
    if "work_package_shares" in changed:
        known = {
            f"{code}/{wp}"
            for code, wp in session.execute(
                select(Project.code, WorkPackage.code)
                .join(WorkPackage, WorkPackage.project_id == Project.id)
                .where(Project.agreement_id == agreement.id)
            )
        }
        for key in sorted(set(agreement.work_package_shares) - known):
            problems.add(
                f"work_package_shares.{key}", "is no work package of this agreement's projects"
            )
    if changed & {"accounting_currency", "exchange_rates"}:
        projects = select(Project.id).where(Project.agreement_id == agreement.id)
        used: set[str] = set()
        for query in (
            select(Contribution.currency).where(Contribution.agreement_id == agreement.id),
            select(WorkshareAward.currency).where(WorkshareAward.agreement_id == agreement.id),
            select(BudgetLine.currency).where(BudgetLine.project_id.in_(projects)),
            select(Expenditure.currency).where(Expenditure.project_id.in_(projects)),
        ):
            used |= set(session.scalars(query.distinct()))
        kept = set(agreement.exchange_rates) | (
            {agreement.accounting_currency} if agreement.accounting_currency else set()
        )
        missing = sorted(used - kept)
        if missing:
            name = "exchange_rates" if agreement.accounting_currency else "accounting_currency"
            problems.add(
                name,
                f"funding records of this agreement are kept in {', '.join(missing)}: "
                "keep a rate for each",
            )
    problems.raise_if_any()


def check_status_change(
    session: Session, agreement: Agreement, wanted: AgreementStatus, today: date
) -> str | None:
    """Why ``agreement`` may not move to ``wanted`` now, beyond the transition table."""
    if wanted is AgreementStatus.IN_FORCE:
        parent = agreement.parent
        if parent is not None and parent.status is not AgreementStatus.IN_FORCE:
            return f"the parent agreement {parent.reference} is {parent.status}"
        if agreement.expires_on is not None and agreement.expires_on <= today:
            return f"it expired on {agreement.expires_on}; record it as expired instead"
    if wanted in {AgreementStatus.TERMINATED, AgreementStatus.EXPIRED}:
        live = session.scalars(
            select(Agreement.reference).where(
                Agreement.parent_id == agreement.id,
                Agreement.status.in_([AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED]),
            )
        ).all()
        if live:
            return f"end the agreements under it first: {', '.join(sorted(live))}"
        open_projects = session.scalars(
            select(Project.code).where(
                Project.agreement_id == agreement.id, Project.status.in_(OPEN_PROJECT)
            )
        ).all()
        if open_projects:
            return f"complete or cancel its projects first: {', '.join(sorted(open_projects))}"
    return None
