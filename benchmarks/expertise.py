"""Benchmark of issue 8: expertise search over 100,000 profiles, with the reader's
visibility filter on, on SQLite (FTS5) and PostgreSQL (tsvector) in the same run. The
target is a p95 of at most 50 ms per search.

One seeded world is generated in memory and loaded into a fresh SQLite file and a fresh
PostgreSQL database, both made by the migrations (``coalition.store.migrate.upgrade``).
Reference data, nations, the reader and the label classes go through the ordinary code
(``load_reference``, ``create_nation``, ``create_person``, ``create_account``,
``build_label`` and ``intern_label``). Everything else is bulk-inserted with Core
``insert``: organisations, people, profiles, their capabilities and the full-text index
rows, written exactly as ``coalition.expertise.search.put`` writes them.

- 15 nations: 12 with their own classification scheme, DNK, BEL and CZE marking in NATO's;
- 300 organisations (labs, agencies, companies, universities), more of them in the USA,
  GBR, FRA and DEU;
- ``--profiles`` (default 100,000) profiles: 60% of people (one Person row each) and 40%
  of organisations; 3% withdrawn; TRL 1 to 9 (10% without one); one to four capability
  codes from a taxonomy of 105 codes in 15 branches; 3 to 8 keywords, a headline of 3 to 6
  words and a summary of 20 to 45 words drawn from a vocabulary of 200 domain words
  ("radar", "propulsion"...) and 4,000 generated technical words with a Zipf law
  (s = 1.07), so that some words are in most profiles and some in a few dozen; up to two
  publication titles;
- 60 labels, four per nation, all originated by the profile's own nation: a low level
  REL TO the nation and NATO, a middle level REL TO the nation, GBR and USA, SECRET REL TO
  the nation and one other (never GBR unless GBR is the originator), and SECRET NOFORN.

The reader is a GBR citizen with a researcher account at a GBR lab: the engine lets them
know 32 of the 60 label classes (every GBR label and the two releasable ones of each other
nation), plus their own organisation's profiles and their own one (a person profile of
theirs kept at a USA lab, labelled NOFORN USA). That is about 60% of the profiles.

Timed, ``--warmups`` (default 3) then ``--repeats`` (default 30) times, interleaved, each a
whole ``coalition.expertise.services.search`` call on a fresh unit of work as the reader:
a common word, a frequent word, a rare word, two words, a prefix (four letters), a word
with a capability branch, a word with a nation and a minimum TRL, filters only (a branch
and a minimum TRL), and everything (no words, no filters). The query words are picked
from the generated data by document frequency (printed with the results).

Checks: every search's total against a brute-force count in Python over the generated
rows (the reader's visibility, the status, the filters, and each word matched through the
backend's own tokenizer and stemmer, asked once per distinct token of the corpus); the
page's profiles among the expected ones; the label classes the reader may know equal to
those expected; and the same totals on both databases. ``--explain`` prints the plan of
every statement of one call per query (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN
(ANALYZE, BUFFERS)`` on PostgreSQL).

Usage::

    python benchmarks/expertise.py [--profiles 100000] [--repeats 30] [--warmups 3]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--database bench_expertise]
        [--backends sqlite,postgresql] [--explain] [--seed 1] [--json F]

The PostgreSQL database ``--database`` is created on the server of ``--url`` (replaced if
it exists) and dropped at the end; the SQLite file lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

import coalition
from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.common.access import principal_for_account
from coalition.expertise import search, services
from coalition.expertise.models import (
    ExpertiseProfile,
    ProfileCapability,
    ProfileKind,
    ProfileStatus,
)
from coalition.policy.interning import intern_label
from coalition.registry.models import Organisation, OrganisationKind, Person, PersonStatus
from coalition.registry.people import create_person
from coalition.registry.reference import load_reference
from coalition.registry.schemas import NationIn, PersonIn
from coalition.registry.services import create_nation
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import UnitOfWork, uow_factory
from coalition.techdata.schemas import LabelIn
from coalition.techdata.services import build_label, catalogue_of
from timing import SqlClock, cpu, summary_ms

OPERATOR = Principal.operator("bench")
REFERENCE = Path(coalition.__file__).parent / "reference"
TARGET_MS = 50.0
READER_NATION = "GBR"
#: code, classification scheme, currency; the organisations' weights follow.
NATIONS = (
    ("USA", "USA", "USD"),
    ("GBR", "GBR", "GBP"),
    ("FRA", "FRA", "EUR"),
    ("DEU", "DEU", "EUR"),
    ("ITA", "ITA", "EUR"),
    ("ESP", "ESP", "EUR"),
    ("NLD", "NLD", "EUR"),
    ("POL", "POL", "PLN"),
    ("SWE", "SWE", "SEK"),
    ("NOR", "NOR", "NOK"),
    ("CAN", "CAN", "CAD"),
    ("AUS", "AUS", "AUD"),
    ("DNK", "NATO", "DKK"),
    ("BEL", "NATO", "EUR"),
    ("CZE", "NATO", "CZK"),
)
NATION_WEIGHTS = {"USA": 4.0, "GBR": 2.0, "FRA": 2.0, "DEU": 2.0}
ORGANISATIONS = 300
PERSON_SHARE = 0.6
WITHDRAWN_SHARE = 0.03
ZIPF_S = 1.07
GENERATED_WORDS = 4000


def _words(text: str) -> list[str]:
    return text.split()


#: The taxonomy shared with facilities: 15 branches, 105 codes.
TAXONOMY = {
    "aero": ("subsonic", "transonic", "supersonic", "hypersonic", "rotorcraft", "flutter", "icing"),
    "propulsion": ("turbofan", "scramjet", "ramjet", "rocket", "electric", "combustion", "nozzle"),
    "sensing": ("radar", "lidar", "infrared", "hyperspectral", "sar", "passive", "fusion"),
    "acoustics": ("underwater", "sonar", "vibration", "transducers", "noise", "seismic", "arrays"),
    "materials": (
        "composites",
        "ceramics",
        "alloys",
        "coatings",
        "polymers",
        "metamaterials",
        "additive",
    ),
    "energy": ("batteries", "fuelcells", "solar", "hydrogen", "storage", "microgrids", "thermal"),
    "cyber": ("cryptography", "forensics", "malware", "hardening", "detection", "firmware", "ot"),
    "autonomy": ("planning", "perception", "swarms", "navigation", "assurance", "teaming", "ugv"),
    "comms": ("satcom", "mesh", "waveforms", "antennas", "optical", "tactical", "spectrum"),
    "space": ("smallsat", "launch", "payloads", "debris", "orbits", "rendezvous", "weather"),
    "energetics": (
        "explosives",
        "propellants",
        "warheads",
        "fuzing",
        "insensitive",
        "safety",
        "ew",
    ),
    "medical": (
        "trauma",
        "toxicology",
        "protection",
        "diagnostics",
        "vaccines",
        "fatigue",
        "blood",
    ),
    "human": ("factors", "training", "cognition", "ergonomics", "selection", "simulation", "teams"),
    "pnt": ("gnss", "inertial", "clocks", "celestial", "magnetic", "resilience", "timing"),
    "computing": ("hpc", "quantum", "ai", "edge", "data", "modelling", "verification"),
}
#: Realistic words of the trade; together with the generated ones they make the vocabulary.
DOMAIN_WORDS = _words("""
radar propulsion hypersonic autonomy sensor materials composite acoustic sonar laser
optical infrared antenna waveform signal processing guidance navigation control thermal
structural fatigue corrosion coating ceramic alloy polymer battery hydrogen turbine
combustion nozzle inlet airframe rotor wing flutter vibration seismic underwater maritime
submarine torpedo mine missile interceptor munition warhead explosive propellant fuze
cyber cryptography firmware malware intrusion network spectrum jamming electronic warfare
satellite orbit launch payload debris telescope camera imaging lidar hyperspectral fusion
tracking detection classification recognition machine learning neural quantum computing
simulation modelling wargaming training human factors cognition ergonomics medical trauma
toxicology vaccine protection armour ballistic blast survivability logistics maintenance
reliability prognostics diagnostics manufacturing additive welding testing evaluation
certification airworthiness safety assurance verification validation software hardware
embedded realtime microwave millimetre terahertz photonics plasma superconducting magnetic
inertial gyroscope accelerometer clock timing gnss resilience swarm teaming robotics
unmanned vehicle aircraft helicopter drone counter decoy stealth signature emission
chemical biological radiological nuclear decontamination filtration respirator shelter
energy microgrid storage generator solar power distribution cooling heat exchanger
""")
GIVEN_NAMES = _words("""
Ada Alan Alice Amir Anna Arne Astrid Ben Birgit Carlos Chiara Claire David Dorota Elena
Emil Erik Eva Fatima Felix Freya Georg Hana Hugo Ines Ingrid Isak Jakub James Jan Javier
Julia Karin Klaus Lars Laura Lena Liam Lucia Magnus Marek Maria Marta Matteo Mei Nadia
Nils Noah Olga Omar Pablo Petra Pierre Priya Rafael Rosa Ruth Sara Sofia Sven Tomas Ulla
Victor Wei Yara Zofia
""")
FAMILY_NAMES = _words("""
Abbott Andersen Bauer Becker Bernard Berg Blanc Bianchi Brown Carter Costa Dahl Dubois
Dvorak Evans Fischer Fontaine Garcia Greco Hansen Hoffmann Holm Jensen Johansson Jones
Kaminski Keller Kowalski Krause Larsen Laurent Lindqvist Lopez Martin Meyer Moreau Morris
Nielsen Novak Olsen Parker Peeters Petit Quinn Ricci Roux Russo Santos Schmidt Schneider
Silva Smith Sorensen Taylor Thomas Turner Vasquez Wagner Walker Weber Wilson Wojcik Young
Zielinski Zimmermann
""")
ORGANISATION_KINDS = (
    (OrganisationKind.LAB, ("Laboratory", "Research Laboratory", "Research Centre")),
    (OrganisationKind.AGENCY, ("Defence Agency", "Procurement Agency", "Test Establishment")),
    (OrganisationKind.COMPANY, ("Dynamics", "Aerospace", "Industries", "Technologies")),
    (OrganisationKind.UNIVERSITY, ("University", "Institute of Technology")),
)
_ONSETS = _words("b c d f g h j k l m n p r s t v w z br cr dr fr gr kr pl pr st tr sk sp th")
_VOWELS = _words("a e i o u a e o ai ei ou")
_CODAS = _words("k x z n r l m t s nk rk rn lt st")
_TOKEN = re.compile(r"[^\W_]+")


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    """Every row of the world, and what the checks need to know of each profile."""

    organisations: list[dict[str, Any]]
    people: list[dict[str, Any]]
    #: Rows of ExpertiseProfile; "label_id" holds the index into ``labels`` until loaded.
    profiles: list[dict[str, Any]]
    capabilities: list[dict[str, Any]]
    #: (profile id, title, keywords, summary): the text of each profile's index row.
    documents: list[tuple[uuid.UUID, str, str, str]]
    #: (scheme, originator, classification index: 0 low, 1 middle, 3 SECRET, REL TO, NOFORN)
    labels: list[tuple[str, str, int, tuple[str, ...], bool]]
    nation_of: dict[uuid.UUID, str]
    reader_organisation: uuid.UUID
    #: The index of the profile kept for the reader, whose person id is known once loaded.
    reader_profile: int
    #: Distinct tokens of each profile's index row, and of the whole corpus.
    tokens: list[frozenset[str]] = field(default_factory=list)
    vocabulary: frozenset[str] = frozenset()
    words: dict[str, list[str]] = field(default_factory=dict)


def _generated_words(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    """Pronounceable technical-looking words ("kraivortex" style), all distinct."""
    out: list[str] = []
    while len(out) < n:
        syllables = rng.choice((2, 2, 3, 3, 4))
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
        word += rng.choice(_CODAS)
        if word not in taken and 5 <= len(word) <= 16:
            taken.add(word)
            out.append(word)
    return out


def _labels() -> list[tuple[str, str, int, tuple[str, ...], bool]]:
    out = []
    for code, scheme, _ in NATIONS:
        other = "USA" if code != "USA" else "CAN"
        partner = "FRA" if code in ("USA", "GBR") else other
        out += [
            (scheme, code, 0, (code, "NATO"), False),
            (scheme, code, 1, tuple(sorted({code, "GBR", "USA"})), False),
            (scheme, code, 3, tuple(sorted({code, partner})), False),
            (scheme, code, 3, (), True),
        ]
    return out


def _reader_may_know(label: tuple[str, str, int, tuple[str, ...], bool]) -> bool:
    """What the engine's account and releasability rules should say for a GBR citizen:
    the originator, or a REL TO naming GBR or a group holding it (NATO), never NOFORN."""
    _, originator, _, rel_to, noforn = label
    if originator == READER_NATION:
        return True
    return not noforn and (READER_NATION in rel_to or "NATO" in rel_to)


def generate(seed: int, profiles: int) -> World:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    stamp = {"created_at": now, "updated_at": now, "version": 1}

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    taken = set(DOMAIN_WORDS) | {w.lower() for w in GIVEN_NAMES + FAMILY_NAMES}
    taken |= {p for parts in TAXONOMY.items() for p in (parts[0], *parts[1])}
    generated = _generated_words(rng, GENERATED_WORDS, taken)
    # The domain words take ranks spread over the head of the Zipf law, generated words the
    # rest: a few domain words are in most profiles, generated ones are mostly rare.
    vocabulary = list(generated)
    for word in DOMAIN_WORDS:
        vocabulary.insert(rng.randrange(min(len(vocabulary), 4 * len(DOMAIN_WORDS))), word)
    cumulative = list(accumulate(1.0 / (rank**ZIPF_S) for rank in range(1, len(vocabulary) + 1)))
    top = cumulative[-1]

    def draw(k: int) -> list[str]:
        return [vocabulary[bisect.bisect(cumulative, rng.random() * top)] for _ in range(k)]

    codes = [n[0] for n in NATIONS]
    weights = [NATION_WEIGHTS.get(c, 1.0) for c in codes]
    organisations: list[dict[str, Any]] = []
    nation_of: dict[uuid.UUID, str] = {}
    org_names = _generated_words(rng, ORGANISATIONS, set(taken) | set(generated))
    by_nation: dict[str, list[uuid.UUID]] = {c: [] for c in codes}
    for n, stem in enumerate(org_names):
        nation = codes[n] if n < len(codes) else rng.choices(codes, weights)[0]
        kind, suffixes = rng.choice(ORGANISATION_KINDS)
        org_id = new_id()
        nation_of[org_id] = nation
        by_nation[nation].append(org_id)
        organisations.append(
            {
                "id": org_id,
                "name": f"{stem.title()} {rng.choice(suffixes)}",
                "short_name": f"{stem.upper()}{nation}",
                "kind": kind,
                "nation_code": nation,
                "parent_id": None,
                "city": None,
                "website": None,
            }
            | stamp
        )
    org_ids = [o["id"] for o in organisations]
    org_rows = {o["id"]: o for o in organisations}
    reader_organisation = by_nation[READER_NATION][0]
    labels = _labels()
    label_kinds = {c: [i for i, lab in enumerate(labels) if lab[1] == c] for c in codes}
    all_codes = [f"{b}.{leaf}" for b, leaves in TAXONOMY.items() for leaf in leaves]

    people: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    capabilities: list[dict[str, Any]] = []
    documents: list[tuple[uuid.UUID, str, str, str]] = []
    persons = round(profiles * PERSON_SHARE)
    for n in range(profiles):
        profile_id = new_id()
        is_person = n < persons
        reader_profile = n == 0  # the reader's own, at a USA lab, NOFORN USA
        organisation_id = by_nation["USA"][0] if reader_profile else rng.choice(org_ids)
        nation = nation_of[organisation_id]
        person_id, full_name = None, None
        if is_person and not reader_profile:
            person_id = new_id()
            given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
            full_name = f"{given} {family}"
            people.append(
                {
                    "id": person_id,
                    "given_name": given,
                    "family_name": family,
                    "email": f"p{n}@{org_rows[organisation_id]['short_name'].lower()}.example",
                    "employer_id": organisation_id,
                    "status": PersonStatus.ACTIVE,
                    "job_title": None,
                }
                | stamp
            )
        elif reader_profile:
            full_name = "Rhea Reader"
        if reader_profile:
            label = label_kinds["USA"][3]
        else:
            label = label_kinds[nation][rng.choices(range(4), weights=(0.35, 0.25, 0.25, 0.15))[0]]
        branch_codes = sorted(set(rng.sample(all_codes, rng.choice((1, 1, 2, 2, 3, 4)))))
        keywords = list(dict.fromkeys(draw(rng.randint(3, 8))))
        headline = " ".join(draw(rng.randint(3, 6))).capitalize()
        summary = " ".join(draw(rng.randint(20, 45))).capitalize() + "."
        publications: list[dict[str, Any]] = [
            {"title": " ".join(draw(rng.randint(4, 8))).title(), "year": rng.randint(1995, 2025)}
            for _ in range(rng.choice((0, 0, 1, 2)))
        ]
        trl = None if rng.random() < 0.1 else rng.randint(1, 9)
        withdrawn = rng.random() < WITHDRAWN_SHARE and not reader_profile
        rows.append(
            {
                "id": profile_id,
                "kind": ProfileKind.PERSON if is_person else ProfileKind.ORGANISATION,
                "organisation_id": organisation_id,
                "person_id": person_id,
                "headline": headline,
                "summary": summary,
                "keywords": keywords,
                "trl": trl,
                "publications": publications,
                "artifact_ids": [],
                "label_id": label,
                "status": ProfileStatus.WITHDRAWN if withdrawn else ProfileStatus.ACTIVE,
            }
            | stamp
        )
        capabilities += [{"profile_id": profile_id, "code": c} for c in branch_codes]
        # As services._document makes it.
        org = org_rows[organisation_id]
        names = [headline, org["name"], org["short_name"], *([full_name] if full_name else [])]
        words = [*keywords, *(c.replace(".", " ").replace("_", " ") for c in branch_codes)]
        documents.append(
            (
                profile_id,
                " ".join(names),
                " ".join(words),
                " ".join([summary, *(p["title"] for p in publications)]),
            )
        )
    world = World(
        organisations=organisations,
        people=people,
        profiles=rows,
        capabilities=capabilities,
        documents=documents,
        labels=labels,
        nation_of=nation_of,
        reader_organisation=reader_organisation,
        reader_profile=0,
    )
    world.tokens = [
        frozenset(_TOKEN.findall(f"{title} {kw} {summary}".lower()))
        for _, title, kw, summary in documents
    ]
    world.vocabulary = frozenset().union(*world.tokens)
    world.words = {"domain": list(DOMAIN_WORDS), "generated": generated}
    return world


def queries(world: World) -> dict[str, dict[str, Any]]:
    """The timed searches, their words picked by document frequency from the corpus."""
    frequency: Counter[str] = Counter()
    for tokens in world.tokens:
        frequency.update(tokens)
    n = len(world.tokens)

    def nearest(candidates: list[str], share: float, avoid: set[str]) -> str:
        usable = [w for w in candidates if w not in avoid and frequency[w] > 0]
        return min(usable, key=lambda w: (abs(frequency[w] - share * n), w))

    domain = [w for w in world.words["domain"] if len(w) >= 5]
    common = nearest(domain, 0.10, set())
    frequent = nearest(domain, 0.40, {common})
    second = nearest(domain, 0.05, {common, frequent})
    rare = nearest(world.words["generated"], 0.0005, set())
    other = nearest(domain, 0.10, {common, frequent, second})
    return {
        "common word": {"q": common},
        "frequent word": {"q": frequent},
        "rare word": {"q": rare},
        "two words": {"q": f"{common} {second}"},
        "prefix (4 letters)": {"q": other[:4]},
        "word + capability branch": {"q": other, "capability": "sensing"},
        "word + nation + TRL >= 6": {"q": common, "nation": "FRA", "trl_min": 6},
        "filters only (branch, TRL >= 5)": {"capability": "autonomy", "trl_min": 5},
        "everything (no words, no filters)": {},
    }


# --- loading -----------------------------------------------------------------------------------


@dataclass
class Loaded:
    engine: Engine
    new: Callable[[], UnitOfWork]
    reader: Principal
    reader_person: uuid.UUID
    label_ids: list[int]
    build: dict[str, Any]


def _batches(rows: list[Any], size: int = 5_000) -> Iterator[list[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def load(engine: Engine, world: World) -> Loaded:
    """Schema, reference data, nations, reader and labels by the ordinary code; the rest by
    Core ``insert`` in batches; then the statistics."""
    started = time.perf_counter()
    upgrade(engine)
    new = uow_factory(engine)
    load_reference(new(), OPERATOR, REFERENCE)
    for code, scheme, currency in NATIONS:
        create_nation(new(), OPERATOR, NationIn(code=code, scheme_code=scheme, currency=currency))
    with engine.begin() as connection:
        connection.execute(insert(Organisation), world.organisations)
    reader_person = create_person(
        new(),
        OPERATOR,
        PersonIn(
            given_name="Rhea",
            family_name="Reader",
            email="rhea.reader@bench.example",
            employer_id=world.reader_organisation,
            citizenships=[READER_NATION],
        ),
    ).id
    account = create_account(
        new(),
        OPERATOR,
        AccountIn(
            username="reader",
            display_name="Rhea Reader",
            password="a-long-benchmark-password",  # noqa: S106  (a throwaway database)
            person_id=reader_person,
            grants=[
                GrantIn(
                    role=Role.RESEARCHER,
                    scope_kind=ScopeKind.ORGANISATION,
                    scope_id=world.reader_organisation,
                )
            ],
        ),
    ).id
    with new() as uow:
        uow.for_writing()
        session = uow.session
        catalogue = catalogue_of(session)
        label_ids = []
        for scheme, originator, level, rel_to, noforn in world.labels:
            markings = catalogue.get(scheme).levels
            marking = next(m for m in markings if m.level == 3) if level == 3 else markings[level]
            data = LabelIn(
                scheme=scheme,
                originator=originator,
                classification=marking.marking,
                releasable_to=list(rel_to),
                noforn=noforn,
            )
            row = intern_label(session, build_label(session, data, "label", catalogue), catalogue)
            uow.flush()
            label_ids.append(row.id)
        reader = principal_for_account(session, account)
        uow.commit()
    assert reader is not None
    setup = time.perf_counter() - started
    profiles = [
        row
        | {"label_id": label_ids[row["label_id"]]}
        | ({"person_id": reader_person} if i == world.reader_profile else {})
        for i, row in enumerate(world.profiles)
    ]
    sqlite = engine.dialect.name == "sqlite"
    held = {row["id"]: row for row in profiles}
    documents = [
        (
            i,
            search.Document(
                title=t,
                keywords=k,
                summary=d,
                label_id=held[i]["label_id"],
                status=str(held[i]["status"]),
                person_id=held[i]["person_id"],
                organisation_id=held[i]["organisation_id"],
                kind=str(held[i]["kind"]),
                trl=held[i]["trl"],
            ),
        )
        for i, t, k, d in world.documents
    ]
    with engine.begin() as connection:
        for model, rows in (
            (Person, world.people),
            (ExpertiseProfile, profiles),
            (ProfileCapability, world.capabilities),
        ):
            for batch in _batches(rows):
                connection.execute(insert(model), batch)
    inserted = time.perf_counter() - started - setup
    with engine.begin() as connection:
        # The index is written by the code the use cases call, in bulk.
        for batch in _batches(documents):
            search.put_many(connection, batch)
    indexed = time.perf_counter() - started - setup - inserted
    # Statistics, as the database would soon have them on its own (autovacuum on PostgreSQL).
    if sqlite:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    analysed = time.perf_counter() - started - setup - inserted - indexed
    with engine.connect() as connection:
        counts = {
            model.__tablename__: connection.scalar(select(func.count()).select_from(model))
            for model in (Organisation, Person, ExpertiseProfile, ProfileCapability)
        }
        counts["expertise_search"] = connection.scalar(
            text("SELECT count(*) FROM expertise_search")
        )
        if sqlite:
            size = connection.scalar(
                text("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
            )
        else:
            size = connection.scalar(text("SELECT pg_database_size(current_database())"))
    return Loaded(
        engine=engine,
        new=new,
        reader=reader,
        reader_person=reader_person,
        label_ids=label_ids,
        build={
            "setup s": round(setup, 1),
            "insert s": round(inserted, 1),
            "index s": round(indexed, 1),
            "analyse s": round(analysed, 1),
            "database MB": round((size or 0) / 1e6),
            "rows": counts,
        },
    )


# --- measuring ---------------------------------------------------------------------------------
def measure(
    loaded: Loaded, searches: dict[str, dict[str, Any]], warmups: int, repeats: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Timings per search (interleaved rounds), and the last result of each."""
    clock = SqlClock(loaded.engine)
    times: dict[str, list[float]] = {name: [] for name in searches}
    sql: dict[str, list[float]] = {name: [] for name in searches}
    statements: dict[str, int] = {}
    first: dict[str, float] = {}
    results: dict[str, Any] = {}
    try:
        for round_ in range(warmups + repeats):
            for name, query in searches.items():
                clock.reset()
                started = time.perf_counter()
                results[name] = services.search(loaded.new(), loaded.reader, **query)
                elapsed = time.perf_counter() - started
                if round_ == 0:
                    first[name] = elapsed
                if round_ >= warmups:
                    times[name].append(elapsed)
                    sql[name].append(clock.seconds)
                    statements[name] = clock.statements
    finally:
        clock.close(loaded.engine)
    out: dict[str, Any] = {}
    for name in searches:
        out[name] = {
            "ms": summary_ms(times[name]),
            "first call ms": round(first[name] * 1000, 1),
            "in driver execute ms (median)": round(statistics.median(sql[name]) * 1000, 1),
            "statements": statements[name],
            "total": results[name].total,
            "total capped": results[name].total_capped,
            "runs ms": [round(t * 1000, 1) for t in times[name]],
        }
    pooled = [t for name in searches for t in times[name]]
    out["(all searches)"] = {"ms": summary_ms(pooled), "calls": len(pooled)}
    return out, results


