"""Use cases of the IP register: one transaction each, every change recorded in the ledger.
The rules they apply live in coalition.ip.rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.ip import odrl, rules
from coalition.ip.models import (
    FilingChoice,
    FilingDecision,
    InventionDisclosure,
    IpAsset,
    IpKind,
    IpOwner,
    IpProtection,
    Licence,
    LicenceKind,
    LicenceStatus,
    ObjectionOutcome,
    TransferKind,
    TransferNotice,
    TransferObjection,
    TransferStatus,
)
from coalition.ip.schemas import (
    ApprovalIn,
    CompletionIn,
    DiscloseIn,
    DisclosureIn,
    DisclosureOut,
    FilingDecisionIn,
    IpAssetIn,
    IpAssetOut,
    IpAssetUpdate,
    LicenceIn,
    LicenceOut,
    ObjectionIn,
    ObjectionResolutionIn,
    ProtectionIn,
    TerminateIn,
    TransferNoticeIn,
    TransferNoticeOut,
)
from coalition.policy.facts import Action
from coalition.projects.models import Participant, Project, WorkPackage
from coalition.registry.models import Nation, Organisation, Person
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing
from coalition.techdata.models import Artifact
from coalition.techdata.services import today

# --- reading ----------------------------------------------------------------------------------


def _manage(actor: Principal) -> None:
    require(actor, Permission.IP_RECORD_MANAGE, Target.node())


def _read(actor: Principal) -> None:
    require(actor, Permission.DIRECTORY_READ, Target.node())


def asset_out(asset: IpAsset) -> IpAssetOut:
    out = IpAssetOut.model_validate(asset)
    out.work_package_ids = [wp.id for wp in asset.work_packages]
    return out


def _assets_query() -> Any:
    return select(IpAsset).options(
        selectinload(IpAsset.owners),
        selectinload(IpAsset.protections),
        selectinload(IpAsset.work_packages),
    )


def list_assets(
    uow: UnitOfWork,
    actor: Principal,
    *,
    agreement_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    kind: IpKind | None = None,
) -> list[IpAssetOut]:
    _read(actor)
    with uow:
        query = _assets_query().order_by(IpAsset.reference)
        if agreement_id is not None:
            query = query.where(IpAsset.agreement_id == agreement_id)
        if project_id is not None:
            query = query.where(IpAsset.project_id == project_id)
        if kind is not None:
            query = query.where(IpAsset.kind == kind)
        return [asset_out(a) for a in uow.session.scalars(query)]


def get_asset(uow: UnitOfWork, actor: Principal, asset_id: uuid.UUID) -> IpAssetOut:
    _read(actor)
    with uow:
        asset = uow.session.scalar(_assets_query().where(IpAsset.id == asset_id))
        if asset is None:
            raise NotFound("no IP asset with this id")
        return asset_out(asset)


def asset_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    """The id of the asset with ``reference`` (the CLI and forms name assets so)."""
    _read(actor)
    with uow:
        found = uow.session.scalar(select(IpAsset.id).where(IpAsset.reference == reference))
    if found is None:
        raise NotFound(f"no IP asset '{reference}'")
    return found


# --- assets -----------------------------------------------------------------------------------


def _agreement_of(
    session: Session, agreement_id: uuid.UUID | None, project: Project | None
) -> Agreement | None:
    if project is not None:
        return session.get(Agreement, project.agreement_id)
    return session.get(Agreement, agreement_id) if agreement_id else None


def _asset_agreement(session: Session, asset: IpAsset) -> Agreement:
    project = session.get(Project, asset.project_id) if asset.project_id else None
    agreement = _agreement_of(session, asset.agreement_id, project)
    assert agreement is not None  # every asset belongs to an agreement (create_asset)
    return agreement


def _party_ids(
    session: Session, agreement: Agreement, project_id: uuid.UUID | None
) -> set[uuid.UUID]:
    """Organisations that take part: the agreement's parties and the project's participants."""
    ids = {p.organisation_id for p in agreement.parties}
    if project_id is not None:
        ids |= set(
            session.scalars(
                select(Participant.organisation_id).where(Participant.project_id == project_id)
            )
        )
    return ids


def _party_nations(session: Session, agreement: Agreement) -> set[str]:
    ids = [p.organisation_id for p in agreement.parties]
    return set(session.scalars(select(Organisation.nation_code).where(Organisation.id.in_(ids))))


def _date_in_agreement(
    problems: Problems, name: str, day: date | None, agreement: Agreement
) -> None:
    if day is None:
        return
    problem = rules.within_agreement(
        day, day + timedelta(days=1), agreement.effective_from, agreement.expires_on
    )
    if problem:
        problems.add(name, f"{day} is outside agreement {agreement.reference}: {problem}")


def create_asset(uow: UnitOfWork, actor: Principal, data: IpAssetIn) -> IpAssetOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        project = session.get(Project, data.project_id) if data.project_id else None
        if data.project_id and project is None:
            problems.add("project_id", "no project with this id")
        agreement = _agreement_of(session, data.agreement_id, project)
        if data.agreement_id and (agreement is None or agreement.id != data.agreement_id):
            problems.add(
                "agreement_id",
                "no agreement with this id"
                if session.get(Agreement, data.agreement_id) is None
                else "is not the agreement of the project",
            )
        problems.raise_if_any()
        assert agreement is not None
        taking_part = _party_ids(session, agreement, project.id if project else None)
        for index, owner in enumerate(data.owners):
            if session.get(Organisation, owner.organisation_id) is None:
                problems.add(f"owners[{index}].organisation_id", "no organisation with this id")
            elif owner.organisation_id not in taking_part:
                problems.add(
                    f"owners[{index}].organisation_id",
                    f"is neither a party to {agreement.reference} nor a participant",
                )
        _date_in_agreement(problems, "created_on", data.created_on, agreement)
        packages = _work_packages(session, problems, data.work_package_ids, project)
        problems.raise_if_any()
        if session.scalar(select(IpAsset.id).where(IpAsset.reference == data.reference)):
            raise Conflict(f"reference: an IP asset '{data.reference}' already exists")
        asset = IpAsset(
            **data.model_dump(
                exclude={"owners", "work_package_ids", "artifact_references", "agreement_id"}
            ),
            agreement_id=agreement.id,
            owners=[
                IpOwner(organisation_id=o.organisation_id, share_percent=o.share_percent)
                for o in data.owners
            ],
            work_packages=packages,
        )
        uow.add(asset)
        uow.flush()
        linked = _link_artifacts(uow, actor, asset, agreement, data.artifact_references)
        record_event(
            uow, actor, "ip:asset:create", asset, {**data.model_dump(), "artifacts": linked}
        )
        uow.commit()
        return asset_out(asset)


def update_asset(
    uow: UnitOfWork, actor: Principal, asset_id: uuid.UUID, data: IpAssetUpdate
) -> IpAssetOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        asset = session.get(IpAsset, asset_id)
        if asset is None:
            raise NotFound("no IP asset with this id")
        problems = Problems()
        changes = {
            name: value
            for name, value in data.model_dump(
                exclude_unset=True, exclude={"artifact_references"}
            ).items()
            if value is not None or name == "joint_ownership_terms"
        }
        if asset.kind is IpKind.RESULT and data.background_status is not None:
            problems.add("background_status", "only background is included or excluded")
        if asset.kind is IpKind.BACKGROUND and data.work_package_ids:
            problems.add("work_package_ids", "background is not created in a work package")
        if data.joint_ownership_terms and len(asset.owners) == 1:
            problems.add("joint_ownership_terms", "the asset has a single owner")
        project = session.get(Project, asset.project_id) if asset.project_id else None
        if data.work_package_ids is not None:
            asset.work_packages = _work_packages(session, problems, data.work_package_ids, project)
        problems.raise_if_any()
        for name in ("title", "description", "background_status", "restrictions"):
            if name in changes and changes[name] is not None:
                setattr(asset, name, changes[name])
        if "joint_ownership_terms" in changes:
            asset.joint_ownership_terms = data.joint_ownership_terms
        agreement = _asset_agreement(session, asset)
        linked = _link_artifacts(uow, actor, asset, agreement, data.artifact_references)
        if not changes and not linked:
            raise ValidationFailed.of("body", "nothing to change")
        uow.flush()
        record_event(uow, actor, "ip:asset:update", asset, {**changes, "artifacts": linked})
        uow.commit()
        return asset_out(asset)


def _work_packages(
    session: Session, problems: Problems, ids: Iterable[uuid.UUID], project: Project | None
) -> list[WorkPackage]:
    found = []
    for index, wp_id in enumerate(ids):
        package = session.get(WorkPackage, wp_id)
        if package is None or project is None or package.project_id != project.id:
            problems.add(f"work_package_ids[{index}]", "no work package of the asset's project")
        else:
            found.append(package)
    return found


def _link_artifacts(
    uow: UnitOfWork,
    actor: Principal,
    asset: IpAsset,
    agreement: Agreement,
    references: list[str],
) -> list[str]:
    """Link artifacts to the asset so that they carry its terms. Only artifacts the actor
    may see are found: another reference is reported exactly as an unknown one."""
    if not references:
        return []
    session = uow.session
    query = select(Artifact).where(Artifact.reference.in_(references))
    if actor.person_id is not None:  # a person sees what the engine lets them see
        seen = listing.visibility(
            session, uow.database, actor.person_id, Action.VIEW_METADATA, today()
        )
        query = query.where(seen.where(session))
    found = {a.reference: a for a in session.scalars(query)}
    projects = set(session.scalars(select(Project.id).where(Project.agreement_id == agreement.id)))
    problems = Problems()
    for index, reference in enumerate(references):
        artifact = found.get(reference)
        if artifact is None:
            problems.add(f"artifact_references[{index}]", f"no artifact you may see: {reference}")
        elif artifact.project_id not in projects:
            problems.add(
                f"artifact_references[{index}]",
                f"{reference} is not in a project of {agreement.reference}",
            )
        elif artifact.ip_asset_id not in (None, asset.id):
            problems.add(f"artifact_references[{index}]", f"{reference} carries other IP already")
    problems.raise_if_any()
    for artifact in found.values():
        artifact.ip_asset_id = asset.id
    return sorted(found)


def add_protection(
    uow: UnitOfWork, actor: Principal, asset_id: uuid.UUID, data: ProtectionIn
) -> IpAssetOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        asset = session.get(IpAsset, asset_id)
        if asset is None:
            raise NotFound("no IP asset with this id")
        if data.nation_code and session.get(Nation, data.nation_code) is None:
            raise ValidationFailed.of("nation_code", f"unknown nation {data.nation_code}")
        protection = IpProtection(asset_id=asset.id, **data.model_dump())
        uow.add(protection)
        uow.flush()
        record_event(uow, actor, "ip:protection:create", protection, data.model_dump())
        uow.commit()
        session.refresh(asset)
        return asset_out(asset)


# --- invention disclosures --------------------------------------------------------------------


def _disclosures_query() -> Any:
    return select(InventionDisclosure).options(
        selectinload(InventionDisclosure.inventors),
        selectinload(InventionDisclosure.filing_decisions),
    )


def list_disclosures(
    uow: UnitOfWork, actor: Principal, asset_id: uuid.UUID | None = None
) -> list[DisclosureOut]:
    _read(actor)
    with uow:
        query = _disclosures_query().order_by(InventionDisclosure.reference)
        if asset_id is not None:
            query = query.where(InventionDisclosure.asset_id == asset_id)
        return [DisclosureOut.model_validate(d) for d in uow.session.scalars(query)]


def get_disclosure(uow: UnitOfWork, actor: Principal, disclosure_id: uuid.UUID) -> DisclosureOut:
    _read(actor)
    with uow:
        found = uow.session.scalar(
            _disclosures_query().where(InventionDisclosure.id == disclosure_id)
        )
        if found is None:
            raise NotFound("no invention disclosure with this id")
        return DisclosureOut.model_validate(found)


def create_disclosure(uow: UnitOfWork, actor: Principal, data: DisclosureIn) -> DisclosureOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        asset = session.get(IpAsset, data.asset_id)
        if asset is None:
            raise ValidationFailed.of("asset_id", "no IP asset with this id")
        if asset.kind is not IpKind.RESULT:
            raise ValidationFailed.of("asset_id", "inventions are disclosed for results")
        agreement = _asset_agreement(session, asset)
        problems = Problems()
        _date_in_agreement(problems, "conceived_on", data.conceived_on, agreement)
        if data.disclosed_on is not None and data.disclosed_on > today():
            problems.add("disclosed_on", "cannot be in the future")
        owners = {o.organisation_id for o in asset.owners}
        inventors = []
        for index, person_id in enumerate(data.inventor_ids):
            person = session.get(Person, person_id)
            if person is None:
                problems.add(f"inventor_ids[{index}]", "no person with this id")
            elif person.employer_id not in owners:
                problems.add(
                    f"inventor_ids[{index}]",
                    f"{person.full_name} works for none of the asset's owners",
                )
            else:
                inventors.append(person)
        _known_nations(session, problems, "filing_nations", data.filing_nations)
        problems.raise_if_any()
        if session.scalar(
            select(InventionDisclosure.id).where(InventionDisclosure.reference == data.reference)
        ):
            raise Conflict(f"reference: a disclosure '{data.reference}' already exists")
        due_on = rules.disclosure_due(data.conceived_on, agreement.invention_disclosure_days)
        decide_by = rules.filing_due(data.disclosed_on or due_on, agreement.filing_decision_days)
        disclosure = InventionDisclosure(
            **data.model_dump(exclude={"inventor_ids", "filing_nations"}),
            due_on=due_on,
            inventors=inventors,
            filing_decisions=[
                FilingDecision(nation_code=n, decide_by=decide_by) for n in data.filing_nations
            ],
        )
        uow.add(disclosure)
        uow.flush()
        record_event(uow, actor, "ip:disclosure:create", disclosure, data.model_dump())
        uow.commit()
        return DisclosureOut.model_validate(disclosure)


def _known_nations(session: Session, problems: Problems, name: str, codes: list[str]) -> None:
    known = set(session.scalars(select(Nation.code).where(Nation.code.in_(codes))))
    unknown = sorted(set(codes) - known)
    if unknown:
        problems.add(name, f"unknown nation(s): {', '.join(unknown)}")


def _disclosure_for_writing(session: Session, disclosure_id: uuid.UUID) -> InventionDisclosure:
    disclosure = session.get(InventionDisclosure, disclosure_id)
    if disclosure is None:
        raise NotFound("no invention disclosure with this id")
    return disclosure


def disclose(
    uow: UnitOfWork, actor: Principal, disclosure_id: uuid.UUID, data: DiscloseIn
) -> DisclosureOut:
    """Record that the invention was disclosed to the other parties; the countries' filing
    decisions still pending are then due counted from this day."""
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        disclosure = _disclosure_for_writing(session, disclosure_id)
        if disclosure.disclosed_on is not None:
            raise Conflict(f"disclosed_on: already disclosed on {disclosure.disclosed_on}")
        if data.disclosed_on < disclosure.conceived_on:
            raise ValidationFailed.of("disclosed_on", "cannot be before the conception")
        if data.disclosed_on > today():
            raise ValidationFailed.of("disclosed_on", "cannot be in the future")
        asset = session.get(IpAsset, disclosure.asset_id)
        assert asset is not None
        agreement = _asset_agreement(session, asset)
        disclosure.disclosed_on = data.disclosed_on
        decide_by = rules.filing_due(data.disclosed_on, agreement.filing_decision_days)
        for decision in disclosure.filing_decisions:
            if decision.choice is FilingChoice.PENDING:
                decision.decide_by = decide_by
        uow.flush()
        late = data.disclosed_on > disclosure.due_on
        record_event(
            uow, actor, "ip:disclosure:disclose", disclosure, {**data.model_dump(), "late": late}
        )
        uow.commit()
        return DisclosureOut.model_validate(disclosure)


def decide_filing(
    uow: UnitOfWork, actor: Principal, disclosure_id: uuid.UUID, data: FilingDecisionIn
) -> DisclosureOut:
    """Record (or add) a country's filing decision for a disclosed invention."""
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        disclosure = _disclosure_for_writing(session, disclosure_id)
        asset = session.get(IpAsset, disclosure.asset_id)
        assert asset is not None
        problems = Problems()
        _known_nations(session, problems, "nation_code", [data.nation_code])
        if data.decided_on is not None:
            if data.decided_on < disclosure.conceived_on:
                problems.add("decided_on", "cannot be before the conception")
            if data.decided_on > today():
                problems.add("decided_on", "cannot be in the future")
        owners = {o.organisation_id for o in asset.owners}
        if data.filing_organisation_id and data.filing_organisation_id not in owners:
            problems.add("filing_organisation_id", "is not an owner of the result")
        problems.raise_if_any()
        decision = next(
            (d for d in disclosure.filing_decisions if d.nation_code == data.nation_code), None
        )
        if decision is None:
            agreement = _asset_agreement(session, asset)
            decision = FilingDecision(
                nation_code=data.nation_code,
                decide_by=rules.filing_due(
                    disclosure.disclosed_on or disclosure.due_on, agreement.filing_decision_days
                ),
            )
            disclosure.filing_decisions.append(decision)
        elif decision.choice is not FilingChoice.PENDING:
            raise Conflict(
                f"nation_code: {data.nation_code} was decided on {decision.decided_on} "
                f"({decision.choice})"
            )
        decision.choice = data.choice
        decision.decided_on = data.decided_on
        decision.filing_organisation_id = data.filing_organisation_id
        decision.note = data.note
        uow.flush()
        record_event(uow, actor, "ip:disclosure:filing_decision", disclosure, data.model_dump())
        uow.commit()
        return DisclosureOut.model_validate(disclosure)


