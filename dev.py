#!/usr/bin/env python3
"""Set up and run Coalition with nothing but Python 3.11+.

    python3 dev.py run    # venv + locked dependencies, SQLite, migrations, demo, serve :8000
    python3 dev.py test   # venv + locked dev dependencies, lint, type check, whole test suite
                          # (and, where node and npm exist, the test OpenID provider)

Standard library only: this runs before any dependency is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def sh(*args: str | Path, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_venv(lock_name: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Coalition needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:
            sys.exit(
                f"could not create a virtual environment ({exc}).\n"
                "On Debian or Ubuntu install the venv module first: apt-get install python3-venv"
            )
    lock = ROOT / lock_name
    stamp = VENV / f".installed-{lock_name}"
    wanted = hashlib.sha256(lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say(f"installing locked dependencies from {lock_name}")
    pip = (PYTHON, "-m", "pip", "--disable-pip-version-check", "install", "--quiet")
    sh(*pip, "--require-hashes", "-r", lock)
    sh(*pip, "--no-deps", "-e", ".")
    stamp.write_text(wanted)


def coalition(*args: str) -> None:
    sh(BIN / "coalition", *args)


def run() -> None:
    ensure_venv("requirements.lock")
    os.environ.setdefault("COALITION_DATA_DIR", str(ROOT / "var"))
    coalition("db", "upgrade")
    coalition("demo", "load")
    host = os.environ.get("COALITION_HOST", "127.0.0.1")
    port = os.environ.get("COALITION_PORT", "8000")
    say(f"Coalition is at http://{host}:{port}/ (Ctrl-C stops it)")
    coalition("serve")


def ensure_oidc_provider() -> None:
    """The single sign-on tests run a real OpenID provider on node (tests/oidc); install
    its locked packages once. Without node and npm those tests skip with the reason."""
    if (ROOT / "tests" / "oidc" / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        say("node/npm not found: the single sign-on tests against a real provider will skip")
        return
    say("installing the OpenID provider of the single sign-on tests (npm ci)")
    sh(npm, "ci", "--prefix", "tests/oidc", "--no-audit", "--no-fund", "--loglevel=error")


def test(pytest_args: list[str]) -> None:
    ensure_venv("requirements-dev.lock")
    ensure_oidc_provider()
    say("ruff")
    sh(BIN / "ruff", "check", "src", "tests", "benchmarks", "dev.py")
    say("mypy --strict")
    sh(BIN / "mypy")
    say("pytest")
    parallel = ["-n", os.environ.get("COALITION_TEST_WORKERS", "auto")]
    sh(BIN / "pytest", *parallel, *pytest_args)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"run", "test"}:
        sys.exit(__doc__)
    if argv[0] == "run":
        run()
    else:
        test(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