def explain(loaded: Loaded, searches: dict[str, dict[str, Any]]) -> str:
    """The plan of every statement one call of each search makes."""
    engine = loaded.engine
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    out = []
    for name, query in searches.items():
        services.search(loaded.new(), loaded.reader, **query)  # warm
        captured.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            services.search(loaded.new(), loaded.reader, **query)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        out.append(f"===== {engine.dialect.name}: {name} {query} =====")
        with engine.connect() as connection:
            for statement, parameters in captured:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                out.append(statement)
                rows = connection.exec_driver_sql(prefix + statement, parameters).all()
                if sqlite:
                    out += [f"  {r[0]}|{r[1]}| {r[-1]}" for r in rows]
                else:
                    out += [f"  {r[0]}" for r in rows]
                out.append("")
    return "\n".join(out)


# --- checking ----------------------------------------------------------------------------------


def matching_tokens(
    engine: Engine, vocabulary: frozenset[str], words: set[str]
) -> dict[str, set[str]]:
    """For each search word, the corpus tokens it finds, asked of the backend's own
    tokenizer and stemmer exactly as ``search.matches`` asks (each word a prefix)."""
    tokens = sorted(vocabulary)
    out: dict[str, set[str]] = {}
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE VIRTUAL TABLE temp.probe USING fts5(token, "
                    "tokenize = 'porter unicode61 remove_diacritics 2')"
                )
            )
            connection.execute(
                text("INSERT INTO temp.probe (token) VALUES (:t)"), [{"t": t} for t in tokens]
            )
            for word in words:
                out[word] = set(
                    connection.scalars(
                        text("SELECT token FROM temp.probe WHERE probe MATCH :q"),
                        {"q": f'"{word}"*'},
                    )
                )
            connection.execute(text("DROP TABLE temp.probe"))
        else:
            for word in words:
                out[word] = set(
                    connection.scalars(
                        text(
                            "SELECT t FROM unnest(CAST(:tokens AS text[])) AS t "
                            "WHERE to_tsvector('english', t) @@ to_tsquery('english', :q)"
                        ),
                        {"tokens": tokens, "q": f"{word}:*"},
                    )
                )
    return out


