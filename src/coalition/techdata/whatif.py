"""What-if: evaluate proposed changes against current data, without making them.

The facts are loaded, copied with the changes applied, and both versions are planned for
every person a change can affect (policy/visibility.py). Artifacts are counted by class
(label class x project x owner) in one grouped query, so a project with a hundred thousand
artifacts costs one query and a few thousand set lookups per distinct person profile,
never a decision per artifact.

Which people a change can affect, and which artifacts, follows from the rules:

- a participant joining or leaving changes `agreement` (and, with its staff, `need_to_know`)
  for that organisation's people, on that project's artifacts;
- a clearance changes `clearance` for one person, on every artifact;
- an authorisation changes `export` for the nationals it names, on artifacts whose labels
  carry a marking of its issuing nation and regime;
- a group's membership changes `releasability` for that nation's citizens, on labels whose
  releasable-to names the group;
- a relabel changes everything for everyone, on the relabelled artifacts.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.errors import ValidationFailed
from coalition.exportcontrol.models import ExportAuthorisation
from coalition.policy import facts
from coalition.policy.engine import decide
from coalition.policy.facts import Action, Subject, World
from coalition.policy.labels import SecurityLabel
from coalition.policy.visibility import Plan, SubjectView, plan
from coalition.projects.models import MemberRole, Project
from coalition.registry.models import Clearance, NationGroup, Organisation, Person
from coalition.registry.schemas import Command
from coalition.store.uow import UnitOfWork
from coalition.techdata import facts as loaders
from coalition.techdata import listing
from coalition.techdata.models import Artifact, NeedToKnowGrant
from coalition.techdata.schemas import LabelIn
from coalition.techdata.services import build_label, today

#: Whoever may be affected by a change that touches everyone.
_EVERYONE = None
_MAX_PEOPLE_LISTED = 200


class AddParticipant(Command):
    kind: Literal["add_participant"]
    project_id: uuid.UUID
    organisation_id: uuid.UUID
    staff_role: MemberRole | None = Field(
        default=MemberRole.RESEARCHER,
        description="The organisation's active people join the team in this role; null: "
        "the organisation joins alone.",
    )


class AddNation(Command):
    kind: Literal["add_nation"]
    project_id: uuid.UUID
    nation: str = Field(pattern=r"^[A-Z]{3}$")
    staff_role: MemberRole | None = MemberRole.RESEARCHER


class RemoveParticipant(Command):
    kind: Literal["remove_participant"]
    project_id: uuid.UUID
    organisation_id: uuid.UUID


class GrantClearance(Command):
    kind: Literal["grant_clearance"]
    person_id: uuid.UUID
    issuer: str = Field(pattern=r"^([A-Z]{3}|NATO|EU)$")
    level: int = Field(ge=0, le=4)
    valid_until: date | None = None


class RevokeClearance(Command):
    kind: Literal["revoke_clearance"]
    clearance_id: uuid.UUID


class ExpireAuthorisation(Command):
    kind: Literal["expire_authorisation"]
    authorisation_id: uuid.UUID


class ChangeGroup(Command):
    kind: Literal["add_group_member", "remove_group_member"]
    group: str = Field(pattern=r"^[A-Z]{2,8}$")
    nation: str = Field(pattern=r"^[A-Z]{3}$")


class Relabel(Command):
    kind: Literal["relabel"]
    artifact_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    label: LabelIn


Change = Annotated[
    AddParticipant
    | AddNation
    | RemoveParticipant
    | GrantClearance
    | RevokeClearance
    | ExpireAuthorisation
    | ChangeGroup
    | Relabel,
    Field(discriminator="kind"),
]


class WhatIfIn(Command):
    changes: list[Change] = Field(min_length=1, max_length=20)
    action: Literal[Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD] = Action.READ
    on: date | None = None


class NationDelta(BaseModel):
    nation: str
    people_gaining: int
    people_losing: int
    gained: int
    lost: int


class PersonDelta(BaseModel):
    person_id: uuid.UUID
    name: str
    organisation: str
    nation: str
    gained: int
    lost: int


class ProjectDelta(BaseModel):
    project_id: uuid.UUID | None
    code: str
    gained: int
    lost: int


class WhatIfOut(BaseModel):
    action: Action
    on: date
    changes: list[str]
    people_considered: int
    artifacts_considered: int
    people_gaining: int
    people_losing: int
    gained: int = Field(description="Person-artifact pairs that gain access.")
    lost: int = Field(description="Person-artifact pairs that lose access.")
    by_nation: list[NationDelta]
    by_project: list[ProjectDelta]
    people: list[PersonDelta]


@dataclass
class _Scope:
    """Which artifacts the changes can touch: any of these, or all of them."""

    everything: bool = False
    projects: set[uuid.UUID] = field(default_factory=set)
    labels: set[int] = field(default_factory=set)
    artifacts: set[uuid.UUID] = field(default_factory=set)

    def where(self) -> Any:
        if self.everything:
            return None
        parts = []
        if self.projects:
            parts.append(Artifact.project_id.in_(sorted(self.projects)))
        if self.labels:
            parts.append(Artifact.label_id.in_(sorted(self.labels)))
        if self.artifacts:
            parts.append(Artifact.id.in_(sorted(self.artifacts)))
        return or_(*parts) if parts else Artifact.id.is_(None)


@dataclass
class _Proposal:
    world: World
    subjects: dict[uuid.UUID, Subject]
    affected: set[uuid.UUID] | None  # None: everyone
    scope: _Scope
    relabelled: dict[uuid.UUID, SecurityLabel]
    described: list[str]


def what_if(uow: UnitOfWork, actor: Principal, data: WhatIfIn) -> WhatIfOut:
    """Who would gain and who would lose access if ``data.changes`` were made. Nothing is
    changed, and nothing is written: it is a question, not a decision."""
    require(actor, Permission.WHAT_IF, Target.node())
    with uow:
        session = uow.session
        day = data.on or today()
        # Facts are frozen values: the proposal copies what it changes, never the cache's.
        world, labels = listing.current_world(session, uow.database)
        subjects = loaders.load_subjects(session, None, day)
        proposal = _Proposal(world, dict(subjects), set(), _Scope(), {}, [])
        for index, change in enumerate(data.changes):
            if isinstance(change, Relabel):
                _check_visible(uow, actor, change.artifact_ids, f"changes[{index}].artifact_ids")
            _apply(session, proposal, change, day, f"changes[{index}]", labels)
        return _compare(session, world, subjects, proposal, labels, data.action, day)


# --- applying changes to a copy of the facts ------------------------------------------------


def _apply(
    session: Session,
    proposal: _Proposal,
    change: Any,
    day: date,
    where: str,
    labels: dict[int, SecurityLabel],
) -> None:
    if isinstance(change, AddParticipant | AddNation | RemoveParticipant):
        _participants(session, proposal, change, day, where)
    elif isinstance(change, GrantClearance | RevokeClearance):
        _clearance(session, proposal, change, day, where)
    elif isinstance(change, ExpireAuthorisation):
        _authorisation(session, proposal, change, day, where, labels)
    elif isinstance(change, ChangeGroup):
        _group(session, proposal, change, day, where, labels)
    else:
        _relabel(session, proposal, change, where)


def _participants(
    session: Session,
    proposal: _Proposal,
    change: AddParticipant | AddNation | RemoveParticipant,
    day: date,
    where: str,
) -> None:
    project_row = session.get(Project, change.project_id)
    project = proposal.world.projects.get(change.project_id)
    if project_row is None or project is None:
        raise ValidationFailed.of(f"{where}.project_id", "no project with this id")
    if isinstance(change, AddNation):
        organisations = list(
            session.scalars(select(Organisation).where(Organisation.nation_code == change.nation))
        )
        if not organisations:
            raise ValidationFailed.of(f"{where}.nation", f"no organisation of {change.nation}")
    else:
        organisation = session.get(Organisation, change.organisation_id)
        if organisation is None:
            raise ValidationFailed.of(f"{where}.organisation_id", "no organisation with this id")
        organisations = [organisation]
    ids = {o.id for o in organisations}
    participants = list(project.participants)
    if isinstance(change, RemoveParticipant):
        participants = [
            dataclasses.replace(p, withdrew_on=day)
            if p.organisation_id in ids and facts.during(day, p.joined_on, p.withdrew_on)
            else p
            for p in participants
        ]
        for person_id, subject in proposal.subjects.items():
            if subject.organisation_id in ids:
                proposal.subjects[person_id] = dataclasses.replace(
                    subject,
                    memberships=tuple(
                        dataclasses.replace(m, left_on=day)
                        if m.project_id == project.id and facts.during(day, m.joined_on, m.left_on)
                        else m
                        for m in subject.memberships
                    ),
                )
        verb = "leaves"
    else:
        participants += [facts.Participation(o, day) for o in sorted(ids)]
        if change.staff_role is not None:
            for person_id, subject in proposal.subjects.items():
                if subject.organisation_id in ids and subject.active:
                    proposal.subjects[person_id] = dataclasses.replace(
                        subject,
                        memberships=(
                            *subject.memberships,
                            facts.Membership(project.id, str(change.staff_role), day),
                        ),
                    )
        verb = "joins"
    projects = dict(proposal.world.projects)
    projects[project.id] = dataclasses.replace(project, participants=tuple(participants))
    proposal.world = dataclasses.replace(proposal.world, projects=projects)
    _affect(proposal, (p for p, s in proposal.subjects.items() if s.organisation_id in ids))
    proposal.scope.projects.add(project.id)
    names = ", ".join(sorted(o.short_name for o in organisations))
    proposal.described.append(f"{names} {verb} {project_row.code}")


def _clearance(
    session: Session,
    proposal: _Proposal,
    change: GrantClearance | RevokeClearance,
    day: date,
    where: str,
) -> None:
    if isinstance(change, GrantClearance):
        person = session.get(Person, change.person_id)
        if person is None or person.id not in proposal.subjects:
            raise ValidationFailed.of(f"{where}.person_id", "no person with this id")
        subject = proposal.subjects[person.id]
        until = change.valid_until or day + timedelta(days=5 * 365)
        proposal.subjects[person.id] = dataclasses.replace(
            subject,
            clearances=(
                *subject.clearances,
                facts.Clearance(change.issuer, change.level, day, until),
            ),
        )
        proposal.described.append(
            f"{person.given_name} {person.family_name} is cleared {change.issuer} "
            f"level {change.level}"
        )
    else:
        row = session.get(Clearance, change.clearance_id)
        if row is None or row.person_id not in proposal.subjects:
            raise ValidationFailed.of(f"{where}.clearance_id", "no clearance with this id")
        subject = proposal.subjects[row.person_id]
        target = facts.Clearance(
            row.issuer, row.level, row.valid_from, row.valid_until, str(row.status) == "active"
        )
        kept = list(subject.clearances)
        if target in kept:
            kept[kept.index(target)] = dataclasses.replace(target, active=False)
        proposal.subjects[row.person_id] = dataclasses.replace(subject, clearances=tuple(kept))
        person = row.person
        proposal.described.append(
            f"{person.given_name} {person.family_name}'s {row.issuer} {row.level_name} "
            "clearance is revoked"
        )
        person_id = row.person_id
    _affect(proposal, [change.person_id if isinstance(change, GrantClearance) else person_id])
    proposal.scope.everything = True


def _authorisation(
    session: Session,
    proposal: _Proposal,
    change: ExpireAuthorisation,
    day: date,
    where: str,
    labels: dict[int, SecurityLabel],
) -> None:
    row = session.get(ExportAuthorisation, change.authorisation_id)
    if row is None:
        raise ValidationFailed.of(f"{where}.authorisation_id", "no authorisation with this id")
    proposal.world = dataclasses.replace(
        proposal.world,
        authorisations=tuple(
            dataclasses.replace(a, valid_until=min(a.valid_until, day))
            if a.reference == row.reference
            else a
            for a in proposal.world.authorisations
        ),
    )
    recipients = set(row.recipient_nations)
    end_users = {uuid.UUID(u) for u in row.end_user_ids}
    _affect(
        proposal,
        (
            person_id
            for person_id, s in proposal.subjects.items()
            if (s.citizenships - {row.issuing_nation})
            and (not recipients or s.citizenships & recipients)
            and (not end_users or s.organisation_id in end_users)
        ),
    )
    proposal.scope.labels |= {
        label_id
        for label_id, label in labels.items()
        if any(
            m.exporting_nation == row.issuing_nation and m.regime == row.regime
            for m in label.export
        )
    }
    proposal.described.append(f"authorisation {row.reference} expires on {day}")


def _group(
    session: Session,
    proposal: _Proposal,
    change: ChangeGroup,
    day: date,
    where: str,
    labels: dict[int, SecurityLabel],
) -> None:
    if session.get(NationGroup, change.group) is None:
        raise ValidationFailed.of(f"{where}.group", f"no group {change.group}")
    members = list(proposal.world.groups.get(change.group, ()))
    current = [
        m
        for m in members
        if m.nation == change.nation and facts.during(day, m.joined_on, m.left_on)
    ]
    if change.kind == "add_group_member":
        if current:
            raise ValidationFailed.of(f"{where}.nation", f"{change.nation} is already a member")
        members.append(facts.GroupMember(change.nation, day))
        proposal.described.append(f"{change.nation} joins {change.group}")
    else:
        if not current:
            raise ValidationFailed.of(f"{where}.nation", f"{change.nation} is not a member")
        members = [dataclasses.replace(m, left_on=day) if m in current else m for m in members]
        proposal.described.append(f"{change.nation} leaves {change.group}")
    groups = dict(proposal.world.groups)
    groups[change.group] = tuple(members)
    proposal.world = dataclasses.replace(proposal.world, groups=groups)
    _affect(
        proposal,
        (p for p, s in proposal.subjects.items() if change.nation in s.citizenships),
    )
    proposal.scope.labels |= {
        label_id for label_id, label in labels.items() if change.group in label.releasable_to
    }


def _relabel(session: Session, proposal: _Proposal, change: Relabel, where: str) -> None:
    label = build_label(session, change.label, f"{where}.label")
    found = set(session.scalars(select(Artifact.id).where(Artifact.id.in_(change.artifact_ids))))
    missing = [str(a) for a in change.artifact_ids if a not in found]
    if missing:
        raise ValidationFailed.of(
            f"{where}.artifact_ids", f"unknown id(s): {', '.join(missing[:5])}"
        )
    for artifact_id in found:
        proposal.relabelled[artifact_id] = label
    proposal.affected = _EVERYONE
    proposal.scope.artifacts |= found
    proposal.described.append(f"{len(found)} artifact(s) relabelled {label.classification}")


def _check_visible(
    uow: UnitOfWork, actor: Principal, artifact_ids: list[uuid.UUID], where: str
) -> None:
    """Relabelling is proposed only for artifacts the asker may know exist: an id they may
    not see is reported exactly as an unknown one."""
    if actor.is_operator:
        return
    if actor.person_id is None:
        raise ValidationFailed.of(
            where, "relabelling is proposed by a person; this account has none"
        )
    session = uow.session
    seen = listing.visibility(session, uow.database, actor.person_id, Action.VIEW_METADATA, today())
    visible = set(
        session.scalars(
            select(Artifact.id).where(seen.where(session), Artifact.id.in_(artifact_ids))
        )
    )
    missing = [str(a) for a in artifact_ids if a not in visible]
    if missing:
        raise ValidationFailed.of(where, f"unknown id(s): {', '.join(missing[:5])}")


def _affect(proposal: _Proposal, people: Iterable[uuid.UUID]) -> None:
    if proposal.affected is not _EVERYONE:
        proposal.affected.update(people)


# --- comparing before and after -------------------------------------------------------------


@dataclass(frozen=True)
class _Class:
    label_id: int
    project_id: uuid.UUID | None
    owner_id: uuid.UUID
    count: int
    #: Set for a relabelled artifact: it is its own class, with its new label.
    artifact_id: uuid.UUID | None = None


@dataclass(frozen=True)
class _Granted:
    """An artifact a person holds an explicit grant for, within the changes' scope."""

    label_id: int
    artifact: facts.Artifact
    grant: facts.Grant


