"""Benchmark of issue 4 (the transparency ledger) on PostgreSQL with concurrent writers.

- Business transactions per second with ``--writers`` (default 16) writer processes, each
  transaction one change and its event, committed one by one, for ``--duration`` seconds:
  - ``with ledger``: an ``Event`` added through the ORM session, so the ``before_flush``
    hook writes its pending entry in the same transaction;
  - ``without ledger (ORM)``: the same ORM insert with the hook removed in the writer's
    process (the ledger's own cost);
  - ``without ledger (Core)``: the same row inserted with a Core ``insert`` (as in
    ``benchmarks/ledger.py``), which the hook never sees.

  Writers are OS processes (a Python thread per writer would share one GIL), one
  connection each; the machine they share with the server may have fewer cores than that
  (the CPU split, from /proc/stat and the writers' own CPU time, is reported). In every
  mode the integrator runs beside them in its own process, as the serving node's loop
  does (coalition.ledger.integrator): wait 250 ms, then ``log.integrate`` one batch per
  transaction until a batch is not full.
- Commit-to-integration latency (p50 / p99 / max): from the moment a writer's commit
  returned to the moment the integrator's commit that gave the entry its index returned
  (wall clock, the same for every process of the machine; the entry's index is matched
  with the head's size after each integrator commit).
- Integration throughput (leaves per second of integrator transaction time), then
  ``log.audit`` and the tree's size against the number of committed events; without the
  ledger, that no entry was written.

Each mode runs ``--repeats`` times (modes interleaved), on emptied tables; the summary
gives the median and the range. The database ``--database`` is created on the server of
``--url`` (replaced if it exists) and dropped at the end. About 2.5 minutes by default.

Usage::

    python benchmarks/ledger_pg.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--database bench_ledger] [--writers 16] [--duration 15] [--repeats 3] [--json F]
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from coalition.audit.models import Event
from coalition.ledger import log
from coalition.ledger.models import LedgerEntry, LedgerPending
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory

MODES = ("with ledger", "without ledger (ORM)", "without ledger (Core)")
INTERVAL = 0.25  # the served node's ledger_integrate_interval_ms
TABLES = "ledger_entries, ledger_nodes, ledger_head, ledger_pending, events"


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered) * 1000, 3),
        "p99": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 3),
        "max": round(ordered[-1] * 1000, 3),
    }


def _spread(values: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values)),
        "min": round(min(values)),
        "max": round(max(values)),
        "runs": [round(v) for v in values],
    }


def _overhead(without: list[float], with_ledger: list[float]) -> str:
    """How much longer a transaction takes with the ledger, from the medians."""
    return f"{(statistics.median(without) / statistics.median(with_ledger) - 1) * 100:.0f}%"


def _event(rng: random.Random, writer: int, n: int) -> dict[str, Any]:
    value = rng.randrange(1_000_000)
    return {
        "at": datetime.now(UTC),
        "actor": f"benchmark-{writer}",
        "tag": "benchmark:thing:change",
        "object_type": "things",
        "object_id": f"{writer}-{n}",
        "details": {"title": f"thing {value}", "value": value},
    }


def _cpu_ticks() -> tuple[int, int]:
    """Busy and total jiffies of the whole machine (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _process_ticks() -> dict[int, tuple[str, int]]:
    """Per process: its name and its user + system jiffies so far (/proc/PID/stat)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(name)] = (comm, int(fields[11]) + int(fields[12]))
    return out


def _cpu_split(
    machine: tuple[tuple[int, int], tuple[int, int]],
    before: dict[int, tuple[str, int]],
    after: dict[int, tuple[str, int]],
    writers: set[int],
    integrator: int,
    wall: float,
) -> dict[str, float]:
    """Cores used during the run (CPU seconds per second) by the writers, the integrator,
    PostgreSQL's processes and anything else on the machine (other work disturbs the run)."""
    cores = os.cpu_count() or 1
    busy = (machine[1][0] - machine[0][0]) / (machine[1][1] - machine[0][1]) * cores
    used = {"writers": 0, "integrator": 0, "PostgreSQL": 0, "other processes": 0}
    for pid, (comm, ticks) in after.items():
        delta = ticks - before.get(pid, (comm, 0))[1]
        if pid in writers:
            used["writers"] += delta
        elif pid == integrator:
            used["integrator"] += delta
        elif comm == "postgres":
            used["PostgreSQL"] += delta
        else:
            used["other processes"] += delta
    hz = os.sysconf("SC_CLK_TCK")
    out = {"machine busy": round(busy, 2)}
    out.update({key: round(ticks / hz / wall, 2) for key, ticks in used.items()})
    # Processes that ended during the run (and rounding).
    out["unaccounted"] = round(busy - sum(ticks / hz / wall for ticks in used.values()), 2)
    return out


def _engine(url: str) -> Engine:
    # One connection per process: every writer holds its own, as a pooled one would.
    return make_engine(url, pool_size=1, max_overflow=0)


def _writer(
    url: str,
    mode: str,
    writer: int,
    seed: int,
    duration: float,
    barrier: Barrier,
    done: MpEvent,
    results: mp.Queue[dict[str, Any]],
) -> None:
    if mode != "with ledger":
        event.remove(Session, "before_flush", log._pending_entries)
    engine = _engine(url)
    uow = uow_factory(engine)
    rng = random.Random(seed * 1000 + writer)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    committed: list[tuple[int, float]] = []  # (event id, wall time right after commit)
    latencies: list[float] = []
    barrier.wait()
    cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + duration
    n = 0
    while True:
        t = time.perf_counter()
        if t >= deadline:
            break
        with uow() as unit:
            unit.for_writing()
            if mode == "without ledger (Core)":
                event_id = unit.session.execute(
                    insert(Event).values(**_event(rng, writer, n)).returning(Event.id)
                ).scalar_one()
            else:
                row = Event(**_event(rng, writer, n))
                unit.add(row)
                unit.flush()
                event_id = row.id
            unit.commit()
        committed.append((event_id, time.time()))
        latencies.append(time.perf_counter() - t)
        n += 1
    results.put(
        {
            "writer": writer,
            "committed": committed,
            "latencies": latencies,
            "started": started,
            "ended": time.perf_counter(),
            "cpu": time.process_time() - cpu,
        }
    )
    done.wait()  # alive, with its connection, until the run's CPU has been read
    engine.dispose()


def _integrator(url: str, stop: MpEvent, ready: MpEvent, results: mp.Queue[dict[str, Any]]) -> None:
    """The serving node's loop (coalition.ledger.integrator), recording after each commit
    the head's size and the time."""
    engine = _engine(url)
    uow = uow_factory(engine)
    commits: list[tuple[int, float, int, float]] = []  # (size after, wall time, leaves, s)
    cpu = time.process_time()
    ready.set()
    stopping = False
    while True:
        stopping = stop.wait(INTERVAL) or stopping
        total = 0
        while True:  # as Integrator.integrate_now: one commit per batch
            t = time.perf_counter()
            with uow() as unit:
                unit.for_writing()
                count = log.integrate(unit.session)
                size, _ = log.head(unit.session)
                unit.commit()
            if count:
                commits.append((size, time.time(), count, time.perf_counter() - t))
            total += count
            if count < log.BATCH:
                break
        if stopping and not total:
            break  # the writers have stopped and nothing is left
    results.put({"commits": commits, "cpu": time.process_time() - cpu})
    engine.dispose()


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))