# --- licences and access rights ---------------------------------------------------------------


def list_licences(
    uow: UnitOfWork, actor: Principal, asset_id: uuid.UUID | None = None
) -> list[LicenceOut]:
    _read(actor)
    with uow:
        query = select(Licence).order_by(Licence.reference)
        if asset_id is not None:
            query = query.where(Licence.asset_id == asset_id)
        return [LicenceOut.model_validate(r) for r in uow.session.scalars(query)]


def _grant(lc: Licence | LicenceIn) -> rules.Grant:
    return rules.Grant(
        purposes=frozenset(str(p) for p in lc.purposes),
        territory=frozenset(lc.territory),
        valid_from=lc.valid_from,
        valid_until=lc.valid_until,
        sublicensing=lc.sublicensing,
        exclusive=lc.exclusive,
        reference=lc.reference,
    )


def create_licence(uow: UnitOfWork, actor: Principal, data: LicenceIn) -> LicenceOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        asset = session.get(IpAsset, data.asset_id)
        if asset is None:
            raise ValidationFailed.of("asset_id", "no IP asset with this id")
        for name, org_id in (("licensor_id", data.licensor_id), ("licensee_id", data.licensee_id)):
            if session.get(Organisation, org_id) is None:
                problems.add(name, "no organisation with this id")
        _known_nations(session, problems, "territory", data.territory)
        agreement = _asset_agreement(session, asset)
        if data.valid_until is None and agreement.expires_on is not None:
            # Open-ended under an agreement that ends: it ends with the agreement.
            data = data.model_copy(update={"valid_until": agreement.expires_on})
        period = rules.within_agreement(
            data.valid_from, data.valid_until, agreement.effective_from, agreement.expires_on
        )
        if period:
            field = "valid_from" if period.startswith("starts") else "valid_until"
            problems.add(field, f"the licence {period}: {agreement.reference}")
        problems.raise_if_any()
        owners = {o.organisation_id for o in asset.owners}
        if data.licensee_id in owners:
            raise ValidationFailed.of("licensee_id", "is an owner: owners need no licence")
        grant = _grant(data)
        on_asset = [
            lc
            for lc in session.scalars(select(Licence).where(Licence.asset_id == asset.id))
            if lc.status is LicenceStatus.ACTIVE
        ]
        wider = rules.grant_problems(
            grant,
            licensor_owns=data.licensor_id in owners,
            licensor_holds=[_grant(lc) for lc in on_asset if lc.licensee_id == data.licensor_id],
            # A licensor's own exclusive licence is what it holds, not a bar to it.
            exclusive_elsewhere=[
                _grant(lc) for lc in on_asset if lc.exclusive and lc.licensee_id != data.licensor_id
            ],
        )
        if wider:
            raise ValidationFailed.of(
                "purposes", "the licence is wider than the licensor holds: " + "; ".join(wider)
            )
        if data.kind is LicenceKind.ACCESS_RIGHT:
            taking_part = _party_ids(session, agreement, asset.project_id)
            if data.licensee_id not in taking_part:
                problems.add(
                    "licensee_id", f"takes no part in {agreement.reference}: grant a licence"
                )
        if data.exclusive and asset.kind is IpKind.RESULT:
            cleared = session.scalar(
                select(TransferNotice.id).where(
                    TransferNotice.asset_id == asset.id,
                    TransferNotice.kind == TransferKind.EXCLUSIVE_LICENCE,
                    TransferNotice.transferor_id == data.licensor_id,
                    TransferNotice.transferee_id == data.licensee_id,
                    TransferNotice.status == TransferStatus.COMPLETED,
                )
            )
            if cleared is None:
                problems.add(
                    "exclusive",
                    "an exclusive licence of a result needs a completed transfer notice "
                    "(the other parties may object first)",
                )
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


