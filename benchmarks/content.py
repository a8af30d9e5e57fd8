"""Benchmark of issue 5's content: upload and download of a large file through a served
node, against the raw AES-256-GCM throughput of ``cryptography`` on the same machine.

- Raw: AES-256-GCM encryption and decryption of 1 MiB segments in memory (the limit the
  node cannot beat: it seals and unseals the same segments).
- Through the node: ``coalition serve`` in its own process on a demo programme (SQLite),
  one upload of ``--size-mb`` of seeded random bytes as a streamed request body, then one
  download of it (a binary file: handed out as a zip with its label, also streamed). Both
  measured end to end by the client; the server's peak resident memory (VmHWM) is read
  from /proc after each.

Usage: ``python benchmarks/content.py [--size-mb 1024] [--repeats 3] [--json F]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BIN = Path(sys.executable).parent
MIB = 1 << 20
USER = "priya.raman"
PASSWORD = "coalition-demo"


def raw_aes_gcm(total_mb: int) -> dict[str, float]:
    aead = AESGCM(os.urandom(32))
    segment = random.Random(1).randbytes(MIB)
    nonce = os.urandom(12)
    started = time.perf_counter()
    sealed = b""
    for _ in range(total_mb):
        sealed = aead.encrypt(nonce, segment, b"aad")
    encrypt = total_mb / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(total_mb):
        aead.decrypt(nonce, sealed, b"aad")
    decrypt = total_mb / (time.perf_counter() - started)
    return {"encrypt MB/s": round(encrypt), "decrypt MB/s": round(decrypt)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _body(size_mb: int, seed: int) -> Iterator[bytes]:
    block = random.Random(seed).randbytes(MIB)
    for n in range(size_mb):
        yield block[n % 7 :] + block[: n % 7]  # a little variety, no generation cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="content upload/download (issue 5)")
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"raw AES-256-GCM, 1 MiB segments": raw_aes_gcm(2048)}
    print(json.dumps(out, indent=2), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "COALITION_DATA_DIR": folder,
            "COALITION_UPLOAD_MAX_BYTES": str((args.size_mb + 1) * MIB),
            "COALITION_LOG_LEVEL": "WARNING",
        }
        coalition = str(BIN / "coalition")
        subprocess.run([coalition, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([coalition, "demo", "load"], env=env, check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen(
            [coalition, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            out["through the node"] = _through(server.pid, port, args.size_mb, args.repeats)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(out, indent=2), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


def _through(pid: int, port: int, size_mb: int, repeats: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=600) as client:
        for _ in range(100):
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        login = client.post("/api/v1/auth/login", json={"username": USER, "password": PASSWORD})
        login.raise_for_status()
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        listed = client.get("/api/v1/artifacts", params={"action": "download", "limit": 1})
        artifact = listed.json()["items"][0]["id"]
        rss_idle = _rss_mb(pid)
        uploads, downloads = [], []
        for run in range(repeats):
            started = time.perf_counter()
            answer = client.post(
                f"/api/v1/artifacts/{artifact}/versions",
                params={"filename": f"run-{run}.bin"},
                content=_body(size_mb, run),
                headers={**csrf, "Content-Type": "application/octet-stream"},
            )
            answer.raise_for_status()
            uploads.append(size_mb / (time.perf_counter() - started))
            started = time.perf_counter()
            received = 0
            with client.stream("GET", f"/api/v1/artifacts/{artifact}/content") as response:
                response.raise_for_status()
                for chunk in response.iter_raw(MIB):
                    received += len(chunk)
            downloads.append(size_mb / (time.perf_counter() - started))
            assert received >= size_mb * MIB, received
    return {
        "size MB": size_mb,
        "upload MB/s": _spread(uploads),
        "download MB/s (zip with label, streamed)": _spread(downloads),
        "server RSS idle MB": rss_idle,
        "server peak RSS MB (VmHWM, whole run)": _peak_rss_mb(pid),
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values)),
        "min": round(min(values)),
        "max": round(max(values)),
    }


if __name__ == "__main__":
    sys.exit(main())
