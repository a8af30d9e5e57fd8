"""The sections of a report besides progress: risks, decisions and action items, disputes,
releases, IP disclosures, funding and balance. Each reads the records of the report's
projects (or agreement) inside the caller's unit of work, as they stood at the end of the
period where their history allows it. Days are UTC days.

Releases and IP disclosures are counted, never described: a release is counted per item
and recipient, by the recipient's nation and the item's level on the common scale, and
the labels of the items counted are handed back so that the report's own label can be
the highest of them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coalition.agreements.models import Agreement
from coalition.disputes.models import Dispute, DisputeStatus
from coalition.funding import money
from coalition.funding.models import Contribution, ContributionStatus, WorkshareAward
from coalition.funding.rules import balance_coefficient, standing
from coalition.funding.services import party_nations, rates_of
from coalition.governance.models import (
    ActionItem,
    ActionStatus,
    Motion,
    MotionStatus,
    OversightBody,
)
from coalition.ip.models import InventionDisclosure, IpAsset
from coalition.policy.engine import LEVEL_NAMES
from coalition.policy.interning import label_of
from coalition.policy.labels import SecurityLabel
from coalition.policy.models import LabelClass
from coalition.registry.models import Organisation
from coalition.releases.models import ReleaseItem, ReleaseRecipient, ReleaseRequest, RequestStatus
from coalition.reports.rules import Period
from coalition.reports.schemas import (
    ActionRow,
    DecisionRow,
    DisputeRow,
    DisputeSection,
    FundingSection,
    GovernanceSection,
    IpSection,
    NationFunding,
    ReleaseCount,
    ReleaseSection,
    RiskRow,
    RiskSection,
)
from coalition.risks import reading
from coalition.risks import rules as risk_rules
from coalition.risks.models import Risk, RiskStatus
from coalition.techdata.models import Artifact

DECIDED = (MotionStatus.CARRIED, MotionStatus.FAILED)


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's first moment and the first moment after it, in UTC."""
    return (
        datetime.combine(period.start, time(), UTC),
        datetime.combine(period.after, time(), UTC),
    )


def _during(column: Any, period: Period) -> ColumnElement[bool]:
    start, after = bounds(period)
    found: ColumnElement[bool] = (column >= start) & (column < after)
    return found


# --- risks ---------------------------------------------------------------------------------------


def risks(session: Session, project_ids: Sequence[uuid.UUID], period: Period) -> RiskSection:
    found = session.scalars(
        select(Risk)
        .options(
            selectinload(Risk.assessments),
            selectinload(Risk.owner),
            selectinload(Risk.project),
        )
        .where(Risk.project_id.in_(project_ids), Risk.raised_on <= period.end)
    )
    rows: list[RiskRow] = []
    ratings: list[tuple[int, int]] = []
    raised = closed = 0
    for risk in found:
        history = [a for a in risk.assessments if a.assessed_on <= period.end]
        if not history:
            continue
        latest = history[-1]
        raised += period.contains(risk.raised_on)
        closed_here = any(
            a.status is RiskStatus.CLOSED and period.contains(a.assessed_on) for a in history
        )
        closed += closed_here
        live = latest.status is not RiskStatus.CLOSED
        if live:
            ratings.append((latest.likelihood, latest.impact))
        if live or closed_here:
            rows.append(
                RiskRow(
                    reference=risk.reference,
                    project=risk.project.code,
                    title=risk.title,
                    likelihood=latest.likelihood,
                    impact=latest.impact,
                    score=latest.score,
                    band=risk_rules.band(latest.score).value,
                    status=latest.status.value,
                    trend=risk_rules.trend([a.score for a in history]).value,
                    owner=risk.owner.full_name,
                )
            )
    rows.sort(key=lambda r: (-r.score, r.reference))
    single = rows[0].project if len({r.project for r in rows}) == 1 else None
    return RiskSection(
        raised_in_period=raised,
        closed_in_period=closed,
        live_at_end=len(ratings),
        rows=rows,
        heat=reading.heat_map_of(ratings, project=single),
    )


# --- oversight bodies: decisions and action items ---------------------------------------------