def terminate_licence(
    uow: UnitOfWork, actor: Principal, licence_id: uuid.UUID, data: TerminateIn
) -> LicenceOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        licence = uow.session.get(Licence, licence_id)
        if licence is None:
            raise NotFound("no licence with this id")
        if licence.status is LicenceStatus.TERMINATED:
            raise Conflict("status: the licence is already terminated")
        licence.status = LicenceStatus.TERMINATED
        uow.flush()
        record_event(uow, actor, "ip:licence:terminate", licence, data.model_dump())
        uow.commit()
        return LicenceOut.model_validate(licence)


def licence_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    _read(actor)
    with uow:
        found = uow.session.scalar(select(Licence.id).where(Licence.reference == reference))
    if found is None:
        raise NotFound(f"no licence '{reference}'")
    return found


def licences_as_odrl(
    uow: UnitOfWork, actor: Principal, reference: str | None = None
) -> dict[str, Any]:
    """Licences and access rights as ODRL 2.2 JSON-LD: one policy for ``reference``, or
    every licence as a graph of policies (docs/odrl-profile.md)."""
    _read(actor)
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


# --- transfer notices -------------------------------------------------------------------------


def _notice_out(notice: TransferNotice, on: date) -> TransferNoticeOut:
    out = TransferNoticeOut.model_validate(notice)
    if notice.status is TransferStatus.PENDING:
        out.blockers = rules.transfer_blockers(_state(notice), on)
    return out


