"""Use cases of technical data: record and relabel artifacts, list what a person may see,
and the security officer's questions (why, who can see, what can this person see).

Every artifact that leaves here has passed a decision of the engine for the person asking:
one they may not see answers exactly as one that does not exist.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from datetime import UTC, datetime
from datetime import date as date_type
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target, authorize
from coalition.common.access import allowed_actions, require
from coalition.common.events import record_decision, record_event
from coalition.common.paging import Page, PageRequest, like_pattern
from coalition.errors import Conflict, NotFound, PermissionDenied, Problems, ValidationFailed
from coalition.policy import banners, stanag4774
from coalition.policy.engine import LEVEL_NAMES, Decision, RuleResult, decide
from coalition.policy.facts import Action, Grant, Request, Subject, World
from coalition.policy.interning import intern_label, label_of
from coalition.policy.labels import ExportMarking, SecurityLabel
from coalition.policy.models import LabelClass
from coalition.policy.schemes import LabelError, Level, Scheme, SchemeCatalogue
from coalition.policy.visibility import PLANNED_ACTIONS
from coalition.projects.models import Project
from coalition.registry.models import (
    ClassificationScheme,
    Nation,
    NationGroup,
    Organisation,
    Person,
)
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork
from coalition.techdata import classes, listing
from coalition.techdata import facts as loaders
from coalition.techdata.models import Artifact, ArtifactClass, NeedToKnowGrant
from coalition.techdata.schemas import (
    AccessOut,
    ArtifactFilters,
    ArtifactIn,
    ArtifactOut,
    ArtifactSummary,
    CountRow,
    Equivalent,
    ExplanationOut,
    ExportMarkingOut,
    GrantIn,
    GrantOut,
    LabelIn,
    LabelOut,
    LevelCount,
    PersonAccess,
    ProjectCount,
    RelabelIn,
    RuleOut,
    WhatCanSeeOut,
    WhoCanSeeOut,
)

NOT_FOUND = "no artifact with this id"
#: The actions a person's own artifact page reports on.
OWN_ACTIONS = (Action.READ, Action.DOWNLOAD)
SORTS: dict[str, Any] = {
    "title": (Artifact.title, Artifact.id),
    "reference": (Artifact.reference,),
    "created_at": (Artifact.created_at, Artifact.id),
    "level": (LabelClass.common_level, Artifact.title, Artifact.id),
}
#: The index that yields each sort's order, walked from the first row when many are visible.
SORT_INDEXES = {
    "title": "ix_artifacts_title_id",
    "reference": "uq_artifacts_reference",
    "created_at": "ix_artifacts_created_id",
}
#: From this many visible artifacts on, a page is read by walking the sort's index and
#: stopping after one page (about limit x table / visible index entries); below it, the
#: visible entries are gathered through the project and owner indexes and sorted. Both read
#: index entries only.
ORDERED_SCAN_FROM = 5000


def today() -> date_type:
    return datetime.now(UTC).date()


# --- labels ---------------------------------------------------------------------------------


def catalogue_of(session: Session) -> SchemeCatalogue:
    schemes = session.scalars(
        select(ClassificationScheme).options(selectinload(ClassificationScheme.levels))
    )
    return SchemeCatalogue.of(
        Scheme(
            s.code,
            tuple(
                Level(lv.marking, lv.level, lv.requires_clearance, lv.legacy)
                for lv in sorted(s.levels, key=lambda lv: lv.rank)
            ),
            s.policy_oid,
        )
        for s in schemes
    )


def build_label(
    session: Session,
    data: LabelIn,
    field: str = "label",
    catalogue: SchemeCatalogue | None = None,
) -> SecurityLabel:
    """The label from its command, checked against the reference data; errors name the
    field (``label.releasable_to``...)."""
    catalogue = catalogue or catalogue_of(session)
    groups = set(session.scalars(select(NationGroup.code)))
    try:
        if data.banner is not None:
            parsed = banners.parse(
                data.banner, scheme=data.scheme, originator=data.originator, catalogue=catalogue
            )
            releasable, noforn, caveats = parsed.releasable_to, parsed.noforn, parsed.caveats
            classification = parsed.classification
        else:
            assert data.classification is not None
            releasable = frozenset(data.releasable_to)
            noforn, caveats = data.noforn, frozenset(data.caveats)
            classification = catalogue.get(data.scheme).level_of(data.classification).marking
        label = SecurityLabel(
            scheme=catalogue.get(data.scheme).code,
            classification=classification,
            originator=data.originator,
            releasable_to=releasable,
            noforn=noforn,
            caveats=caveats,
            export=frozenset(
                ExportMarking(m.regime, " ".join(m.category.split()), m.exporting_nation)
                for m in data.export
            ),
            distribution=data.distribution,
            ip_terms=data.ip_terms,
            embargo_until=data.embargo_until,
            review_on=data.review_on,
            pinned_on=data.pinned_on,
        )
        label.validate(catalogue, groups.__contains__)
    except LabelError as exc:
        raise ValidationFailed.of(f"{field}.{exc.field}", exc.message) from exc
    named = {
        "originator": {label.originator},
        "releasable_to": {c for c in label.releasable_to if c not in groups},
        "export": {m.exporting_nation for m in label.export},
    }
    everything = set().union(*named.values())
    known = set(session.scalars(select(Nation.code).where(Nation.code.in_(everything))))
    problems = Problems()
    for part, codes in named.items():
        unknown = sorted(codes - known)
        if unknown:
            problems.add(f"{field}.{part}", f"unknown nation(s): {', '.join(unknown)}")
    problems.raise_if_any()
    return label


def label_out(row: LabelClass) -> LabelOut:
    return LabelOut(
        id=row.id,
        banner=row.banner,
        scheme=row.scheme,
        classification=row.classification,
        originator=row.originator,
        common_level=row.common_level,
        requires_clearance=row.requires_clearance,
        releasable_to=banners.rel_to_order(frozenset(row.releasable_to)),
        noforn=row.noforn,
        caveats=sorted(row.caveats),
        export=[
            ExportMarkingOut(regime=r, category=c, exporting_nation=n) for r, c, n in row.export
        ],
        distribution=row.distribution,
        ip_terms=row.ip_terms,
        embargo_until=row.embargo_until,
        review_on=row.review_on,
        pinned_on=row.pinned_on,
    )


# --- artifacts ------------------------------------------------------------------------------


def artifact_target(session: Session, artifact: Artifact) -> Target:
    owner = session.get(Organisation, artifact.owner_organisation_id)
    assert owner is not None
    return Target.of(organisation_target(session, owner).organisation_ids, artifact.project_id)


def create_artifact(uow: UnitOfWork, actor: Principal, data: ArtifactIn) -> ArtifactOut:
    with uow:
        uow.for_writing()
        artifact = add_artifact(uow, actor, data)
        uow.commit()
        return _artifact_out(uow.session, actor, artifact, ())


def add_artifact(uow: UnitOfWork, actor: Principal, data: ArtifactIn) -> Artifact:
    """Record an artifact inside an open writing unit of work (the caller commits): for
    use cases that record more with it, such as a package's import."""
    session = uow.session
    owner = session.get(Organisation, data.owner_organisation_id)
    if owner is None:
        raise ValidationFailed.of("owner_organisation_id", "no organisation with this id")
    require(actor, Permission.ARTIFACT_CREATE, organisation_target(session, owner))
    _check_own_organisation(session, actor, owner)
    catalogue = catalogue_of(session)
    label = build_label(session, data.label, catalogue=catalogue)
    project = _check_project(session, data.project_id, label, catalogue)
    if session.scalar(select(Artifact.id).where(Artifact.reference == data.reference)):
        raise Conflict(f"reference: an artifact '{data.reference}' already exists")
    row = intern_label(session, label, catalogue)
    artifact = Artifact(
        reference=data.reference,
        title=data.title,
        description=data.description,
        kind=data.kind,
        project_id=project.id if project else None,
        owner_organisation_id=owner.id,
        ip_asset_id=data.ip_asset_id,
        label=row,
        created_by=actor.name,
    )
    uow.add(artifact)
    uow.flush()
    classes.count_in(session, artifact.project_id, owner.id, row.id, +1)
    record_event(
        uow,
        actor,
        "techdata:artifact:create",
        artifact,
        {
            "reference": artifact.reference,
            "project_id": artifact.project_id,
            "owner_organisation_id": owner.id,
            "label_id": row.id,
            "banner": row.banner,
        },
    )
    return artifact