def governance(
    session: Session,
    agreement_id: uuid.UUID,
    project_ids: Sequence[uuid.UUID] | None,
    period: Period,
) -> GovernanceSection:
    """The decisions (motions carried or failed) and action items of the bodies of the
    agreement (``project_ids`` None) or of the projects."""
    bodies = select(OversightBody.id).where(OversightBody.agreement_id == agreement_id)
    if project_ids is not None:
        bodies = bodies.where(OversightBody.project_id.in_(project_ids))
    codes = dict(
        session.execute(
            select(OversightBody.id, OversightBody.code).where(OversightBody.id.in_(bodies))
        ).all()
    )
    motions = session.scalars(
        select(Motion)
        .where(
            Motion.body_id.in_(codes),
            Motion.status.in_(DECIDED),
            _during(Motion.closed_at, period),
        )
        .order_by(Motion.closed_at, Motion.reference)
    )
    decisions = [
        DecisionRow(
            reference=m.reference,
            body=codes[m.body_id],
            title=m.title,
            outcome=m.status.value,
            carried_option=m.carried_option,
            closed_on=m.closed_at.date() if m.closed_at else period.end,
            effective_on=m.effective_on,
            explanation=m.explanation,
        )
        for m in motions
    ]
    start, after = bounds(period)
    assigned = done = 0
    overdue: list[ActionRow] = []
    for item in session.scalars(
        select(ActionItem)
        .options(selectinload(ActionItem.owner))
        .where(ActionItem.body_id.in_(codes), ActionItem.created_at < after)
        .order_by(ActionItem.due_on, ActionItem.reference)
    ):
        assigned += item.created_at >= start
        finished = item.status is ActionStatus.DONE and item.done_on is not None
        done += finished and period.contains(item.done_on)
        still_open = item.status is ActionStatus.OPEN or (
            finished and item.done_on is not None and item.done_on > period.end
        )
        if still_open and item.due_on <= period.end:
            overdue.append(
                ActionRow(
                    reference=item.reference,
                    body=codes[item.body_id],
                    title=item.title,
                    owner=item.owner.full_name,
                    due_on=item.due_on,
                )
            )
    return GovernanceSection(
        decisions=decisions, actions_assigned=assigned, actions_done=done, actions_overdue=overdue
    )


# --- disputes ------------------------------------------------------------------------------------


def disputes(
    session: Session,
    agreement_id: uuid.UUID,
    project_ids: Sequence[uuid.UUID] | None,
    period: Period,
) -> DisputeSection:
    start, after = bounds(period)
    query = select(Dispute).where(Dispute.agreement_id == agreement_id, Dispute.raised_at < after)
    if project_ids is not None:
        query = query.where(Dispute.project_id.in_(project_ids))
    rows: list[DisputeRow] = []
    raised = settled = still_open = 0
    for d in session.scalars(query.order_by(Dispute.raised_at, Dispute.reference)):
        settled_here = d.settled_at is not None and start <= d.settled_at < after
        open_at_end = d.settled_at is None or d.settled_at >= after
        raised_here = d.raised_at >= start
        raised += raised_here
        settled += settled_here
        still_open += open_at_end
        if raised_here or settled_here or open_at_end:
            rows.append(
                DisputeRow(
                    reference=d.reference,
                    subject=d.subject.value,
                    title=d.title,
                    raised_on=d.raised_at.date(),
                    settled_on=d.settled_at.date() if settled_here and d.settled_at else None,
                    status=DisputeStatus.OPEN.value if open_at_end else d.status.value,
                )
            )
    return DisputeSection(
        raised_in_period=raised, settled_in_period=settled, open_at_end=still_open, rows=rows
    )


# --- releases: counts only -----------------------------------------------------------------------


def releases(
    session: Session, project_ids: Sequence[uuid.UUID], period: Period
) -> tuple[ReleaseSection, list[SecurityLabel]]:
    """Items of the projects released (approved) in the period, per recipient nation and
    level; and the labels of those items."""
    found = session.execute(
        select(
            ReleaseRequest.id,
            ReleaseItem.id,
            Organisation.nation_code,
            LabelClass.common_level,
            LabelClass.id,
        )
        .join(ReleaseItem, ReleaseItem.request_id == ReleaseRequest.id)
        .join(Artifact, Artifact.id == ReleaseItem.artifact_id)
        .join(LabelClass, LabelClass.id == Artifact.label_id)
        .join(ReleaseRecipient, ReleaseRecipient.request_id == ReleaseRequest.id)
        .join(Organisation, Organisation.id == ReleaseRecipient.organisation_id)
        .where(
            ReleaseRequest.status == RequestStatus.APPROVED,
            _during(ReleaseRequest.decided_at, period),
            Artifact.project_id.in_(project_ids),
        )
    )
    counts: dict[tuple[str, int], int] = defaultdict(int)
    requests: set[uuid.UUID] = set()
    items: set[int] = set()
    label_ids: set[int] = set()
    for request_id, item_id, nation, level, label_id in found:
        counts[(nation, level)] += 1
        requests.add(request_id)
        items.add(item_id)
        label_ids.add(label_id)
    labels = [
        label_of(row)
        for row in session.scalars(select(LabelClass).where(LabelClass.id.in_(label_ids)))
    ]
    levels = sorted({level for _, level in counts})
    return (
        ReleaseSection(
            requests=len(requests),
            items=len(items),
            counts=[
                ReleaseCount(nation=nation, level=LEVEL_NAMES[level], items=n)
                for (nation, level), n in sorted(counts.items())
            ],
            nations=sorted({nation for nation, _ in counts}),
            levels=[LEVEL_NAMES[level] for level in levels],
        ),
        labels,
    )


# --- IP disclosures: counts only -----------------------------------------------------------------


