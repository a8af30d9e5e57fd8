"""Benchmark of issue 7: the funding reports over 10 years x 20 nations x 50 work packages x
100,000 transactions, on SQLite and PostgreSQL in the same run.

One seeded world is generated in memory and bulk-inserted (Core ``insert``, not the use
cases) into a fresh SQLite file and a fresh PostgreSQL database, both made by the
migrations (``coalition.store.migrate.upgrade``):

- 20 nations with 18 currencies (DEU, FRA and ITA share the euro) and their own fiscal
  years (USA from October; GBR, CAN and JPN from April; AUS and NZL from July; the rest
  from January);
- per nation its defence agency, a party to the agreement, and two companies; all 60 take
  part in the project;
- one MoU in force from 2016-01-01 to 2026-01-01, accounted in USD at fixed rates for the
  17 other currencies, cost shares ``fixed_shares`` totalling 100%, amended once (new
  shares from 2021-01-01);
- one project with 50 work packages, each funded by two or three nations in three cost
  categories: a budget and a forecast line per fiscal year 2016 to 2025 of each funder;
- ``--transactions`` (default 100,000) dated over the ten years: 60% expenditures
  (commitments and actuals, with some negative corrections), 25% contributions (cash,
  and in kind: mostly accepted, some proposed or rejected) and 15% workshare awards.

Timed, ``--warmups`` (default 2) then ``--repeats`` (default 15) times, interleaved, each a
whole service call on a fresh unit of work: ``reports.balance`` (USD, calendar years),
``reports.balance`` in GBP over GBR's fiscal years, ``reports.budget`` (USD) and
``reports.budget`` in EUR. The time spent in the database driver's ``execute`` is summed
from SQLAlchemy's cursor events. Every report's totals are checked against exact sums of
the generated rows, and the two databases must give equal reports. ``--profile`` adds a
cProfile of one call per report and database; ``--no-gc`` turns the cyclic garbage
collector off for the whole run (the generated rows are frozen out of its sight either way).

Usage::

    python benchmarks/funding.py [--transactions 100000] [--repeats 15] [--warmups 2]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--database bench_funding]
        [--backends sqlite,postgresql] [--profile] [--no-gc] [--json F]

The PostgreSQL database ``--database`` is created on the server of ``--url`` (replaced if
it exists) and dropped at the end; the SQLite file lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url

from coalition.accounts.permissions import Principal
from coalition.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    AgreementStatusChange,
    Amendment,
    CostShareRule,
)
from coalition.funding import money
from coalition.funding.models import (
    AwardKind,
    BudgetLine,
    Contribution,
    ContributionKind,
    ContributionStatus,
    CostCategory,
    Expenditure,
    InKindType,
    PlanKind,
    SpendKind,
    WorkshareAward,
)
from coalition.funding.reports import balance, budget
from coalition.projects.models import (
    Participant,
    ParticipantRole,
    Project,
    ProjectStatus,
    WorkPackage,
)
from coalition.registry.models import Nation, Organisation, OrganisationKind
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import UnitOfWork, uow_factory
from timing import SqlClock, cpu, summary_ms

OPERATOR = Principal.operator("bench")
AGREEMENT = "MOU-FUNDING-BENCH"
PROJECT = "FUNDING-BENCH"
FIRST_DAY, END = date(2016, 1, 1), date(2026, 1, 1)  # ten years, END excluded
AMENDED_ON = date(2021, 1, 1)
FISCAL_YEARS = range(2016, 2026)
#: code, name, currency, month the fiscal year starts, USD per unit (the agreement's rate).
NATIONS = (
    ("USA", "United States", "USD", 10, "1"),
    ("GBR", "United Kingdom", "GBP", 4, "1.27"),
    ("CAN", "Canada", "CAD", 4, "0.74"),
    ("AUS", "Australia", "AUD", 7, "0.66"),
    ("JPN", "Japan", "JPY", 4, "0.0067"),
    ("NZL", "New Zealand", "NZD", 7, "0.61"),
    ("NOR", "Norway", "NOK", 1, "0.094"),
    ("SWE", "Sweden", "SEK", 1, "0.096"),
    ("DNK", "Denmark", "DKK", 1, "0.145"),
    ("CHE", "Switzerland", "CHF", 1, "1.13"),
    ("POL", "Poland", "PLN", 1, "0.25"),
    ("CZE", "Czechia", "CZK", 1, "0.043"),
    ("HUN", "Hungary", "HUF", 1, "0.0028"),
    ("KOR", "Republic of Korea", "KRW", 1, "0.00075"),
    ("TUR", "Türkiye", "TRY", 1, "0.031"),
    ("ROU", "Romania", "RON", 1, "0.22"),
    ("ISL", "Iceland", "ISK", 1, "0.0072"),
    ("DEU", "Germany", "EUR", 1, "1.08"),
    ("FRA", "France", "EUR", 1, "1.08"),
    ("ITA", "Italy", "EUR", 1, "1.08"),
)
CURRENCY = {code: currency for code, _, currency, _, _ in NATIONS}
RATE = {currency: Decimal(rate) for _, _, currency, _, rate in NATIONS}
WORK_PACKAGES = 50
#: Share of the transactions: expenditures, contributions, workshare awards.
MIX = (0.60, 0.25, 0.15)
#: The timed calls: name -> report function of a unit of work.
VARIANTS: dict[str, Callable[[UnitOfWork], Any]] = {
    "balance (USD, calendar years)": lambda u: balance(u, OPERATOR, AGREEMENT),
    "balance (GBP, GBR fiscal years)": lambda u: balance(
        u, OPERATOR, AGREEMENT, currency="GBP", fiscal_nation="GBR"
    ),
    "budget (USD)": lambda u: budget(u, OPERATOR, PROJECT),
    "budget (EUR)": lambda u: budget(u, OPERATOR, PROJECT, currency="EUR"),
}
#: Tables in the order their rows are inserted (foreign keys first).
TABLES = (
    Nation,
    Organisation,
    Agreement,
    AgreementParty,
    AgreementStatusChange,
    Amendment,
    Project,
    Participant,
    WorkPackage,
    BudgetLine,
    Expenditure,
    Contribution,
    WorkshareAward,
)


# --- the world ---------------------------------------------------------------------------------


def _shares(rng: random.Random, nations: list[str]) -> dict[str, str]:
    """Percent per nation with two decimals, as decimal strings adding up to exactly 100."""
    weights = {n: rng.uniform(0.3, 1.0) * (8 if n == "USA" else 1) for n in nations}
    total = sum(weights.values())
    hundredths = money.allocate({n: Fraction(w / total * 10000) for n, w in weights.items()})
    return {n: str(Decimal(v).scaleb(-2)) for n, v in hundredths.items()}


def generate(seed: int, transactions: int) -> dict[str, Any]:
    """Every row of the world, per model, and the sums the reports must come to."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    stamp = {"created_at": now, "updated_at": now, "version": 1}

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def day() -> date:
        return FIRST_DAY + timedelta(days=rng.randrange((END - FIRST_DAY).days))

    def minor(usd: float, currency: str) -> int:
        """About ``usd`` dollars in ``currency``'s minor units."""
        scale = 10.0 ** money.minor_digits(currency)
        return max(1, round(usd / float(RATE[currency]) * scale))

    def usd(low: float, high: float) -> float:
        return math.exp(rng.uniform(math.log(low), math.log(high)))  # log-uniform

    rows: dict[type, list[dict[str, Any]]] = {model: [] for model in TABLES}
    codes = [n[0] for n in NATIONS]
    for code, name, currency, month, _ in NATIONS:
        rows[Nation].append(
            {
                "code": code,
                "name": name,
                "scheme_code": None,
                "fiscal_year_start_month": month,
                "fiscal_year_start_day": 1,
                "currency": currency,
                "created_at": now,
            }
        )
    agency: dict[str, uuid.UUID] = {}
    companies: dict[str, list[uuid.UUID]] = {}
    nation_of: dict[uuid.UUID, str] = {}
    for code in codes:
        agency[code] = new_id()
        companies[code] = [new_id(), new_id()]
        for org, short, org_kind in (
            (agency[code], f"{code}-MOD", OrganisationKind.AGENCY),
            (companies[code][0], f"{code}-IND1", OrganisationKind.COMPANY),
            (companies[code][1], f"{code}-IND2", OrganisationKind.COMPANY),
        ):
            nation_of[org] = code
            rows[Organisation].append(
                {"id": org, "name": f"{short} ({code})", "short_name": short, "kind": org_kind}
                | {"nation_code": code, "parent_id": None, "city": None, "website": None}
                | stamp
            )
    agreement_id, project_id = new_id(), new_id()
    first_shares = _shares(rng, codes)
    shares = _shares(rng, codes)  # from AMENDED_ON on
    rows[Agreement].append(
        {
            "id": agreement_id,
            "reference": AGREEMENT,
            "title": "Funding benchmark MoU",
            "kind": AgreementKind.MOU,
            "status": AgreementStatus.IN_FORCE,
            "parent_id": None,
            "effective_from": FIRST_DAY,
            "expires_on": END,
            "cost_share_rule": CostShareRule.FIXED_SHARES,
            "cost_shares": shares,
            "fixed_contributions": {},
            "work_package_shares": {},
            "accounting_currency": "USD",
            "exchange_rates": {c: str(r) for c, r in RATE.items() if c != "USD"},
            "balance_band_low_percent": 95,
            "balance_band_high_percent": 105,
        }
        | stamp
    )
    rows[AgreementParty] = [
        {"agreement_id": agreement_id, "organisation_id": agency[c], "signed_on": date(2015, 12, 1)}
        for c in codes
    ]
    rows[AgreementStatusChange].append(
        {
            "agreement_id": agreement_id,
            "from_status": AgreementStatus.DRAFT,
            "to_status": AgreementStatus.IN_FORCE,
            "at": datetime(2016, 1, 1, tzinfo=UTC),
            "actor": "benchmark",
            "reason": "signed by all parties",
        }
    )
    rows[Amendment].append(
        {
            "id": new_id(),
            "agreement_id": agreement_id,
            "number": 1,
            "title": "New cost shares",
            "summary": None,
            "signed_on": date(2020, 11, 15),
            "effective_from": AMENDED_ON,
            "changed_fields": ["cost_shares"],
            "changes": {"cost_shares": {"from": first_shares, "to": shares}},
        }
        | stamp
    )
    rows[Project].append(
        {
            "id": project_id,
            "code": PROJECT,
            "title": "Funding benchmark project",
            "agreement_id": agreement_id,
            "status": ProjectStatus.ACTIVE,
            "start_on": FIRST_DAY,
            "end_on": END,
            "classification_ceiling": 0,
            "description": None,
        }
        | stamp
    )
    participants = [o for c in codes for o in (agency[c], *companies[c])]
    rows[Participant] = [
        {
            "id": new_id(),
            "project_id": project_id,
            "organisation_id": org,
            "role": ParticipantRole.LEAD if org == agency["USA"] else ParticipantRole.PARTNER,
            "joined_on": FIRST_DAY,
            "withdrew_on": None,
        }
        for org in participants
    ]
    # Work packages, each funded by two or three nations in three cost categories.
    work_packages: list[tuple[uuid.UUID, list[CostCategory], list[str]]] = []
    weight_of = {n: float(Decimal(s)) for n, s in shares.items()}
    for n in range(WORK_PACKAGES):
        wp_id = new_id()
        funders = sorted(set(rng.choices(codes, weights=list(weight_of.values()), k=3)))
        if len(funders) == 1:
            funders.append(rng.choice([c for c in codes if c != funders[0]]))
        categories = [CostCategory.PERSONNEL, *rng.sample(list(CostCategory)[1:], 2)]
        work_packages.append((wp_id, categories, funders))
        rows[WorkPackage].append(
            {
                "id": wp_id,
                "project_id": project_id,
                "code": f"WP{n + 1:02d}",
                "title": f"Work package {n + 1}",
                "lead_organisation_id": rng.choice(companies[funders[0]]),
                "description": None,
            }
            | stamp
        )
        for nation in funders:
            for year in FISCAL_YEARS:
                for category in categories:
                    planned = usd(50_000, 2_000_000)
                    for plan_kind, amount in (
                        (PlanKind.BUDGET, planned),
                        (PlanKind.FORECAST, planned * rng.uniform(0.85, 1.15)),
                    ):
                        rows[BudgetLine].append(
                            {
                                "id": new_id(),
                                "project_id": project_id,
                                "work_package_id": wp_id,
                                "category": category,
                                "nation_code": nation,
                                "fiscal_year": year,
                                "kind": plan_kind,
                                "amount_minor": minor(amount, CURRENCY[nation]),
                                "currency": CURRENCY[nation],
                                "note": None,
                            }
                            | stamp
                        )
    # Transactions. A nation's work follows its share with a bias of its own, so some
    # nations fall outside the balance band.
    bias = {c: rng.uniform(0.8, 1.2) for c in codes}
    work_weights = [weight_of[c] * bias[c] for c in codes]
    expenditures = round(transactions * MIX[0])
    contributions = round(transactions * MIX[1])
    awards = transactions - expenditures - contributions
    for n in range(expenditures):
        wp_id, categories, _ = rng.choice(work_packages)
        org = rng.choice(participants)
        nation = nation_of[org]
        currency = "USD" if rng.random() < 0.1 else CURRENCY[nation]
        spend_kind = SpendKind.COMMITMENT if rng.random() < 0.25 else SpendKind.ACTUAL
        amount = minor(usd(1_000, 200_000), currency)
        if spend_kind == SpendKind.ACTUAL and rng.random() < 0.02:
            amount = -amount // 10  # a correction
        rows[Expenditure].append(
            {
                "id": new_id(),
                "project_id": project_id,
                "work_package_id": wp_id,
                "category": rng.choice(categories),
                "organisation_id": org,
                "nation_code": nation,
                "kind": spend_kind,
                "incurred_on": day(),
                "amount_minor": amount,
                "currency": currency,
                "reference": f"INV-{n:06d}",
                "description": None,
            }
            | stamp
        )
    for n in range(contributions):
        nation = rng.choices(codes, weights=list(weight_of.values()))[0]
        made_on = day()
        if rng.random() < 0.85:
            kind, org = ContributionKind.CASH, agency[nation]
            in_kind_type: InKindType | None = None
            status = ContributionStatus.ACCEPTED
        else:
            kind, org = ContributionKind.IN_KIND, rng.choice([agency[nation], *companies[nation]])
            in_kind_type = rng.choice(list(InKindType))
            r = rng.random()
            status = (
                ContributionStatus.ACCEPTED
                if r < 0.8
                else ContributionStatus.PROPOSED
                if r < 0.92
                else ContributionStatus.REJECTED
            )
        decided = kind == ContributionKind.IN_KIND and status != ContributionStatus.PROPOSED
        rows[Contribution].append(
            {
                "id": new_id(),
                "reference": f"CON-{n:06d}",
                "agreement_id": agreement_id,
                "project_id": project_id,
                "work_package_id": rng.choice(work_packages)[0] if rng.random() < 0.3 else None,
                "organisation_id": org,
                "nation_code": nation,
                "kind": kind,
                "in_kind_type": in_kind_type,
                "made_on": made_on,
                "amount_minor": minor(usd(10_000, 1_000_000), CURRENCY[nation]),
                "currency": CURRENCY[nation],
                "description": None,
                "valuation_method": "published rate x hours" if in_kind_type else None,
                "evidence": "timesheets" if in_kind_type else None,
                "status": status,
                "decided_on": made_on + timedelta(days=30) if decided else None,
                "decided_by": "oversight board" if decided else None,
                "decision_reference": f"DEC-{n:06d}" if decided else None,
                "decision_note": None,
            }
            | stamp
        )
    for n in range(awards):
        nation = rng.choices(codes, weights=work_weights)[0]
        wp_id = rng.choice(work_packages)[0]
        rows[WorkshareAward].append(
            {
                "id": new_id(),
                "reference": f"AWD-{n:06d}",
                "agreement_id": agreement_id,
                "project_id": project_id,
                "work_package_id": wp_id,
                "organisation_id": rng.choice(companies[nation]),
                "nation_code": nation,
                "kind": AwardKind.CONTRACT if rng.random() < 0.4 else AwardKind.TASK,
                "title": f"Award {n}",
                "awarded_on": day(),
                "value_minor": minor(usd(20_000, 5_000_000), CURRENCY[nation]),
                "currency": CURRENCY[nation],
            }
            | stamp
        )
    return {"rows": rows, "sums": _sums(rows)}