def expected(
    world: World, reader_person: uuid.UUID, query: dict[str, Any], found: dict[str, set[str]]
) -> set[uuid.UUID]:
    """The profiles the search must return, by brute force over the generated rows."""
    words = [found[w] for w in re.findall(r"[^\W_]+", (query.get("q") or "").lower())]
    branch = query.get("capability")
    nation = query.get("nation")
    trl_min = query.get("trl_min")
    codes: dict[uuid.UUID, list[str]] = {}
    if branch:
        for row in world.capabilities:
            codes.setdefault(row["profile_id"], []).append(row["code"])
    knows = [_reader_may_know(label) for label in world.labels]
    out = set()
    for i, row in enumerate(world.profiles):
        person = reader_person if i == world.reader_profile else row["person_id"]
        if row["status"] != ProfileStatus.ACTIVE:
            continue
        if not (knows[row["label_id"]] or person == reader_person):
            continue
        if branch and not any(
            c == branch or c.startswith(branch + ".") for c in codes.get(row["id"], [])
        ):
            continue
        if nation and world.nation_of[row["organisation_id"]] != nation:
            continue
        if trl_min is not None and (row["trl"] is None or row["trl"] < trl_min):
            continue
        if any(world.tokens[i].isdisjoint(matched) for matched in words):
            continue
        out.add(row["id"])
    return out


