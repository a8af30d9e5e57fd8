"""`coalition ledger`: the key, checkpoints, entries, receipts, offline verification, the
audit, and a node that refuses to start on a database older than its last checkpoint."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from coalition.cli import context
from coalition.cli.node import _refuse_rollback
from coalition.errors import CoalitionError

# `node` and `ready` are fixtures of test_cli, used here by name.
from tests.cli.test_cli import node, ok, ready, run  # noqa: F401


def _organisation(capsys: pytest.CaptureFixture[str], short: str) -> None:
    ok(
        capsys,
        *("organisations", "create", "--name", f"Lab {short}", "--short-name", short),
        *("--kind", "lab", "--nation", "USA"),
    )


def test_the_key_is_made_once_private_and_outside_the_database(
    ready: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    public = ok(capsys, "ledger", "keygen").strip()
    key_file = ready / "var" / "keys" / "ledger.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert public == ok(capsys, "ledger", "public-key").strip()
    assert public.startswith("coalition.example/ledger+")
    code, _, err = run(capsys, "ledger", "keygen")
    assert code == 4 and "exists already" in err
    database = (ready / "var" / "coalition.db").read_bytes()
    # "PRIVATE+KEY+<name>+<key id>+<base64>": the secret is all after the fourth "+"
    # (base64 may hold "+" itself, even as its last character).
    secret = key_file.read_text().strip().split("+", 4)[-1]
    assert len(secret) > 40 and secret.encode() not in database


def test_checkpoints_receipts_and_offline_verification(
    ready: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = ok(capsys, "ledger", "keygen").strip()
    _organisation(capsys, "LAB1")
    checkpoint = ok(capsys, "ledger", "checkpoint")
    origin, size = checkpoint.split("\n")[:2]
    assert origin == "coalition.example/ledger" and int(size) >= 2
    saved = ready / "checkpoint.txt"
    saved.write_text(checkpoint)
    assert "OK" in ok(capsys, "ledger", "verify", "--key", key, "--checkpoint", str(saved))

    last = int(size) - 1
    entry = ok(capsys, "ledger", "entry", "--index", str(last)).strip()
    assert b"registry:organisation:create" in base64.b64decode(entry)
    receipt = ready / "receipt.tlog-proof"
    receipt.write_text(ok(capsys, "ledger", "proof", "--index", str(last)))
    assert receipt.read_text().startswith("c2sp.org/tlog-proof@v1\nindex ")
    verified = ok(
        capsys, "ledger", "verify", "--key", key, "--receipt", str(receipt), "--entry", entry
    )
    assert "OK" in verified

    other = ok(capsys, "ledger", "entry", "--index", "0").strip()
    code, _, err = run(
        capsys, "ledger", "verify", "--key", key, "--receipt", str(receipt), "--entry", other
    )
    assert code == 1 and "another root" in err
    saved.write_text(checkpoint.replace(f"\n{size}\n", f"\n{int(size) + 1}\n"))
    code, _, err = run(capsys, "ledger", "verify", "--key", key, "--checkpoint", str(saved))
    assert code == 1 and "does not verify" in err

    _organisation(capsys, "LAB2")
    saved.write_text(checkpoint)
    newer_note = ok(capsys, "ledger", "checkpoint")
    newer = newer_note.split("\n")[1]
    proof = ok(capsys, "ledger", "consistency", "--from", size, "--to", newer)
    hashes = proof.split()
    assert hashes and all(len(base64.b64decode(h)) == 32 for h in hashes)
    (ready / "newer.txt").write_text(newer_note)
    (ready / "proof.txt").write_text(proof)
    consistent = ok(
        capsys,
        *("ledger", "verify", "--key", key, "--checkpoint", str(ready / "newer.txt")),
        *("--old", str(saved), "--proof", str(ready / "proof.txt")),
    )
    assert f"size {newer} extends size {size}" in consistent
    (ready / "proof.txt").write_text(proof.replace(hashes[0], hashes[-1]) + hashes[0] + "\n")
    code, _, err = run(
        capsys,
        *("ledger", "verify", "--key", key, "--checkpoint", str(ready / "newer.txt")),
        *("--old", str(saved), "--proof", str(ready / "proof.txt")),
    )
    assert code == 1 and "consistency" in err
    assert "OK" in ok(capsys, "ledger", "audit")

    status = ok(capsys, "ledger", "status", "--json")
    assert f'"checkpoint_size": {newer}' in status and "verified: signed by" in status
    found = ok(capsys, "ledger", "search", "--tag", "registry:organisation", "--json")
    assert found.count('"tag": "registry:organisation:create"') == 2
    code, _, err = run(capsys, "ledger", "search", "--since", "yesterday")
    assert code != 0 and "since" in err

    tiles = ready / "tiles"
    assert "files written" in ok(capsys, "ledger", "export-tiles", str(tiles))
    assert "recomputed from the tiles" in ok(
        capsys, "ledger", "verify", "--key", key, "--tiles", str(tiles)
    )
    bundle = tiles / "tile" / "entries" / f"000.p/{newer}"
    data = bytearray(bundle.read_bytes())
    data[-3] ^= 1  # a byte of the last entry
    bundle.write_bytes(bytes(data))
    code, _, err = run(capsys, "ledger", "verify", "--key", key, "--tiles", str(tiles))
    assert code == 1 and f"first bad index {int(newer) - 1}" in err


def test_a_node_restored_from_an_older_database_refuses_to_start(
    ready: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    ok(capsys, "ledger", "keygen")
    ok(capsys, "ledger", "checkpoint")
    database = ready / "var" / "coalition.db"
    backup = ready / "backup.db"
    _copy(database, backup)  # an online backup, as an operator would take
    _organisation(capsys, "LAB3")
    ok(capsys, "ledger", "checkpoint")
    _refuse_rollback(context.settings())  # the current database extends the checkpoint
    _copy(backup, database)  # the old backup restored
    with pytest.raises(CoalitionError, match=r"refuses to start.*older backup"):
        _refuse_rollback(context.settings())


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as reader, sqlite3.connect(target) as writer:
        reader.backup(writer)


def test_the_demo_node_has_its_ledger_key_and_a_signed_checkpoint(
    node: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    ok(capsys, "db", "upgrade")
    first = ok(capsys, "demo", "load")
    assert "ledger key created" in first and "checkpoint signed at size" in first
    status = ok(capsys, "ledger", "status", "--json")
    assert '"verification": "verified: signed by coalition.example/ledger' in status
    assert "node key created; fingerprint" in first  # the node's identity for partners
    assert json.loads(ok(capsys, "federation", "identity", "--json"))["keys"]["witness"]
    again = ok(capsys, "demo", "load")  # the same key; the log has grown by the log-ins
    assert "ledger key created" not in again and "checkpoint signed at size" in again
    assert "node key created" not in again