def decide_for(
    uow: UnitOfWork, person_id: uuid.UUID, artifact: Artifact, action: Action
) -> Decision:
    """The engine's decision for a person on an artifact, in the open unit of work (also
    for an artifact recorded in it and not yet committed). Nothing is recorded."""
    seen = _metadata_request(uow, person_id, artifact)
    return decide(dataclasses.replace(seen.request, action=action), seen.world)


def releasability_for(
    uow: UnitOfWork, organisation: Organisation, artifact: Artifact
) -> RuleResult:
    """The engine's releasability rule for ``organisation`` (as a release's recipient) on
    ``artifact``, in the open unit of work: what a node checks of a package delivered for
    one of its organisations, the sender's engine having decided the release itself."""
    session = uow.session
    world, _ = listing.current_world(session, uow.database)
    fact = loaders.artifact_facts(session, [artifact])[artifact.id]
    subject = loaders.organisation_subject(session, organisation)
    decision = decide(Request(subject, fact, Action.RELEASE_TO, today()), world)
    return next(r for r in decision.rules if r.id == "releasability")


def apply_label(
    uow: UnitOfWork, actor: Principal, artifact: Artifact, data: LabelIn, reason: str
) -> bool:
    """Inside an open writing unit of work: give ``artifact`` the label ``data`` (checked
    against its project), recorded with ``reason``; ``False`` if it has that label
    already. The caller decided who may."""
    session = uow.session
    catalogue = catalogue_of(session)
    label = build_label(session, data, catalogue=catalogue)
    _check_project(session, artifact.project_id, label, catalogue)
    old = artifact.label
    row = intern_label(session, label, catalogue)
    if row.id == old.id:
        return False
    artifact.label = row
    classes.count_in(session, artifact.project_id, artifact.owner_organisation_id, old.id, -1)
    classes.count_in(session, artifact.project_id, artifact.owner_organisation_id, row.id, +1)
    # Grants were decided against the old label: cached plans must be recomputed.
    session.info["coalition.facts_changed"] = True
    record_event(
        uow,
        actor,
        "techdata:artifact:relabel",
        artifact,
        {"from": old.banner, "to": row.banner, "label_id": row.id, "reason": reason},
    )
    return True


