"""World files and query lines for stateless evaluation (`coalition policy eval`).

A world file (JSON) holds every fact a decision reads; a query file (JSON lines) asks one
question per line. Both are validated with pydantic, whose JSON Schemas are published in
docs/schemas/ (a test keeps them current). The answers come from the same engine as the
service's, never a copy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coalition.policy import facts
from coalition.policy.engine import Decision, decide
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.policy.schemes import LabelError, SchemeCatalogue


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelIn(Strict):
    scheme: str
    marking: str
    level: int = Field(ge=0, le=4)
    requires_clearance: bool


class GroupMemberIn(Strict):
    nation: str = Field(pattern=r"^[A-Z]{3}$")
    joined_on: date
    left_on: date | None = None


class SecurityAgreementIn(Strict):
    parties: list[str] = Field(min_length=2)
    max_level: int = Field(ge=0, le=4)
    in_force_from: date
    in_force_until: date | None = None


class AgreementIn(Strict):
    id: uuid.UUID
    in_force: bool
    effective_from: date
    expires_on: date | None = None
    #: Purposes the IP regime lets participants use results (and included background) for.
    result_access: list[str] = ["carrying_out_the_project"]
    background_access: list[str] = ["carrying_out_the_project"]


class ParticipationIn(Strict):
    organisation_id: uuid.UUID
    joined_on: date
    withdrew_on: date | None = None


class ProjectIn(Strict):
    id: uuid.UUID
    agreement_id: uuid.UUID
    participants: list[ParticipationIn] = []


class AuthorisationIn(Strict):
    reference: str
    issuing_nation: str
    regime: ExportRegime
    valid_from: date
    valid_until: date
    categories: list[str] = []
    recipient_nations: list[str] = []
    end_users: list[uuid.UUID] = []
    projects: list[uuid.UUID] = []
    purposes: list[str] = []
    active: bool = True
    remaining_value: float | None = None
    remaining_quantity: int | None = None


class ExemptionIn(Strict):
    name: str
    regime: ExportRegime
    exporting_nation: str
    recipient_nations: list[str] = []
    categories: list[str] = []
    excluded_categories: list[str] = []
    projects: list[uuid.UUID] = []
    purposes: list[str] = []
    actions: list[facts.Action] = []
    valid_from: date | None = None
    valid_until: date | None = None


class LicenceIn(Strict):
    reference: str = ""
    licensee: uuid.UUID
    licensors: list[uuid.UUID] = Field(min_length=1)
    purposes: list[str]
    valid_from: date
    valid_until: date | None = None
    territory: list[str] = []
    active: bool = True
    asset: uuid.UUID | None = Field(
        default=None, description="The IP asset licensed; absent: every asset of the licensors."
    )


class ClearanceIn(Strict):
    issuer: str
    level: int = Field(ge=0, le=4)
    valid_from: date
    valid_until: date
    active: bool = True


class BriefingIn(Strict):
    name: str
    given_on: date
    expires_on: date | None = None


class MembershipIn(Strict):
    project_id: uuid.UUID
    role: str
    joined_on: date
    left_on: date | None = None


class GrantIn(Strict):
    artifact_id: uuid.UUID
    expires_on: date | None = None


class SubjectIn(Strict):
    id: str = Field(description="How queries name this subject.")
    kind: str = Field(default="person", pattern="^(person|organisation)$")
    organisation_id: uuid.UUID
    organisation_name: str = ""
    organisation_nation: str
    citizenships: list[str] = []
    active: bool = True
    dual_national_exemption: bool = False
    clearances: list[ClearanceIn] = []
    briefings: list[BriefingIn] = []
    memberships: list[MembershipIn] = []
    grants: list[GrantIn] = []


class ExportMarkingIn(Strict):
    regime: ExportRegime
    category: str
    exporting_nation: str


class LabelIn(Strict):
    scheme: str
    classification: str
    originator: str
    releasable_to: list[str] = []
    noforn: bool = False
    caveats: list[str] = []
    export: list[ExportMarkingIn] = []
    embargo_until: date | None = None
    review_on: date | None = None
    pinned_on: date | None = None


class ArtifactIn(Strict):
    id: uuid.UUID
    project_id: uuid.UUID | None = None
    owner_organisation_id: uuid.UUID
    label: LabelIn
    ip_owners: list[uuid.UUID] = []
    ip_asset: uuid.UUID | None = None


class WorldIn(Strict):
    """Everything a decision may read. `levels` defaults to the shipped schemes."""

    levels: list[LevelIn] = []
    groups: dict[str, list[GroupMemberIn]] = {}
    security_agreements: list[SecurityAgreementIn] = []
    agreements: list[AgreementIn] = []
    projects: list[ProjectIn] = []
    authorisations: list[AuthorisationIn] = []
    exemptions: list[ExemptionIn] = []
    licences: list[LicenceIn] = []
    subjects: list[SubjectIn] = []
    artifacts: list[ArtifactIn] = []


class QueryIn(Strict):
    id: str
    subject: str
    artifact: uuid.UUID
    action: facts.Action
    on: date
    purpose: str | None = None
    value: float | None = None
    quantity: int | None = None


class LoadedWorld:
    def __init__(
        self,
        world: facts.World,
        subjects: dict[str, facts.Subject],
        artifacts: dict[uuid.UUID, facts.Artifact],
    ) -> None:
        self.world, self.subjects, self.artifacts = world, subjects, artifacts


def load_world(data: Any, catalogue: SchemeCatalogue) -> LoadedWorld:
    """Validate and convert a parsed world file; errors name the place in the file."""
    try:
        parsed = WorldIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LabelError(f"world.{where}", str(first["msg"])) from exc
    levels = {(lv.scheme, lv.marking): (lv.level, lv.requires_clearance) for lv in parsed.levels}
    if not levels:
        levels = {
            (scheme.code, level.marking): (level.level, level.requires_clearance)
            for scheme in catalogue.schemes.values()
            for level in scheme.levels
        }
    world = facts.World(
        projects={
            p.id: facts.Project(
                p.id,
                p.agreement_id,
                tuple(
                    facts.Participation(x.organisation_id, x.joined_on, x.withdrew_on)
                    for x in p.participants
                ),
            )
            for p in parsed.projects
        },
        agreements={
            a.id: facts.Agreement(
                a.id,
                a.in_force,
                a.effective_from,
                a.expires_on,
                frozenset(a.result_access),
                frozenset(a.background_access),
            )
            for a in parsed.agreements
        },
        security_agreements=tuple(
            facts.SecurityAgreement(
                frozenset(s.parties), s.max_level, s.in_force_from, s.in_force_until
            )
            for s in parsed.security_agreements
        ),
        groups={
            code: tuple(facts.GroupMember(m.nation, m.joined_on, m.left_on) for m in members)
            for code, members in parsed.groups.items()
        },
        authorisations=tuple(
            facts.ExportAuthorisation(
                a.reference,
                a.issuing_nation,
                a.regime,
                a.valid_from,
                a.valid_until,
                frozenset(a.categories),
                frozenset(a.recipient_nations),
                frozenset(a.end_users),
                frozenset(a.projects),
                frozenset(a.purposes),
                a.active,
                a.remaining_value,
                a.remaining_quantity,
            )
            for a in parsed.authorisations
        ),
        exemptions=tuple(
            facts.Exemption(
                e.name,
                e.regime,
                e.exporting_nation,
                frozenset(e.recipient_nations),
                frozenset(e.categories),
                frozenset(e.excluded_categories),
                frozenset(e.projects),
                frozenset(e.purposes),
                frozenset(str(a) for a in e.actions),
                e.valid_from,
                e.valid_until,
            )
            for e in parsed.exemptions
        ),
        licences=tuple(
            facts.Licence(
                lc.licensee,
                frozenset(lc.licensors),
                frozenset(lc.purposes),
                lc.valid_from,
                lc.valid_until,
                frozenset(lc.territory),
                lc.active,
                lc.reference,
                lc.asset,
            )
            for lc in parsed.licences
        ),
        levels=levels,
    )
    subjects = {s.id: _subject(s) for s in parsed.subjects}
    artifacts = {}
    for index, a in enumerate(parsed.artifacts):
        try:
            label = _label(a.label)
            label.validate(catalogue, parsed.groups.__contains__)
        except LabelError as exc:
            raise LabelError(f"world.artifacts.{index}.label.{exc.field}", exc.message) from exc
        artifacts[a.id] = facts.Artifact(
            a.id, a.project_id, a.owner_organisation_id, label, frozenset(a.ip_owners), a.ip_asset
        )
    return LoadedWorld(world, subjects, artifacts)


def _subject(s: SubjectIn) -> facts.Subject:
    return facts.Subject(
        organisation_id=s.organisation_id,
        organisation_nation=s.organisation_nation,
        citizenships=frozenset(s.citizenships),
        active=s.active,
        person_id=uuid.uuid5(uuid.NAMESPACE_URL, f"subject:{s.id}") if s.kind == "person" else None,
        name=s.id,
        organisation_name=s.organisation_name,
        dual_national_exemption=s.dual_national_exemption,
        clearances=tuple(
            facts.Clearance(c.issuer, c.level, c.valid_from, c.valid_until, c.active)
            for c in s.clearances
        ),
        briefings=tuple(facts.Briefing(b.name, b.given_on, b.expires_on) for b in s.briefings),
        memberships=tuple(
            facts.Membership(m.project_id, m.role, m.joined_on, m.left_on) for m in s.memberships
        ),
        grants=tuple(facts.Grant(g.artifact_id, g.expires_on) for g in s.grants),
    )


def _label(label: LabelIn) -> SecurityLabel:
    return SecurityLabel(
        scheme=label.scheme,
        classification=label.classification,
        originator=label.originator,
        releasable_to=frozenset(label.releasable_to),
        noforn=label.noforn,
        caveats=frozenset(label.caveats),
        export=frozenset(
            ExportMarking(m.regime, m.category, m.exporting_nation) for m in label.export
        ),
        embargo_until=label.embargo_until,
        review_on=label.review_on,
        pinned_on=label.pinned_on,
    )


def evaluate_lines(loaded: LoadedWorld, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One answer per non-blank query line; a bad line answers with its error, in place."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            query = QueryIn.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            yield {"line": number, "error": f"{where}: {first['msg']}"}
            continue
        subject = loaded.subjects.get(query.subject)
        artifact = loaded.artifacts.get(query.artifact)
        if subject is None or artifact is None:
            missing = "subject" if subject is None else "artifact"
            yield {"line": number, "id": query.id, "error": f"{missing}: not in the world file"}
            continue
        request = facts.Request(
            subject, artifact, query.action, query.on, query.purpose, query.value, query.quantity
        )
        yield {"id": query.id, **decision_json(decide(request, loaded.world))}


def decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "permit": decision.permit,
        "action": str(decision.action),
        "rules": [
            {"id": r.id, "passed": r.passed, "reason": r.reason, "remedy": r.remedy}
            for r in decision.rules
        ],
        "obligations": list(decision.obligations),
    }


def schemas() -> dict[str, dict[str, Any]]:
    """The published JSON Schemas of the two input formats."""
    return {
        "world.schema.json": WorldIn.model_json_schema(),
        "query.schema.json": QueryIn.model_json_schema(),
    }


def dumps(answer: dict[str, Any]) -> str:
    return json.dumps(answer, separators=(",", ":"), sort_keys=False)