def _sums(rows: dict[type, list[dict[str, Any]]]) -> dict[str, dict[str, int]]:
    """Minor units per currency of what each report total adds up, from the rows."""
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows[Contribution]:
        if r["status"] == ContributionStatus.ACCEPTED:
            sums["contributed"][r["currency"]] += r["amount_minor"]
    for r in rows[WorkshareAward]:
        sums["workshare"][r["currency"]] += r["value_minor"]
    for r in rows[BudgetLine]:
        sums[str(r["kind"])][r["currency"]] += r["amount_minor"]
    for r in rows[Expenditure]:
        name = "committed" if r["kind"] == SpendKind.COMMITMENT else "actual"
        sums[name][r["currency"]] += r["amount_minor"]
    return {name: dict(per_currency) for name, per_currency in sums.items()}


def _expected(per_currency: dict[str, int], target: str) -> Decimal:
    """The exact sum in ``target`` at the fixed rates, rounded once, half to even."""
    exact = sum(
        (
            Fraction(minor)
            * Fraction(RATE[cur])
            / Fraction(RATE[target])
            * Fraction(10) ** (money.minor_digits(target) - money.minor_digits(cur))
            for cur, minor in per_currency.items()
        ),
        Fraction(0),
    )
    return money.from_minor(round(exact), target)