def run(url: str, mode: str, writers: int, duration: float, seed: int) -> dict[str, Any]:
    engine = _engine(url)
    _reset(engine)
    engine.dispose()  # nothing of the parent's pool crosses the fork
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(writers + 1)
    stop, ready, done = ctx.Event(), ctx.Event(), ctx.Event()
    results: mp.Queue[dict[str, Any]] = ctx.Queue()
    integrator_results: mp.Queue[dict[str, Any]] = ctx.Queue()
    integrator = ctx.Process(target=_integrator, args=(url, stop, ready, integrator_results))
    integrator.start()
    ready.wait()
    procs = [
        ctx.Process(target=_writer, args=(url, mode, w, seed, duration, barrier, done, results))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    ticks0, procs0 = _cpu_ticks(), _process_ticks()
    wall = time.perf_counter()
    outs = [results.get() for _ in procs]
    ticks1, procs1 = _cpu_ticks(), _process_ticks()
    wall = time.perf_counter() - wall
    done.set()
    for p in procs:
        p.join()
    stop.set()
    integrated = integrator_results.get()
    integrator.join()

    committed = [c for o in outs for c in o["committed"]]
    elapsed = max(o["ended"] for o in outs) - min(o["started"] for o in outs)
    cpu = _cpu_split(
        (ticks0, ticks1), procs0, procs1, {p.pid for p in procs if p.pid}, integrator.pid or 0, wall
    )
    out: dict[str, Any] = {
        "mode": mode,
        "transactions": len(committed),
        "transactions per second": round(len(committed) / elapsed),
        "writer transaction ms": _ms([x for o in outs for x in o["latencies"]]),
        "per-writer transactions, min-max": [
            min(len(o["committed"]) for o in outs),
            max(len(o["committed"]) for o in outs),
        ],
        "cores used": cpu,
        "writer CPU ms per transaction": round(
            sum(o["cpu"] for o in outs) / len(committed) * 1000, 3
        ),
        "PostgreSQL CPU ms per transaction": round(
            cpu["PostgreSQL"] * wall / len(committed) * 1000, 3
        ),
    }
    engine = _engine(url)
    with Session(engine) as session:
        pending = session.scalar(select(func.count()).select_from(LedgerPending))
        events = session.scalar(select(func.count()).select_from(Event))
        size, _ = log.head(session)
        assert events == len(committed), (events, len(committed))
        assert pending == 0, pending
        if mode != "with ledger":
            assert size == 0, size  # no entry written without the hook
        else:
            assert size == len(committed), (size, len(committed))
            # Which integrator commit gave each index: the first whose size exceeds it.
            sizes = [c[0] for c in integrated["commits"]]
            times = [c[1] for c in integrated["commits"]]
            index_of = dict(session.execute(select(LedgerEntry.event_id, LedgerEntry.index)).all())
            assert set(index_of) == {e for e, _ in committed}
            delays = [
                times[bisect.bisect_right(sizes, index_of[event_id])] - at
                for event_id, at in committed
            ]
            leaves = sum(c[2] for c in integrated["commits"])
            seconds = sum(c[3] for c in integrated["commits"])
            out["commit-to-integration ms"] = _ms(delays)
            out["integrator"] = {
                "commits with entries": len(sizes),
                "leaves per commit, max": max(c[2] for c in integrated["commits"]),
                "leaves per second of integrator transaction time": round(leaves / seconds),
                "integrator transaction ms": _ms([c[3] for c in integrated["commits"]]),
                "integrator CPU s": round(integrated["cpu"], 2),
            }
            t = time.perf_counter()
            result = log.audit(session)
            out["audit s"] = round(time.perf_counter() - t, 2)
            assert result.first_bad_index is None, result
            assert result.size == len(committed), result
            out["audit"] = f"passes, tree size {result.size} = committed events"
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ledger on PostgreSQL, concurrent writers")
    parser.add_argument(
        "--url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a server database to connect to for creating and dropping --database",
    )
    parser.add_argument("--database", default="bench_ledger")
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    admin = make_engine(args.url).execution_options(isolation_level="AUTOCOMMIT")
    name = args.database
    if not name.replace("_", "").isalnum():
        parser.error("--database: letters, digits and underscores only")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        with engine.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar_one()
            commit = connection.execute(text("SHOW synchronous_commit")).scalar_one()
        engine.dispose()
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for repeat in range(args.repeats):
            for mode in MODES:
                result = run(url, mode, args.writers, args.duration, args.seed + repeat)
                runs[mode].append(result)
                print(json.dumps(result), flush=True)
    finally:
        admin.dispose()
        with (
            make_engine(args.url)
            .execution_options(isolation_level="AUTOCOMMIT")
            .connect() as connection
        ):
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    tps = {mode: [r["transactions per second"] for r in runs[mode]] for mode in MODES}
    ledger = runs["with ledger"]
    summary: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "PostgreSQL": server,
            "synchronous_commit": commit,
            "writers": args.writers,
            "seconds per run": args.duration,
            "runs per mode": args.repeats,
        },
        "transactions per second": {mode: _spread(tps[mode]) for mode in MODES},
        "ledger overhead vs ORM without hook": _overhead(tps[MODES[1]], tps[MODES[0]]),
        "ledger overhead vs Core insert": _overhead(tps[MODES[2]], tps[MODES[0]]),
        "commit-to-integration ms (with ledger)": {
            key: _spread([r["commit-to-integration ms"][key] for r in ledger])
            for key in ("p50", "p99", "max")
        },
        "integration, leaves per second of integrator time": _spread(
            [r["integrator"]["leaves per second of integrator transaction time"] for r in ledger]
        ),
        "audit": [r["audit"] for r in ledger],
        "targets": {
            "transactions per second >= 2000": statistics.median(tps[MODES[0]]) >= 2000,
            "commit-to-integration p99 <= 1000 ms": statistics.median(
                [r["commit-to-integration ms"]["p99"] for r in ledger]
            )
            <= 1000,
        },
        "runs": runs,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2), flush=True)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