def check(
    world: World, loaded: Loaded, searches: dict[str, dict[str, Any]], results: dict[str, Any]
) -> tuple[list[str], dict[str, set[str]]]:
    problems = []
    with loaded.new() as uow:
        known = services.reach(uow, loaded.reader).label_ids
    wanted = {
        loaded.label_ids[i] for i, label in enumerate(world.labels) if _reader_may_know(label)
    }
    if known != wanted:
        problems.append(f"the reader may know label classes {sorted(known)}, not {sorted(wanted)}")
    words = {w for q in searches.values() for w in re.findall(r"[^\W_]+", q.get("q", "").lower())}
    found = matching_tokens(loaded.engine, world.vocabulary, words)
    for name, query in searches.items():
        result = results[name]
        ids = expected(world, loaded.reader_person, query, found)
        # Counts stop at services.COUNT_CAP, and then say so.
        if (result.total, result.total_capped) != (
            min(len(ids), services.COUNT_CAP),
            len(ids) > services.COUNT_CAP,
        ):
            problems.append(
                f"{name}: total {result.total} (capped {result.total_capped}), "
                f"brute force {len(ids)}"
            )
        page = {hit.id for hit in result.items}
        if len(result.items) != min(result.limit, len(ids)) or not page <= ids:
            problems.append(f"{name}: the page holds profiles it should not")
    return problems, found


