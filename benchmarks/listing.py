"""Benchmarks 2 and 3 of issue 3: authorised listing over a million artifacts, on SQLite
and PostgreSQL, and what-if "add a nation to a project with 100,000 artifacts and 2,000
people".

The database is built from a seeded generator: reference data, nations, organisations and
projects through the ordinary use cases; people, memberships, clearances and the million
artifacts in bulk (a million use cases would take hours and measure nothing of interest).
Label classes are interned with ``intern_label``, as the service does.

Four people see about 0.1%, 1%, 10% and 50% of the artifacts: each is a member of a project
holding that share, and the labels (8,000 classes: levels, REL TO lists with groups,
NOFORN, caveats, export markings) deny them a part of it. For each, and each database:

- first page of 50, sorted by title: the service's listing (plan from cache, one SQL query
  for the page and one for the count), p50 / p95 over repeated calls;
- exact count: the count query alone;
- the first, cold call (plan computed: world, subject, 8,000 label verdicts);
- per-artifact checking, for comparison: read every artifact's label, project and owner and
  call ``decide`` on each, as a naive implementation would.

Usage::

    python benchmarks/listing.py --backend sqlite [--artifacts 1000000] [--json out.json]
    python benchmarks/listing.py --backend postgresql --url postgresql+psycopg://postgres@127.0.0.1:5432/test

The database is built once under ``--data`` (SQLite) or in schema ``bench_listing``
(PostgreSQL) and reused when its size matches; ``--rebuild`` builds it again.
"""

from __future__ import annotations

import argparse
import bisect
import json
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, insert, select, text
from sqlalchemy.orm import Session

import coalition
from coalition.accounts.permissions import Principal
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.common.paging import PageRequest
from coalition.policy.engine import decide
from coalition.policy.facts import Action, Request
from coalition.policy.interning import intern_label
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.projects.models import Member, MemberRole, Participant, ParticipantRole
from coalition.projects.schemas import ProjectIn
from coalition.projects.services import create_project
from coalition.registry.models import Citizenship, Clearance, ClearanceStatus, Person
from coalition.registry.reference import load_reference
from coalition.registry.schemas import NationIn, OrganisationIn, SecurityAgreementIn
from coalition.registry.services import (
    create_nation,
    create_organisation,
    create_security_agreement,
)
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory
from coalition.techdata import facts as loaders
from coalition.techdata import listing
from coalition.techdata.classes import recount
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import ArtifactFilters
from coalition.techdata.services import catalogue_of, list_artifacts, page_ids, page_rows
from coalition.techdata.whatif import WhatIfIn, what_if

OPERATOR = Principal.operator("benchmark")
REFERENCE = Path(coalition.__file__).parent / "reference"
TODAY = date.today()
NATIONS = ("USA", "GBR", "CAN", "AUS", "NOR", "DEU", "FRA")
FVEY = ("USA", "GBR", "CAN", "AUS")
#: Share of the artifacts in the projects the four measured people work on: the labels
#: refuse them about a quarter of their project's artifacts, so they see about 50%, 10%,
#: 1% and 0.1% of all.
SHARES = {"P-HALF": 0.68, "P-TENTH": 0.137, "P-HUNDREDTH": 0.0137, "P-THOUSANDTH": 0.00137}
WORDS = [
    *("acoustic", "array", "sonar", "radar", "inlet", "combustor", "lattice", "model"),
    *("survey", "trial", "calibration", "drawing", "specification", "dataset", "fusion"),
    *("tracker", "antenna", "composite", "thermal", "probe", "buoy", "waveform", "clutter"),
    *("receiver", "swarm", "planner", "gateway", "link", "node", "processor"),
]
WHAT_IF_MEMBERS = 2000


