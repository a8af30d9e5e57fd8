"""Reports of the IP register: the register per agreement or project, the ownership
summary per organisation, and the deadlines coming up; each a table that is shown as a
page and downloaded as CSV or XLSX."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement
from coalition.common.access import require
from coalition.common.tables import Table
from coalition.errors import ValidationFailed
from coalition.ip.models import (
    FilingChoice,
    InventionDisclosure,
    IpAsset,
    IpKind,
    Licence,
    LicenceStatus,
    TransferNotice,
    TransferStatus,
)
from coalition.projects.models import Project
from coalition.registry.models import Organisation
from coalition.store.uow import UnitOfWork
from coalition.techdata.services import today

ReportName = Literal["register", "ownership", "deadlines"]


def register(
    uow: UnitOfWork,
    actor: Principal,
    *,
    agreement_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
) -> Table:
    """Every asset of an agreement or project (or all), with owners, standing, protection,
    licences and transfers."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        query = (
            select(IpAsset)
            .options(
                selectinload(IpAsset.owners),
                selectinload(IpAsset.protections),
                selectinload(IpAsset.work_packages),
            )
            .order_by(IpAsset.kind, IpAsset.reference)
        )
        if agreement_id is not None:
            query = query.where(IpAsset.agreement_id == agreement_id)
        if project_id is not None:
            query = query.where(IpAsset.project_id == project_id)
        assets = list(session.scalars(query))
        names = _names(session)
        agreements = dict(session.execute(select(Agreement.id, Agreement.reference)).all())
        projects = dict(session.execute(select(Project.id, Project.code)).all())
        licences: dict[uuid.UUID, list[str]] = defaultdict(list)
        for lc in session.scalars(select(Licence).order_by(Licence.reference)):
            if lc.status is LicenceStatus.ACTIVE:
                licences[lc.asset_id].append(
                    f"{lc.reference} ({names.get(lc.licensee_id, '?')}: "
                    f"{', '.join(p.replace('_', ' ') for p in lc.purposes)})"
                )
        pending = defaultdict(list)
        for notice in session.scalars(
            select(TransferNotice).where(TransferNotice.status == TransferStatus.PENDING)
        ):
            pending[notice.asset_id].append(notice.reference)
        rows = [
            (
                a.reference,
                a.kind.value,
                a.title,
                agreements.get(a.agreement_id, "") if a.agreement_id else "",
                projects.get(a.project_id, "") if a.project_id else "",
                "; ".join(
                    f"{names.get(o.organisation_id, '?')} {o.share_percent}%" for o in a.owners
                ),
                a.background_status.value if a.background_status else "",
                "; ".join(
                    " ".join(
                        x
                        for x in (
                            p.kind.value.replace("_", " "),
                            p.nation_code or "",
                            p.number or "",
                        )
                        if x
                    )
                    for p in a.protections
                ),
                ", ".join(wp.code for wp in a.work_packages),
                "; ".join(licences.get(a.id, [])),
                ", ".join(pending.get(a.id, [])),
                a.restrictions or "",
            )
            for a in assets
        ]
    return Table(
        "IP register",
        (
            "Reference",
            "Kind",
            "Title",
            "Agreement",
            "Project",
            "Owners",
            "Background",
            "Protection",
            "Work packages",
            "Licences and access rights",
            "Pending transfers",
            "Restrictions",
        ),
        rows,
    )