def load(engine: Engine, rows: dict[type, list[dict[str, Any]]]) -> dict[str, Any]:
    """The schema from the migrations, then every row by Core ``insert`` in batches."""
    started = time.perf_counter()
    upgrade(engine)
    migrated = time.perf_counter() - started
    with engine.begin() as connection:
        for model in TABLES:
            batch = rows[model]
            for i in range(0, len(batch), 10_000):
                connection.execute(insert(model), batch[i : i + 10_000])
    inserted = time.perf_counter() - started - migrated
    # Statistics, as the database would soon have them on its own (autovacuum on PostgreSQL).
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    with engine.connect() as connection:
        counts = {
            model.__tablename__: connection.scalar(select(func.count()).select_from(model))
            for model in TABLES
        }
    return {
        "migrate s": round(migrated, 1),
        "insert s": round(inserted, 1),
        "analyse s": round(time.perf_counter() - started - migrated - inserted, 1),
        "rows": counts,
    }


# --- measuring ---------------------------------------------------------------------------------


def measure(
    engine: Engine, warmups: int, repeats: int, profile: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Timings per report (interleaved rounds), and the last report of each."""
    uow = uow_factory(engine)
    clock = SqlClock(engine)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    sql: dict[str, list[float]] = {name: [] for name in VARIANTS}
    statements: dict[str, int] = {}
    cold: dict[str, float] = {}
    reports: dict[str, Any] = {}
    for round_ in range(warmups + repeats):
        for name, call in VARIANTS.items():
            clock.reset()
            started = time.perf_counter()
            reports[name] = call(uow())
            elapsed = time.perf_counter() - started
            if round_ == 0:
                cold[name] = elapsed
            if round_ >= warmups:
                times[name].append(elapsed)
                sql[name].append(clock.seconds)
                statements[name] = clock.statements
    out: dict[str, Any] = {}
    for name in VARIANTS:
        out[name] = {
            "ms": summary_ms(times[name]),
            "first call ms": round(cold[name] * 1000, 1),
            "in driver execute ms (median)": round(statistics.median(sql[name]) * 1000, 1),
            "statements": statements[name],
            "runs ms": [round(t * 1000, 1) for t in times[name]],
        }
    if profile:
        for name, call in VARIANTS.items():
            profiler = cProfile.Profile()
            profiler.enable()
            call(uow())
            profiler.disable()
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream)
            stats.sort_stats("tottime").print_stats(15)
            stats.sort_stats("cumulative").print_stats(25)
            out[name]["profile"] = stream.getvalue()
    return out, reports


def check(reports: dict[str, Any], sums: dict[str, dict[str, int]]) -> list[str]:
    """Each report's totals against the exact sums of the generated rows."""
    problems = []
    for name, report in reports.items():
        currency = report.currency
        if name.startswith("balance"):
            pairs = [
                ("total_contributed", report.total_contributed, sums["contributed"]),
                ("total_workshare", report.total_workshare, sums["workshare"]),
            ]
        else:
            pairs = [
                (column, getattr(report.totals, column), sums[column])
                for column in ("budget", "forecast", "committed", "actual")
            ]
        for what, got, per_currency in pairs:
            expected = _expected(per_currency, currency)
            if got != expected:
                problems.append(f"{name}: {what} {got} != {expected}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="funding reports (issue 7)")
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a server database to connect to for creating and dropping --database",
    )
    parser.add_argument("--database", default="bench_funding")
    parser.add_argument("--profile", action="store_true", help="cProfile one call of each")
    parser.add_argument("--no-gc", action="store_true", help="the cyclic collector off")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(backends) <= {"sqlite", "postgresql"}:
        parser.error("--backends: sqlite and/or postgresql")
    if not args.database.replace("_", "").isalnum():
        parser.error("--database: letters, digits and underscores only")

    started = time.perf_counter()
    world = generate(args.seed, args.transactions)
    generated = time.perf_counter() - started
    # The generated rows stay alive for the second database: out of the collector's sight,
    # so that they do not slow down its full collections during the timed calls.
    gc.collect()
    gc.freeze()
    if args.no_gc:
        gc.disable()
    rows = world["rows"]
    kinds = Counter(
        f"{r['kind']}/{r['status']}" if "status" in r else str(r["kind"])
        for model in (Expenditure, Contribution)
        for r in rows[model]
    )
    summary: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": cpu(),
            "python": platform.python_version(),
        },
        "workload": {
            "seed": args.seed,
            "transactions": sum(len(rows[m]) for m in (Expenditure, Contribution, WorkshareAward)),
            "expenditures": len(rows[Expenditure]),
            "contributions": len(rows[Contribution]),
            "workshare awards": len(rows[WorkshareAward]),
            "budget lines": len(rows[BudgetLine]),
            "by kind": dict(sorted(kinds.items())),
            "generate s": round(generated, 1),
        },
        "warmups": args.warmups,
        "repeats": args.repeats,
        "cyclic garbage collector": "off" if args.no_gc else "on",
        "results": {},
    }
    print(json.dumps(summary["workload"]), flush=True)
    reports: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                engine = make_engine(f"sqlite:///{Path(folder) / 'funding.db'}")
                try:
                    build = load(engine, rows)
                    with engine.connect() as connection:
                        version = connection.scalar(text("SELECT sqlite_version()"))
                    results, reports[backend] = measure(
                        engine, args.warmups, args.repeats, args.profile
                    )
                finally:
                    engine.dispose()
        else:
            admin = make_engine(args.url).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"))
                connection.execute(text(f"CREATE DATABASE {args.database}"))
            url = make_url(args.url).set(database=args.database)
            engine = make_engine(url.render_as_string(hide_password=False))
            try:
                build = load(engine, rows)
                with engine.connect() as connection:
                    version = connection.scalar(text("SHOW server_version"))
                results, reports[backend] = measure(
                    engine, args.warmups, args.repeats, args.profile
                )
            finally:
                engine.dispose()
                with admin.connect() as connection:
                    connection.execute(
                        text(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
                    )
                admin.dispose()
        problems += [f"{backend}: {p}" for p in check(reports[backend], world["sums"])]
        summary["results"][backend] = {"version": version, "build": build, "reports": results}
        print(backend, json.dumps(build), flush=True)
    if len(reports) == 2:
        for name in VARIANTS:
            if reports["sqlite"][name].model_dump() != reports["postgresql"][name].model_dump():
                problems.append(f"{name}: SQLite and PostgreSQL reports differ")
    example = next(iter(reports.values()))
    first = example[next(iter(VARIANTS))]
    summary["reports"] = {
        "balance nations": len(first.nations),
        "balance periods": len(first.periods),
        "balance alerts": len(first.alerts),
        "budget rows": len(example["budget (USD)"].rows),
        "budget fiscal-year rows": len(example["budget (USD)"].by_fiscal_year),
        "total contributed (USD)": str(first.total_contributed),
        "total workshare (USD)": str(first.total_workshare),
    }
    summary["checks"] = problems or ["totals equal the exact sums; both databases agree"]

    if args.profile:
        for backend, result in summary["results"].items():
            for name, row in result["reports"].items():
                print(f"\n===== cProfile: {backend}, {name} =====\n{row.pop('profile')}")
    print()
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}, indent=2))
    print()
    header = (
        f"{'database':<11} {'report':<32} {'median':>8} {'p95':>8} {'min':>8} {'max':>8} "
        f"{'IQR':>6} {'first':>8} {'in SQL':>7} {'stmts':>5}  target 1 s"
    )
    print(header + "\n" + "-" * len(header))
    met = True
    for backend, result in summary["results"].items():
        for name, row in result["reports"].items():
            ms = row["ms"]
            ok = ms["p95"] <= 1000
            met &= ok
            print(
                f"{backend:<11} {name:<32} {ms['median']:>8} {ms['p95']:>8} {ms['min']:>8} "
                f"{ms['max']:>8} {ms['iqr']:>6} {row['first call ms']:>8} "
                f"{row['in driver execute ms (median)']:>7} {row['statements']:>5}  "
                f"{'met' if ok else 'MISSED'}"
            )
    print("(ms; 'in SQL' is the median time inside the driver's execute)")
    summary["target met (p95 <= 1 s everywhere)"] = met
    for p in problems:
        print("PROBLEM:", p)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
