"""The demo's technical data: export records, IP, and several hundred labelled artifacts,
generated from a fixed seed so every run (and every newcomer) sees the same permits and
denials. Each write goes through the ordinary use case; what exists is left alone.

The labels follow what partners do: most artifacts are releasable to the project's
nations, some to FVEY or NATO, some stay national (NOFORN), a few carry a programme
briefing (NEPTUNE, AURORA) or ORCON, US hardware data carries ITAR or EAR markings, and a
handful are under embargo or past their review date.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.demo.expertise import load_expertise
from coalition.demo.facilities import load_facilities
from coalition.demo.funding import load_funding
from coalition.demo.governance import load_governance
from coalition.demo.ip import load_ip_register
from coalition.demo.visits import load_visits
from coalition.exportcontrol.models import AuthorisationKind, Exemption, ExportAuthorisation
from coalition.exportcontrol.schemas import AuthorisationIn, ExemptionConditions, ExemptionIn
from coalition.exportcontrol.services import create_authorisation, create_exemption
from coalition.policy.facts import Action
from coalition.policy.labels import ExportRegime
from coalition.projects.models import Participant, Project
from coalition.registry.models import ClassificationLevel, DualNationalExemption, Organisation
from coalition.registry.people import record_dual_national_exemption
from coalition.registry.schemas import DualNationalExemptionIn
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact, ArtifactKind, NeedToKnowGrant
from coalition.techdata.schemas import ArtifactIn, ExportMarkingIn, GrantIn, LabelIn
from coalition.techdata.services import create_artifact, grant_need_to_know

SEED = 4774
ARTIFACTS_PER_PROJECT = 110

#: Words that make titles sound like each project's work.
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CSAR-MAS": (
        ("Acoustic array", "Sonar node", "Contact classifier", "Undersea link", "Buoy power"),
        ("trial report", "interface control document", "data set", "calibration log", "model"),
    ),
    "CSAR-SWC": (
        ("Swarm planner", "Vessel autonomy", "C2 gateway", "Collision avoidance", "Mesh radio"),
        ("design note", "software release", "simulation results", "test plan", "specification"),
    ),
    "CSAR-MSR": (
        ("Bistatic receiver", "Clutter model", "Waveform library", "Track fusion", "Antenna"),
        ("measurement campaign", "algorithm description", "data set", "drawing", "report"),
    ),
    "THC-HMP": (
        ("Scramjet inlet", "Ceramic matrix composite", "Thermal protection", "Combustor", "Probe"),
        ("test results", "material data sheet", "CFD model", "drawing", "facility report"),
    ),
}
KINDS = {
    "report": ArtifactKind.REPORT,
    "data set": ArtifactKind.DATASET,
    "drawing": ArtifactKind.DRAWING,
    "software release": ArtifactKind.SOFTWARE,
    "model": ArtifactKind.MODEL,
    "CFD model": ArtifactKind.MODEL,
    "test results": ArtifactKind.TEST_RESULTS,
    "simulation results": ArtifactKind.TEST_RESULTS,
    "specification": ArtifactKind.SPECIFICATION,
    "interface control document": ArtifactKind.SPECIFICATION,
}
BRIEFING = {"CSAR-MAS": "NEPTUNE", "THC-HMP": "AURORA"}
#: Export categories by originating nation, for the hardware-heavy projects.
EXPORT = {
    "USA": (
        ExportMarkingIn(regime=ExportRegime.ITAR, category="USML XI(d)", exporting_nation="USA"),
        ExportMarkingIn(regime=ExportRegime.EAR, category="ECCN 3A001", exporting_nation="USA"),
    ),
    "GBR": (
        ExportMarkingIn(regime=ExportRegime.NATIONAL, category="UK ML11", exporting_nation="GBR"),
    ),
}
FVEY = {"USA", "GBR", "CAN", "AUS", "NZL"}


@dataclass(frozen=True)
class _Team:
    project_id: uuid.UUID
    code: str
    ceiling: int
    #: (organisation id, nation, is lead), participants first joined first.
    participants: tuple[tuple[uuid.UUID, str, bool], ...]


class TechDataLoader:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        actor: Principal,
        day: Callable[[int], date],
        organisations: dict[str, uuid.UUID],
        people: dict[str, uuid.UUID],
        projects: dict[str, uuid.UUID],
    ) -> None:
        self._uow = uow
        self._actor = actor
        self._day = day
        self._organisations = organisations
        self._people = people
        self._projects = projects
        self.created = 0

    def load(self) -> None:
        self._export_records()
        assets = self._ip_records()
        self.created += load_funding(self._uow, self._actor, self._day)
        self.created += load_facilities(self._uow, self._actor, self._day, self._people)
        self.created += load_visits(self._uow, self._actor, self._day, self._people)
        self.created += load_expertise(self._uow, self._actor, self._people)
        self.created += load_governance(self._uow, self._actor, self._day, self._people)
        self._artifacts(assets)
        self._grants_and_exemptions()

    # --- export and IP records ------------------------------------------------------------

    def _export_records(self) -> None:
        org, project, day = self._organisations, self._projects, self._day
        with self._uow() as unit:
            existing = set(unit.session.scalars(select(ExportAuthorisation.reference)))
            exemptions = set(unit.session.scalars(select(Exemption.name)))
        authorisations = (
            AuthorisationIn(
                reference="DSP-5 050-118834",
                kind=AuthorisationKind.LICENCE,
                issuing_nation="USA",
                regime=ExportRegime.ITAR,
                categories=["USML XI(d)"],
                recipient_nations=["GBR"],
                end_user_ids=[org["WMSL"]],
                project_ids=[project["CSAR-MAS"]],
                value_limit=250000,
                provisos="No re-transfer; technical data for integration of acoustic arrays only.",
                valid_from=day(-300),
                valid_until=day(430),
            ),
            AuthorisationIn(
                reference="TAA 24-0117",
                kind=AuthorisationKind.AGREEMENT,
                issuing_nation="USA",
                regime=ExportRegime.ITAR,
                categories=["USML XI(d)"],
                recipient_nations=["NOR"],
                end_user_ids=[org["AUAL"]],
                project_ids=[project["CSAR-MAS"]],
                provisos="Renewal requested; lapsed while the amendment is reviewed.",
                valid_from=day(-640),
                valid_until=day(-12),
            ),
            AuthorisationIn(
                reference="EAR D1187342",
                kind=AuthorisationKind.LICENCE,
                issuing_nation="USA",
                regime=ExportRegime.EAR,
                categories=["ECCN 3A001"],
                recipient_nations=["GBR", "AUS", "CAN"],
                valid_from=day(-200),
                valid_until=day(530),
            ),
            AuthorisationIn(
                reference="OIEL GBR/2025/0042",
                kind=AuthorisationKind.NATIONAL_LICENCE,
                issuing_nation="GBR",
                regime=ExportRegime.NATIONAL,
                categories=["UK ML11"],
                recipient_nations=["USA", "CAN", "AUS", "NOR"],
                valid_from=day(-420),
                valid_until=day(1400),
            ),
        )
        for data in authorisations:
            if data.reference not in existing:
                create_authorisation(self._uow(), self._actor, data)
                self.created += 1
        demo_note = " (demo: conditions abridged)"
        rules = (
            ExemptionIn(
                name="ITAR Canadian exemption",
                citation="22 CFR 126.5" + demo_note,
                regime=ExportRegime.ITAR,
                exporting_nation="USA",
                conditions=ExemptionConditions(
                    recipient_nations=["CAN"], excluded_categories=["USML IV(h)"]
                ),
            ),
            ExemptionIn(
                name="AUKUS exemption",
                citation="22 CFR 126.7" + demo_note,
                regime=ExportRegime.ITAR,
                exporting_nation="USA",
                conditions=ExemptionConditions(
                    recipient_nations=["AUS", "GBR"], excluded_categories=["USML XI(d)"]
                ),
                valid_from=date(2024, 9, 1),
            ),
            ExemptionIn(
                name="ITAR cooperative-project exemption (THC-HMP)",
                citation="22 CFR 126.4" + demo_note,
                regime=ExportRegime.ITAR,
                exporting_nation="USA",
                conditions=ExemptionConditions(
                    recipient_nations=["AUS", "GBR"],
                    projects=[project["THC-HMP"]],
                    actions=[Action.VIEW_METADATA, Action.READ],
                ),
            ),
        )
        for rule in rules:
            if rule.name not in exemptions:
                create_exemption(self._uow(), self._actor, rule)
                self.created += 1

    def _ip_records(self) -> dict[str, uuid.UUID]:
        assets, created = load_ip_register(
            self._uow, self._actor, self._day, self._organisations, self._people, self._projects
        )
        self.created += created
        return assets

    # --- artifacts ------------------------------------------------------------------------

    def _teams(self) -> list[_Team]:
        with self._uow() as unit:
            session = unit.session
            teams = []
            for code, project_id in sorted(self._projects.items()):
                project = session.get(Project, project_id)
                assert project is not None
                rows = session.execute(
                    select(Participant.organisation_id, Organisation.nation_code, Participant.role)
                    .join(Organisation, Organisation.id == Participant.organisation_id)
                    .where(Participant.project_id == project_id)
                    .order_by(Participant.joined_on, Organisation.short_name)
                ).all()
                teams.append(
                    _Team(
                        project_id,
                        code,
                        project.classification_ceiling,
                        tuple((r[0], r[1], str(r[2]) == "lead") for r in rows),
                    )
                )
            return teams

    def _markings(self) -> dict[tuple[str, int], str]:
        """The lowest current marking of each scheme at each level."""
        out: dict[tuple[str, int], str] = {}
        with self._uow() as unit:
            for scheme, level, marking in unit.session.execute(
                select(
                    ClassificationLevel.scheme_code,
                    ClassificationLevel.level,
                    ClassificationLevel.marking,
                )
                .where(ClassificationLevel.legacy.is_(False))
                .order_by(ClassificationLevel.rank)
            ):
                out.setdefault((scheme, level), marking)
        return out

    def _artifacts(self, assets: dict[str, uuid.UUID]) -> None:
        with self._uow() as unit:
            existing = set(unit.session.scalars(select(Artifact.reference)))
        markings = self._markings()
        rng = random.Random(SEED)
        for team in self._teams():
            nations = sorted({n for _, n, _ in team.participants})
            subjects, kinds = TOPICS.get(team.code, TOPICS["CSAR-MAS"])
            for number in range(1, ARTIFACTS_PER_PROJECT + 1):
                owner, nation, _ = _weighted_owner(rng, team.participants)
                label = self._label(rng, team, nation, nations, markings)
                subject, kind = rng.choice(subjects), rng.choice(kinds)
                reference = f"{team.code}-{number:04d}"
                asset = None
                if team.code == "CSAR-MAS" and nation == "USA" and rng.random() < 0.2:
                    asset = assets["IP-MAS-BG-001"]
                elif team.code == "THC-HMP" and nation in {"AUS", "USA"} and rng.random() < 0.25:
                    asset = assets["IP-HMP-RES-001"]
                if reference in existing:
                    continue
                create_artifact(
                    self._uow(),
                    self._actor,
                    ArtifactIn(
                        reference=reference,
                        title=f"{subject} {kind} {number}",
                        description=f"{kind.capitalize()} of the {team.code} work on "
                        f"{subject.lower()}.",
                        kind=KINDS.get(kind, ArtifactKind.OTHER),
                        project_id=team.project_id,
                        owner_organisation_id=owner,
                        ip_asset_id=asset,
                        label=label,
                    ),
                )
                self.created += 1

    def _label(
        self,
        rng: random.Random,
        team: _Team,
        originator: str,
        nations: list[str],
        markings: dict[tuple[str, int], str],
    ) -> LabelIn:
        level = rng.choices([0, 1, 2, 3], weights=[25, 25, 25, 25])[0]
        level = min(level, team.ceiling)
        while (originator, level) not in markings:
            level += 1  # the UK has no CONFIDENTIAL: protect at the next level up
        classification = markings[(originator, level)]
        roll = rng.random()
        releasable: list[str] = []
        noforn = False
        if level == 0 or roll < 0.55:
            releasable = nations
        elif roll < 0.70:
            releasable = [originator, "FVEY" if originator in FVEY else "NATO"]
        elif roll < 0.85:
            partner = rng.choice([n for n in nations if n != originator] or [originator])
            releasable = sorted({originator, partner})
        elif originator == "USA":
            noforn = True
        caveats = []
        if team.code in BRIEFING and level >= 2 and rng.random() < 0.15:
            caveats.append(BRIEFING[team.code])
        if level >= 2 and rng.random() < 0.05:
            caveats.append("ORCON")
        export = []
        if originator in EXPORT and team.code in {"CSAR-MAS", "THC-HMP"} and rng.random() < 0.35:
            export.append(rng.choice(EXPORT[originator]))
        today = self._day(0)
        return LabelIn(
            scheme=originator,
            originator=originator,
            classification=classification,
            releasable_to=releasable,
            noforn=noforn,
            caveats=caveats,
            export=export,
            embargo_until=today + timedelta(days=45) if rng.random() < 0.03 else None,
            review_on=today - timedelta(days=20) if rng.random() < 0.05 else None,
        )

    # --- grants and exemptions ------------------------------------------------------------

    def _grants_and_exemptions(self) -> None:
        with self._uow() as unit:
            session = unit.session
            granted = set(session.scalars(select(NeedToKnowGrant.person_id)))
            exempt = set(session.scalars(select(DualNationalExemption.person_id)))
            artifact = session.scalar(
                select(Artifact.id).where(Artifact.reference == "CSAR-MAS-0003")
            )
        # WMSL's security officer takes part through WMSL but is not on the team.
        pennington = self._people.get("Oliver Pennington")
        if artifact is not None and pennington is not None and pennington not in granted:
            grant_need_to_know(
                self._uow(),
                self._actor,
                artifact,
                GrantIn(
                    person_id=pennington,
                    expires_on=self._day(180),
                    reason="Security review of the trial results before the UK sea trial.",
                ),
            )
            self.created += 1
        tremaine = self._people.get("Sophie Tremaine")
        if tremaine is not None and tremaine not in exempt:
            record_dual_national_exemption(
                self._uow(),
                self._actor,
                tremaine,
                DualNationalExemptionIn(
                    granted_on=self._day(-380),
                    reason="GBR/CAN dual national; CAN citizenship assessed, GBR suffices "
                    "for CSAR-MAS material.",
                ),
            )
            self.created += 1


def _weighted_owner(
    rng: random.Random, participants: tuple[tuple[uuid.UUID, str, bool], ...]
) -> tuple[uuid.UUID, str, bool]:
    weights = [3 if lead else 1 for _, _, lead in participants]
    return rng.choices(participants, weights=weights)[0]