def _state(notice: TransferNotice) -> rules.TransferState:
    outcomes = [o.outcome for o in notice.objections]
    return rules.TransferState(
        objection_until=notice.objection_until,
        open_objections=outcomes.count(ObjectionOutcome.OPEN),
        upheld_objections=outcomes.count(ObjectionOutcome.UPHELD),
        needs_approval=notice.needs_approval,
        approved=notice.approved_on is not None,
        pending=notice.status is TransferStatus.PENDING,
    )


def list_transfers(
    uow: UnitOfWork, actor: Principal, asset_id: uuid.UUID | None = None
) -> list[TransferNoticeOut]:
    _read(actor)
    with uow:
        query = (
            select(TransferNotice)
            .options(selectinload(TransferNotice.objections))
            .order_by(TransferNotice.notified_on.desc(), TransferNotice.reference)
        )
        if asset_id is not None:
            query = query.where(TransferNotice.asset_id == asset_id)
        day = today()
        return [_notice_out(n, day) for n in uow.session.scalars(query)]


def get_transfer(uow: UnitOfWork, actor: Principal, notice_id: uuid.UUID) -> TransferNoticeOut:
    _read(actor)
    with uow:
        notice = uow.session.get(TransferNotice, notice_id)
        if notice is None:
            raise NotFound("no transfer notice with this id")
        return _notice_out(notice, today())


