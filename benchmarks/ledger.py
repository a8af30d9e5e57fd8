"""Benchmarks of issue 4 (the transparency ledger), side by side with pymerkle's SQLite tree.

- Durable audited transactions on SQLite (synchronous=FULL): one change (an event row) per
  transaction, with the ledger (its entry appended in the same transaction), the same ORM
  use case with the ledger's hooks taken out, a plain Core insert, and pymerkle appending
  one entry per call; five interleaved runs each, median and range.
- Batched appends: 100 entries per transaction.
- At ``--entries`` (default 1,000,000): integration throughput, inclusion and consistency
  proof latency from a cold cache (p50 / p99), pymerkle's cold inclusion proofs at the same
  size, and a full recompute of the log (``audit``).

Usage: ``python benchmarks/ledger.py [--entries 1000000] [--transactions 2000] [--json F]``.
PostgreSQL with 16 writers: ``benchmarks/ledger_pg.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from coalition.audit.models import Event
from coalition.ledger import log
from coalition.ledger.log import audit, head, integrate
from coalition.ledger.models import LedgerPending
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered) * 1000, 3),
        "p99": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 3),
    }


def _event(n: int) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC),
        "actor": "benchmark",
        "tag": "benchmark:thing:change",
        "object_type": "things",
        "object_id": str(n),
        "details": {"title": f"thing {n}", "value": n},
    }


TRANSACTION_MODES = ("with ledger", "without ledger (the same ORM change)", "without (Core insert)")


def _one_run(folder: Path, mode: str, count: int) -> float:
    """Transactions per second: one event per durable transaction."""
    engine = make_engine(f"sqlite:///{folder / 'tx.db'}")
    upgrade(engine)
    uow = uow_factory(engine)
    hooked = mode != TRANSACTION_MODES[1]
    if not hooked:  # the very same use case with the ledger's hooks taken out
        event.remove(Session, "before_flush", log._pending_entries)
        event.remove(Session, "before_commit", log._integrate_on_sqlite)
    try:
        started = time.perf_counter()
        for n in range(count):
            with uow() as unit:
                unit.for_writing()
                if mode == TRANSACTION_MODES[2]:
                    unit.session.execute(insert(Event).values(**_event(n)))
                else:
                    unit.add(Event(**_event(n)))  # with the hooks: its entry too
                unit.commit()
        return count / (time.perf_counter() - started)
    finally:
        if not hooked:
            event.listen(Session, "before_flush", log._pending_entries)
            event.listen(Session, "before_commit", log._integrate_on_sqlite)
        engine.dispose()


def transactions(folder: Path, count: int, repeats: int = 5) -> dict[str, Any]:
    """Each mode ``repeats`` times, interleaved, so that the disk's moods hit all alike."""
    rates: dict[str, list[float]] = {mode: [] for mode in TRANSACTION_MODES}
    for run in range(repeats):
        for mode in TRANSACTION_MODES:
            place = folder / f"tx-{run}-{TRANSACTION_MODES.index(mode)}"
            place.mkdir()
            rates[mode].append(_one_run(place, mode, count))
    out: dict[str, Any] = {mode: _spread(values) for mode, values in rates.items()}
    # The overhead of each run against the baseline run next to it, then the median.
    overheads = [
        without / with_ - 1
        for with_, without in zip(
            rates[TRANSACTION_MODES[0]], rates[TRANSACTION_MODES[1]], strict=True
        )
    ]
    out["ledger overhead"] = (
        f"{statistics.median(overheads) * 100:.0f}% "
        f"(runs: {', '.join(f'{o * 100:.0f}%' for o in overheads)})"
    )
    from pymerkle import SqliteTree

    tree = SqliteTree(str(folder / "pymerkle.db"))
    started = time.perf_counter()
    for n in range(count):
        tree.append_entry(json.dumps(_event(n), default=str).encode())
    out["pymerkle append_entry"] = round(count / (time.perf_counter() - started))
    tree.close()
    return out


def _spread(values: list[float]) -> dict[str, int]:
    return {
        "median": round(statistics.median(values)),
        "min": round(min(values)),
        "max": round(max(values)),
    }


def batched(folder: Path, batches: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{folder / 'batched.db'}")
    upgrade(engine)
    uow = uow_factory(engine)
    started = time.perf_counter()
    for b in range(batches):
        with uow() as unit:
            unit.for_writing()
            for n in range(100):
                unit.add(Event(**_event(b * 100 + n)))
            unit.commit()
    leaves = batches * 100
    engine.dispose()
    return {
        "leaves per second, 100 per transaction": round(leaves / (time.perf_counter() - started))
    }


def at_scale(folder: Path, entries: int, samples: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{folder / 'large.db'}")
    upgrade(engine)
    uow = uow_factory(engine)
    rng = random.Random(1)
    out: dict[str, Any] = {"entries": entries}
    with engine.begin() as connection:
        for start in range(0, entries, 20_000):
            rows = [
                {"entry": os.urandom(96), "salt": os.urandom(16), "created_at": datetime.now(UTC)}
                for _ in range(min(20_000, entries - start))
            ]
            connection.execute(insert(LedgerPending), rows)
    started = time.perf_counter()
    while True:
        with uow() as unit:
            unit.for_writing()
            done = integrate(unit.session, limit=10_000)
            unit.commit()
        if not done:
            break
    out["integration, leaves per second (batches of 10,000)"] = round(
        entries / (time.perf_counter() - started)
    )
    with uow() as unit:
        size, _ = head(unit.session)
        inclusion, consistency = [], []
        for _ in range(samples):
            # Each proof from a cold cache: its nodes fetched in one query.
            index = rng.randrange(size)
            t = time.perf_counter()
            log.inclusion(unit.session, index, size)
            inclusion.append(time.perf_counter() - t)
            older = rng.randrange(1, size)
            t = time.perf_counter()
            log.consistency(unit.session, older, size)
            consistency.append(time.perf_counter() - t)
        out["inclusion proof ms"] = _ms(inclusion)
        out["consistency proof ms"] = _ms(consistency)
        t = time.perf_counter()
        result = audit(unit.session)
        out["full recompute (audit) s"] = round(time.perf_counter() - t, 2)
        assert result.first_bad_index is None, result
    engine.dispose()

    from pymerkle import SqliteTree

    tree = SqliteTree(str(folder / "pymerkle-large.db"))
    started = time.perf_counter()
    for start in range(0, entries, 20_000):
        tree.append_entries([os.urandom(96) for _ in range(min(20_000, entries - start))])
    out["pymerkle append_entries, leaves per second"] = round(
        entries / (time.perf_counter() - started)
    )
    cold = []
    for _ in range(max(20, samples // 10)):
        tree.cache_clear()
        index = rng.randrange(1, entries + 1)
        t = time.perf_counter()
        tree.prove_inclusion(index, entries)
        cold.append(time.perf_counter() - t)
    out["pymerkle cold inclusion proof ms"] = _ms(cold)
    tree.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ledger benchmarks (issue 4)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        out = {
            "durable transactions per second (SQLite, synchronous=FULL)": transactions(
                folder, args.transactions
            ),
            "batched": batched(folder, max(10, args.transactions // 20)),
        }
        print(json.dumps(out, indent=2), flush=True)
        out["at scale"] = at_scale(folder, args.entries, args.samples)
        print(json.dumps(out["at scale"], indent=2), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
