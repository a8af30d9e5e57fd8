"""Use cases of the IP records the `ip_use` rule reads."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, Problems
from coalition.ip import odrl
from coalition.ip.models import IpAsset, IpOwner, Licence, LicenceStatus
from coalition.ip.schemas import IpAssetIn, IpAssetOut, LicenceIn, LicenceOut
from coalition.projects.models import Project
from coalition.registry.models import Nation, Organisation
from coalition.store.uow import UnitOfWork


def create_asset(uow: UnitOfWork, actor: Principal, data: IpAssetIn) -> IpAssetOut:
    require(actor, Permission.IP_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        if data.project_id and session.get(Project, data.project_id) is None:
            problems.add("project_id", "no project with this id")
        for index, owner in enumerate(data.owners):
            if session.get(Organisation, owner.organisation_id) is None:
                problems.add(f"owners.{index}.organisation_id", "no organisation with this id")
        problems.raise_if_any()
        if session.scalar(select(IpAsset.id).where(IpAsset.reference == data.reference)):
            raise Conflict(f"reference: an IP asset '{data.reference}' already exists")
        asset = IpAsset(
            **data.model_dump(exclude={"owners"}),
            owners=[
                IpOwner(organisation_id=o.organisation_id, share_percent=o.share_percent)
                for o in data.owners
            ],
        )
        uow.add(asset)
        uow.flush()
        record_event(uow, actor, "ip:asset:create", asset, data.model_dump())
        uow.commit()
        return IpAssetOut.model_validate(asset)


def list_assets(uow: UnitOfWork, actor: Principal) -> list[IpAssetOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.scalars(
            select(IpAsset).options(selectinload(IpAsset.owners)).order_by(IpAsset.reference)
        )
        return [IpAssetOut.model_validate(r) for r in rows]


def create_licence(uow: UnitOfWork, actor: Principal, data: LicenceIn) -> LicenceOut:
    require(actor, Permission.IP_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        asset = session.get(IpAsset, data.asset_id)
        if asset is None:
            problems.add("asset_id", "no IP asset with this id")
        elif data.licensor_id not in {o.organisation_id for o in asset.owners}:
            problems.add("licensor_id", "is not an owner of the asset")
        if session.get(Organisation, data.licensee_id) is None:
            problems.add("licensee_id", "no organisation with this id")
        known = set(session.scalars(select(Nation.code).where(Nation.code.in_(data.territory))))
        unknown = sorted(set(data.territory) - known)
        if unknown:
            problems.add("territory", f"unknown nation(s): {', '.join(unknown)}")
        problems.raise_if_any()
        if session.scalar(select(Licence.id).where(Licence.reference == data.reference)):
            raise Conflict(f"reference: a licence '{data.reference}' already exists")
        licence = Licence(
            **data.model_dump(exclude={"purposes", "territory"}),
            purposes=sorted(str(p) for p in data.purposes),
            territory=sorted(set(data.territory)),
        )
        uow.add(licence)
        uow.flush()
        record_event(uow, actor, "ip:licence:create", licence, data.model_dump())
        uow.commit()
        return LicenceOut.model_validate(licence)


def list_licences(uow: UnitOfWork, actor: Principal) -> list[LicenceOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.scalars(select(Licence).order_by(Licence.reference))
        return [LicenceOut.model_validate(r) for r in rows]


def licences_as_odrl(
    uow: UnitOfWork, actor: Principal, reference: str | None = None
) -> dict[str, Any]:
    """Licences and access rights as ODRL 2.2 JSON-LD: one policy for ``reference``, or
    every licence as a graph of policies (docs/odrl-profile.md)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        query = select(Licence).order_by(Licence.reference)
        if reference is not None:
            query = query.where(Licence.reference == reference)
        licences = list(session.scalars(query))
        if reference is not None and not licences:
            raise NotFound(f"no licence '{reference}'")
        assets = {a.id: a.reference for a in session.scalars(select(IpAsset))}
        names = {
            o.id: o.short_name
            for o in session.scalars(
                select(Organisation).where(
                    Organisation.id.in_(
                        {lc.licensor_id for lc in licences} | {lc.licensee_id for lc in licences}
                    )
                )
            )
        }
        policies = [
            odrl.licence_policy(
                reference=lc.reference,
                asset=assets[lc.asset_id],
                licensor=names[lc.licensor_id],
                licensee=names[lc.licensee_id],
                purposes=list(lc.purposes),
                territory=list(lc.territory),
                valid_from=lc.valid_from,
                valid_until=lc.valid_until,
                terms=lc.terms,
                active=lc.status is LicenceStatus.ACTIVE,
            )
            for lc in licences
        ]
    if reference is not None:
        return policies[0]
    return {
        "@context": odrl.CONTEXT,
        "@graph": [{k: v for k, v in p.items() if k != "@context"} for p in policies],
    }


def organisation_names(uow: UnitOfWork, actor: Principal) -> dict[uuid.UUID, str]:
    """Short names of organisations by id, to show owners and licence parties."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.execute(select(Organisation.id, Organisation.short_name))
        return {row[0]: row[1] for row in rows}