def _run_backend(
    backend: str, args: argparse.Namespace, world: World, searches: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    def run(engine: Engine) -> dict[str, Any]:
        loaded = load(engine, world)
        print(backend, json.dumps(loaded.build), flush=True)
        with engine.connect() as connection:
            version = connection.scalar(
                text("SELECT sqlite_version()" if backend == "sqlite" else "SHOW server_version")
            )
        timings, results = measure(loaded, searches, args.warmups, args.repeats)
        problems, found = check(world, loaded, searches, results)
        plans = explain(loaded, searches) if args.explain else None
        return {
            "version": version,
            "build": loaded.build,
            "searches": timings,
            "problems": problems,
            "matching tokens": {w: sorted(t) for w, t in found.items()},
            "plans": plans,
        }

    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'expertise.db'}")
            try:
                return run(engine)
            finally:
                engine.dispose()
    admin = make_engine(args.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {args.database}"))
    url = make_url(args.url).set(database=args.database)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        return run(engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="expertise search (issue 8)")
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a server database to connect to for creating and dropping --database",
    )
    parser.add_argument("--database", default="bench_expertise")
    parser.add_argument("--explain", action="store_true", help="print the plans of one call each")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(backends) <= {"sqlite", "postgresql"}:
        parser.error("--backends: sqlite and/or postgresql")
    if not args.database.replace("_", "").isalnum():
        parser.error("--database: letters, digits and underscores only")
    if args.profiles < 1000 or args.repeats < 1:
        parser.error("--profiles: at least 1000; --repeats: at least 1")

    started = time.perf_counter()
    world = generate(args.seed, args.profiles)
    searches = queries(world)
    generated = time.perf_counter() - started
    # The generated rows stay alive for the second database and the checks: out of the
    # collector's sight, so that they do not slow down its full collections in timed calls.
    gc.collect()
    gc.freeze()
    knows = [_reader_may_know(label) for label in world.labels]
    visible = sum(
        1
        for i, row in enumerate(world.profiles)
        if row["status"] == ProfileStatus.ACTIVE
        and (knows[row["label_id"]] or i == world.reader_profile)
    )
    active = sum(1 for row in world.profiles if row["status"] == ProfileStatus.ACTIVE)
    kinds = Counter(str(row["kind"]) for row in world.profiles)
    summary: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": cpu(),
            "python": platform.python_version(),
            "load average at start (1, 5, 15 min)": os.getloadavg(),
        },
        "workload": {
            "seed": args.seed,
            "nations": len(NATIONS),
            "organisations": len(world.organisations),
            "people": len(world.people),
            "profiles": len(world.profiles),
            "by kind": dict(sorted(kinds.items())),
            "active": active,
            "visible to the reader (active)": visible,
            "visible share": round(visible / active, 3),
            "capability rows": len(world.capabilities),
            "labels": len(world.labels),
            "labels the reader may know": sum(knows),
            "distinct tokens": len(world.vocabulary),
            "tokens per profile (mean distinct)": round(
                statistics.fmean(len(t) for t in world.tokens), 1
            ),
            "generate s": round(generated, 1),
        },
        "searches": searches,
        "warmups": args.warmups,
        "repeats": args.repeats,
        "results": {},
    }
    print(json.dumps(summary["workload"]), flush=True)
    print(json.dumps(searches), flush=True)
    problems: list[str] = []
    for backend in backends:
        result = _run_backend(backend, args, world, searches)
        problems += [f"{backend}: {p}" for p in result["problems"]]
        summary["results"][backend] = result
    if len(backends) == 2:
        sqlite, postgresql = (summary["results"][b] for b in ("sqlite", "postgresql"))
        for name in searches:
            a, b = sqlite["searches"][name]["total"], postgresql["searches"][name]["total"]
            if a != b:
                problems.append(f"{name}: SQLite finds {a}, PostgreSQL {b}")
        for word, tokens in sqlite["matching tokens"].items():
            if tokens != postgresql["matching tokens"][word]:
                diff = set(tokens) ^ set(postgresql["matching tokens"][word])
                print(f"note: '{word}' finds different tokens: {sorted(diff)[:20]}")
    summary["checks"] = problems or [
        "totals equal brute-force counts; pages hold only expected profiles; "
        "the reader's label classes are as expected; both databases agree"
    ]

    for result in summary["results"].values():
        if result["plans"]:
            print(result["plans"])
    print()
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}, indent=2))
    print()
    header = (
        f"{'database':<11} {'search':<34} {'median':>7} {'p95':>7} {'min':>7} {'max':>7} "
        f"{'first':>7} {'in SQL':>7} {'stmts':>5} {'hits':>6}"
    )
    print(header + "\n" + "-" * len(header))
    met = {}
    for backend, result in summary["results"].items():
        for name, row in result["searches"].items():
            ms = row["ms"]
            if name == "(all searches)":
                print(
                    f"{backend:<11} {name:<34} {ms['median']:>7} {ms['p95']:>7} {ms['min']:>7} "
                    f"{ms['max']:>7}"
                )
                met[backend] = ms["p95"] <= TARGET_MS
                continue
            print(
                f"{backend:<11} {name:<34} {ms['median']:>7} {ms['p95']:>7} {ms['min']:>7} "
                f"{ms['max']:>7} {row['first call ms']:>7} "
                f"{row['in driver execute ms (median)']:>7} {row['statements']:>5} "
                f"{row['total']:>6}"
            )
    print("(ms; 'in SQL' is the median time inside the driver's execute; hits = total)")
    for backend, ok in met.items():
        worst = max(
            row["ms"]["p95"]
            for name, row in summary["results"][backend]["searches"].items()
            if name != "(all searches)"
        )
        pooled = summary["results"][backend]["searches"]["(all searches)"]["ms"]["p95"]
        print(
            f"{backend}: p95 over all searches {pooled} ms, worst search's p95 {worst} ms: "
            f"target {TARGET_MS:g} ms {'met' if ok and worst <= TARGET_MS else 'MISSED'}"
        )
    summary["target met (p95 <= 50 ms)"] = met
    summary["machine"]["load average at end (1, 5, 15 min)"] = os.getloadavg()
    print("load average (1, 5, 15 min):", summary["machine"]["load average at end (1, 5, 15 min)"])
    for p in problems:
        print("PROBLEM:", p)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
