"""Benchmark 1 of issue 3: the release-decision engine against Cedar and Casbin, one run.

Same workload (benchmarks/generate.py) and the same rules, as far as each peer can express
them (see peer_cedar.py and peer_casbin.py). For each: single-decision p50 / p99 latency,
batch decisions per second, the memory of its representation of the 1M-artifact world,
the ratios, and whether it agrees with the labelled outcome of every request.

    .venv/bin/python benchmarks/engine_vs_peers.py                # full run, ~2 minutes
    .venv/bin/python benchmarks/engine_vs_peers.py --scale 0.01   # quick check

Timings are wall-clock (``time.perf_counter_ns``) on one thread, with garbage collection on
and every world built before timing frozen (``gc.freeze()``), so a collection does not
rescan the millions of objects the other peers hold in the same process.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from coalition.policy.engine import decide
from generate import EngineWorld, RequestSpec, Workload, build, describe, outcome_table
from peer_casbin import CasbinPeer, model_text
from peer_cedar import CedarPeer, policies, schema

MIB = 1024 * 1024


# --- memory ------------------------------------------------------------------------------


def _status(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field_name)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        return False
    return True


@dataclass
class Memory:
    rss_retained: int  # resident set growth that stays after the build
    rss_peak: int  # VmHWM growth during the build (0 if the peak could not be reset)
    python_retained: int | None = None  # tracemalloc: Python allocations kept
    python_peak: int | None = None


def measure(build_it: Callable[[], Any], python_heap: bool) -> tuple[Any, Memory, float]:
    gc.collect()
    reset = _reset_peak()
    before = _status("VmRSS")
    if python_heap:
        tracemalloc.start()
    started = time.perf_counter()
    built = build_it()
    elapsed = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory() if python_heap else None
    if python_heap:
        tracemalloc.stop()
    gc.collect()
    memory = Memory(
        _status("VmRSS") - before,
        _status("VmHWM") - before if reset else 0,
        traced[0] if traced else None,
        traced[1] if traced else None,
    )
    return built, memory, elapsed


# --- timing ------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    covers: str
    singles: list[int] = field(default_factory=list)  # ns per call
    batch_rate: float = 0.0
    batch_count: int = 0
    marshal_us: float = 0.0
    memory: Memory | None = None
    build_s: float = 0.0
    errors: int = 0
    note: str = ""

    def pct(self, q: float) -> float:
        ordered = sorted(self.singles)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "covers": self.covers,
            "p50_us": self.pct(0.50),
            "p99_us": self.pct(0.99),
            "mean_us": statistics.fmean(self.singles) / 1000,
            "singles": len(self.singles),
            "batch_per_s": self.batch_rate,
            "batch_count": self.batch_count,
            "marshal_us": self.marshal_us,
            "build_s": self.build_s,
            "memory": vars(self.memory) if self.memory else None,
            "errors": self.errors,
            "note": self.note,
        }


def time_singles(call: Callable[[Any], Any], requests: Sequence[Any]) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for request in requests:
        started = clock()
        call(request)
        out.append(clock() - started)
    return out


def time_batch(
    run: Callable[[Sequence[Any]], list[Any]], requests: Sequence[Any]
) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    results = run(requests)
    return len(requests) / (time.perf_counter() - started), results


def chunked(
    run: Callable[[list[Any]], list[Any]], size: int
) -> Callable[[Sequence[Any]], list[Any]]:
    def go(requests: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for i in range(0, len(requests), size):
            out.extend(run(list(requests[i : i + size])))
        return out

    return go


def marshal(
    make: Callable[[RequestSpec], Any], specs: list[RequestSpec]
) -> tuple[list[Any], float]:
    started = time.perf_counter()
    native = [make(s) for s in specs]
    return native, (time.perf_counter() - started) / max(1, len(specs)) * 1e6


# --- the run -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False)  # noqa: S607
        total = memory.stdout.splitlines()[1].split()[1]
    except (OSError, IndexError):
        total = "unknown"
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": total,
        "python": platform.python_version(),
        "cedarpy": metadata.version("cedarpy"),
        "pycasbin": metadata.version("pycasbin"),
        "simpleeval": metadata.version("simpleeval"),
    }


def cached_matcher(peer: CasbinPeer) -> None:
    """Parse Casbin's matcher once instead of on every call (not how pycasbin works: shown
    only to say how much of its time is parsing)."""
    expression = peer.enforcer._get_expression(
        peer.enforcer.model["m"]["m"].value, peer.enforcer.fm.get_functions()
    )
    parsed = expression.ast_parsed_value

    class Cached(type(expression)):  # type: ignore[misc]
        def __init__(self, expr: str, functions: Any = None) -> None:
            super().__init__("", functions)
            self.ast_parsed_value = parsed

    peer.enforcer._get_expression = lambda expr, functions=None: Cached(expr, functions)


PEERS = {
    "engine": (
        "engine",
        "all 9 rules; every rule's result with its reason (and remedy), obligations",
    ),
    "engine_compact": (
        "engine, artifacts as arrays",
        "as above; the Artifact and Request facts are built inside each timed call",
    ),
    "cedar": ("cedarpy", "9 rules (peer_cedar.py); the failing rules' ids, no reasons"),
    "casbin": ("pycasbin", "9 rules in the matcher (peer_casbin.py); allow / deny only"),
}


def _freeze() -> None:
    gc.collect()
    gc.freeze()


def measure_peer(kind: str, w: Workload, args: argparse.Namespace) -> dict[str, Any]:
    """Build one peer's world and time it; run in a process of its own (forked), so its
    memory is measured from a clean baseline and its heap does not slow the others."""
    specs = w.requests
    builders: dict[str, Callable[[], Any]] = {
        "engine": lambda: EngineWorld(w, materialise=True),
        "engine_compact": lambda: EngineWorld(w, materialise=False),
        "cedar": lambda: CedarPeer(w),
        "casbin": lambda: CasbinPeer(w),
    }
    peer, memory, build_s = measure(builders[kind], python_heap=False)
    if kind != "cedar":  # Python objects only: count them exactly too, with a second build
        _, traced, _ = measure(builders[kind], python_heap=True)
        memory.python_retained, memory.python_peak = traced.python_retained, traced.python_peak
    if kind == "engine_compact":
        arrays = (w.art_label, w.art_project, w.art_owner, w.art_ip)
        extra = sum(a.itemsize * len(a) for a in arrays)  # the engine reads them
        memory.python_retained = (memory.python_retained or 0) + extra
        memory.python_peak = (memory.python_peak or 0) + extra
    _freeze()
    rows: dict[str, Row] = {}
    outcomes: list[Any]
    name, covers = PEERS[kind]
    row = rows[kind] = Row(name, covers, memory=memory, build_s=build_s)
    if kind == "engine":
        world = peer.world
        native, row.marshal_us = marshal(peer.request, specs)
        row.singles = time_singles(lambda r: decide(r, world), native)
        row.batch_rate, decisions = time_batch(lambda rs: [decide(r, world) for r in rs], native)
        row.batch_count = len(native)
        outcomes = ["permit" if d.permit else ",".join(r.id for r in d.failed) for d in decisions]
        del decisions
        gc.collect()
        started = time.perf_counter()
        for request in native:
            decide(request, world)
        row.note = (
            f"{len(native) / (time.perf_counter() - started):,.0f} decisions/s when each "
            "decision is dropped once made instead of kept in the batch's list (the kept "
            "results' objects make CPython's garbage collector rescan them)"
        )
    elif kind == "engine_compact":
        world = peer.world
        row.singles = time_singles(lambda s: decide(peer.request(s), world), specs)
        row.batch_rate, decisions = time_batch(
            lambda rs: [decide(peer.request(s), world) for s in rs], specs
        )
        row.batch_count = len(specs)
        outcomes = ["permit" if d.permit else ",".join(r.id for r in d.failed) for d in decisions]
    elif kind == "cedar":
        native, row.marshal_us = marshal(peer.request, specs)
        row.singles = time_singles(peer.decide, native[: args.cedar_singles or None])
        row.batch_rate, results = time_batch(chunked(peer.decide_batch, args.cedar_chunk), native)
        row.batch_count = len(native)
        outcomes = ["permit" if r.allowed else ",".join(peer.failed_rules(r)) for r in results]
        row.errors = sum(bool(r.diagnostics.errors) for r in results)
        inside = [r.metrics.get("authz_duration_micros", 0) for r in results]
        row.note = (
            f"Cedar's own evaluation (its authz_duration_micros): median "
            f"{statistics.median(inside):.0f} µs, mean {statistics.fmean(inside):.1f} µs"
        )
    else:
        native, row.marshal_us = marshal(peer.request, specs[: args.casbin_batch])
        row.singles = time_singles(peer.decide, native[: args.casbin_singles])
        row.batch_rate, outcomes = time_batch(peer.decide_batch, native)
        row.batch_count = len(native)
        cached_matcher(peer)
        cached = rows["casbin_cached"] = Row(
            "pycasbin, matcher parsed once", "as above, with the parsed matcher cached (patched)"
        )
        cached.singles = time_singles(peer.decide, native[: args.casbin_singles])
        cached.batch_rate, again = time_batch(peer.decide_batch, native)
        cached.batch_count = len(native)
        if again != outcomes:
            raise SystemExit("the cached Casbin matcher decided differently")
        outcomes = ["permit" if x else "deny" for x in outcomes]
    return {"rows": {k: r.summary() for k, r in rows.items()}, "outcomes": outcomes}


def _child(kind: str, w: Workload, args: argparse.Namespace, conn: Any) -> None:
    try:
        conn.send(measure_peer(kind, w, args))
    except BaseException as error:
        conn.send({"error": f"{type(error).__name__}: {error}"})
        raise
    finally:
        conn.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    count = args.requests or max(2_000, round(100_000 * args.scale))
    started = time.perf_counter()
    w, labeller = build(args.seed, args.scale, count)
    print(describe(w))
    print(outcome_table(w.requests))
    print(f"workload built and labelled in {time.perf_counter() - started:.1f} s\n", flush=True)
    out["workload"] = describe(w) + "\n" + outcome_table(w.requests)
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        (args.dump / "schema.cedarschema").write_text(schema())
        (args.dump / "policies.cedar").write_text(policies())
        (args.dump / "model.conf").write_text(model_text())
    _freeze()
    context = multiprocessing.get_context("fork")
    rows: dict[str, Any] = {}
    outcomes: dict[str, list[Any]] = {}
    for kind in PEERS:
        began = time.perf_counter()
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(kind, w, args, send))
        child.start()
        send.close()
        result = receive.recv()
        child.join()
        if "error" in result:
            raise SystemExit(f"{kind}: {result['error']}")
        rows.update(result["rows"])
        outcomes[kind] = result["outcomes"]
        print(f"{kind}: measured in {time.perf_counter() - began:.0f} s", flush=True)
    del labeller
    out["rows"] = rows
    out["agreement"] = agreement(w.requests, outcomes)
    out["agreement"]["cedar_evaluation_errors"] = rows["cedar"]["errors"]
    print()
    print(report(out))
    return out


def agreement(specs: list[RequestSpec], outcomes: dict[str, list[str]]) -> dict[str, Any]:
    """Each outcome is "permit", the failing rules' ids joined by commas, or (Casbin) "deny"."""
    expected = [s.expected for s in specs]

    def verdicts(values: list[str]) -> list[bool]:
        return [v == "permit" for v in values]

    pairs: dict[str, tuple[Sequence[object], Sequence[object]]] = {
        "engine vs labels (rule by rule)": (outcomes["engine"], expected),
        "engine over arrays vs labels (rule by rule)": (outcomes["engine_compact"], expected),
        "cedar vs labels (rule by rule)": (outcomes["cedar"], expected),
        "engine vs cedar (permit/deny)": (
            verdicts(outcomes["engine"]),
            verdicts(outcomes["cedar"]),
        ),
        "engine vs casbin (permit/deny)": (
            verdicts(outcomes["engine"]),
            verdicts(outcomes["casbin"]),
        ),
        "cedar vs casbin (permit/deny)": (
            verdicts(outcomes["cedar"]),
            verdicts(outcomes["casbin"]),
        ),
    }
    result: dict[str, Any] = {}
    for name, (a, b) in pairs.items():
        n = min(len(a), len(b))
        diff = Counter((x, y) for x, y in zip(a[:n], b[:n], strict=True) if x != y)
        result[name] = {
            "compared": n,
            "agree": n - sum(diff.values()),
            "rate": (n - sum(diff.values())) / n if n else 1.0,
            "disagreements": [[str(k), v] for k, v in diff.most_common(10)],
        }
    return result


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:,.0f}"