def relabel_artifact(
    uow: UnitOfWork, actor: Principal, artifact_id: uuid.UUID, data: RelabelIn
) -> ArtifactOut:
    with uow:
        uow.for_writing()
        session = uow.session
        artifact = session.get(Artifact, artifact_id, with_for_update=True)
        if artifact is None:
            raise NotFound(NOT_FOUND)
        _require_on_artifact(uow, actor, Permission.ARTIFACT_RELABEL, artifact)
        if not apply_label(uow, actor, artifact, data.label, data.reason):
            raise ValidationFailed.of("label", "is the artifact's current label")
        uow.commit()
        return _artifact_out(session, actor, artifact, ())


def get_artifact(
    uow: UnitOfWork, actor: Principal, artifact_id: uuid.UUID, as_person: uuid.UUID | None = None
) -> ArtifactOut:
    """The artifact, if the person may see that it exists; with their own decisions."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        artifact, seen = _seen(uow, actor, artifact_id, as_person)
        decisions = tuple(
            decide(dataclasses.replace(seen.request, action=a), seen.world) for a in OWN_ACTIONS
        )
        return _artifact_out(session, actor, artifact, decisions)


def decide_own_access(
    uow: UnitOfWork,
    actor: Principal,
    artifact_id: uuid.UUID,
    action: Action,
    for_person: uuid.UUID | None = None,
) -> tuple[Artifact, Decision]:
    """The engine's decision on the actor's own ``action`` on the artifact (or, for the
    node operator, on ``for_person``'s), recorded in the ledger, permit or deny, and
    committed. Inside an open unit of work; an artifact the person may not know of is
    "not found" (and that view is recorded as refused)."""
    if for_person is not None and not actor.is_operator:
        raise PermissionDenied("only the node's operator acts for another person")
    artifact, seen = _seen(uow, actor, artifact_id, for_person)
    decision = decide(dataclasses.replace(seen.request, action=action), seen.world)
    uow.for_writing()  # a new transaction since the view was recorded
    record_decision(
        uow,
        actor,
        "techdata",
        Artifact.__tablename__,
        str(artifact.id),
        action,
        decision,
        for_person=for_person,
    )
    uow.commit()
    return artifact, decision


def refusal(decision: Decision) -> PermissionDenied:
    """The error for a refused action on an artifact one may see: every failed rule's
    reason and remedy."""
    reasons = "; ".join(
        f"{r.id}: {r.reason}" + (f" (remedy: {r.remedy})" if r.remedy else "")
        for r in decision.failed
    )
    return PermissionDenied(f"{decision.action} refused: {reasons}")


@dataclasses.dataclass(frozen=True)
class _Seen:
    """A person's view of one artifact: the request they may make, in its world."""

    request: Request
    world: World


def _seen(
    uow: UnitOfWork, actor: Principal, artifact_id: uuid.UUID, as_person: uuid.UUID | None
) -> tuple[Artifact, _Seen]:
    """The artifact and the person's view of it, if they may know it exists; otherwise
    "not found", exactly as for an unknown id.

    A person's own view is a decision the ledger records, permit or deny, and so is the
    node operator's on behalf of a person (the operator can hand content out). A security
    officer asking about someone else (``as_person``) accesses nothing: not recorded."""
    session = uow.session
    on_behalf = as_person is not None and as_person != actor.person_id
    recorded = not on_behalf or actor.is_operator
    if recorded:
        uow.for_writing()
    person_id = _viewer(session, actor, as_person)
    if on_behalf:
        _require_explain_person(session, actor, person_id)
    for_person = person_id if on_behalf else None
    artifact = session.get(Artifact, artifact_id)
    if artifact is None:
        if recorded:
            _record_view(uow, actor, str(artifact_id), None, for_person)
        raise NotFound(NOT_FOUND)
    seen = _metadata_request(uow, person_id, artifact)
    decision = decide(seen.request, seen.world)
    if recorded:
        _record_view(uow, actor, str(artifact.id), decision, for_person)
    if not decision.permit:
        raise NotFound(NOT_FOUND)
    return artifact, seen


def _record_view(
    uow: UnitOfWork,
    actor: Principal,
    artifact_id: str,
    decision: Decision | None,
    for_person: uuid.UUID | None,
) -> None:
    """Record and commit the decision on a view of an artifact: a refusal (reported as
    "not found") is recorded as well, in its own transaction."""
    record_decision(
        uow,
        actor,
        "techdata",
        Artifact.__tablename__,
        artifact_id,
        Action.VIEW_METADATA,
        decision,
        for_person=for_person,
    )
    uow.commit()


def list_artifacts(
    uow: UnitOfWork,
    actor: Principal,
    page: PageRequest,
    filters: ArtifactFilters,
    *,
    as_person: uuid.UUID | None = None,
    action: Action = Action.VIEW_METADATA,
) -> Page[ArtifactSummary]:
    """What the person may see, filtered, sorted, paged and counted in the database."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    _check_listed(action)
    with uow:
        session = uow.session
        person_id = _viewer(session, actor, as_person)
        if as_person is not None and as_person != actor.person_id:
            _require_explain_person(session, actor, person_id)
        seen = listing.visibility(session, uow.database, person_id, action, today())
        where = [seen.where(session), *_filter_conditions(filters)]
        by_class = _class_conditions(filters)
        if by_class is None:  # words or kinds: only the artifacts themselves can say
            total = session.scalar(select(func.count()).select_from(Artifact).where(*where)) or 0
        else:
            total = seen.count(session, *by_class)
        ids = page_ids(session, where, filters.sort, total, page)
        items = _summaries(session, page_rows(session, ids))
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def page_ids(
    session: Session, where: list[Any], sort: str, total: int, page: PageRequest
) -> list[uuid.UUID]:
    """The ids of one page of the visible artifacts in ``sort`` order, read from covering
    indexes the cheaper way for ``total`` rows: the table is read only for the page."""
    key = sort.lstrip("-")
    columns = SORTS[key]
    descending = sort.startswith("-")
    order = [c.desc() for c in columns] if descending else list(columns)
    query = select(Artifact.id).where(*where)
    if key == "level":
        query = query.join(LabelClass, LabelClass.id == Artifact.label_id)
    elif total >= ORDERED_SCAN_FROM:
        # SQLite's planner cannot know how many rows the label list lets through.
        query = query.with_hint(Artifact, f"INDEXED BY {SORT_INDEXES[key]}", "sqlite")
    elif session.get_bind().dialect.name == "sqlite":
        # Few rows: gather them through the label and project indexes, then sort
        # (ordering by an expression keeps SQLite from walking the sort's index).
        plain = [cast(c, String) for c in columns]
        order = [c.desc() for c in plain] if descending else plain
    return list(session.scalars(query.order_by(*order).limit(page.limit).offset(page.offset)))


def page_rows(session: Session, ids: list[uuid.UUID]) -> list[Artifact]:
    found = {a.id: a for a in session.scalars(select(Artifact).where(Artifact.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _check_listed(action: Action) -> None:
    if action not in PLANNED_ACTIONS:
        raise ValidationFailed.of(
            "action",
            f"lists are decided for view_metadata, read or download, not {action}: "
            "releases and uses are decided one artifact at a time (the why view)",
        )


def _class_conditions(filters: ArtifactFilters) -> list[Any] | None:
    """The filters as conditions on artifact classes, or None when some filter needs the
    artifacts themselves."""
    if filters.q or filters.kind or filters.ip_asset_id:
        return None
    out: list[Any] = []
    if filters.project_id:
        out.append(ArtifactClass.project_id == filters.project_id)
    if filters.owner_organisation_id:
        out.append(ArtifactClass.owner_organisation_id == filters.owner_organisation_id)
    labels = _label_conditions(filters)
    if labels:
        out.append(ArtifactClass.label_id.in_(select(LabelClass.id).where(*labels)))
    return out


def _label_conditions(filters: ArtifactFilters) -> list[Any]:
    out: list[Any] = []
    if filters.originator:
        out.append(LabelClass.originator == filters.originator)
    if filters.max_level is not None:
        out.append(LabelClass.common_level <= filters.max_level)
    if filters.min_level is not None:
        out.append(LabelClass.common_level >= filters.min_level)
    if filters.label:
        pattern = like_pattern(filters.label.upper())
        # Export markings are not part of the banner; they are searched as well.
        out.append(
            LabelClass.banner.ilike(pattern, escape="\\")
            | cast(LabelClass.export, String).ilike(pattern, escape="\\")
        )
    return out


def _filter_conditions(filters: ArtifactFilters) -> list[Any]:
    out: list[Any] = []
    if filters.q:
        pattern = like_pattern(filters.q)
        out.append(
            Artifact.title.ilike(pattern, escape="\\")
            | Artifact.description.ilike(pattern, escape="\\")
            | Artifact.reference.ilike(pattern, escape="\\")
        )
    if filters.project_id:
        out.append(Artifact.project_id == filters.project_id)
    if filters.owner_organisation_id:
        out.append(Artifact.owner_organisation_id == filters.owner_organisation_id)
    if filters.kind:
        out.append(Artifact.kind == filters.kind)
    if filters.ip_asset_id:
        out.append(Artifact.ip_asset_id == filters.ip_asset_id)
    label_conditions = _label_conditions(filters)
    if label_conditions:
        out.append(Artifact.label_id.in_(select(LabelClass.id).where(*label_conditions)))
    return out


def _summaries(session: Session, rows: Any) -> list[ArtifactSummary]:
    rows = list(rows)
    projects = _project_codes(session, {r.project_id for r in rows if r.project_id})
    owners = _organisation_names(session, {r.owner_organisation_id for r in rows})
    return [
        ArtifactSummary(
            id=r.id,
            reference=r.reference,
            title=r.title,
            kind=r.kind,
            project_id=r.project_id,
            project_code=projects.get(r.project_id) if r.project_id else None,
            owner_organisation_id=r.owner_organisation_id,
            owner_name=owners.get(r.owner_organisation_id, ""),
            banner=r.label.banner,
            common_level=r.label.common_level,
            created_at=r.created_at,
        )
        for r in rows
    ]


def _artifact_out(
    session: Session, actor: Principal, artifact: Artifact, decisions: tuple[Decision, ...]
) -> ArtifactOut:
    owner = session.get(Organisation, artifact.owner_organisation_id)
    project = session.get(Project, artifact.project_id) if artifact.project_id else None
    return ArtifactOut(
        id=artifact.id,
        reference=artifact.reference,
        title=artifact.title,
        description=artifact.description,
        kind=artifact.kind,
        project_id=artifact.project_id,
        project_code=project.code if project else None,
        owner_organisation_id=artifact.owner_organisation_id,
        owner_name=owner.name if owner else "",
        originating_nation=artifact.label.originator,
        ip_asset_id=artifact.ip_asset_id,
        created_by=artifact.created_by,
        created_at=artifact.created_at,
        version=artifact.version,
        label=label_out(artifact.label),
        equivalents=_equivalents(session, artifact.label),
        access=[
            AccessOut(
                action=d.action,
                permit=d.permit,
                failed=[r.id for r in d.failed],
                remedies=[r.remedy for r in d.failed if r.remedy],
                obligations=list(d.obligations),
            )
            for d in decisions
        ],
        allowed_actions=allowed_actions(
            actor,
            artifact_target(session, artifact),
            (
                Permission.ARTIFACT_CREATE,  # also: add content versions
                Permission.ARTIFACT_RELABEL,
                Permission.NEED_TO_KNOW_GRANT,
                Permission.DECISION_EXPLAIN,
            ),
        ),
    )


def _equivalents(session: Session, row: LabelClass) -> list[Equivalent]:
    """The label's classification in every other scheme of the catalogue, by the
    equivalence tables (the lowest current marking that protects its level)."""
    catalogue = catalogue_of(session)
    label = label_of(row)
    out = []
    for code in sorted(catalogue.schemes):
        if code == label.scheme:
            continue
        try:
            shown = label.in_scheme(catalogue, code)
        except LabelError:
            continue  # the scheme has no marking at that level
        out.append(Equivalent(scheme=code, classification=shown.classification))
    return out


def equivalent_in(session: Session, row: LabelClass, nation: str) -> str | None:
    """The label's classification in a nation's own scheme (None when the nation has no
    scheme, or it has no marking at that level)."""
    scheme = session.scalar(select(Nation.scheme_code).where(Nation.code == nation))
    if scheme is None:
        return None
    label = label_of(row)
    if label.scheme == scheme:
        return label.classification
    try:
        return label.in_scheme(catalogue_of(session), scheme).classification
    except LabelError:
        return None


def _require_on_artifact(
    uow: UnitOfWork,
    actor: Principal,
    permission: Permission,
    artifact: Artifact,
    also: frozenset[uuid.UUID] = frozenset(),
) -> None:
    """The permission on the artifact; refused as "not found" to whoever may not even know
    it exists, so a refusal never confirms an id."""
    session = uow.session
    target = artifact_target(session, artifact)
    target = Target.of(target.organisation_ids | also, target.project_id)
    decision = authorize(actor, permission, target)
    if decision.allowed:
        return
    if actor.person_id is not None and _may_know(uow, actor.person_id, artifact):
        raise PermissionDenied(decision.reason)
    raise NotFound(NOT_FOUND)


def _may_know(uow: UnitOfWork, person_id: uuid.UUID, artifact: Artifact) -> bool:
    seen = _metadata_request(uow, person_id, artifact)
    return decide(seen.request, seen.world).permit


def may_know_artifact(uow: UnitOfWork, actor: Principal, artifact: Artifact) -> bool:
    """Whether the actor may know that ``artifact`` exists (the engine's view-metadata
    decision for their person): what lists of attached papers show. The node's operator
    knows every artifact; an account with no person knows none."""
    if actor.is_operator:
        return True
    return actor.person_id is not None and _may_know(uow, actor.person_id, artifact)


def _metadata_request(uow: UnitOfWork, person_id: uuid.UUID, artifact: Artifact) -> _Seen:
    """The person's request to know that ``artifact`` exists, in the current world."""
    session = uow.session
    day = today()
    subject = listing.subject_view(session, uow.database, person_id, day).subject
    world, _ = listing.current_world(session, uow.database)
    fact = loaders.artifact_facts(session, [artifact])[artifact.id]
    return _Seen(Request(subject, fact, Action.VIEW_METADATA, day), world)


def _check_own_organisation(session: Session, actor: Principal, owner: Organisation) -> None:
    """People record artifacts for their own organisation (or one it belongs to): a
    researcher's role does not let them speak for another lab."""
    if actor.person_id is None:
        return
    person = session.get(Person, actor.person_id)
    if person is None:
        return
    employer = session.get(Organisation, person.employer_id)
    assert employer is not None
    if owner.id not in organisation_target(session, employer).organisation_ids:
        raise ValidationFailed.of(
            "owner_organisation_id", "must be your own organisation (or one it belongs to)"
        )


def _check_project(
    session: Session,
    project_id: uuid.UUID | None,
    label: SecurityLabel,
    catalogue: SchemeCatalogue,
) -> Project | None:
    if project_id is None:
        return None
    project = session.get(Project, project_id)
    if project is None:
        raise ValidationFailed.of("project_id", "no project with this id")
    level = catalogue.get(label.scheme).level_of(label.classification).level
    if level > project.classification_ceiling:
        raise ValidationFailed.of(
            "label.classification",
            f"{label.classification} (level {level}) is above project {project.code}'s "
            f"classification ceiling ({LEVEL_NAMES[project.classification_ceiling]})",
        )
    return project


def viewer(session: Session, actor: Principal) -> uuid.UUID:
    """The person an actor acts as: their own; an account with no person is told so."""
    return _viewer(session, actor, None)


def _viewer(session: Session, actor: Principal, as_person: uuid.UUID | None) -> uuid.UUID:
    person_id = as_person or actor.person_id
    if person_id is None:
        raise ValidationFailed.of(
            "as_person",
            "artifacts are listed for a person: this account has none, so name one",
        )
    if session.get(Person, person_id) is None:
        raise ValidationFailed.of("as_person", "no person with this id")
    return person_id


def _require_explain_person(session: Session, actor: Principal, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("no person with this id")
    employer = session.get(Organisation, person.employer_id)
    assert employer is not None
    require(
        actor,
        Permission.DECISION_EXPLAIN,
        Target.of(organisation_target(session, employer).organisation_ids, person=None),
    )
    return person


def _project_codes(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Project.id, Project.code).where(Project.id.in_(ids))).all())