def transfer_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    _read(actor)
    with uow:
        found = uow.session.scalar(
            select(TransferNotice.id).where(TransferNotice.reference == reference)
        )
    if found is None:
        raise NotFound(f"no transfer notice '{reference}'")
    return found


def notify_transfer(uow: UnitOfWork, actor: Principal, data: TransferNoticeIn) -> TransferNoticeOut:
    """An owner gives notice that it will assign (part of) its share of a result, or license
    it exclusively; the objection window opens the day of the notice."""
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        asset = session.get(IpAsset, data.asset_id)
        if asset is None:
            raise ValidationFailed.of("asset_id", "no IP asset with this id")
        if asset.kind is not IpKind.RESULT:
            raise ValidationFailed.of("asset_id", "transfer notices are for results")
        problems = Problems()
        shares = {o.organisation_id: o.share_percent for o in asset.owners}
        if data.transferor_id not in shares:
            problems.add("transferor_id", "is not an owner of the result")
        elif data.share_percent is not None and data.share_percent > shares[data.transferor_id]:
            problems.add(
                "share_percent",
                f"the transferor holds {shares[data.transferor_id]}%, "
                f"cannot assign {data.share_percent}%",
            )
        transferee = session.get(Organisation, data.transferee_id)
        if transferee is None:
            problems.add("transferee_id", "no organisation with this id")
        agreement = _asset_agreement(session, asset)
        _date_in_agreement(problems, "notified_on", data.notified_on, agreement)
        if data.notified_on > today():
            problems.add("notified_on", "cannot be in the future")
        problems.raise_if_any()
        assert transferee is not None
        pending = session.scalar(
            select(TransferNotice.reference).where(
                TransferNotice.asset_id == asset.id,
                TransferNotice.transferor_id == data.transferor_id,
                TransferNotice.status == TransferStatus.PENDING,
            )
        )
        if pending:
            raise Conflict(f"asset_id: notice {pending} of this owner is still pending")
        if session.scalar(
            select(TransferNotice.id).where(TransferNotice.reference == data.reference)
        ):
            raise Conflict(f"reference: a transfer notice '{data.reference}' already exists")
        notice = TransferNotice(
            **data.model_dump(),
            objection_until=rules.objection_until(
                data.notified_on, agreement.transfer_objection_days
            ),
            needs_approval=transferee.nation_code not in _party_nations(session, agreement),
        )
        uow.add(notice)
        uow.flush()
        record_event(
            uow,
            actor,
            "ip:transfer:notify",
            notice,
            {**data.model_dump(), "objection_until": notice.objection_until},
        )
        uow.commit()
        return _notice_out(notice, today())


