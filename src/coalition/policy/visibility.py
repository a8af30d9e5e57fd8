"""What one subject may see, as a plan over label classes and projects (DESIGN.md section 5).

A decision splits into parts that depend on different things:

- `clearance`, `releasability`, `caveats` and `embargo` read only the subject, the label
  and the date: they are decided once per label class, and within a class once per
  distinct value of the label fields each rule reads;
- `agreement` and `need_to_know` read the subject and the project, except for the owner
  organisation (always passes) and explicit grants (a handful of artifacts);
- `export` reads the label's markings, the subject and the project, but only projects
  named by some authorisation or exemption behave differently from any other project.

The plan is a disjunction of clauses (label classes x projects x owner) that a store turns
into one ``WHERE`` (techdata/listing.py) and tests turn into a Python filter, so listing a
million artifacts never evaluates them one by one. Every part is computed by the engine's
own rule functions, never a copy; tests check the plan against `decide` artifact by artifact.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from coalition.policy.engine import RULES, decide
from coalition.policy.facts import Action, Artifact, Request, Subject, World
from coalition.policy.labels import ExportMarking, SecurityLabel

#: Rules decided from subject x label x date alone, each with the label fields it reads.
LABEL_RULE_KEYS: dict[str, Callable[[SecurityLabel], Hashable]] = {
    "clearance": lambda label: (label.scheme, label.classification, label.originator),
    "releasability": lambda label: (
        label.originator,
        label.releasable_to,
        label.noforn,
        label.pinned_on,
    ),
    "caveats": lambda label: label.caveats,
    "embargo": lambda label: label.embargo_until,
}
#: The actions whose applied rules a plan can express; `release_to` and `use_for` need a
#: recipient, purpose or value, and are decided artifact by artifact.
PLANNED_ACTIONS = frozenset({Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD})
#: Stands for the owner organisation when the subject's own must not match, and for an
#: artifact that no grant names.
_NOBODY = uuid.UUID(int=0)


@dataclass(frozen=True)
class Clause:
    """label_id in ``label_ids`` and project in ``project_ids`` (None: any project) and
    project not in ``exclude_projects`` (an artifact without a project is never excluded)
    and, if ``owner_id`` is set, owned by that organisation."""

    label_ids: frozenset[int]
    project_ids: frozenset[uuid.UUID] | None = None
    exclude_projects: frozenset[uuid.UUID] = frozenset()
    owner_id: uuid.UUID | None = None

    def matches(self, label_id: int, project_id: uuid.UUID | None, owner_id: uuid.UUID) -> bool:
        return (
            label_id in self.label_ids
            and (self.project_ids is None or project_id in self.project_ids)
            and (project_id is None or project_id not in self.exclude_projects)
            and (self.owner_id is None or owner_id == self.owner_id)
        )


@dataclass(frozen=True)
class Plan:
    clauses: tuple[Clause, ...] = ()
    #: Artifacts visible through an explicit grant, decided one by one (there are few).
    artifact_ids: frozenset[uuid.UUID] = frozenset()

    def matches(
        self,
        artifact_id: uuid.UUID,
        label_id: int,
        project_id: uuid.UUID | None,
        owner_id: uuid.UUID,
    ) -> bool:
        return artifact_id in self.artifact_ids or any(
            c.matches(label_id, project_id, owner_id) for c in self.clauses
        )

    def matches_class(
        self, label_id: int, project_id: uuid.UUID | None, owner_id: uuid.UUID
    ) -> bool:
        """Ignoring grants: for counting whole classes of artifacts at once."""
        return any(c.matches(label_id, project_id, owner_id) for c in self.clauses)


@dataclass
class SubjectView:
    """One subject's verdicts on labels and projects at one date, memoised.

    Reused across requests while the facts it read are unchanged (the caller keys it by
    fact version); new label classes are decided when first seen.
    """

    subject: Subject
    world: World
    day: date
    _rule_memo: dict[tuple[str, Hashable], bool] = field(default_factory=dict)
    _label_memo: dict[tuple[SecurityLabel, Action], bool] = field(default_factory=dict)
    _export_memo: dict[tuple[frozenset[ExportMarking], uuid.UUID | None, Action], bool] = field(
        default_factory=dict
    )

    def label_passes(self, label: SecurityLabel, action: Action) -> bool:
        """Whether the rules that read only subject, label and date pass."""
        key = (label, action)
        found = self._label_memo.get(key)
        if found is None:
            rule_ids = (
                ("releasability",) if action is Action.VIEW_METADATA else tuple(LABEL_RULE_KEYS)
            )
            found = all(self._rule(rule_id, label, action) for rule_id in rule_ids)
            self._label_memo[key] = found
        return found

    def _rule(self, rule_id: str, label: SecurityLabel, action: Action) -> bool:
        key = (rule_id, LABEL_RULE_KEYS[rule_id](label))
        found = self._rule_memo.get(key)
        if found is None:
            found = RULES[rule_id](self._request(label, None, action), self.world).passed
            self._rule_memo[key] = found
        return found

    def export_passes(
        self, label: SecurityLabel, project_id: uuid.UUID | None, action: Action
    ) -> bool:
        if action is Action.VIEW_METADATA or not label.export:
            return True
        key = (label.export, project_id, action)
        found = self._export_memo.get(key)
        if found is None:
            request = self._request(label, project_id, action)
            found = RULES["export"](request, self.world).passed
            self._export_memo[key] = found
        return found

    def project_passes(self, project_id: uuid.UUID, action: Action) -> bool:
        """`agreement` and `need_to_know` through team membership, for any artifact of the
        project that the subject's organisation does not own."""
        subject = dataclasses.replace(self.subject, grants=())
        request = Request(
            subject, Artifact(_NOBODY, project_id, _NOBODY, _ANY_LABEL), action, self.day
        )
        return (
            RULES["agreement"](request, self.world).passed
            and RULES["need_to_know"](request, self.world).passed
        )

    def _request(
        self, label: SecurityLabel, project_id: uuid.UUID | None, action: Action
    ) -> Request:
        artifact = Artifact(_NOBODY, project_id, _NOBODY, label)
        return Request(self.subject, artifact, action, self.day)


