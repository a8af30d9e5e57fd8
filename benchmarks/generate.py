"""A seeded workload for the release-decision benchmarks (issue 3, "Benchmarks").

The world is held in a neutral form (plain tuples, day ordinals, and compact arrays for the
million artifacts) so that each engine under test builds its own representation from the
same data, and that building can be measured.

Shape, at ``--scale 1``:

- 24 nations (12 with a national classification scheme, 12 that mark in the NATO scheme),
  the real groups and dated memberships of ``coalition/reference/groups.yaml`` (Sweden joins
  NATO on 2024-03-07, inside the request window; the UK left the EU in 2020);
- 240 organisations, 10,000 people, 500 projects whose sizes follow a Zipf law (s = 1.1),
  each under a collaboration agreement (some not in force, some expiring in the window);
- bilateral security agreements (one per pair at most, some ending in the window);
- about 8,000 distinct labels (8,175 at seed 1; interned), 1,000,000 artifacts pointing at them;
- export authorisations and the ITAR Canadian, AUKUS and EAR STA exemptions as data,
  IP owners and licences;
- requests on days of 2024 and 2025, about half permits; every denial fails exactly one,
  known rule.

Requests are drawn from proposals aimed at each outcome and labelled with the engine
(``coalition.policy.engine.decide``): a proposal is kept when its outcome still has room in
the quotas (half permits, the rest spread over the nine rules) and it fails at most one
rule. The label is what the peers are checked against, rule by rule for Cedar; the engine's
own correctness is checked elsewhere (tests/unit/policy: the naive reference evaluator).

Usage: ``python benchmarks/generate.py [--seed 1] [--scale 1] [--requests N]`` prints the
world's shape, the permit rate and the denials per rule, and re-checks every label.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
import time
import uuid
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

import coalition
from coalition.policy.engine import RULE_IDS, decide
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
    Request,
    SecurityAgreement,
    Subject,
    World,
)
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.policy.schemes import catalogue_from_mapping

REFERENCE = Path(coalition.__file__).parent / "reference"
NATIONAL_SCHEMES = ["USA", "GBR", "FRA", "DEU", "ITA", "ESP", "NLD", "POL", "SWE", "NOR"]
NATIONAL_SCHEMES += ["CAN", "AUS"]
NATO_MARKERS = ["BEL", "DNK", "FIN", "CZE", "PRT", "GRC", "ROU", "TUR", "EST", "LTU", "HUN"]
NATO_MARKERS += ["SVK"]
NATIONS = NATIONAL_SCHEMES + NATO_MARKERS
GROUPS = ["NATO", "EU", "FVEY", "ACGU", "AUKUS"]
CAVEATS = ["ORCON", "AURORA", "ZEPHYR", "TALENT"]
ROLES = ["project_manager", "technical_lead", "researcher", "observer"]
PURPOSES = [
    "carrying_out_the_project",
    "government_purposes",
    "commercial_exploitation",
    "sale_to_third_parties",
]
ACTIONS = ["view_metadata", "read", "download", "use_for", "release_to"]
ACTION_WEIGHTS = [15, 45, 20, 12, 8]
#: Outcome quotas: half permits, the other half spread over the rules.
QUOTAS = {
    "permit": 0.50,
    "account": 0.03,
    "agreement": 0.07,
    "need_to_know": 0.09,
    "clearance": 0.08,
    "releasability": 0.08,
    "caveats": 0.05,
    "export": 0.04,
    "ip_use": 0.03,
    "embargo": 0.03,
}
WINDOW = (date(2024, 1, 1).toordinal(), date(2026, 1, 1).toordinal())  # request days
OPEN = date(9999, 1, 1).toordinal()  # "no end date", where a peer needs a number
EXPORT_CATEGORIES = {
    ("ITAR", "USA"): ["USML XI(d)", "USML XII(e)", "USML IV(h)"],
    ("EAR", "USA"): ["ECCN 3A001", "ECCN 5A002"],
    ("NATIONAL", None): ["ML5", "ML11", "ML22"],
}


def d(iso: str) -> int:
    return date.fromisoformat(iso).toordinal()


# --- the neutral world -------------------------------------------------------------------


@dataclass(slots=True)
class PersonSpec:
    org: int
    citizenships: tuple[str, ...]
    active: bool
    dual_exemption: bool
    #: (issuer, level, valid_from, valid_until, active)
    clearances: tuple[tuple[str, int, int, int, bool], ...]
    #: caveat -> (given_on, expires_on or None)
    briefings: dict[str, tuple[int, int | None]]
    #: project -> role (memberships are current: joined before the window, not left)
    roles: dict[int, str]
    grants: tuple[int, ...] = ()


@dataclass(slots=True)
class LabelSpec:
    scheme: str
    marking: str
    level: int
    needs_clearance: bool
    originator: str
    releasable_to: tuple[str, ...]  # nations and groups; empty: the originator only
    noforn: bool
    caveats: tuple[str, ...]
    export: int | None  # index into Workload.markings
    embargo_until: int | None
    review_on: int | None
    pinned_on: int | None


@dataclass(slots=True)
class AuthorisationSpec:
    reference: str
    marking: int  # the (regime, category, issuing nation) it covers
    valid_from: int
    valid_until: int
    recipient_nations: tuple[str, ...]
    end_users: tuple[int, ...]
    projects: tuple[int, ...]
    purposes: tuple[str, ...]
    active: bool
    remaining_quantity: int | None


@dataclass(slots=True)
class ExemptionSpec:
    name: str
    regime: str
    exporting_nation: str
    recipient_nations: tuple[str, ...]
    categories: tuple[str, ...]
    excluded_categories: tuple[str, ...]
    valid_from: int | None


@dataclass(slots=True)
class LicenceSpec:
    reference: str
    licensee: int
    licensors: tuple[int, ...]
    purposes: tuple[str, ...]
    valid_from: int
    valid_until: int | None
    territory: tuple[str, ...]
    active: bool


@dataclass(slots=True)
class RequestSpec:
    person: int
    artifact: int
    action: str
    day: int
    purpose: str | None
    quantity: int | None
    expected: str  # "permit" or the one rule that fails


@dataclass
class Workload:
    seed: int
    scale: float
    levels: dict[tuple[str, str], tuple[int, bool]]
    #: group -> [(nation, joined, left or None)]
    groups: dict[str, list[tuple[str, int, int | None]]]
    orgs: list[str]  # org index -> nation
    #: (in_force, effective_from, expires_on or None, project_use_rights)
    agreements: list[tuple[bool, int, int | None, bool]]
    #: (agreement index, participating org indexes)
    projects: list[tuple[int, tuple[int, ...]]]
    #: (nation a, nation b, max level, in force from, until or None)
    security_agreements: list[tuple[str, str, int, int, int | None]]
    people: list[PersonSpec]
    labels: list[LabelSpec]
    markings: list[tuple[str, str, str]]  # (regime, category, exporting nation)
    authorisations: list[AuthorisationSpec]
    exemptions: list[ExemptionSpec]
    licences: list[LicenceSpec]
    art_label: array[int]  # artifact index -> label index
    art_project: array[int]
    art_owner: array[int]
    art_ip: array[int]  # 1: the owner organisation holds IP in it
    requests: list[RequestSpec] = field(default_factory=list)

    def artifact_id(self, index: int) -> uuid.UUID:
        return uuid.UUID(int=(self.seed << 64) | index)


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, cum: list[float]) -> int:
    return bisect.bisect(cum, rng.random() * cum[-1])


def build_world(seed: int = 1, scale: float = 1.0) -> Workload:
    rng = random.Random(seed)
    catalogue = catalogue_from_mapping(
        yaml.safe_load((REFERENCE / "classification-schemes.yaml").read_text())
    )
    levels = {
        (s.code, lv.marking): (lv.level, lv.requires_clearance)
        for s in catalogue.schemes.values()
        for lv in s.levels
    }
    raw_groups = yaml.safe_load((REFERENCE / "groups.yaml").read_text())["groups"]
    groups: dict[str, list[tuple[str, int, int | None]]] = {}
    for code in GROUPS:
        members = []
        for nation, joined in raw_groups[code]["members"].items():
            if nation not in NATIONS:
                continue
            if isinstance(joined, dict):
                left = joined.get("left")
                members.append((nation, joined["joined"].toordinal(), left and left.toordinal()))
            else:
                members.append((nation, joined.toordinal(), None))
        groups[code] = members
    nato = {n for n, _, _ in groups["NATO"]}

    n_orgs = max(48, round(240 * scale**0.5))
    orgs = [NATIONS[i % len(NATIONS)] for i in range(n_orgs)]
    orgs_by_nation: dict[str, list[int]] = {}
    for i, nation in enumerate(orgs):
        orgs_by_nation.setdefault(nation, []).append(i)

    # Collaboration agreements and Zipf-sized projects.
    n_projects = max(20, round(500 * scale))
    weights = _zipf_weights(n_projects)
    agreements = []
    projects = []
    for i in range(n_projects):
        start = d("2021-01-01") + rng.randrange(0, 1400)
        roll = rng.random()
        until = None if roll < 0.80 else start + rng.randrange(900, 1500)
        agreements.append((rng.random() < 0.96, start, until, rng.random() < 0.85))
        size = weights[i] / weights[0]
        n_nations = min(len(NATIONS), 2 + round(7 * size**0.35) + rng.randrange(0, 2))
        nations = rng.sample(NATIONS, n_nations)
        chosen = [rng.choice(orgs_by_nation[n]) for n in nations]
        extra = rng.sample(range(n_orgs), round(4 * size**0.35))
        projects.append((i, tuple(dict.fromkeys(chosen + extra))))

    # Bilateral security agreements, one per pair at most; FVEY at TOP SECRET.
    security: list[tuple[str, str, int, int, int | None]] = []
    fvey = {n for n, _, _ in groups["FVEY"]}
    for a, b in itertools.combinations(NATIONS, 2):
        if a in fvey and b in fvey:
            security.append((a, b, 4, d("1960-01-01"), None))
        elif rng.random() < 0.6:
            start = d("2010-01-01") + rng.randrange(0, 5500)
            until = None if rng.random() < 0.8 else d("2024-02-01") + rng.randrange(0, 650)
            security.append((a, b, rng.choice([2, 3, 3, 4]), start, until))

    # Export markings, authorisations and exemptions.
    markings = []
    for (regime, nation), categories in EXPORT_CATEGORIES.items():
        for category in categories:
            if nation:
                markings.append((regime, category, nation))
            else:
                for exporter in ("GBR", "FRA", "DEU", "ITA", "SWE"):
                    markings.append((regime, category, exporter))
    exemptions = [
        ExemptionSpec("ITAR Canadian", "ITAR", "USA", ("CAN",), (), ("USML IV(h)",), None),
        ExemptionSpec(
            "AUKUS", "ITAR", "USA", ("AUS", "GBR"), (), ("USML XII(e)",), d("2024-09-01")
        ),
        ExemptionSpec(
            "EAR STA",
            "EAR",
            "USA",
            ("GBR", "FRA", "DEU", "ITA", "NLD", "NOR", "CAN", "AUS"),
            ("ECCN 5A002",),
            (),
            None,
        ),
    ]

    # People.
    n_people = max(300, round(10_000 * scale))
    projects_of_org: dict[int, list[int]] = {}
    for p, (_, participants) in enumerate(projects):
        for org in participants:
            projects_of_org.setdefault(org, []).append(p)
    people = []
    for _ in range(n_people):
        org = rng.randrange(n_orgs)
        nation = orgs[org]
        cits: tuple[str, ...] = (nation,)
        if rng.random() < 0.05:
            cits = (nation, rng.choice([n for n in NATIONS if n != nation]))
        clearances = []
        if rng.random() < 0.93:
            level = rng.choices([0, 1, 2, 3, 4], [3, 7, 25, 45, 20])[0]
            start = d("2015-01-01") + rng.randrange(0, 3000)
            until = (
                d("2026-06-01") + rng.randrange(0, 2000)
                if rng.random() < 0.85
                else WINDOW[0] + rng.randrange(0, 720)
            )
            clearances.append((rng.choice(cits), level, start, until, rng.random() < 0.97))
            if rng.random() < 0.08:
                clearances.append((cits[-1], max(0, level - 1), start, OPEN - 1, True))
        briefings = {}
        for caveat, share in zip(CAVEATS, (0.45, 0.25, 0.2, 0.12), strict=True):
            if rng.random() < share:
                given = d("2022-01-01") + rng.randrange(0, 1200)
                expires = None if rng.random() < 0.7 else given + rng.randrange(200, 900)
                briefings[caveat] = (given, expires)
        roles = {}
        mine = projects_of_org.get(org, [])
        if mine:
            cum = _cumulative([weights[p] for p in mine])
            for _ in range(rng.choice([1, 1, 2, 2, 3])):
                roles[mine[_pick(rng, cum)]] = rng.choices(ROLES, [8, 12, 55, 25])[0]
        people.append(
            PersonSpec(
                org,
                cits,
                rng.random() < 0.97,
                len(cits) > 1 and rng.random() < 0.5,
                tuple(clearances),
                briefings,
                roles,
            )
        )

    # Labels: a pool per project, interned across the world.
    label_index: dict[tuple[object, ...], int] = {}
    labels: list[LabelSpec] = []
    pools: list[list[int]] = []
    for p, (_, participants) in enumerate(projects):
        size = weights[p] / weights[0]
        pool_size = max(6, round(420 * size**0.6 * scale**0.5))
        project_nations = sorted({orgs[o] for o in participants})
        pool: list[int] = []
        for _ in range(pool_size):
            spec = _label(rng, project_nations, nato, levels, markings)
            key = tuple(getattr(spec, f) for f in LabelSpec.__slots__)
            if key not in label_index:
                label_index[key] = len(labels)
                labels.append(spec)
            pool.append(label_index[key])
        pools.append(pool)

    authorisations = []
    used = sorted({lb.export for lb in labels if lb.export is not None})
    projects_by_marking: dict[int, set[int]] = {}
    for p, pool in enumerate(pools):
        for li in pool:
            if labels[li].export is not None:
                projects_by_marking.setdefault(labels[li].export, set()).add(p)  # type: ignore[arg-type]
    for m in used:
        for k in range(rng.choice([1, 2, 2, 3, 3])):
            start = d("2022-06-01") + rng.randrange(0, 900)
            authorisations.append(
                AuthorisationSpec(
                    f"EXP-{m}-{k}",
                    m,
                    start,
                    WINDOW[0] + rng.randrange(200, 1200),
                    tuple(rng.sample(NATIONS, rng.randrange(3, 12))),
                    tuple(rng.sample(range(n_orgs), 3)) if rng.random() < 0.2 else (),
                    tuple(rng.sample(sorted(projects_by_marking[m]), 1))
                    if rng.random() < 0.25
                    else (),
                    tuple(rng.sample(PURPOSES, 2)) if rng.random() < 0.3 else (),
                    rng.random() < 0.95,
                    rng.choice([None, None, 1, 10]),
                )
            )

    licences = []
    licensees = rng.sample(range(n_orgs), min(n_orgs, 150))
    for k, licensee in enumerate(licensees):
        start = d("2022-01-01") + rng.randrange(0, 1000)
        licences.append(
            LicenceSpec(
                f"LIC-{k}",
                licensee,
                tuple(rng.sample(range(n_orgs), rng.randrange(1, 4))),
                tuple(rng.sample(PURPOSES, rng.randrange(1, 3))),
                start,
                None if rng.random() < 0.6 else start + rng.randrange(300, 1500),
                tuple(rng.sample(NATIONS, 3)) if rng.random() < 0.2 else (),
                rng.random() < 0.95,
            )
        )

    # A million artifacts: a project by Zipf, a label from its pool, an owner organisation
    # of the label's originating nation among the participants.
    n_artifacts = max(5_000, round(1_000_000 * scale))
    art_label = array("i")
    art_project = array("i")
    art_owner = array("i")
    art_ip = array("b")
    project_cum = _cumulative(weights)
    owners: dict[tuple[int, str], list[int]] = {}
    for p, (_, participants) in enumerate(projects):
        for o in participants:
            owners.setdefault((p, orgs[o]), []).append(o)
    pool_cums = [_cumulative(_zipf_weights(len(pool), 0.9)) for pool in pools]
    for _ in range(n_artifacts):
        p = _pick(rng, project_cum)
        pool = pools[p]
        li = pool[_pick(rng, pool_cums[p])]
        candidates = owners[(p, labels[li].originator)]
        art_label.append(li)
        art_project.append(p)
        art_owner.append(candidates[rng.randrange(len(candidates))])
        art_ip.append(1 if rng.random() < 0.2 else 0)

    # Explicit need-to-know grants: 3% of people, one artifact each.
    for person in rng.sample(people, round(0.03 * n_people)):
        person.grants = (rng.randrange(n_artifacts),)

    return Workload(
        seed,
        scale,
        levels,
        groups,
        orgs,
        agreements,
        projects,
        security,
        people,
        labels,
        markings,
        authorisations,
        exemptions,
        licences,
        art_label,
        art_project,
        art_owner,
        art_ip,
    )


def _label(
    rng: random.Random,
    project_nations: list[str],
    nato: set[str],
    levels: dict[tuple[str, str], tuple[int, bool]],
    markings: list[tuple[str, str, str]],
) -> LabelSpec:
    originator = rng.choice(project_nations)
    if originator in NATIONAL_SCHEMES and rng.random() < 0.85:
        scheme = originator
    else:
        scheme = "NATO" if originator in nato else originator
    choices = [(m, lv) for (s, m), lv in levels.items() if s == scheme]
    level_weights = {0: 18, 1: 14, 2: 24, 3: 32, 4: 12}
    marking, (level, needs) = rng.choices(choices, [level_weights[lv[0]] for _, lv in choices])[0]
    roll = rng.random()
    noforn = roll < 0.07
    if noforn or roll < 0.12:
        rel: tuple[str, ...] = ()
    else:
        nations = set(project_nations)
        if rng.random() < 0.45:  # a subset of the partners
            nations = set(rng.sample(project_nations, max(1, len(project_nations) // 2)))
        if rng.random() < 0.3:
            nations.add(rng.choice(GROUPS))
        rel = tuple(sorted(nations | {originator}))
    caveats: tuple[str, ...] = ()
    if rng.random() < 0.22:
        caveats = tuple(sorted(set(rng.choices(CAVEATS, [60, 20, 15, 5], k=rng.choice([1, 1, 2])))))
    export = None
    if rng.random() < 0.08:
        mine = [i for i, (_, _, n) in enumerate(markings) if n == originator]
        if mine:
            export = rng.choice(mine)
    window = WINDOW[1] - WINDOW[0]
    return LabelSpec(
        scheme,
        marking,
        level,
        needs,
        originator,
        rel,
        noforn,
        caveats,
        export,
        WINDOW[0] + rng.randrange(0, window) if rng.random() < 0.06 else None,
        WINDOW[0] + rng.randrange(0, window) if rng.random() < 0.05 else None,
        d("2019-06-01") + rng.randrange(0, 1500) if rel and rng.random() < 0.04 else None,
    )


# --- the engine's representation -----------------------------------------------------------


#: What an agreement's IP regime grants when participants may use results for the project.
_PROJECT_USE = frozenset({"carrying_out_the_project"})


def _day_or_none(ordinal: int | None) -> date | None:
    """The day of an ordinal, or None for "no date"."""
    return date.fromordinal(ordinal) if ordinal else None


class EngineWorld:
    """The workload as the engine's facts: interned labels, subjects and the world.

    Artifacts are either all materialised as ``Artifact`` facts (``materialise=True``) or
    built when a request is made, from the compact arrays (``artifact(i)``).
    """

    def __init__(self, w: Workload, materialise: bool = True) -> None:
        self.w = w
        org_ids = [uuid.UUID(int=(w.seed << 96) | (1 << 64) | i) for i in range(len(w.orgs))]
        self.org_ids = org_ids
        project_ids = [
            uuid.UUID(int=(w.seed << 96) | (2 << 64) | i) for i in range(len(w.projects))
        ]
        self.project_ids = project_ids
        agreement_ids = [
            uuid.UUID(int=(w.seed << 96) | (3 << 64) | i) for i in range(len(w.agreements))
        ]
        start = date(2020, 1, 1)
        day = date.fromordinal
        self.markings = [ExportMarking(ExportRegime(r), c, n) for r, c, n in w.markings]
        self.labels = [
            SecurityLabel(
                scheme=lb.scheme,
                classification=lb.marking,
                originator=lb.originator,
                releasable_to=frozenset(lb.releasable_to),
                noforn=lb.noforn,
                caveats=frozenset(lb.caveats),
                export=frozenset() if lb.export is None else frozenset({self.markings[lb.export]}),
                embargo_until=_day_or_none(lb.embargo_until),
                review_on=_day_or_none(lb.review_on),
                pinned_on=_day_or_none(lb.pinned_on),
            )
            for lb in w.labels
        ]
        self.world = World(
            projects={
                project_ids[p]: Project(
                    project_ids[p],
                    agreement_ids[a],
                    tuple(Participation(org_ids[o], start) for o in participants),
                )
                for p, (a, participants) in enumerate(w.projects)
            },
            agreements={
                agreement_ids[i]: Agreement(
                    agreement_ids[i],
                    in_force,
                    day(since),
                    _day_or_none(until),
                    result_access=_PROJECT_USE if rights else frozenset(),
                )
                for i, (in_force, since, until, rights) in enumerate(w.agreements)
            },
            security_agreements=tuple(
                SecurityAgreement(frozenset({a, b}), level, day(since), _day_or_none(until))
                for a, b, level, since, until in w.security_agreements
            ),
            groups={
                g: tuple(GroupMember(n, day(j), _day_or_none(left)) for n, j, left in members)
                for g, members in w.groups.items()
            },
            authorisations=tuple(
                ExportAuthorisation(
                    a.reference,
                    w.markings[a.marking][2],
                    ExportRegime(w.markings[a.marking][0]),
                    day(a.valid_from),
                    day(a.valid_until),
                    categories=frozenset({w.markings[a.marking][1]}),
                    recipient_nations=frozenset(a.recipient_nations),
                    end_users=frozenset(org_ids[o] for o in a.end_users),
                    projects=frozenset(project_ids[p] for p in a.projects),
                    purposes=frozenset(a.purposes),
                    active=a.active,
                    remaining_quantity=a.remaining_quantity,
                )
                for a in w.authorisations
            ),
            exemptions=tuple(
                Exemption(
                    e.name,
                    ExportRegime(e.regime),
                    e.exporting_nation,
                    recipient_nations=frozenset(e.recipient_nations),
                    categories=frozenset(e.categories),
                    excluded_categories=frozenset(e.excluded_categories),
                    valid_from=_day_or_none(e.valid_from),
                )
                for e in w.exemptions
            ),
            licences=tuple(
                Licence(
                    org_ids[lc.licensee],
                    frozenset(org_ids[o] for o in lc.licensors),
                    frozenset(lc.purposes),
                    day(lc.valid_from),
                    _day_or_none(lc.valid_until),
                    territory=frozenset(lc.territory),
                    active=lc.active,
                    reference=lc.reference,
                )
                for lc in w.licences
            ),
            levels=w.levels,
        )
        self.subjects = [
            Subject(
                organisation_id=org_ids[p.org],
                organisation_nation=w.orgs[p.org],
                citizenships=frozenset(p.citizenships),
                active=p.active,
                person_id=uuid.UUID(int=(w.seed << 96) | (4 << 64) | i),
                dual_national_exemption=p.dual_exemption,
                clearances=tuple(
                    Clearance(issuer, level, day(since), day(until), active)
                    for issuer, level, since, until, active in p.clearances
                ),
                briefings=tuple(
                    Briefing(name, day(given), _day_or_none(expires))
                    for name, (given, expires) in p.briefings.items()
                ),
                memberships=tuple(
                    Membership(project_ids[proj], role, start) for proj, role in p.roles.items()
                ),
                grants=tuple(Grant(w.artifact_id(a)) for a in p.grants),
            )
            for i, p in enumerate(w.people)
        ]
        self.ip_sets = [frozenset({o}) for o in org_ids]
        self.no_ip: frozenset[uuid.UUID] = frozenset()  # one shared empty set, not one each
        self.artifacts: list[Artifact] | None = None
        if materialise:
            self.artifacts = [self.artifact(i) for i in range(len(w.art_label))]

    def artifact(self, i: int) -> Artifact:
        w = self.w
        owner = w.art_owner[i]
        return Artifact(
            w.artifact_id(i),
            self.project_ids[w.art_project[i]],
            self.org_ids[owner],
            self.labels[w.art_label[i]],
            self.ip_sets[owner] if w.art_ip[i] else self.no_ip,
        )

    def request(self, r: RequestSpec) -> Request:
        artifact = self.artifacts[r.artifact] if self.artifacts else self.artifact(r.artifact)
        return Request(
            self.subjects[r.person],
            artifact,
            Action(r.action),
            date.fromordinal(r.day),
            r.purpose,
            None,
            r.quantity,
        )


# --- requests ----------------------------------------------------------------------------


def outcome(request: Request, world: World) -> str | None:
    """ "permit", the one failing rule, or None when several rules fail."""
    decision = decide(request, world)
    if decision.permit:
        return "permit"
    failed = decision.failed
    return failed[0].id if len(failed) == 1 else None


def make_requests(w: Workload, engine: EngineWorld, count: int, seed: int) -> list[RequestSpec]:
    rng = random.Random(seed * 7919 + 17)
    quotas = {k: round(v * count) for k, v in QUOTAS.items()}
    quotas["permit"] += count - sum(quotas.values())
    filled: Counter[str] = Counter()
    members: dict[int, list[int]] = {}
    by_org: dict[int, list[int]] = {}
    for i, p in enumerate(w.people):
        for proj in p.roles:
            members.setdefault(proj, []).append(i)
        by_org.setdefault(p.org, []).append(i)
    n_art = len(w.art_label)
    special: dict[str, list[int]] = {"export": [], "embargo": [], "caveats": []}
    for i in range(0, n_art, max(1, n_art // 200_000)):
        label = w.labels[w.art_label[i]]
        if label.export is not None:
            special["export"].append(i)
        if label.embargo_until is not None:
            special["embargo"].append(i)
        if label.caveats:
            special["caveats"].append(i)
    out: list[RequestSpec] = []
    attempts = 0
    limit = 60 * count
    while len(out) < count and attempts < limit:
        attempts += 1
        short = [k for k in quotas if filled[k] < quotas[k]]
        aim = rng.choice(short)
        if aim in special and rng.random() < 0.7:
            a = rng.choice(special[aim])
        else:
            a = rng.randrange(n_art)
        proj = w.art_project[a]
        roll = rng.random()
        if roll < 0.70 and members.get(proj):
            person = rng.choice(members[proj])
        elif roll < 0.80:
            person = rng.choice(by_org.get(w.art_owner[a]) or [rng.randrange(len(w.people))])
        elif roll < 0.95:
            org = rng.choice(w.projects[proj][1])
            person = rng.choice(by_org.get(org) or [rng.randrange(len(w.people))])
        else:
            person = rng.randrange(len(w.people))
        action = rng.choices(ACTIONS, ACTION_WEIGHTS)[0]
        if aim == "ip_use":
            action = rng.choice(["use_for", "release_to"])
        day = rng.randrange(*WINDOW)
        embargo = w.labels[w.art_label[a]].embargo_until
        if embargo and aim != "embargo" and day < embargo and rng.random() < 0.8:
            day = rng.randrange(embargo, WINDOW[1]) if embargo < WINDOW[1] else day
        purpose = None
        if action in ("use_for", "release_to"):
            purpose = rng.choices(PURPOSES, [50, 25, 15, 10])[0]
        elif rng.random() < 0.2:
            purpose = rng.choice(PURPOSES)
        quantity = rng.choice([None, 1, 5, 20]) if action == "release_to" else None
        spec = RequestSpec(person, a, action, day, purpose, quantity, "")
        result = outcome(engine.request(spec), engine.world)
        if result is None or filled[result] >= quotas[result]:
            continue
        spec.expected = result
        filled[result] += 1
        out.append(spec)
    rng.shuffle(out)
    return out


def describe(w: Workload) -> str:
    sizes = Counter(w.art_project)
    top = sizes.most_common()
    members = Counter(p for person in w.people for p in person.roles)
    return "\n".join(
        [
            f"nations {len(NATIONS)}, groups {len(w.groups)}, organisations {len(w.orgs)}, "
            f"people {len(w.people)}, projects {len(w.projects)}",
            f"artifacts {len(w.art_label):,} over {len(w.labels):,} distinct labels "
            f"({len(set(w.art_label)):,} in use)",
            "project sizes (artifacts): largest "
            + ", ".join(f"{n:,}" for _, n in top[:5])
            + f"; median {top[len(top) // 2][1]:,}; smallest {top[-1][1]:,}",
            f"members of the largest project {members[top[0][0]]:,}",
            f"security agreements {len(w.security_agreements)}, export authorisations "
            f"{len(w.authorisations)}, exemptions {len(w.exemptions)}, "
            f"licences {len(w.licences)}",
            f"labels: NOFORN {sum(lb.noforn for lb in w.labels)}, with groups "
            f"{sum(any(c in GROUPS for c in lb.releasable_to) for lb in w.labels)}, "
            f"caveats {sum(bool(lb.caveats) for lb in w.labels)}, "
            f"export {sum(lb.export is not None for lb in w.labels)}, "
            f"embargo {sum(lb.embargo_until is not None for lb in w.labels)}, "
            f"pinned {sum(lb.pinned_on is not None for lb in w.labels)}",
        ]
    )


def outcome_table(requests: list[RequestSpec], observed: list[str | None] | None = None) -> str:
    expected = Counter(r.expected for r in requests)
    lines = [f"requests {len(requests):,}: permits {expected['permit'] / len(requests):.1%}"]
    lines.append(
        "denials by the one failing rule: "
        + ", ".join(f"{rule} {expected[rule]:,}" for rule in RULE_IDS)
    )
    if observed is not None:
        wrong = sum(o != r.expected for o, r in zip(observed, requests, strict=True))
        lines.append(f"re-checked with the engine: {wrong} differ from their label")
    return "\n".join(lines)


def build(seed: int, scale: float, requests: int) -> tuple[Workload, EngineWorld]:
    w = build_world(seed, scale)
    engine = EngineWorld(w, materialise=False)
    w.requests = make_requests(w, engine, requests, seed)
    return w, engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=None, help="default 100,000 x scale")
    args = parser.parse_args(argv)
    count = args.requests or max(2_000, round(100_000 * args.scale))
    started = time.perf_counter()
    w = build_world(args.seed, args.scale)
    print(describe(w))
    print(f"world built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    engine = EngineWorld(w, materialise=False)
    w.requests = make_requests(w, engine, count, args.seed)
    print(f"requests drawn and labelled in {time.perf_counter() - started:.1f} s")
    observed = [outcome(engine.request(r), engine.world) for r in w.requests]
    print(outcome_table(w.requests, observed))
    return 0 if all(o == r.expected for o, r in zip(observed, w.requests, strict=True)) else 1


if __name__ == "__main__":
    sys.exit(main())
