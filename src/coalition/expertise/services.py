"""Use cases of expertise: capability profiles of organisations and people, the ranked
search over them and the partner finder. One transaction each; every change in the ledger.

Who may find a profile is decided by the engine on its label, as for a facility: an active
account and the label's releasability to the reader's nations, with no exemption for the
reader's own organisation; one's own profile is always one's own to see. The filter is one
SQL condition over the label classes the reader may know (there are few; the engine
decides each once per search), so the database ranks, counts and pages only what the
reader may see: a profile they may not see is never named, never counted, and never
changes another's score."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, false, func, literal, or_, select, true
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    Principal,
    ScopeKind,
    Target,
    authorize,
)
from coalition.agreements.models import Agreement, AgreementParty
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.expertise import search as index
from coalition.expertise import semantic
from coalition.expertise.models import (
    ExpertiseProfile,
    ProfileCapability,
    ProfileKind,
    ProfileStatus,
    ProfileVector,
)
from coalition.expertise.schemas import (
    EvidenceFacility,
    EvidenceProfile,
    LinkedArtifactOut,
    PartnerOut,
    ProfileHit,
    ProfileIn,
    ProfileOut,
    ProfileUpdate,
    PublicationOut,
    SearchOut,
)
from coalition.facilities.models import Facility, FacilityStatus
from coalition.facilities.services import KNOWING_RULES, _Knowing
from coalition.policy import facts
from coalition.policy.engine import LEVEL_NAMES, decide
from coalition.policy.interning import intern_label
from coalition.policy.labels import SecurityLabel
from coalition.registry.models import Organisation, Person
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing
from coalition.techdata.models import Artifact
from coalition.techdata.services import build_label, catalogue_of, label_out, today

NOT_FOUND = "no profile with this id"
P = Permission
MAX_PAGE = 100
#: Searches count matching profiles up to this many, then say "more than".
COUNT_CAP = 1000
#: The deepest page offset served.
MAX_OFFSET = 10_000
_NOBODY = uuid.UUID(int=0)


def _read(actor: Principal) -> None:
    require(actor, P.DIRECTORY_READ, Target.node())


@dataclass(frozen=True)
class Reach:
    """The profiles a reader may see, as a condition the database applies."""

    everything: bool = False
    label_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[uuid.UUID] = frozenset()
    person_id: uuid.UUID | None = None

    def where(
        self,
        label_id: Any = ExpertiseProfile.label_id,
        person_id: Any = ExpertiseProfile.person_id,
        organisation_id: Any = ExpertiseProfile.organisation_id,
    ) -> ColumnElement[bool]:
        """The condition on the profiles, or on the same columns kept in the search index."""
        if self.everything:
            return true()
        alternatives: list[ColumnElement[bool]] = []
        if self.label_ids:
            alternatives.append(label_id.in_(sorted(self.label_ids)))
        if self.organisation_ids:
            alternatives.append(organisation_id.in_(self.organisation_ids))
        if self.person_id is not None:
            alternatives.append(person_id == self.person_id)
        return or_(*alternatives) if alternatives else false()

    def sees(self, profile: ExpertiseProfile) -> bool:
        return (
            self.everything
            or profile.label_id in self.label_ids
            or profile.organisation_id in self.organisation_ids
            or (self.person_id is not None and profile.person_id == self.person_id)
        )


def _managed(actor: Principal) -> frozenset[uuid.UUID]:
    """The organisations a person-less account keeps profiles for."""
    return frozenset(
        g.scope_id
        for g in actor.grants
        if g.scope_kind is ScopeKind.ORGANISATION
        and g.scope_id is not None
        and P.EXPERTISE_MANAGE in ROLE_PERMISSIONS[g.role]
    )


def reach(uow: UnitOfWork, actor: Principal) -> Reach:
    if actor.is_operator or (
        actor.person_id is None and authorize(actor, P.EXPERTISE_MANAGE, Target.node()).allowed
    ):
        return Reach(everything=True)
    if actor.person_id is None:
        return Reach(organisation_ids=_managed(actor))
    day = today()
    subject = listing.subject_view(uow.session, uow.database, actor.person_id, day).subject
    world, labels = listing.current_world(uow.session, uow.database)
    known = _known_labels(actor.person_id, day, subject, world, labels)
    # No exemption for the reader's own organisation: a foreign national on its staff does
    # not see its NOFORN profiles. Managers cannot label a profile out of their own sight.
    return Reach(label_ids=known, person_id=actor.person_id)


@dataclass(frozen=True)
class _Known:
    subject: facts.Subject
    world: facts.World
    labels: int
    label_ids: frozenset[int]


_KNOWN: OrderedDict[tuple[uuid.UUID, date], _Known] = OrderedDict()
_KNOWN_LOCK = threading.Lock()


def _known_labels(
    person_id: uuid.UUID,
    day: date,
    subject: facts.Subject,
    world: facts.World,
    labels: dict[int, SecurityLabel],
) -> frozenset[int]:
    """The label classes the person may know, decided by the engine once per person, day
    and state of the facts: the listing's caches hand out the same subject and world
    objects until a fact changes, and the entry keeps them, so identity is a safe test."""
    key = (person_id, day)
    with _KNOWN_LOCK:
        entry = _KNOWN.get(key)
        if (
            entry is not None
            and entry.subject is subject
            and entry.world is world
            and entry.labels == len(labels)
        ):
            _KNOWN.move_to_end(key)
            return entry.label_ids
    known = frozenset(
        label_id for label_id, label in labels.items() if _knows(subject, world, label, day)
    )
    with _KNOWN_LOCK:
        _KNOWN[key] = _Known(subject, world, len(labels), known)
        while len(_KNOWN) > 512:
            _KNOWN.popitem(last=False)
    return known


def _knows(subject: facts.Subject, world: facts.World, label: SecurityLabel, day: date) -> bool:
    fact = facts.Artifact(_NOBODY, None, _NOBODY, label)
    decision = decide(facts.Request(subject, fact, facts.Action.VIEW_METADATA, day), world)
    return all(r.passed for r in decision.rules if r.id in KNOWING_RULES)


def _query() -> Select[ExpertiseProfile]:
    return select(ExpertiseProfile).options(
        selectinload(ExpertiseProfile.organisation),
        selectinload(ExpertiseProfile.person),
        selectinload(ExpertiseProfile.label),
        selectinload(ExpertiseProfile.capability_rows),
    )


def _target(session: Session, profile: ExpertiseProfile) -> Target:
    return organisation_target(session, profile.organisation)


def _may_edit(session: Session, actor: Principal, profile: ExpertiseProfile) -> bool:
    """A person keeps their own profile; the organisation's managers keep all of its."""
    if profile.person_id is not None and actor.person_id == profile.person_id:
        return True
    return authorize(actor, P.EXPERTISE_MANAGE, _target(session, profile)).allowed