_ANY_LABEL = SecurityLabel("-", "-", "AAA")


def export_project_classes(world: World) -> frozenset[uuid.UUID]:
    """Projects named by an authorisation or exemption: only these can change an `export`
    result; every other project (and no project) behaves the same."""
    named: set[uuid.UUID] = set()
    for auth in world.authorisations:
        named |= auth.projects
    for exemption in world.exemptions:
        named |= exemption.projects
    return frozenset(named)


def plan(
    view: SubjectView,
    labels: Mapping[int, SecurityLabel],
    action: Action,
    projects: Iterable[uuid.UUID] | None = None,
    granted: Iterable[Artifact] = (),
) -> Plan:
    """The subject's visibility over ``labels`` (id -> label) for ``action``.

    ``projects`` limits the projects considered (all of the world's by default);
    ``granted`` are the artifacts the subject holds explicit grants for.
    """
    if action not in PLANNED_ACTIONS:
        raise ValueError(f"{action} is decided artifact by artifact, not planned")
    subject = view.subject
    if not subject.active:
        return Plan()
    passing = {
        label_id: label for label_id, label in labels.items() if view.label_passes(label, action)
    }
    named = export_project_classes(view.world)

    def allowed(project_id: uuid.UUID | None) -> frozenset[int]:
        return frozenset(
            label_id
            for label_id, label in passing.items()
            if view.export_passes(label, project_id, action)
        )

    anywhere = allowed(None)
    special = {p: allowed(p) for p in sorted(named)}
    special = {p: ids for p, ids in special.items() if ids != anywhere}
    considered = view.world.projects.keys() if projects is None else projects
    member = frozenset(p for p in considered if view.project_passes(p, action))

    clauses: list[Clause] = []
    if anywhere and member - special.keys():
        clauses.append(Clause(anywhere, member - special.keys()))
    if anywhere:
        clauses.append(Clause(anywhere, None, frozenset(special), owner_id=subject.organisation_id))
    for project_id, ids in special.items():
        if not ids:
            continue
        if project_id in member:
            clauses.append(Clause(ids, frozenset({project_id})))
        clauses.append(Clause(ids, frozenset({project_id}), owner_id=subject.organisation_id))
    visible_by_grant = frozenset(
        artifact.id
        for artifact in granted
        if decide(Request(subject, artifact, action, view.day), view.world).permit
    )
    return Plan(tuple(clauses), visible_by_grant)