def _organisation_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Organisation.id, Organisation.short_name).where(Organisation.id.in_(ids))
        ).all()
    )


# --- need-to-know grants --------------------------------------------------------------------


def grant_need_to_know(
    uow: UnitOfWork, actor: Principal, artifact_id: uuid.UUID, data: GrantIn
) -> GrantOut:
    with uow:
        uow.for_writing()
        session = uow.session
        artifact = session.get(Artifact, artifact_id)
        if artifact is None:
            raise NotFound(NOT_FOUND)
        _require_on_artifact(uow, actor, Permission.NEED_TO_KNOW_GRANT, artifact)
        person = session.get(Person, data.person_id)
        problems = Problems()
        if person is None:
            problems.add("person_id", "no person with this id")
        if data.expires_on is not None and data.expires_on <= today():
            problems.add("expires_on", "must be after today")
        problems.raise_if_any()
        assert person is not None
        if session.scalar(
            select(NeedToKnowGrant.id).where(
                NeedToKnowGrant.artifact_id == artifact.id,
                NeedToKnowGrant.person_id == person.id,
            )
        ):
            raise Conflict("person_id: already holds a grant for this artifact")
        grant = NeedToKnowGrant(
            artifact_id=artifact.id,
            person_id=person.id,
            expires_on=data.expires_on,
            reason=data.reason,
            granted_by=actor.name,
        )
        uow.add(grant)
        uow.flush()
        record_event(uow, actor, "techdata:grant:create", grant, data.model_dump())
        uow.commit()
        return _grant_out(grant, person)