def report(out: dict[str, Any]) -> str:
    rows = out["rows"]
    lines = [
        "| | p50 µs | p99 µs | batch decisions/s | requests timed (single / batch) "
        "| world RSS kept MiB | RSS peak while building MiB | Python heap kept MiB "
        "| build s | request marshalling µs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows.values():
        m = row["memory"] or {}
        lines.append(
            f"| {row['name']} | {row['p50_us']:.1f} | {row['p99_us']:.1f} "
            f"| {row['batch_per_s']:,.0f} | {row['singles']:,} / {row['batch_count']:,} "
            f"| {_mib(m.get('rss_retained'))} | {_mib(m.get('rss_peak'))} "
            f"| {_mib(m.get('python_retained'))} | {row['build_s']:.1f} "
            f"| {row['marshal_us']:.2f} |"
        )
    e = rows["engine"]
    ratios = ["", "| engine / peer | throughput | p50 (peer / engine) |", "|---|---:|---:|"]
    for key in ("cedar", "casbin", "casbin_cached"):
        p = rows[key]
        ratios.append(
            f"| {p['name']} | {e['batch_per_s'] / p['batch_per_s']:.1f}x "
            f"| {p['p50_us'] / e['p50_us']:.1f}x |"
        )
    agree = ["", "| check | compared | agree | rate |", "|---|---:|---:|---:|"]
    for name, a in out["agreement"].items():
        if isinstance(a, dict):
            agree.append(f"| {name} | {a['compared']:,} | {a['agree']:,} | {a['rate']:.4%} |")
            for pair, n in a["disagreements"]:
                agree.append(f"|   {pair} | {n} | | |")
    agree.append(f"\nCedar evaluation errors: {out['agreement']['cedar_evaluation_errors']}")
    agree += [f"{row['name']}: {row['note']}" for row in rows.values() if row["note"]]
    return "\n".join(lines + ratios + agree)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1M artifacts")
    parser.add_argument("--requests", type=int, default=None, help="default 100,000 x scale")
    parser.add_argument("--cedar-singles", type=int, default=0, help="0: all requests")
    parser.add_argument("--cedar-chunk", type=int, default=100)
    parser.add_argument("--casbin-singles", type=int, default=5_000)
    parser.add_argument("--casbin-batch", type=int, default=20_000)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--dump", type=Path, help="write the Cedar schema, policies and Casbin model here"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out = run(args)
    out["elapsed_s"] = time.perf_counter() - started
    print(f"\nwhole run {out['elapsed_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))
    bad = [name for name, a in out["agreement"].items() if isinstance(a, dict) and a["rate"] < 1]
    if bad or out["agreement"]["cedar_evaluation_errors"]:
        print("disagreements or Cedar evaluation errors: see above", file=sys.stderr)
    return 1 if bad or out["agreement"]["cedar_evaluation_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