def _compare(
    session: Session,
    before_world: World,
    before_subjects: dict[uuid.UUID, Subject],
    proposal: _Proposal,
    labels: dict[int, SecurityLabel],
    action: Action,
    day: date,
) -> WhatIfOut:
    classes = _classes(session, proposal)
    wanted = (
        before_subjects.keys()
        if proposal.affected is _EVERYONE
        else proposal.affected & before_subjects.keys()
    )
    people = sorted(wanted, key=str)
    # Relabelled artifacts take a label id of their own (negative: never a stored class).
    after_labels = dict(labels)
    relabel_ids: dict[uuid.UUID, int] = {}
    for n, (artifact_id, label) in enumerate(sorted(proposal.relabelled.items(), key=str)):
        relabel_ids[artifact_id] = -(n + 1)
        after_labels[-(n + 1)] = label
    used = {c.label_id for c in classes}
    projects = {c.project_id for c in classes if c.project_id}
    before_scope = {i: labels[i] for i in used if i in labels}
    after_scope = {i: after_labels[i] for i in used | set(relabel_ids.values())}
    granted = _granted(session, people, proposal, day)
    # People alike (same facts but their names and grants) gain and lose the same classes:
    # each distinct pair of profiles is planned and counted once.
    profiles: dict[tuple[Subject, Subject], tuple[Plan, Plan, _Delta]] = {}
    deltas: dict[uuid.UUID, tuple[int, int]] = {}
    by_project: dict[uuid.UUID | None, list[int]] = defaultdict(lambda: [0, 0])
    for person_id in people:
        before, after = before_subjects[person_id], proposal.subjects[person_id]
        key = (_profile(before), _profile(after))
        found = profiles.get(key)
        if found is None:
            old_plan = plan(SubjectView(key[0], before_world, day), before_scope, action, projects)
            new_plan = plan(SubjectView(key[1], proposal.world, day), after_scope, action, projects)
            found = (old_plan, new_plan, _count(classes, old_plan, new_plan, relabel_ids))
            profiles[key] = found
        pair = (found[0], found[1])
        delta = found[2]
        gained, lost = delta.gained, delta.lost
        for project_id, (g, lo) in delta.by_project.items():
            by_project[project_id][0] += g
            by_project[project_id][1] += lo
        # An explicit grant makes one artifact visible outside its class: count it as it
        # is decided, in place of how its class was counted.
        for item in granted.get(person_id, ()):
            artifact = item.artifact
            after_artifact = artifact
            now_label = item.label_id
            if artifact.id in proposal.relabelled:
                after_artifact = dataclasses.replace(
                    artifact, label=proposal.relabelled[artifact.id]
                )
                now_label = relabel_ids[artifact.id]
            where = (artifact.project_id, artifact.owner_organisation_id)
            counted = int(pair[1].matches_class(now_label, *where)) - int(
                pair[0].matches_class(item.label_id, *where)
            )
            was_full = decide(
                facts.Request(
                    dataclasses.replace(before, grants=(item.grant,)), artifact, action, day
                ),
                before_world,
            ).permit
            now_full = decide(
                facts.Request(
                    dataclasses.replace(after, grants=(item.grant,)), after_artifact, action, day
                ),
                proposal.world,
            ).permit
            actual = int(now_full) - int(was_full)
            if actual != counted:
                gained += max(actual, 0) - max(counted, 0)
                lost += max(-actual, 0) - max(-counted, 0)
                slot_counts = by_project[artifact.project_id]
                slot_counts[0] += max(actual, 0) - max(counted, 0)
                slot_counts[1] += max(-actual, 0) - max(-counted, 0)
        if gained or lost:
            deltas[person_id] = (gained, lost)
    return _summary(
        session, proposal, before_subjects, people, classes, deltas, by_project, action, day
    )