def revoke_need_to_know(
    uow: UnitOfWork, actor: Principal, artifact_id: uuid.UUID, grant_id: uuid.UUID
) -> None:
    with uow:
        uow.for_writing()
        session = uow.session
        grant = session.get(NeedToKnowGrant, grant_id)
        if grant is None or grant.artifact_id != artifact_id:
            raise NotFound("no such grant for this artifact")
        artifact = session.get(Artifact, artifact_id)
        assert artifact is not None
        _require_on_artifact(uow, actor, Permission.NEED_TO_KNOW_GRANT, artifact)
        record_event(uow, actor, "techdata:grant:revoke", grant, {"person_id": grant.person_id})
        session.delete(grant)
        uow.commit()


def list_grants(uow: UnitOfWork, actor: Principal, artifact_id: uuid.UUID) -> list[GrantOut]:
    with uow:
        session = uow.session
        artifact = session.get(Artifact, artifact_id)
        if artifact is None:
            raise NotFound(NOT_FOUND)
        _require_on_artifact(uow, actor, Permission.NEED_TO_KNOW_GRANT, artifact)
        grants = session.scalars(
            select(NeedToKnowGrant)
            .where(NeedToKnowGrant.artifact_id == artifact_id)
            .order_by(NeedToKnowGrant.created_at)
        ).all()
        return [_grant_out(g, g.person) for g in grants]


