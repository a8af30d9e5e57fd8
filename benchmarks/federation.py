"""Benchmark of issue 10: delivering release packages between two nodes on loopback,
against the raw HTTPS transfer of the same bytes as the limit.

- **Raw HTTPS**: the same package bytes PUT, one after another, to a sink (an ASGI app
  that reads the body and answers its SHA-256) served by uvicorn with the same TLS
  certificate, from the same httpx client: what the transport alone costs.
- **Delivery**: the GBR node is ``coalition serve`` in its own process, over HTTPS, with
  its own database; the USA node sends from this process (its own database), one
  delivery after another. Each delivery's package is built before the clock starts
  (building is timed apart); a delivery is then the RFC 9421-signed PUT, the receiver's
  checks (signature, nonce, package signature, every segment, the sender's ledger
  receipt), its import in one transaction, its checkpoint and signed receipt, and the
  sender's check of the receipt (with the C2SP proof) and its record in the sender's
  ledger: the whole of ``outbox.attempt``.

Both run for each package size (the seeded random content of 64 KiB, 1 MiB and 16 MiB),
with the medians and spreads of the per-request latency and the throughput in packages
and MB per second.

Usage: ``python benchmarks/federation.py [--count 40] [--large-count 6] [--json F]``
from the repository root (it uses the node set-up of ``tests/federation_world.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.federation_world import (  # noqa: E402
    Authority,
    NodeProcess,
    approved_release,
    federate,
    free_port,
    make_node,
)

from coalition.federation import outbox  # noqa: E402
from coalition.federation.models import Delivery, DeliveryStatus  # noqa: E402
from coalition.federation.worker import http_client  # noqa: E402
from timing import cpu, summary_ms  # noqa: E402

KIB = 1024
SINK = """
import hashlib

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    digest = hashlib.sha256()
    while True:
        message = await receive()
        digest.update(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = digest.hexdigest().encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
"""


def _sink(folder: Path, authority: Authority) -> tuple[subprocess.Popen[bytes], str]:
    (folder / "sink.py").write_text(SINK)
    chain, key = authority.issue(folder, "sink.example")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sink:app",
            "--port",
            str(port),
            "--ssl-certfile",
            str(chain),
            "--ssl-keyfile",
            str(key),
            "--log-level",
            "warning",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"https://127.0.0.1:{port}/sink"
    with httpx.Client(verify=authority.context()) as client:
        for _ in range(100):
            try:
                client.put(url, content=b"")
                return process, url
            except httpx.TransportError:
                time.sleep(0.1)
    raise RuntimeError("the sink did not start")


def _rates(latencies: list[float], size: int) -> dict[str, Any]:
    total = sum(latencies)
    return {
        "latency_ms": summary_ms(latencies),
        "packages_per_s": round(len(latencies) / total, 1),
        "MB_per_s": round(len(latencies) * size / total / 1e6, 1),
    }


def _built(usa: NodeProcess, count: int, size: int, tag: str) -> tuple[list[Any], list[float]]:
    """``count`` approved releases of ``size`` bytes each, their deliveries built."""
    content = random.Random(size).randbytes(size)
    builds: list[float] = []
    for n in range(count):
        approved_release(usa, f"BENCH-{tag}-{n}", content[n % 97 :] + content[: n % 97])
    with usa.unit() as unit:
        ids = list(
            unit.session.scalars(
                select(Delivery.id).where(Delivery.status == DeliveryStatus.QUEUED)
            )
        )
    for delivery_id in ids:
        with usa.unit() as unit:
            delivery = unit.session.get(Delivery, delivery_id)
            assert delivery is not None
            unit.session.expunge(delivery)
        started = time.perf_counter()
        outbox._package(usa.uow, usa.settings, delivery)
        builds.append(time.perf_counter() - started)
    return ids, builds


def run(count: int, large_count: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        authority = Authority(root / "ca")
        usa = make_node(root, "USA", authority, log_level="WARNING")
        gbr = make_node(root, "GBR", authority, log_level="WARNING")
        federate([usa, gbr])
        gbr.start(authority.path)
        sink, sink_url = _sink(root, authority)
        try:
            with http_client(usa.settings) as client:
                for size, n in (
                    (64 * KIB, count),
                    (1024 * KIB, count),
                    (16 * 1024 * KIB, large_count),
                ):
                    label = (
                        f"{size // KIB} KiB" if size < 1024 * KIB else f"{size // (1024 * KIB)} MiB"
                    )
                    ids, builds = _built(usa, n, size, label.replace(" ", ""))
                    packages = [
                        (outbox.outbox_dir(usa.settings) / f"{i}.tdf").read_bytes() for i in ids
                    ]
                    package_size = round(sum(len(p) for p in packages) / len(packages))
                    raw: list[float] = []
                    for data in packages:
                        started = time.perf_counter()
                        answer = client.put(sink_url, content=data)
                        raw.append(time.perf_counter() - started)
                        assert answer.text == hashlib.sha256(data).hexdigest()
                    delivered: list[float] = []
                    for delivery_id in ids:
                        started = time.perf_counter()
                        attempt = outbox.attempt(usa.uow, usa.settings, client, delivery_id)
                        delivered.append(time.perf_counter() - started)
                        assert attempt.status is DeliveryStatus.DELIVERED, attempt.problem
                    results[label] = {
                        "packages": n,
                        "package_bytes": package_size,
                        "raw HTTPS PUT": _rates(raw, package_size),
                        "delivery (signed, imported, receipted)": _rates(delivered, package_size),
                        "building the package (before sending)": {"latency_ms": summary_ms(builds)},
                        "delivery / raw, median latency": round(
                            statistics.median(delivered) / statistics.median(raw), 1
                        ),
                    }
                    print(json.dumps({label: results[label]}, indent=2), flush=True)
        finally:
            sink.terminate()
            sink.wait(timeout=10)
            gbr.stop()
            for node in (usa, gbr):
                node.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="package delivery between nodes (issue 10)")
    parser.add_argument("--count", type=int, default=40, help="packages of 64 KiB and 1 MiB")
    parser.add_argument("--large-count", type=int, default=6, help="packages of 16 MiB")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    out = {
        "machine": {"cpu": cpu(), "cores": os.cpu_count()},
        "results": run(args.count, args.large_count),
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