def ip(
    session: Session,
    agreement_id: uuid.UUID,
    project_ids: Sequence[uuid.UUID],
    whole: bool,
    period: Period,
) -> IpSection:
    """Invention disclosures of the IP assets of the projects (and, for the ``whole``
    agreement, of the agreement itself)."""
    ours = IpAsset.project_id.in_(project_ids)
    assets = select(IpAsset.id).where(
        or_(ours, IpAsset.agreement_id == agreement_id) if whole else ours
    )
    conceived = due = disclosed = overdue = 0
    for conceived_on, due_on, disclosed_on in session.execute(
        select(
            InventionDisclosure.conceived_on,
            InventionDisclosure.due_on,
            InventionDisclosure.disclosed_on,
        ).where(InventionDisclosure.asset_id.in_(assets))
    ):
        conceived += period.contains(conceived_on)
        due += period.contains(due_on)
        disclosed += period.contains(disclosed_on)
        overdue += (
            conceived_on <= period.end
            and due_on <= period.end
            and (disclosed_on is None or disclosed_on > period.end)
        )
    return IpSection(
        conceived_in_period=conceived,
        due_in_period=due,
        disclosed_in_period=disclosed,
        overdue_at_end=overdue,
    )


# --- funding and balance -------------------------------------------------------------------------


def funding(
    session: Session, agreement: Agreement, project_ids: Sequence[uuid.UUID] | None, period: Period
) -> FundingSection:
    """Accepted contributions (cash and in kind) and work awarded, per nation, in the
    period and up to its end, with each nation's balance coefficient at the end (work
    received share over contribution share). For a project, its own records only."""
    low, high = agreement.balance_band_low_percent, agreement.balance_band_high_percent
    rates = rates_of(agreement)
    if rates is None:
        return FundingSection(
            currency=None,
            band_low_percent=low,
            band_high_percent=high,
            nations=[],
            note=f"{agreement.reference} names no accounting currency: no funding figures",
        )
    currency = rates.accounting
    given = select(
        Contribution.nation_code,
        Contribution.currency,
        Contribution.made_on,
        func.sum(Contribution.amount_minor),
    ).where(
        Contribution.agreement_id == agreement.id,
        Contribution.status == ContributionStatus.ACCEPTED,
        Contribution.made_on <= period.end,
    )
    work = select(
        WorkshareAward.nation_code,
        WorkshareAward.currency,
        WorkshareAward.awarded_on,
        func.sum(WorkshareAward.value_minor),
    ).where(
        WorkshareAward.agreement_id == agreement.id,
        WorkshareAward.awarded_on <= period.end,
        or_(WorkshareAward.withdrawn_on.is_(None), WorkshareAward.withdrawn_on > period.end),
    )
    if project_ids is not None:
        given = given.where(Contribution.project_id.in_(project_ids))
        work = work.where(WorkshareAward.project_id.in_(project_ids))
    nations = set(party_nations(agreement))
    exact: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    given = given.group_by(Contribution.nation_code, Contribution.currency, Contribution.made_on)
    work = work.group_by(
        WorkshareAward.nation_code, WorkshareAward.currency, WorkshareAward.awarded_on
    )
    try:
        for prefix, query in (("contributed", given), ("workshare", work)):
            for nation, cur, day, minor in session.execute(query):
                value = rates.convert_minor(int(minor), cur, currency)
                nations.add(nation)
                exact[f"{prefix}_to_date"][nation] += value
                if day >= period.start:
                    exact[f"{prefix}_in_period"][nation] += value
    except ValueError as exc:
        return FundingSection(
            currency=currency,
            band_low_percent=low,
            band_high_percent=high,
            nations=[],
            note=f"no funding figures: {exc}",
        )
    ordered = sorted(nations)
    columns = (
        "contributed_in_period",
        "contributed_to_date",
        "workshare_in_period",
        "workshare_to_date",
    )
    rounded = {c: money.allocate({n: exact[c][n] for n in ordered}) for c in columns}
    given_total = sum(exact["contributed_to_date"].values(), Fraction(0))
    work_total = sum(exact["workshare_to_date"].values(), Fraction(0))
    rows: list[NationFunding] = []
    for nation in ordered:
        coefficient = balance_coefficient(
            exact["workshare_to_date"][nation],
            work_total,
            exact["contributed_to_date"][nation],
            given_total,
        )
        rows.append(
            NationFunding(
                nation=nation,
                **{c: money.from_minor(rounded[c][nation], currency) for c in columns},
                coefficient=None
                if coefficient is None
                else Decimal(money.round_half_even(coefficient * 1000)).scaleb(-3),
                standing=standing(coefficient, low, high).value,
            )
        )
    return FundingSection(
        currency=currency,
        band_low_percent=low,
        band_high_percent=high,
        nations=rows,
        note=None
        if project_ids is None or len(project_ids) != 1
        else "Contributions and work recorded against this project only; the agreement's "
        "balance over all its projects is on the funding pages.",
    )