def _pending_notice(session: Session, notice_id: uuid.UUID) -> TransferNotice:
    notice = session.get(TransferNotice, notice_id)
    if notice is None:
        raise NotFound("no transfer notice with this id")
    if notice.status is not TransferStatus.PENDING:
        raise Conflict(f"status: the notice is {notice.status}")
    return notice


def object_to_transfer(
    uow: UnitOfWork, actor: Principal, notice_id: uuid.UUID, data: ObjectionIn
) -> TransferNoticeOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        notice = _pending_notice(session, notice_id)
        asset = session.get(IpAsset, notice.asset_id)
        assert asset is not None
        agreement = _asset_agreement(session, asset)
        problems = Problems()
        if data.organisation_id in (notice.transferor_id, notice.transferee_id):
            problems.add("organisation_id", "a party to the transfer cannot object to it")
        elif data.organisation_id not in _party_ids(session, agreement, asset.project_id):
            problems.add("organisation_id", f"takes no part in {agreement.reference}")
        if data.lodged_on < notice.notified_on:
            problems.add("lodged_on", "is before the notice")
        elif data.lodged_on > notice.objection_until:
            problems.add("lodged_on", f"the objection window closed on {notice.objection_until}")
        if data.lodged_on > today():
            problems.add("lodged_on", "cannot be in the future")
        problems.raise_if_any()
        if any(o.organisation_id == data.organisation_id for o in notice.objections):
            raise Conflict("organisation_id: this organisation has objected already")
        objection = TransferObjection(**data.model_dump())
        notice.objections.append(objection)
        uow.flush()
        record_event(uow, actor, "ip:transfer:object", notice, data.model_dump())
        uow.commit()
        return _notice_out(notice, today())