def _artifacts(uow: UnitOfWork, actor: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Titles of the artifacts among ``ids`` the actor may see."""
    if not ids:
        return {}
    session = uow.session
    query = select(Artifact.id, Artifact.title).where(Artifact.id.in_(list(ids)))
    if not actor.is_operator:
        if actor.person_id is None:
            return {}
        seen = listing.visibility(
            session, uow.database, actor.person_id, facts.Action.VIEW_METADATA, today()
        )
        query = query.where(seen.where(session))
    return dict(session.execute(query).all())


def profile_out(uow: UnitOfWork, actor: Principal, profile: ExpertiseProfile) -> ProfileOut:
    session = uow.session
    linked = [uuid.UUID(str(i)) for i in profile.artifact_ids]
    titles = _artifacts(uow, actor, linked)
    return ProfileOut(
        id=profile.id,
        kind=profile.kind,
        organisation=profile.organisation.short_name,
        organisation_name=profile.organisation.name,
        nation=profile.organisation.nation_code,
        person_id=profile.person_id,
        person=profile.person.full_name if profile.person else None,
        headline=profile.headline,
        summary=profile.summary,
        capabilities=profile.capabilities,
        keywords=list(profile.keywords),
        trl=profile.trl,
        publications=[PublicationOut.model_validate(p) for p in profile.publications],
        artifacts=[LinkedArtifactOut(id=i, title=titles[i]) for i in linked if i in titles],
        label=label_out(profile.label),
        status=profile.status,
        allowed_actions=["organisation:expertise:manage"]
        if _may_edit(session, actor, profile)
        else [],
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )


def _document(profile: ExpertiseProfile) -> index.Document:
    names = [profile.headline, profile.organisation.name, profile.organisation.short_name]
    if profile.person is not None:
        names.append(profile.person.full_name)
    words = [*profile.keywords]
    for code in profile.capabilities:
        words.append(code.replace(".", " ").replace("_", " "))
    return index.Document(
        title=" ".join(names),
        keywords=" ".join(words),
        summary=" ".join([profile.summary, *(p.get("title", "") for p in profile.publications)]),
        label_id=profile.label_id,
        status=profile.status.value,
        person_id=profile.person_id,
        organisation_id=profile.organisation_id,
        kind=profile.kind.value,
        trl=profile.trl,
    )


def _reindex(session: Session, profile: ExpertiseProfile) -> None:
    """The full-text index, and the embedding when the semantic extra is installed."""
    document = _document(profile)
    index.put(session, profile.id, document)
    if semantic.available():
        vector = semantic.embed([f"{document.title}. {document.keywords}. {document.summary}"])
        stored = session.get(ProfileVector, profile.id)
        if stored is None:
            session.add(ProfileVector(profile_id=profile.id, model=semantic.MODEL, vector=b""))
            stored = session.get(ProfileVector, profile.id)
            assert stored is not None
        stored.model, stored.vector = semantic.MODEL, semantic.to_bytes(vector[0])


def reindex_all(uow: UnitOfWork, actor: Principal) -> int:
    """Rebuild the full-text index (and the embeddings, once the semantic extra is
    installed) of every profile: after installing the extra, or restoring a database
    whose index was left out."""
    require(actor, P.EXPERTISE_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        count = 0
        for profile in session.scalars(_query()):
            _reindex(session, profile)
            count += 1
        record_event(
            uow,
            actor,
            "expertise:index:rebuild",
            _IndexRecord(),
            {"profiles": count, "semantic": semantic.available()},
        )
        uow.commit()
        return count


class _IndexRecord:
    """The event's object: the index as a whole."""

    __tablename__ = "expertise_search"
    id = "all"


def _check_label(uow: UnitOfWork, actor: Principal, owner: uuid.UUID, label: SecurityLabel) -> None:
    if not _Knowing(uow, actor).knows_label(owner, label):
        raise ValidationFailed.of(
            "label", "is not releasable to you: you could no longer see or keep the profile"
        )


def _check_artifacts(
    uow: UnitOfWork,
    actor: Principal,
    organisation_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    problems: Problems,
) -> None:
    """Linked artifacts must be the organisation's own, and visible to whoever links them."""
    if len(set(ids)) != len(ids):
        problems.add("artifact_ids", "an artifact is listed twice")
        return
    seen = _artifacts(uow, actor, ids)
    owners = dict(
        uow.session.execute(
            select(Artifact.id, Artifact.owner_organisation_id).where(Artifact.id.in_(list(ids)))
        ).all()
    )
    for position, artifact_id in enumerate(ids):
        if artifact_id not in seen:
            problems.add(f"artifact_ids[{position}]", "no artifact with this id")
        elif owners[artifact_id] != organisation_id:
            problems.add(f"artifact_ids[{position}]", "belongs to another organisation")


def create_profile(uow: UnitOfWork, actor: Principal, data: ProfileIn) -> ProfileOut:
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        owner = session.scalar(
            select(Organisation).where(Organisation.short_name == data.organisation)
        )
        if owner is None:
            raise ValidationFailed.of("organisation", f"no organisation '{data.organisation}'")
        person = None
        if data.person_id is not None:
            person = session.get(Person, data.person_id)
            if person is None:
                problems.add("person_id", "no person with this id")
            elif person.employer_id != owner.id:
                problems.add(
                    "person_id", f"{person.full_name} does not work for {owner.short_name}"
                )
        catalogue = catalogue_of(session)
        label = build_label(session, data.label, "label", catalogue)
        problems.raise_if_any()
        if person is None or actor.person_id != person.id:
            require(actor, P.EXPERTISE_MANAGE, organisation_target(session, owner))
        _check_label(uow, actor, owner.id, label)
        _check_artifacts(uow, actor, owner.id, data.artifact_ids, problems)
        problems.raise_if_any()
        if person is not None and session.scalar(
            select(ExpertiseProfile.id).where(ExpertiseProfile.person_id == person.id)
        ):
            raise Conflict(f"person_id: {person.full_name} already has a profile")
        profile = ExpertiseProfile(
            kind=ProfileKind.PERSON if person else ProfileKind.ORGANISATION,
            organisation=owner,
            organisation_id=owner.id,
            person=person,
            person_id=person.id if person else None,
            headline=data.headline,
            summary=data.summary,
            capability_rows=[ProfileCapability(code=c) for c in sorted(set(data.capabilities))],
            keywords=data.keywords,
            trl=data.trl,
            publications=[p.model_dump(exclude_none=True) for p in data.publications],
            artifact_ids=[str(i) for i in data.artifact_ids],
            label=intern_label(session, label, catalogue),
        )
        uow.add(profile)
        uow.flush()
        _reindex(session, profile)
        record_event(uow, actor, "expertise:profile:create", profile, data.model_dump())
        uow.commit()
        return profile_out(uow, actor, profile)


def _visible(uow: UnitOfWork, actor: Principal, profile_id: uuid.UUID) -> ExpertiseProfile:
    profile = uow.session.scalar(_query().where(ExpertiseProfile.id == profile_id))
    if profile is None or not reach(uow, actor).sees(profile):
        raise NotFound(NOT_FOUND)
    return profile


def update_profile(
    uow: UnitOfWork, actor: Principal, profile_id: uuid.UUID, data: ProfileUpdate
) -> ProfileOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        profile = _visible(uow, actor, profile_id)
        if not _may_edit(session, actor, profile):
            require(actor, P.EXPERTISE_MANAGE, _target(session, profile))
        problems = Problems()
        if "label" in changes and data.label is not None:
            catalogue = catalogue_of(session)
            label = build_label(session, data.label, "label", catalogue)
            _check_label(uow, actor, profile.organisation_id, label)
            profile.label = intern_label(session, label, catalogue)
        if data.artifact_ids is not None:
            _check_artifacts(uow, actor, profile.organisation_id, data.artifact_ids, problems)
            problems.raise_if_any()
            profile.artifact_ids = [str(i) for i in data.artifact_ids]
        if data.capabilities is not None:
            # Rows are kept, removed or added one by one: replacing the collection would
            # insert a code still held before deleting it, against the unique constraint.
            wanted = set(data.capabilities)
            for row in list(profile.capability_rows):
                if row.code not in wanted:
                    profile.capability_rows.remove(row)
            held = {row.code for row in profile.capability_rows}
            for code in sorted(wanted - held):
                profile.capability_rows.append(ProfileCapability(code=code))
            uow.flush()
            session.refresh(profile, ["capability_rows"])
        if data.publications is not None:
            profile.publications = [p.model_dump(exclude_none=True) for p in data.publications]
        for name in ("headline", "summary", "keywords", "status"):
            if name in changes and changes[name] is not None:
                setattr(profile, name, getattr(data, name))
        if "trl" in changes:
            profile.trl = data.trl
        uow.flush()
        _reindex(session, profile)
        record_event(
            uow, actor, "expertise:profile:update", profile, data.model_dump(exclude_unset=True)
        )
        uow.commit()
        return profile_out(uow, actor, profile)


def get_profile(uow: UnitOfWork, actor: Principal, profile_id: uuid.UUID) -> ProfileOut:
    _read(actor)
    with uow:
        return profile_out(uow, actor, _visible(uow, actor, profile_id))


def profile_id_of(
    uow: UnitOfWork,
    actor: Principal,
    *,
    organisation: str | None = None,
    person_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """The profile of an organisation (its own, not its people's) or of a person."""
    _read(actor)
    with uow:
        query = _query()
        if person_id is not None:
            query = query.where(ExpertiseProfile.person_id == person_id)
        else:
            query = query.join(
                Organisation, Organisation.id == ExpertiseProfile.organisation_id
            ).where(
                Organisation.short_name == organisation,
                ExpertiseProfile.kind == ProfileKind.ORGANISATION,
            )
        found = list(uow.session.scalars(query.order_by(ExpertiseProfile.created_at)))
        seen = reach(uow, actor)
        found = [p for p in found if seen.sees(p)]
        if not found:
            raise NotFound("no such profile")
        return found[0].id


# --- search ------------------------------------------------------------------------------


def _capability(code: str, profile_id: Any = ExpertiseProfile.id) -> ColumnElement[bool]:
    wanted = code.strip().lower()
    found: ColumnElement[bool] = profile_id.in_(
        select(ProfileCapability.profile_id).where(
            or_(
                ProfileCapability.code == wanted,
                # The branch as a range of the code index: every code that starts with
                # "wanted." sorts between "wanted." and "wanted/" ("/" follows ".").
                and_(ProfileCapability.code >= wanted + ".", ProfileCapability.code < wanted + "/"),
            )
        )
    )
    return found


def search(
    uow: UnitOfWork,
    actor: Principal,
    *,
    q: str | None = None,
    capability: str | None = None,
    nation: str | None = None,
    kind: ProfileKind | None = None,
    trl_min: int | None = None,
    limit: int = 20,
    offset: int = 0,
    mode: str = "text",
) -> SearchOut:
    """Profiles matching every word of ``q`` (as prefixes), ranked by relevance, and the
    filters; only those the actor may see, and only they are counted. ``mode="semantic"``
    ranks by the meaning of ``q`` instead (the semantic extra)."""
    _read(actor)
    limit = max(1, min(limit, MAX_PAGE))
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed.of("offset", f"must be between 0 and {MAX_OFFSET}")
    words = index.terms(q)
    if mode == "semantic":
        if not semantic.available():
            raise ValidationFailed.of(
                "mode",
                "semantic search is not installed on this node "
                "(install Coalition with the 'semantic' extra)",
            )
        if not words:
            raise ValidationFailed.of("q", "semantic search needs words to look for")
    elif mode != "text":
        raise ValidationFailed.of("mode", f"'{mode}' is not text or semantic")
    with uow:
        session = uow.session
        seen = reach(uow, actor)

        def narrowed(
            profile_id: Any, organisation_id: Any, kind_column: Any, trl: Any
        ) -> list[ColumnElement[bool]]:
            """The filters, on the profiles or on the same columns in the search index."""
            out: list[ColumnElement[bool]] = []
            if capability:
                out.append(_capability(capability, profile_id))
            if nation:
                out.append(
                    organisation_id.in_(
                        select(Organisation.id).where(Organisation.nation_code == nation.upper())
                    )
                )
            if kind is not None:
                out.append(kind_column == kind.value)
            if trl_min is not None:
                out.append(trl >= trl_min)
            return out

        filters = narrowed(
            ExpertiseProfile.id,
            ExpertiseProfile.organisation_id,
            ExpertiseProfile.kind,
            ExpertiseProfile.trl,
        )
        capped = False
        on_profiles = [ExpertiseProfile.status == ProfileStatus.ACTIVE, seen.where(), *filters]
        if mode == "semantic":
            assert q is not None
            total, ranked = _by_meaning(session, q, on_profiles, limit, offset)
        else:
            if words:
                found = index.match(session, words)
                # Every condition is on the index's own columns: a match never reaches the
                # profiles table until its page is shown.
                source: Any = found.source
                conditions = [
                    found.condition,
                    found.status == ProfileStatus.ACTIVE.value,
                    seen.where(found.label_id, found.person_id, found.organisation_id),
                    *narrowed(found.profile_id, found.organisation_id, found.kind, found.trl),
                ]
                score: Any = found.score
                identity: Any = found.profile_id
                order: tuple[Any, ...] = (score.desc(), identity)
            else:
                source, conditions = ExpertiseProfile, on_profiles
                score = literal(0.0)
                identity = ExpertiseProfile.id
                order = (ExpertiseProfile.headline, ExpertiseProfile.id)
            # Counting stops past COUNT_CAP: "more than 1,000" is all a reader needs, and an
            # exact count of a word most profiles hold would cost more than the page.
            counted = select(literal(1)).select_from(source).where(*conditions)
            total = (
                session.scalar(
                    select(func.count()).select_from(counted.limit(COUNT_CAP + 1).subquery())
                )
                or 0
            )
            capped = total > COUNT_CAP
            total = min(total, COUNT_CAP)
            if words and index.tiers(words) > 1:
                ranked = _by_tiers(session, words, conditions[1:], limit, offset)
            else:
                page = (
                    select(identity, score.label("score"))
                    .select_from(source)
                    .where(*conditions)
                    .order_by(*order)
                    .limit(limit)
                    .offset(offset)
                )
                ranked = [(i, s) for i, s in session.execute(page)]
        profiles = {
            p.id: p
            for p in session.scalars(
                _query().where(ExpertiseProfile.id.in_([i for i, _ in ranked]))
            )
        }
        items = [_hit(profiles[i], float(score or 0.0)) for i, score in ranked]
    return SearchOut(
        total=total, total_capped=capped, items=items, limit=limit, offset=offset, mode=mode
    )


def _by_tiers(
    session: Session,
    words: list[str],
    filters: list[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> list[tuple[uuid.UUID, float]]:
    """The page of a one-word search, filled tier by tier (search.tiers): every score of a
    tier is above every score of the next, so this is the order of one ranked query, but
    a frequent word's lower tiers are scored only when a page reaches them. The filters
    are on the index's columns, which are the same table in every tier."""
    ranked: list[tuple[uuid.UUID, float]] = []
    skip = offset
    for tier in range(index.tiers(words)):
        found = index.match(session, words, tier=tier)
        conditions = [found.condition, *filters]
        if skip:
            # Only as many as the page still skips need counting.
            held = (
                session.scalar(
                    select(func.count()).select_from(
                        select(literal(1))
                        .select_from(found.source)
                        .where(*conditions)
                        .limit(skip)
                        .subquery()
                    )
                )
                or 0
            )
            if held < skip:
                skip -= held
                continue
        page = (
            select(found.profile_id, found.score.label("score"))
            .select_from(found.source)
            .where(*conditions)
            .order_by(found.score.desc(), found.profile_id)
            .limit(limit - len(ranked))
            .offset(skip)
        )
        ranked += [(i, s) for i, s in session.execute(page)]
        skip = 0
        if len(ranked) >= limit:
            break
    return ranked


def _by_meaning(
    session: Session, q: str, filters: list[ColumnElement[bool]], limit: int, offset: int
) -> tuple[int, list[tuple[uuid.UUID, float]]]:
    """Visible, filtered profiles by cosine similarity to the query's embedding; those
    below MIN_SIMILARITY are neither shown nor counted."""
    rows = session.execute(
        select(ProfileVector.profile_id, ProfileVector.vector)
        .join(ExpertiseProfile, ExpertiseProfile.id == ProfileVector.profile_id)
        .where(ProfileVector.model == semantic.MODEL, *filters)
    ).all()
    if not rows:
        return 0, []
    query = semantic.embed([q])[0]
    matrix = np.vstack([semantic.from_bytes(vector) for _, vector in rows])
    similarity = matrix @ query
    kept = [
        i
        for i in np.argsort(-similarity, kind="stable")
        if similarity[i] >= semantic.MIN_SIMILARITY
    ]
    page = kept[offset : offset + limit]
    return min(len(kept), COUNT_CAP), [(rows[i][0], float(similarity[i])) for i in page]


def _hit(profile: ExpertiseProfile, score: float) -> ProfileHit:
    return ProfileHit(
        id=profile.id,
        kind=profile.kind,
        organisation=profile.organisation.short_name,
        nation=profile.organisation.nation_code,
        person=profile.person.full_name if profile.person else None,
        headline=profile.headline,
        capabilities=profile.capabilities,
        keywords=list(profile.keywords),
        trl=profile.trl,
        banner=profile.label.banner,
        score=score,
    )


# --- the partner finder ------------------------------------------------------------------


def level_number(value: str) -> int:
    """A level on the common ladder by name (SECRET) or number (0 to 4)."""
    text = " ".join(value.strip().upper().split())
    if text.isascii() and text.isdigit() and int(text) < len(LEVEL_NAMES):
        return int(text)
    if text in LEVEL_NAMES:
        return LEVEL_NAMES.index(text)
    raise ValidationFailed.of(
        "level", f"'{value}' is not a level: {', '.join(LEVEL_NAMES)} or 0 to 4"
    )


def find_partners(
    uow: UnitOfWork,
    actor: Principal,
    *,
    capability: str,
    agreement: str | None = None,
    level: str | None = None,
    trl_min: int | None = None,
) -> list[PartnerOut]:
    """Organisations with ``capability`` (shown by a profile or a facility the actor may
    see), in the nations party to ``agreement``, owning a facility the actor may know of
    labelled at ``level`` or above. Each comes with the evidence, and nothing the actor may
    not see is evidence."""
    _read(actor)
    wanted = level_number(level) if level else None
    with uow:
        session = uow.session
        nations: set[str] | None = None
        if agreement:
            found = session.scalar(select(Agreement.id).where(Agreement.reference == agreement))
            if found is None:
                raise ValidationFailed.of("agreement", f"no agreement '{agreement}'")
            nations = set(
                session.scalars(
                    select(Organisation.nation_code)
                    .join(AgreementParty, AgreementParty.organisation_id == Organisation.id)
                    .where(AgreementParty.agreement_id == found)
                )
            )
        filters = [
            ExpertiseProfile.status == ProfileStatus.ACTIVE,
            reach(uow, actor).where(),
            _capability(capability),
        ]
        if trl_min is not None:
            filters.append(ExpertiseProfile.trl >= trl_min)
        profiles = list(session.scalars(_query().where(*filters)))
        knowing = _Knowing(uow, actor)
        facilities = [
            f
            for f in session.scalars(
                select(Facility)
                .options(selectinload(Facility.organisation), selectinload(Facility.label))
                .where(Facility.status == FacilityStatus.ACTIVE)
            )
            if knowing.knows(f)
        ]
        code = capability.strip().lower()

        def has(codes: list[str]) -> bool:
            return any(c == code or c.startswith(code + ".") for c in codes)

        candidates: dict[uuid.UUID, _Candidate] = {}
        for profile in profiles:
            candidates.setdefault(
                profile.organisation_id, _Candidate(profile.organisation)
            ).profiles.append(profile)
        cleared: dict[uuid.UUID, list[Facility]] = {}
        for facility in facilities:
            # A facility shows a capability, not a readiness level: with a TRL asked for,
            # only profiles count as evidence of the capability.
            if has(facility.capabilities) and trl_min is None:
                candidates.setdefault(
                    facility.organisation_id, _Candidate(facility.organisation)
                ).capable.append(facility)
            if wanted is not None and facility.label.common_level >= wanted:
                cleared.setdefault(facility.organisation_id, []).append(facility)
        partners: list[PartnerOut] = []
        for organisation_id, candidate in candidates.items():
            organisation = candidate.organisation
            if nations is not None and organisation.nation_code not in nations:
                continue
            shown = candidate.capable if wanted is None else cleared.get(organisation_id, [])
            if wanted is not None and not shown:
                continue
            partners.append(_partner(candidate, shown))
    partners.sort(
        key=lambda p: (-(p.best_trl or 0), -len(p.profiles) - len(p.facilities), p.organisation)
    )
    return partners


@dataclass
class _Candidate:
    organisation: Organisation
    profiles: list[ExpertiseProfile] = field(default_factory=list)
    capable: list[Facility] = field(default_factory=list)


def _level_name(level: int) -> str:
    return LEVEL_NAMES[level] if 0 <= level < len(LEVEL_NAMES) else str(level)


def _partner(candidate: _Candidate, facilities: list[Facility]) -> PartnerOut:
    organisation = candidate.organisation
    trls = [p.trl for p in candidate.profiles if p.trl is not None]
    return PartnerOut(
        organisation=organisation.short_name,
        organisation_name=organisation.name,
        nation=organisation.nation_code,
        best_trl=max(trls) if trls else None,
        profiles=[
            EvidenceProfile(
                id=p.id,
                headline=p.headline,
                person=p.person.full_name if p.person else None,
                trl=p.trl,
            )
            for p in sorted(candidate.profiles, key=lambda p: (-(p.trl or 0), p.headline))
        ],
        facilities=[
            EvidenceFacility(
                id=f.id, code=f.code, name=f.name, level=_level_name(f.label.common_level)
            )
            for f in sorted(facilities, key=lambda f: f.code)
        ],
    )