def _grant_out(grant: NeedToKnowGrant, person: Person) -> GrantOut:
    out = GrantOut.model_validate(grant)
    out.person_name = f"{person.given_name} {person.family_name}"
    return out


# --- the security officer's questions -------------------------------------------------------


def explain(
    uow: UnitOfWork,
    actor: Principal,
    artifact_id: uuid.UUID,
    person_id: uuid.UUID,
    action: Action,
    *,
    on: date_type | None = None,
    purpose: str | None = None,
    recipient_id: uuid.UUID | None = None,
) -> ExplanationOut:
    """Every rule's result for a person (or, for a release, a recipient organisation)."""
    day = on or today()
    with uow:
        session = uow.session
        artifact = session.get(Artifact, artifact_id)
        person = session.get(Person, person_id)
        if artifact is None:
            raise NotFound(NOT_FOUND)
        if person is None:
            raise NotFound("no person with this id")
        employer = session.get(Organisation, person.employer_id)
        assert employer is not None
        _require_on_artifact(
            uow,
            actor,
            Permission.DECISION_EXPLAIN,
            artifact,
            organisation_target(session, employer).organisation_ids,
        )
        world = loaders.load_world(session)
        subject = loaders.load_subjects(session, [person.id], day)[person.id]
        person_name = subject.name
        recipient_name = None
        if recipient_id is not None:
            # A release is decided for the receiving organisation (DESIGN.md section 5).
            recipient = session.get(Organisation, recipient_id)
            if recipient is None:
                raise ValidationFailed.of("recipient_id", "no organisation with this id")
            subject = loaders.organisation_subject(session, recipient)
            recipient_name = recipient.name
        else:
            subject = _with_grants(session, subject)
        fact = loaders.artifact_facts(session, [artifact])[artifact.id]
        decision = decide(Request(subject, fact, action, day, purpose=purpose), world)
        return ExplanationOut(
            person_id=person.id,
            person_name=person_name,
            recipient_id=recipient_id,
            recipient_name=recipient_name,
            artifact_id=artifact.id,
            artifact_reference=artifact.reference,
            action=action,
            on=day,
            purpose=purpose,
            permit=decision.permit,
            rules=[
                RuleOut(id=r.id, passed=r.passed, reason=r.reason, remedy=r.remedy)
                for r in decision.rules
            ],
            obligations=list(decision.obligations),
        )


