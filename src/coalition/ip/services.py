"""Use cases of the IP records the `ip_use` rule reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, Problems
from coalition.ip.models import IpAsset, IpOwner, Licence
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
