"""Authorised listing: a subject's visibility plan turned into one SQL filter.

The plan (policy/visibility.py) names label classes and projects; here it becomes
``label_id IN (...) AND project_id IN (...)`` clauses, so the database sorts, pages and
counts the artifacts a person may see without Python ever looking at them one by one.
Plans are cached per database, subject, day, action and fact version.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    any_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer

from coalition.policy.facts import Action, Subject, World
from coalition.policy.labels import SecurityLabel
from coalition.policy.models import LabelClass
from coalition.policy.visibility import Plan, SubjectView, plan
from coalition.store.versions import read_version
from coalition.techdata import facts as loaders
from coalition.techdata.models import NO_PROJECT, Artifact, ArtifactClass

#: Above this many ids a list travels as one JSON / array parameter, not one per id.
_INLINE_IDS = 200
_MAX_CACHED = 512


@dataclass
class _Cache:
    """What one database's listings share: labels (only ever added), the world and the
    per-subject views and plans of the current fact version."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    version: int = -1
    world: World = field(default_factory=World)
    labels: dict[int, SecurityLabel] = field(default_factory=dict)
    max_label_id: int = 0
    views: OrderedDict[tuple[uuid.UUID, date], SubjectView] = field(default_factory=OrderedDict)
    plans: OrderedDict[tuple[Any, ...], Plan] = field(default_factory=OrderedDict)


