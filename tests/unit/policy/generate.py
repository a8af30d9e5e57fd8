"""Seeded random worlds and requests, for comparing the engine with the naive reference."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from coalition.policy.facts import (
    Action,
    Agreement,
    Artifact,
    Briefing,
    Clearance,
    Exemption,
    ExportAuthorisation,
    Grant,
    GroupMember,
    Licence,
    Membership,
    Participation,
    Project,
    Purpose,
    Request,
    SecurityAgreement,
    Subject,
    World,
)
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel

NATIONS = ["USA", "GBR", "FRA", "DEU", "CAN", "AUS", "NOR", "NZL", "ITA", "ESP"]
GROUPS = ["FVEY", "NATO", "EU"]
#: What agreements' IP regimes give participants: nothing (1 in 5), project use (1 in 5), or
#: also government purposes (3 in 5).
ACCESS_CHOICES = [
    frozenset(),
    frozenset({"carrying_out_the_project"}),
    frozenset({"carrying_out_the_project", "government_purposes"}),
]
SCHEMES = {
    "USA": ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"],
    "NATO": ["NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET"],
}
LEVELS = {
    ("USA", "UNCLASSIFIED"): (0, False),
    ("USA", "CONFIDENTIAL"): (2, True),
    ("USA", "SECRET"): (3, True),
    ("USA", "TOP SECRET"): (4, True),
    ("NATO", "NATO UNCLASSIFIED"): (0, False),
    ("NATO", "NATO RESTRICTED"): (1, False),
    ("NATO", "NATO CONFIDENTIAL"): (2, True),
    ("NATO", "NATO SECRET"): (3, True),
}
CAVEATS = ["ORCON", "AURORA", "ZEPHYR"]
CATEGORIES = ["USML XI(d)", "ECCN 3A001", "ML22"]
ROLES = ["project_manager", "technical_lead", "researcher", "observer"]
START = date(2019, 1, 1)


def day(rng: random.Random) -> date:
    return START + timedelta(days=rng.randrange(0, 12 * 365))


def maybe_end(rng: random.Random, start: date) -> date | None:
    return None if rng.random() < 0.4 else start + timedelta(days=rng.randrange(1, 3000))


def some(rng: random.Random, items: list[str], most: int) -> frozenset[str]:
    return frozenset(rng.sample(items, rng.randrange(0, most + 1)))


class Generated:
    def __init__(self, seed: int, artifacts: int = 400, subjects: int = 200) -> None:
        rng = self.rng = random.Random(seed)
        self.organisations = {
            uuid.UUID(int=rng.getrandbits(128)): rng.choice(NATIONS) for _ in range(30)
        }
        orgs = list(self.organisations)
        agreements = {}
        projects = {}
        for _ in range(15):
            agreement_id = uuid.UUID(int=rng.getrandbits(128))
            start = day(rng)
            agreements[agreement_id] = Agreement(
                agreement_id,
                rng.random() < 0.85,
                start,
                maybe_end(rng, start),
                result_access=ACCESS_CHOICES[min(2, int(rng.random() * 5))],
            )
            project_id = uuid.UUID(int=rng.getrandbits(128))
            participants = tuple(
                Participation(org, (j := day(rng)), maybe_end(rng, j))
                for org in rng.sample(orgs, rng.randrange(2, 8))
            )
            projects[project_id] = Project(project_id, agreement_id, participants)
        self.project_ids = list(projects)
        groups = {
            g: tuple(
                GroupMember(n, (j := day(rng) - timedelta(days=3000)), maybe_end(rng, j))
                for n in rng.sample(NATIONS, rng.randrange(2, 7))
            )
            for g in GROUPS
        }
        security = tuple(
            SecurityAgreement(
                frozenset(rng.sample([*NATIONS, "NATO"], rng.randrange(2, 5))),
                rng.randrange(1, 5),
                (s := day(rng) - timedelta(days=2000)),
                maybe_end(rng, s),
            )
            for _ in range(25)
        )
        self.artifacts = [self._artifact(orgs) for _ in range(artifacts)]
        authorisations = tuple(
            ExportAuthorisation(
                f"AUTH-{n}",
                rng.choice(NATIONS),
                rng.choice(list(ExportRegime)),
                (f := day(rng)),
                f + timedelta(days=rng.randrange(30, 2000)),
                categories=some(rng, CATEGORIES, 2),
                recipient_nations=some(rng, NATIONS, 3),
                end_users=frozenset(rng.sample(orgs, rng.randrange(0, 3))),
                projects=frozenset(rng.sample(self.project_ids, rng.randrange(0, 2))),
                purposes=some(rng, [p.value for p in Purpose], 2),
                active=rng.random() < 0.9,
                remaining_value=rng.choice([None, 1000.0, 50000.0]),
                remaining_quantity=rng.choice([None, 1, 10]),
            )
            for n in range(40)
        )
        exemptions = tuple(
            Exemption(
                f"EX-{n}",
                rng.choice(list(ExportRegime)),
                rng.choice(NATIONS),
                recipient_nations=some(rng, NATIONS, 3),
                categories=some(rng, CATEGORIES, 1),
                excluded_categories=some(rng, CATEGORIES, 1),
                projects=frozenset(rng.sample(self.project_ids, rng.randrange(0, 2))),
                purposes=some(rng, [p.value for p in Purpose], 1),
                actions=some(rng, [a.value for a in Action], 2),
                valid_from=rng.choice([None, day(rng)]),
                valid_until=rng.choice([None, day(rng)]),
            )
            for n in range(6)
        )
        licences = tuple(
            Licence(
                rng.choice(orgs),
                frozenset(rng.sample(orgs, rng.randrange(1, 3))),
                some(rng, [p.value for p in Purpose], 3),
                (f := day(rng)),
                maybe_end(rng, f),
                territory=some(rng, NATIONS, 3),
                active=rng.random() < 0.9,
                reference=f"LIC-{n}",
            )
            for n in range(30)
        )
        self.world = World(
            projects, agreements, security, groups, authorisations, exemptions, licences, LEVELS
        )
        self.subjects = [self._subject(orgs) for _ in range(subjects)]

    def _artifact(self, orgs: list[uuid.UUID]) -> Artifact:
        rng = self.rng
        scheme = rng.choice(list(SCHEMES))
        originator = rng.choice(NATIONS)
        noforn = rng.random() < 0.1
        rel = frozenset() if noforn else some(rng, NATIONS + GROUPS, 4)
        label = SecurityLabel(
            scheme=scheme,
            classification=rng.choice(SCHEMES[scheme]),
            originator=originator,
            releasable_to=rel | ({originator} if rel else set()),
            noforn=noforn,
            caveats=some(rng, CAVEATS, 1) if rng.random() < 0.3 else frozenset(),
            export=frozenset(
                ExportMarking(
                    rng.choice(list(ExportRegime)), rng.choice(CATEGORIES), rng.choice(NATIONS)
                )
                for _ in range(rng.choice([0, 0, 0, 1, 1, 2]))
            ),
            embargo_until=day(rng) if rng.random() < 0.1 else None,
            review_on=day(rng) if rng.random() < 0.1 else None,
            pinned_on=day(rng) if rng.random() < 0.05 else None,
        )
        return Artifact(
            uuid.UUID(int=rng.getrandbits(128)),
            rng.choice(self.project_ids) if rng.random() < 0.95 else None,
            rng.choice(orgs),
            label,
            frozenset(rng.sample(orgs, rng.randrange(0, 2))),
        )

    def _subject(self, orgs: list[uuid.UUID]) -> Subject:
        rng = self.rng
        organisation = rng.choice(orgs)
        nation = self.organisations[organisation]
        if rng.random() < 0.15:  # an organisation receiving a release
            return Subject(organisation, nation, frozenset(), active=rng.random() < 0.95)
        citizenships = {nation} | (set(rng.sample(NATIONS, 1)) if rng.random() < 0.15 else set())
        return Subject(
            organisation_id=organisation,
            organisation_nation=nation,
            citizenships=frozenset(citizenships),
            active=rng.random() < 0.95,
            person_id=uuid.UUID(int=rng.getrandbits(128)),
            dual_national_exemption=rng.random() < 0.3,
            clearances=tuple(
                Clearance(
                    rng.choice([*citizenships, "NATO"]),
                    rng.randrange(0, 5),
                    (f := day(rng) - timedelta(days=1500)),
                    f + timedelta(days=rng.randrange(100, 4000)),
                    rng.random() < 0.9,
                )
                for _ in range(rng.randrange(0, 3))
            ),
            briefings=tuple(
                Briefing(c, (g := day(rng)), maybe_end(rng, g))
                for c in rng.sample(CAVEATS, rng.randrange(0, 3))
            ),
            memberships=tuple(
                Membership(p, rng.choice(ROLES), (j := day(rng)), maybe_end(rng, j))
                for p in rng.sample(self.project_ids, rng.randrange(0, 4))
            ),
            grants=tuple(
                Grant(rng.choice(self.artifacts).id, rng.choice([None, day(rng)]))
                for _ in range(rng.randrange(0, 3))
            ),
        )

    def requests(self, count: int) -> list[Request]:
        """Half drawn at random, half from the artifact's own circle (its owner or its
        project's participants), so permits are common enough to test too."""
        rng = self.rng
        out = []
        for _ in range(count):
            artifact = rng.choice(self.artifacts)
            subject = rng.choice(self.subjects)
            if rng.random() < 0.5:
                circle = self._circle(artifact)
                if circle:
                    subject = rng.choice(circle)
            out.append(
                Request(
                    subject,
                    artifact,
                    rng.choice(list(Action)),
                    day(rng),
                    purpose=rng.choice([None, *(p.value for p in Purpose)]),
                    value=rng.choice([None, 10.0, 20000.0]),
                    quantity=rng.choice([None, 1, 5]),
                )
            )
        return out

    def _circle(self, artifact: Artifact) -> list[Subject]:
        project = self.world.projects.get(artifact.project_id) if artifact.project_id else None
        orgs = {artifact.owner_organisation_id} | (
            {p.organisation_id for p in project.participants} if project else set()
        )
        return [s for s in self.subjects if s.organisation_id in orgs]