_SOMEONE = uuid.UUID(int=1)


@dataclass
class _Delta:
    gained: int = 0
    lost: int = 0
    by_project: dict[uuid.UUID | None, tuple[int, int]] = field(default_factory=dict)


def _count(
    classes: list[_Class], before: Plan, after: Plan, relabel_ids: dict[uuid.UUID, int]
) -> _Delta:
    gained = lost = 0
    per_project: dict[uuid.UUID | None, list[int]] = defaultdict(lambda: [0, 0])
    for cls in classes:
        now_label = relabel_ids[cls.artifact_id] if cls.artifact_id else cls.label_id
        was = before.matches_class(cls.label_id, cls.project_id, cls.owner_id)
        now = after.matches_class(now_label, cls.project_id, cls.owner_id)
        if now == was:
            continue
        if now:
            gained += cls.count
            per_project[cls.project_id][0] += cls.count
        else:
            lost += cls.count
            per_project[cls.project_id][1] += cls.count
    return _Delta(gained, lost, {p: (v[0], v[1]) for p, v in per_project.items()})


def _profile(subject: Subject) -> Subject:
    """The subject without what only names them: people alike are planned once."""
    return dataclasses.replace(subject, person_id=_SOMEONE, name="", grants=())


def _classes(session: Session, proposal: _Proposal) -> list[_Class]:
    query = select(
        Artifact.label_id, Artifact.project_id, Artifact.owner_organisation_id, func.count()
    ).group_by(Artifact.label_id, Artifact.project_id, Artifact.owner_organisation_id)
    relabelled = sorted(proposal.relabelled)
    scope = proposal.scope.where()
    if scope is not None:
        query = query.where(scope)
    if relabelled:
        query = query.where(Artifact.id.not_in(relabelled))
    out = [_Class(r[0], r[1], r[2], r[3]) for r in session.execute(query)]
    if relabelled:
        for artifact_id, label_id, project_id, owner in session.execute(
            select(
                Artifact.id, Artifact.label_id, Artifact.project_id, Artifact.owner_organisation_id
            ).where(Artifact.id.in_(relabelled))
        ):
            out.append(_Class(label_id, project_id, owner, 1, artifact_id))
    return out