_caches: weakref.WeakKeyDictionary[object, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


@dataclass(frozen=True)
class Visibility:
    """A subject's plan with what it takes to turn it into SQL."""

    plan: Plan
    max_label_id: int
    all_label_ids: frozenset[int]
    subject: Subject
    world: World
    labels: dict[int, SecurityLabel]

    def where(self, session: Session) -> ColumnElement[bool]:
        """The plan over the artifacts table."""
        dialect = session.get_bind().dialect.name
        alternatives = self._clauses(
            dialect,
            Artifact.label_id,
            Artifact.project_id,
            Artifact.owner_organisation_id,
            Artifact.project_id.is_(None),
        )
        if self.plan.artifact_ids:
            alternatives.append(_uuid_in(Artifact.id, self.plan.artifact_ids))
        return or_(*alternatives) if alternatives else false()

    def where_on(
        self, session: Session, label: Any, project: Any, owner: Any
    ) -> ColumnElement[bool]:
        """The plan over any table checked like artifacts, given its label class, project
        and owner organisation columns (discussion threads and messages). Grants name
        artifacts, so they never apply here."""
        dialect = session.get_bind().dialect.name
        alternatives = self._clauses(dialect, label, project, owner, project.is_(None))
        return or_(*alternatives) if alternatives else false()

    def count(self, session: Session, *class_conditions: Any) -> int:
        """Exact count of the visible artifacts, summed over the classes the plan admits
        (plus granted artifacts outside them); ``class_conditions`` filter the classes."""
        dialect = session.get_bind().dialect.name
        alternatives = self._clauses(
            dialect,
            ArtifactClass.label_id,
            ArtifactClass.project_id,
            ArtifactClass.owner_organisation_id,
            ArtifactClass.project_id == NO_PROJECT,
        )
        total = 0
        if alternatives:
            total = (
                session.scalar(
                    select(func.coalesce(func.sum(ArtifactClass.artifacts), 0)).where(
                        or_(*alternatives), *class_conditions
                    )
                )
                or 0
            )
        if self.plan.artifact_ids:
            outside = [
                ~or_(
                    *self._clauses(
                        dialect,
                        Artifact.label_id,
                        Artifact.project_id,
                        Artifact.owner_organisation_id,
                        Artifact.project_id.is_(None),
                    )
                    or [false()]
                )
            ]
            total += (
                session.scalar(
                    select(func.count())
                    .select_from(Artifact)
                    .where(_uuid_in(Artifact.id, self.plan.artifact_ids), *outside)
                )
                or 0
            )
        return int(total)

    def _clauses(
        self, dialect: str, label: Any, project: Any, owner: Any, no_project: Any
    ) -> list[ColumnElement[bool]]:
        alternatives: list[ColumnElement[bool]] = []
        for clause in self.plan.clauses:
            if clause.project_ids is not None and not clause.project_ids:
                continue
            conditions = [self._labels(label, clause.label_ids, dialect)]
            if clause.project_ids is not None:
                conditions.append(_uuid_in(project, clause.project_ids))
            if clause.exclude_projects:
                conditions.append(or_(no_project, ~_uuid_in(project, clause.exclude_projects)))
            if clause.owner_id is not None:
                conditions.append(owner == clause.owner_id)
            alternatives.append(and_(*conditions))
        return alternatives

    def _labels(self, column: Any, ids: frozenset[int], dialect: str) -> ColumnElement[bool]:
        # Whichever of the list and its complement is shorter; the bound keeps label
        # classes created after the plan out of a complement.
        if len(ids) * 2 <= len(self.all_label_ids):
            return _int_in(column, ids, dialect)
        return and_(
            column <= self.max_label_id,
            ~_int_in(column, self.all_label_ids - ids, dialect),
        )


def visibility(
    session: Session, database: object, person_id: uuid.UUID, action: Action, on: date
) -> Visibility:
    """The person's visibility for ``action`` on ``on``, from cache when the facts it read
    are unchanged."""
    with _caches_lock:
        cache = _caches.setdefault(database, _Cache())
    with cache.lock:
        _refresh(session, cache)
        key = (person_id, on, action, cache.max_label_id)
        found = cache.plans.get(key)
        view = _view(session, cache, person_id, on)
        if found is None:
            granted = _granted(session, view.subject, on)
            found = plan(view, cache.labels, action, granted=granted)
            _remember(cache.plans, key, found)
        return Visibility(
            found,
            cache.max_label_id,
            frozenset(cache.labels),
            view.subject,
            cache.world,
            cache.labels,
        )


def subject_view(session: Session, database: object, person_id: uuid.UUID, on: date) -> SubjectView:
    with _caches_lock:
        cache = _caches.setdefault(database, _Cache())
    with cache.lock:
        _refresh(session, cache)
        return _view(session, cache, person_id, on)


def current_world(session: Session, database: object) -> tuple[World, dict[int, SecurityLabel]]:
    with _caches_lock:
        cache = _caches.setdefault(database, _Cache())
    with cache.lock:
        _refresh(session, cache)
        return cache.world, cache.labels


def _refresh(session: Session, cache: _Cache) -> None:
    version = read_version(session)
    if version != cache.version:
        cache.world = loaders.load_world(session)
        cache.views.clear()
        cache.plans.clear()
        cache.version = version
    newest = session.scalar(select(func.max(LabelClass.id))) or 0
    if newest > cache.max_label_id:
        cache.labels.update(loaders.load_labels(session, cache.max_label_id))
        cache.max_label_id = newest


def _view(session: Session, cache: _Cache, person_id: uuid.UUID, on: date) -> SubjectView:
    found = cache.views.get((person_id, on))
    if found is None:
        subjects = loaders.load_subjects(session, [person_id], on)
        if person_id not in subjects:
            subject = Subject(uuid.UUID(int=0), "", frozenset(), active=False, person_id=person_id)
        else:
            subject = dataclasses.replace(
                subjects[person_id], grants=loaders.load_grants(session, person_id)
            )
        found = SubjectView(subject, cache.world, on)
        _remember(cache.views, (person_id, on), found)
    return found


def _granted(session: Session, subject: Subject, on: date) -> list[Any]:
    ids = [g.artifact_id for g in subject.grants if g.expires_on is None or on < g.expires_on]
    if not ids:
        return []
    rows = session.scalars(select(Artifact).where(Artifact.id.in_(ids))).all()
    return list(loaders.artifact_facts(session, rows).values())


def _remember(store: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > _MAX_CACHED:
        store.popitem(last=False)


def _int_in(column: Any, ids: Collection[int], dialect: str) -> ColumnElement[bool]:
    if len(ids) <= _INLINE_IDS:
        return column.in_(sorted(ids))  # type: ignore[no-any-return]
    if dialect == "postgresql":
        return column == any_(bindparam(None, sorted(ids), type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    values: Any = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(sorted(ids))))
    )
    return column.in_(values)  # type: ignore[no-any-return]


def _uuid_in(column: Any, ids: Collection[uuid.UUID]) -> ColumnElement[bool]:
    return column.in_(sorted(ids))  # type: ignore[no-any-return]