def build(engine: Engine, artifacts: int, seed: int) -> dict[str, Any]:
    uow = uow_factory(engine)
    rng = random.Random(seed)
    started = time.perf_counter()
    upgrade(engine)
    load_reference(uow(), OPERATOR, REFERENCE)
    for code in NATIONS:
        create_nation(uow(), OPERATOR, NationIn(code=code, currency="USD", scheme_code=code))
    organisations: dict[str, list[uuid.UUID]] = {}
    for code in NATIONS:
        organisations[code] = [
            create_organisation(
                uow(),
                OPERATOR,
                OrganisationIn(
                    name=f"{code} laboratory {n}",
                    short_name=f"{code}L{n}",
                    kind="lab",
                    nation_code=code,
                ),
            ).id
            for n in range(3)
        ]
    for a, b in (
        ("USA", "GBR"),
        ("USA", "CAN"),
        ("USA", "AUS"),
        ("GBR", "CAN"),
        ("GBR", "AUS"),
        ("CAN", "AUS"),
    ):
        create_security_agreement(
            uow(),
            OPERATOR,
            SecurityAgreementIn(
                reference=f"GSA-{a}-{b}",
                title=f"{a}-{b}",
                parties=[a, b],
                max_level=4,
                in_force_from=date(2000, 1, 1),
            ),
        )
    parties = [organisations[n][0] for n in FVEY]
    agreement = create_agreement(
        uow(),
        OPERATOR,
        AgreementIn(
            reference="MOU-BENCH",
            title="Benchmark MoU",
            kind="mou",
            effective_from=date(2020, 1, 1),
            classification_ceiling=4,
            parties=[PartyIn(organisation_id=p) for p in parties],
        ),
    )
    change_status(
        uow(), OPERATOR, agreement.id, StatusChangeIn(to_status="in_force", reason="signed")
    )
    project_ids: dict[str, uuid.UUID] = {}
    names = list(SHARES) + [f"P-{n:02d}" for n in range(46)]
    for name in names:
        project_ids[name] = create_project(
            uow(),
            OPERATOR,
            ProjectIn(
                code=name,
                title=name,
                agreement_id=agreement.id,
                start_on=date(2021, 1, 1),
                lead_organisation_id=organisations["USA"][0],
                classification_ceiling=4,
            ),
        ).id
    with uow() as unit:
        unit.for_writing()
        session = unit.session
        rows = [
            {
                "id": uuid.uuid4(),
                "project_id": pid,
                "organisation_id": org,
                "role": ParticipantRole.PARTNER,
                "joined_on": date(2021, 1, 2),
                "withdrew_on": None,
            }
            for pid in project_ids.values()
            for nation in FVEY
            for org in organisations[nation]
            if org != organisations["USA"][0]
        ]
        session.execute(insert(Participant), rows)
        unit.commit()
    # Labels: levels x REL TO lists x caveats x export x review dates, interned.
    catalogue = None
    labels: list[int] = []
    with uow() as unit:
        unit.for_writing()
        session = unit.session
        catalogue = catalogue_of(session)
        seen: set[SecurityLabel] = set()
        markings = {
            "USA": ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"],
            "GBR": ["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"],
            "CAN": ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"],
            "AUS": ["OFFICIAL", "PROTECTED", "SECRET"],
        }
        while len(labels) < 8000:
            originator = rng.choice(FVEY)
            rel_kind = rng.random()
            if rel_kind < 0.45:
                rel = frozenset({originator, "FVEY"})
            elif rel_kind < 0.75:
                rel = frozenset({originator, *rng.sample(FVEY, 2)})
            elif rel_kind < 0.85:
                rel = frozenset({originator, "NATO"})
            else:
                rel = frozenset()
            label = SecurityLabel(
                scheme=originator,
                classification=rng.choice(markings[originator]),
                originator=originator,
                releasable_to=rel,
                noforn=not rel and rng.random() < 0.5,
                caveats=frozenset({"NEPTUNE"}) if rng.random() < 0.05 else frozenset(),
                export=frozenset({ExportMarking(ExportRegime.ITAR, "USML XI(d)", "USA")})
                if originator == "USA" and rng.random() < 0.05
                else frozenset(),
                review_on=TODAY + timedelta(days=rng.randrange(2000)),
            )
            if label in seen:
                continue
            seen.add(label)
            labels.append(intern_label(session, label, catalogue).id)
        unit.commit()
    # People: the four measured, and the big project's 2,000 members for what-if.
    people_rows: list[dict[str, Any]] = []
    citizenship_rows: list[dict[str, Any]] = []
    clearance_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    measured: dict[str, uuid.UUID] = {}

    def person(nation: str, org: uuid.UUID, project: str, email: str) -> uuid.UUID:
        pid = uuid.uuid4()
        now = datetime.now(UTC)
        people_rows.append(
            {
                "id": pid,
                "given_name": "Bench",
                "family_name": email,
                "email": email,
                "employer_id": org,
                "status": "active",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        citizenship_rows.append({"person_id": pid, "nation_code": nation})
        clearance_rows.append(
            {
                "id": uuid.uuid4(),
                "person_id": pid,
                "issuer": nation,
                "level_name": "TOP SECRET",
                "level": 4,
                "valid_from": date(2020, 1, 1),
                "valid_until": date(2035, 1, 1),
                "status": ClearanceStatus.ACTIVE,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        member_rows.append(
            {
                "id": uuid.uuid4(),
                "project_id": project_ids[project],
                "participant_id": org,
                "person_id": pid,
                "role": MemberRole.RESEARCHER,
                "joined_on": date(2021, 2, 1),
                "left_on": None,
            }
        )
        return pid

    for name in SHARES:
        measured[name] = person(
            "USA", organisations["USA"][1], name, f"{name.lower()}@bench.example"
        )
    for n in range(WHAT_IF_MEMBERS):
        nation = FVEY[n % 4]
        org = organisations[nation][1 + n % 2]
        person(nation, org, "P-TENTH", f"member{n}@bench.example")
    for n in range(300):  # the nation that joins in the what-if, not yet on the project
        pid = uuid.uuid4()
        now = datetime.now(UTC)
        people_rows.append(
            {
                "id": pid,
                "given_name": "Nor",
                "family_name": f"{n}",
                "email": f"nor{n}@bench.example",
                "employer_id": organisations["NOR"][n % 3],
                "status": "active",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        citizenship_rows.append({"person_id": pid, "nation_code": "NOR"})
    with uow() as unit:
        unit.for_writing()
        session = unit.session
        session.execute(insert(Person), people_rows)
        session.execute(insert(Citizenship), citizenship_rows)
        session.execute(insert(Clearance), clearance_rows)
        # Members sit on a participant row of their organisation in that project.
        part = {
            (r.project_id, r.organisation_id): r.id
            for r in session.execute(
                select(Participant.id, Participant.project_id, Participant.organisation_id)
            )
        }
        for row in member_rows:
            row["participant_id"] = part[(row["project_id"], row["participant_id"])]
        session.execute(insert(Member), member_rows)
        unit.commit()
    # Artifacts, in batches.
    weights = dict(SHARES)
    rest = 1 - sum(weights.values())
    others = [n for n in names if n not in SHARES]
    for name in others:
        weights[name] = rest / len(others)
    choices = list(weights)
    cum = []
    total = 0.0
    for name in choices:
        total += weights[name]
        cum.append(total)
    # Each project marks its data with labels from its own pool (a project's documents share
    # a few markings), sized with the project; pools overlap, as programmes share markings.
    pools = {
        name: rng.sample(labels, max(40, min(len(labels), round(8000 * weights[name]))))
        for name in choices
    }
    # The measured people's own laboratory owns nothing: they see through their projects.
    owners = [o for n in FVEY for o in organisations[n] if o != organisations["USA"][1]]
    batch: list[dict[str, Any]] = []
    made = 0
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for n in range(artifacts):
            project = choices[bisect.bisect_left(cum, rng.random() * total)]
            batch.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128)),
                    "reference": f"A-{n:07d}",
                    "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}",
                    "description": None,
                    "kind": "report",
                    "project_id": project_ids[project],
                    "owner_organisation_id": rng.choice(owners),
                    "label_id": rng.choice(pools[project]),
                    "ip_asset_id": None,
                    "created_by": "benchmark",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            if len(batch) == 20000:
                connection.execute(insert(Artifact), batch)
                made += len(batch)
                batch.clear()
        if batch:
            connection.execute(insert(Artifact), batch)
            made += len(batch)
        classes = recount(connection)
        if engine.dialect.name == "sqlite":
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # As autovacuum would soon: statistics, and the visibility map that lets the
        # covering indexes answer without visiting the table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return {
        "artifacts": made,
        "labels": len(labels),
        "classes": classes,
        "measured": {k: str(v) for k, v in measured.items()},
        "big_project": str(project_ids["P-TENTH"]),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered) * 1000, 2),
        "p95": round(p95 * 1000, 2),
        "min": round(ordered[0] * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


def _timed(call: Callable[[], Any], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def measure(engine: Engine, info: dict[str, Any], repeats: int, naive: bool) -> dict[str, Any]:
    uow = uow_factory(engine)
    results: dict[str, Any] = {}
    for name, person_text in info["measured"].items():
        person = uuid.UUID(person_text)
        for cache in listing._caches.values():
            # Cold for this person: the plan is computed (world and labels stay loaded,
            # as in a running server).
            cache.plans.clear()
            cache.views.clear()
        filters = ArtifactFilters(sort="title")
        first = PageRequest(limit=50)

        def service(
            first: PageRequest = first,
            filters: ArtifactFilters = filters,
            person: uuid.UUID = person,
        ) -> Any:
            return list_artifacts(
                uow(), OPERATOR, first, filters, as_person=person, action=Action.READ
            )

        cold = _timed(service, 1)
        page = service()
        full = _timed(service, repeats)
        with uow() as unit:
            session = unit.session
            seen = listing.visibility(session, unit.database, person, Action.READ, TODAY)
            where = seen.where(session)
            total = seen.count(session)
            first = PageRequest(limit=50)
            counts = _timed(partial(seen.count, session), repeats)

            def first_page(
                s: Session = session,
                t: int = total,
                w: ColumnElement[bool] = where,
                p: PageRequest = first,
            ) -> list[Artifact]:
                return page_rows(s, page_ids(s, [w], "title", t, p))

            pages = _timed(first_page, repeats)
            scan = select(func.count()).select_from(Artifact).where(where)
            scans = _timed(partial(session.scalar, scan), max(3, repeats // 10))
        row: dict[str, Any] = {
            "visible": page.total,
            "share": round(page.total / info["artifacts"] * 100, 3),
            "cold_first_call_ms": round(cold[0] * 1000, 1),
            "first_page_ms": _ms(pages),
            "count_ms": _ms(counts),
            "count_by_scanning_artifacts_ms": _ms(scans),
            "service_call_ms": _ms(full),
        }
        if naive:
            row["per_artifact"] = _naive(uow, person)
            assert row["per_artifact"]["visible"] == page.total, "naive and planned disagree"
        results[name] = row
        print(name, json.dumps(row), flush=True)
    started = time.perf_counter()
    change = WhatIfIn.model_validate(
        {"changes": [{"kind": "add_nation", "project_id": info["big_project"], "nation": "NOR"}]}
    )
    times = []
    result = None
    for _ in range(5):
        started = time.perf_counter()
        result = what_if(uow(), OPERATOR, change)
        times.append(time.perf_counter() - started)
    assert result is not None
    with uow() as unit:
        big = unit.session.scalar(
            select(func.count())
            .select_from(Artifact)
            .where(Artifact.project_id == uuid.UUID(info["big_project"]))
        )
        members = unit.session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.project_id == uuid.UUID(info["big_project"]))
        )
    results["what_if"] = {
        "project_artifacts": big,
        "project_members": members,
        "people_considered": result.people_considered,
        "people_gaining": result.people_gaining,
        "gained": result.gained,
        "seconds": _ms(times),
    }
    print("what_if", json.dumps(results["what_if"]), flush=True)
    return results


def _naive(uow: Callable[[], Any], person: uuid.UUID) -> dict[str, Any]:
    """Every artifact read and decided one by one, as listing without label classes would."""
    started = time.perf_counter()
    with uow() as unit:
        session = unit.session
        world = loaders.load_world(session)
        subject = loaders.load_subjects(session, [person], TODAY)[person]
        labels = loaders.load_labels(session)
        rows = session.execute(
            select(
                Artifact.id, Artifact.label_id, Artifact.project_id, Artifact.owner_organisation_id
            )
        ).all()
    from coalition.policy.facts import Artifact as Fact

    visible = sum(
        decide(
            Request(subject, Fact(r[0], r[2], r[3], labels[r[1]]), Action.READ, TODAY), world
        ).permit
        for r in rows
    )
    return {"visible": visible, "seconds": round(time.perf_counter() - started, 2)}


def _engine(args: argparse.Namespace) -> Engine:
    if args.backend == "sqlite":
        Path(args.data).mkdir(parents=True, exist_ok=True)
        return make_engine(f"sqlite:///{Path(args.data) / f'listing-{args.artifacts}.db'}")
    admin = make_engine(args.url)
    schema = f"bench_listing_{args.artifacts}"
    with admin.begin() as connection:
        if args.rebuild:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    return make_engine(args.url, connect_args={"options": f"-csearch_path={schema}"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--data", default="/tmp/coalition-bench")
    parser.add_argument("--artifacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-naive", action="store_true", help="skip per-artifact checking")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.backend == "sqlite" and args.rebuild:
        (Path(args.data) / f"listing-{args.artifacts}.db").unlink(missing_ok=True)
    engine = _engine(args)
    info_file = Path(args.data) / f"listing-{args.backend}-{args.artifacts}.json"
    info: dict[str, Any]
    if info_file.exists() and not args.rebuild:
        info = json.loads(info_file.read_text())
    else:
        info = build(engine, args.artifacts, args.seed)
        Path(args.data).mkdir(parents=True, exist_ok=True)
        info_file.write_text(json.dumps(info))
    print("built", json.dumps(info), flush=True)
    out = {
        "backend": args.backend,
        "machine": {"cpus": platform.machine(), "python": platform.python_version()},
        "build": info,
        "results": measure(engine, info, args.repeats, not args.no_naive),
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