def _granted(
    session: Session, people: list[uuid.UUID], proposal: _Proposal, day: date
) -> dict[uuid.UUID, list[_Granted]]:
    query = (
        select(NeedToKnowGrant.person_id, NeedToKnowGrant.expires_on, Artifact)
        .join(Artifact, Artifact.id == NeedToKnowGrant.artifact_id)
        .where((NeedToKnowGrant.expires_on.is_(None)) | (NeedToKnowGrant.expires_on > day))
    )
    scope = proposal.scope.where()
    if scope is not None:
        query = query.where(scope)
    rows = session.execute(query).all()
    wanted = set(people)
    rows = [r for r in rows if r[0] in wanted]
    artifacts = loaders.artifact_facts(session, [r[2] for r in rows])
    out: dict[uuid.UUID, list[_Granted]] = defaultdict(list)
    for person_id, expires_on, row in rows:
        out[person_id].append(
            _Granted(row.label_id, artifacts[row.id], facts.Grant(row.id, expires_on))
        )
    return out


def _summary(
    session: Session,
    proposal: _Proposal,
    subjects: dict[uuid.UUID, Subject],
    people: list[uuid.UUID],
    classes: list[_Class],
    deltas: dict[uuid.UUID, tuple[int, int]],
    by_project: dict[uuid.UUID | None, list[int]],
    action: Action,
    day: date,
) -> WhatIfOut:
    nations: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for person_id, (gained, lost) in deltas.items():
        row = nations[subjects[person_id].organisation_nation]
        row[0] += gained > 0
        row[1] += lost > 0
        row[2] += gained
        row[3] += lost
    codes = dict(
        session.execute(
            select(Project.id, Project.code).where(
                Project.id.in_([p for p in by_project if p is not None])
            )
        ).all()
    )
    listed = sorted(deltas.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), subjects[kv[0]].name))
    return WhatIfOut(
        action=action,
        on=day,
        changes=proposal.described,
        people_considered=len(people),
        artifacts_considered=sum(c.count for c in classes),
        people_gaining=sum(1 for g, _ in deltas.values() if g),
        people_losing=sum(1 for _, lo in deltas.values() if lo),
        gained=sum(g for g, _ in deltas.values()),
        lost=sum(lo for _, lo in deltas.values()),
        by_nation=[
            NationDelta(nation=n, people_gaining=r[0], people_losing=r[1], gained=r[2], lost=r[3])
            for n, r in sorted(nations.items())
        ],
        by_project=sorted(
            (
                ProjectDelta(
                    project_id=p,
                    code=codes.get(p, "?") if p else "(no project)",
                    gained=v[0],
                    lost=v[1],
                )
                for p, v in by_project.items()
                if v[0] or v[1]
            ),
            key=lambda d: d.code,
        ),
        people=[
            PersonDelta(
                person_id=person_id,
                name=subjects[person_id].name,
                organisation=subjects[person_id].organisation_name,
                nation=subjects[person_id].organisation_nation,
                gained=gained,
                lost=lost,
            )
            for person_id, (gained, lost) in listed[:_MAX_PEOPLE_LISTED]
        ],
    )