def who_can_see(
    uow: UnitOfWork,
    actor: Principal,
    artifact_id: uuid.UUID,
    action: Action = Action.READ,
    *,
    on: date_type | None = None,
    limit: int = 200,
) -> WhoCanSeeOut:
    """Every person in the directory, decided for one artifact: counts by nation and
    organisation, and the first ``limit`` names."""
    day = on or today()
    with uow:
        session = uow.session
        artifact = session.get(Artifact, artifact_id)
        if artifact is None:
            raise NotFound(NOT_FOUND)
        _require_on_artifact(uow, actor, Permission.DECISION_EXPLAIN, artifact)
        world = loaders.load_world(session)
        fact = loaders.artifact_facts(session, [artifact])[artifact.id]
        subjects = loaders.load_subjects(session, None, day)
        granted = _grantees(session, artifact.id)
        by_nation: Counter[str] = Counter()
        by_org: Counter[uuid.UUID] = Counter()
        people: list[PersonAccess] = []
        org_names: dict[uuid.UUID, str] = {}
        for subject in sorted(subjects.values(), key=lambda s: s.name):
            if subject.person_id in granted:
                subject = _replace_grants(subject, granted[subject.person_id])
            if not decide(Request(subject, fact, action, day), world).permit:
                continue
            by_nation[subject.organisation_nation] += 1
            by_org[subject.organisation_id] += 1
            org_names[subject.organisation_id] = subject.organisation_name
            if len(people) < limit:
                assert subject.person_id is not None
                people.append(
                    PersonAccess(
                        person_id=subject.person_id,
                        name=subject.name,
                        organisation=subject.organisation_name,
                        nation=subject.organisation_nation,
                    )
                )
        nations = dict(session.execute(select(Nation.code, Nation.name)).all())
        return WhoCanSeeOut(
            artifact_id=artifact.id,
            action=action,
            on=day,
            total=sum(by_nation.values()),
            considered=len(subjects),
            by_nation=[
                CountRow(key=code, name=nations.get(code, code), count=n)
                for code, n in sorted(by_nation.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            by_organisation=[
                CountRow(key=str(org), name=org_names[org], count=n)
                for org, n in sorted(by_org.items(), key=lambda kv: (-kv[1], org_names[kv[0]]))
            ],
            people=people,
        )


def what_can_see(
    uow: UnitOfWork,
    actor: Principal,
    person_id: uuid.UUID,
    action: Action = Action.READ,
) -> WhatCanSeeOut:
    """What a person may see, counted by project and by level, in the database."""
    _check_listed(action)
    day = today()
    with uow:
        session = uow.session
        person = _require_explain_person(session, actor, person_id)
        seen = listing.visibility(session, uow.database, person.id, action, day)
        where = seen.where(session)
        by_project = session.execute(
            select(Artifact.project_id, func.count()).where(where).group_by(Artifact.project_id)
        ).all()
        by_level = session.execute(
            select(LabelClass.common_level, func.count())
            .select_from(Artifact)
            .join(LabelClass, LabelClass.id == Artifact.label_id)
            .where(where)
            .group_by(LabelClass.common_level)
            .order_by(LabelClass.common_level)
        ).all()
        codes = _project_codes(session, {p for p, _ in by_project if p})
        return WhatCanSeeOut(
            person_id=person.id,
            person_name=f"{person.given_name} {person.family_name}",
            action=action,
            on=day,
            total=sum(n for _, n in by_project),
            by_project=sorted(
                (
                    ProjectCount(
                        project_id=p, code=codes.get(p, "?") if p else "(no project)", count=n
                    )
                    for p, n in by_project
                ),
                key=lambda row: (-row.count, row.code),
            ),
            by_level=[LevelCount(level=lv, name=LEVEL_NAMES[lv], count=n) for lv, n in by_level],
        )


def _grantees(session: Session, artifact_id: uuid.UUID) -> dict[uuid.UUID, tuple[Grant, ...]]:
    out: dict[uuid.UUID, tuple[Grant, ...]] = {}
    for person_id, expires_on in session.execute(
        select(NeedToKnowGrant.person_id, NeedToKnowGrant.expires_on).where(
            NeedToKnowGrant.artifact_id == artifact_id
        )
    ):
        out[person_id] = (Grant(artifact_id, expires_on),)
    return out


def _with_grants(session: Session, subject: Subject) -> Subject:
    assert subject.person_id is not None
    return _replace_grants(subject, loaders.load_grants(session, subject.person_id))


def _replace_grants(subject: Subject, grants: tuple[Grant, ...]) -> Subject:
    return dataclasses.replace(subject, grants=grants)


def artifact_ids_for(uow: UnitOfWork, actor: Principal, references: list[str]) -> list[uuid.UUID]:
    """The ids of artifacts named by reference, among those the actor may see: a reference
    the actor may not see is reported exactly as an unknown one."""
    require(actor, Permission.WHAT_IF, Target.node())
    if not references:
        raise ValidationFailed.of("artifact_references", "name at least one artifact")
    with uow:
        session = uow.session
        person_id = _viewer(session, actor, None)
        seen = listing.visibility(session, uow.database, person_id, Action.VIEW_METADATA, today())
        found = dict(
            session.execute(
                select(Artifact.reference, Artifact.id).where(
                    seen.where(session), Artifact.reference.in_(references)
                )
            ).all()
        )
    missing = [r for r in references if r not in found]
    if missing:
        raise ValidationFailed.of(
            "artifact_references", f"no artifact you may see: {', '.join(missing[:10])}"
        )
    return [found[r] for r in references]


# --- labels in and out as STANAG 4774 -------------------------------------------------------


def label_command(label: SecurityLabel) -> dict[str, Any]:
    """A label as the fields of :class:`LabelIn`."""
    return {
        "scheme": label.scheme,
        "originator": label.originator,
        "classification": label.classification,
        "releasable_to": sorted(label.releasable_to),
        "noforn": label.noforn,
        "caveats": sorted(label.caveats),
        "export": [
            {"regime": m.regime, "category": m.category, "exporting_nation": m.exporting_nation}
            for m in sorted(label.export)
        ],
        "distribution": label.distribution,
        "ip_terms": label.ip_terms,
        "embargo_until": label.embargo_until,
        "review_on": label.review_on,
        "pinned_on": label.pinned_on,
    }


def label_from_xml(uow: UnitOfWork, document: bytes) -> dict[str, Any]:
    """The label of a STANAG 4774 document (parsed safely: no DTD, entities or external
    references), as the fields of a label command; errors name the part of the document."""
    with uow:
        return label_from_document(uow.session, document)


def label_from_document(session: Session, document: bytes) -> dict[str, Any]:
    """As :func:`label_from_xml`, inside an open unit of work."""
    catalogue = catalogue_of(session)
    try:
        parsed = stanag4774.import_label(document, catalogue)
    except LabelError as exc:
        raise ValidationFailed.of(f"label.{exc.field}", exc.message) from exc
    return label_command(parsed.label)


def label_xml(
    uow: UnitOfWork,
    actor: Principal,
    artifact_id: uuid.UUID,
    alternative_scheme: str | None = None,
    as_person: uuid.UUID | None = None,
) -> bytes:
    """The artifact's label as a STANAG 4774 document, in its own scheme or (alternative
    label) in a partner's, for a person who may see the artifact."""
    with uow:
        session = uow.session
        artifact, seen = _seen(uow, actor, artifact_id, as_person)
        fact = seen.request.artifact
        catalogue = catalogue_of(session)
        try:
            return stanag4774.export_label(
                fact.label,
                catalogue,
                created_at=artifact.created_at,
                alternative_scheme=alternative_scheme,
            )
        except LabelError as exc:
            raise ValidationFailed.of(f"scheme.{exc.field}", exc.message) from exc