def resolve_objection(
    uow: UnitOfWork, actor: Principal, notice_id: uuid.UUID, data: ObjectionResolutionIn
) -> TransferNoticeOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        notice = _pending_notice(session, notice_id)
        objection = next(
            (o for o in notice.objections if o.organisation_id == data.organisation_id), None
        )
        if objection is None:
            raise ValidationFailed.of("organisation_id", "has not objected to this notice")
        if objection.outcome is not ObjectionOutcome.OPEN:
            raise Conflict(f"outcome: the objection was {objection.outcome} already")
        if data.resolved_on < objection.lodged_on:
            raise ValidationFailed.of("resolved_on", "is before the objection was lodged")
        if data.resolved_on > today():
            raise ValidationFailed.of("resolved_on", "cannot be in the future")
        objection.outcome = data.outcome
        objection.resolved_on = data.resolved_on
        objection.resolution = data.resolution
        uow.flush()
        record_event(uow, actor, "ip:transfer:resolve_objection", notice, data.model_dump())
        uow.commit()
        return _notice_out(notice, today())


def approve_transfer(
    uow: UnitOfWork, actor: Principal, notice_id: uuid.UUID, data: ApprovalIn
) -> TransferNoticeOut:
    """Record the parties' approval of a transfer to an entity of a non-participant nation."""
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        notice = _pending_notice(session, notice_id)
        if not notice.needs_approval:
            raise Conflict("approved_on: the transferee's nation is a party; no approval is needed")
        if notice.approved_on is not None:
            raise Conflict(f"approved_on: approved already on {notice.approved_on}")
        if data.approved_on < notice.notified_on:
            raise ValidationFailed.of("approved_on", "is before the notice")
        if data.approved_on > today():
            raise ValidationFailed.of("approved_on", "cannot be in the future")
        notice.approved_on = data.approved_on
        notice.approval_reference = data.approval_reference
        uow.flush()
        record_event(uow, actor, "ip:transfer:approve", notice, data.model_dump())
        uow.commit()
        return _notice_out(notice, today())