def ownership(uow: UnitOfWork, actor: Principal) -> Table:
    """Per organisation: how much background it brings and how many results it owns, alone
    or jointly, with its share-weighted count of results."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        names = _names(session)
        counts: dict[uuid.UUID, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
        for asset in session.scalars(select(IpAsset).options(selectinload(IpAsset.owners))):
            for owner in asset.owners:
                row = counts[owner.organisation_id]
                if asset.kind is IpKind.BACKGROUND:
                    row[0] += 1
                elif len(asset.owners) == 1:
                    row[1] += 1
                    row[3] += owner.share_percent / 100
                else:
                    row[2] += 1
                    row[3] += owner.share_percent / 100
        rows = [
            (names.get(org, "?"), int(c[0]), int(c[1]), int(c[2]), round(c[3], 2))
            for org, c in sorted(counts.items(), key=lambda item: names.get(item[0], ""))
        ]
    return Table(
        "Ownership summary",
        ("Organisation", "Background", "Results (sole)", "Results (joint)", "Results (by share)"),
        rows,
    )


def deadlines(uow: UnitOfWork, actor: Principal, *, within_days: int = 90) -> Table:
    """What falls due within ``within_days`` (and what is already overdue): invention
    disclosures, filing decisions, objection windows closing, licences and protection
    lapsing."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    if not 1 <= within_days <= 3650:
        raise ValidationFailed.of("within_days", "must be between 1 and 3650")
    day = today()
    horizon = day + timedelta(days=within_days)
    due: list[tuple[date, str, str, str]] = []
    with uow:
        session = uow.session
        names = _names(session)
        assets = dict(session.execute(select(IpAsset.id, IpAsset.reference)).all())
        for d in session.scalars(
            select(InventionDisclosure).options(selectinload(InventionDisclosure.filing_decisions))
        ):
            if d.disclosed_on is None and d.due_on <= horizon:
                due.append((d.due_on, "invention disclosure", d.reference, d.title))
            for f in d.filing_decisions:
                if f.choice is FilingChoice.PENDING and f.decide_by <= horizon:
                    due.append(
                        (f.decide_by, "filing decision", d.reference, f"file in {f.nation_code}?")
                    )
        for n in session.scalars(
            select(TransferNotice).where(TransferNotice.status == TransferStatus.PENDING)
        ):
            if day <= n.objection_until <= horizon:
                due.append(
                    (
                        n.objection_until,
                        "objection window closes",
                        n.reference,
                        f"{assets.get(n.asset_id, '?')}: {names.get(n.transferor_id, '?')} to "
                        f"{names.get(n.transferee_id, '?')} ({n.kind.value.replace('_', ' ')})",
                    )
                )
        for lc in session.scalars(
            select(Licence).where(
                Licence.status == LicenceStatus.ACTIVE, Licence.valid_until.is_not(None)
            )
        ):
            assert lc.valid_until is not None
            if day <= lc.valid_until <= horizon:
                due.append(
                    (
                        lc.valid_until,
                        "licence lapses",
                        lc.reference,
                        f"{assets.get(lc.asset_id, '?')} to {names.get(lc.licensee_id, '?')}",
                    )
                )
        for a in session.scalars(select(IpAsset).options(selectinload(IpAsset.protections))):
            for p in a.protections:
                if p.expires_on is not None and day <= p.expires_on <= horizon:
                    due.append(
                        (
                            p.expires_on,
                            "protection lapses",
                            a.reference,
                            f"{p.kind.value.replace('_', ' ')} {p.nation_code or ''}".strip(),
                        )
                    )
    due.sort()
    rows = [
        (when, what, reference, detail, (when - day).days, "overdue" if when < day else "")
        for when, what, reference, detail in due
    ]
    return Table(
        f"IP deadlines to {horizon}",
        ("Due", "What", "Reference", "Detail", "Days left", "Overdue"),
        rows,
    )


def _names(session: Any) -> dict[uuid.UUID, str]:
    return dict(session.execute(select(Organisation.id, Organisation.short_name)).all())


def report(
    uow: UnitOfWork,
    actor: Principal,
    name: ReportName,
    *,
    agreement_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    within_days: int = 90,
) -> Table:
    if name == "register":
        return register(uow, actor, agreement_id=agreement_id, project_id=project_id)
    if name == "ownership":
        return ownership(uow, actor)
    return deadlines(uow, actor, within_days=within_days)