def complete_transfer(
    uow: UnitOfWork, actor: Principal, notice_id: uuid.UUID, data: CompletionIn
) -> TransferNoticeOut:
    """Carry out a noticed transfer once nothing stands in its way: an assignment moves the
    share to the transferee (shares still total 100%); an exclusive licence may then be
    recorded."""
    _manage(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        notice = _pending_notice(session, notice_id)
        if data.completed_on > today():
            raise ValidationFailed.of("completed_on", "cannot be in the future")
        blockers = rules.transfer_blockers(_state(notice), data.completed_on)
        if blockers:
            raise Conflict("completed_on: the transfer cannot go ahead: " + "; ".join(blockers))
        # The approval and the resolutions carry their own dates: a transfer cannot have gone
        # ahead before what cleared its way.
        cleared = [
            d for d in (notice.approved_on, *(o.resolved_on for o in notice.objections)) if d
        ]
        if cleared and data.completed_on < max(cleared):
            raise ValidationFailed.of(
                "completed_on", f"is before the transfer was cleared ({max(cleared)})"
            )
        asset = session.get(IpAsset, notice.asset_id)
        assert asset is not None
        if notice.kind is TransferKind.ASSIGNMENT:
            assert notice.share_percent is not None
            before = {str(o.organisation_id): o.share_percent for o in asset.owners}
            try:
                after = rules.move_share(
                    before,
                    str(notice.transferor_id),
                    str(notice.transferee_id),
                    notice.share_percent,
                )
            except ValueError as exc:
                raise Conflict(f"share_percent: {exc}") from exc
            _set_owners(asset, {uuid.UUID(k): v for k, v in after.items()})
            uow.flush()
        notice.status = TransferStatus.COMPLETED
        notice.completed_on = data.completed_on
        uow.flush()
        record_event(
            uow,
            actor,
            "ip:transfer:complete",
            notice,
            {
                **data.model_dump(),
                "owners": {str(o.organisation_id): o.share_percent for o in asset.owners},
            },
        )
        uow.commit()
        return _notice_out(notice, today())


def _set_owners(asset: IpAsset, shares: dict[uuid.UUID, int]) -> None:
    current = {o.organisation_id: o for o in asset.owners}
    for org_id, owner in current.items():
        if org_id not in shares:
            asset.owners.remove(owner)
        else:
            owner.share_percent = shares[org_id]
    for org_id, share in shares.items():
        if org_id not in current:
            asset.owners.append(IpOwner(organisation_id=org_id, share_percent=share))


def withdraw_transfer(uow: UnitOfWork, actor: Principal, notice_id: uuid.UUID) -> TransferNoticeOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        notice = _pending_notice(uow.session, notice_id)
        notice.status = TransferStatus.WITHDRAWN
        uow.flush()
        record_event(uow, actor, "ip:transfer:withdraw", notice, {})
        uow.commit()
        return _notice_out(notice, today())


def organisation_names(uow: UnitOfWork, actor: Principal) -> dict[uuid.UUID, str]:
    """Short names of organisations by id, to show owners and licence parties."""
    _read(actor)
    with uow:
        rows = uow.session.execute(select(Organisation.id, Organisation.short_name))
        return {row[0]: row[1] for row in rows}


def form_choices(uow: UnitOfWork, actor: Principal) -> dict[str, list[tuple[str, str]]]:
    """What the register's forms offer: agreements, projects, assets, organisations."""
    _read(actor)
    with uow:
        session = uow.session

        def pairs(query: Any) -> list[tuple[str, str]]:
            return [(str(row[0]), str(row[1])) for row in session.execute(query)]

        return {
            "agreements": pairs(
                select(Agreement.id, Agreement.reference).order_by(Agreement.reference)
            ),
            "projects": pairs(select(Project.id, Project.code).order_by(Project.code)),
            "assets": pairs(select(IpAsset.id, IpAsset.reference).order_by(IpAsset.reference)),
            "organisations": pairs(
                select(Organisation.id, Organisation.short_name).order_by(Organisation.short_name)
            ),
            "results": pairs(
                select(IpAsset.id, IpAsset.reference)
                .where(IpAsset.kind == IpKind.RESULT)
                .order_by(IpAsset.reference)
            ),
        }


def work_package_ids_for(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, codes: list[str]
) -> list[uuid.UUID]:
    """Work packages of a project by their codes (as forms name them)."""
    _read(actor)
    with uow:
        found = dict(
            uow.session.execute(
                select(WorkPackage.code, WorkPackage.id).where(
                    WorkPackage.project_id == project_id, WorkPackage.code.in_(codes)
                )
            ).all()
        )
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed.of(
            "work_package_ids", f"no work package {', '.join(missing)} in the project"
        )
    return [found[c] for c in codes]
