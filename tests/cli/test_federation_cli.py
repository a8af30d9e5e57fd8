"""`coalition federation`: the node's identity and fingerprint, its state, deliveries,
alerts and directories from the shell; bad input is a clear message and a non-zero exit."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from coalition.federation import signing
from tests.cli.test_cli import node, ok, ready, run  # noqa: F401 - fixtures used by name

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_node_shows_its_identity_state_and_empty_books(
    ready: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "federation", "identity")
    assert code == 1 and "package keygen" in err  # no node key yet: says how to make one
    ok(capsys, "package", "keygen")
    ok(capsys, "ledger", "keygen")
    ok(capsys, "ledger", "witness-keygen")
    ok(
        capsys,
        "organisations",
        "create",
        "--name",
        "Albion Sonar Laboratory",
        "--short-name",
        "ASL",
        "--kind",
        "lab",
        "--nation",
        "GBR",
        "--listed",
    )
    shown = ok(capsys, "federation", "identity")
    assert "fingerprint: " in shown and "log key: " in shown and "(none" not in shown
    document = json.loads(ok(capsys, "federation", "identity", "--json"))
    key = load_pem_public_key(document["keys"]["signing"].encode())
    assert isinstance(key, Ed25519PublicKey)
    body = signing.verify_document(document, key)
    assert [o["short_name"] for o in body["organisations"]] == ["ASL"]
    assert body["fingerprint"] in shown

    state = json.loads(ok(capsys, "federation", "state", "--json"))
    assert state["partners"] == [] and state["open_alerts"] == 0
    assert json.loads(ok(capsys, "federation", "deliveries", "--json")) == []
    assert json.loads(ok(capsys, "federation", "inbound", "--json")) == []
    assert json.loads(ok(capsys, "federation", "alerts", "--open", "--json")) == []
    assert json.loads(ok(capsys, "federation", "directory", "--json")) == []
    assert ok(capsys, "federation", "tick") == ""  # nothing to do, nothing failed
    shown_openapi = json.loads(ok(capsys, "federation", "openapi"))
    assert shown_openapi == json.loads((DOCS / "federation-openapi.json").read_text())


def test_bad_input_is_named(
    ready: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = str(uuid.uuid4())
    code, _, err = run(capsys, "federation", "receipt", missing)
    assert code == 3 and "no delivery" in err
    code, _, err = run(capsys, "federation", "retry", missing)
    assert code == 3
    code, _, err = run(capsys, "federation", "acknowledge", "not-an-id")
    assert code == 1 and "alert" in err
    code, _, err = run(capsys, "federation", "deliveries", "--status", "lost")
    assert code == 2
    code, _, err = run(
        capsys, "federation", "repin", "coalition.nowhere.example", "--fingerprint", "0" * 64
    )
    assert code == 1 and "no partner node named" in err
    code, _, err = run(
        capsys,
        "federation",
        "pin",
        "http://127.0.0.1:9",
        "--fingerprint",
        "0000 1111 2222 3333",
        "--organisation",
        "NOWHERE",
    )
    assert code == 1 and "organisation" in err


def test_a_partner_is_suspended_and_reinstated_from_the_shell(
    ready: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from coalition.exchange import keys

    ok(
        capsys,
        *("organisations", "create", "--name", "United Kingdom Sonar Laboratory"),
        *("--short-name", "UKSL", "--kind", "lab", "--nation", "GBR"),
    )
    wrapping = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "wrapping.pem").write_text(keys.public_pem(wrapping.public_key()))
    signing_key = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "signing.pem").write_text(keys.public_pem(signing_key))
    ok(
        capsys,
        *("partners", "register", "--name", "coalition.uksl.example"),
        *("--url", "https://coalition.uksl.example", "--organisation", "UKSL"),
        *("--wrapping-key", str(tmp_path / "wrapping.pem")),
        *("--signing-key", str(tmp_path / "signing.pem")),
    )
    code, _, err = run(capsys, "federation", "suspend", "coalition.uksl.example", "--reason", "")
    assert code == 1 and "reason" in err
    code, _, err = run(
        capsys, "federation", "suspend", "coalition.nowhere.example", "--reason", "x"
    )
    assert code == 1 and "no partner node named" in err
    suspended = json.loads(
        ok(
            capsys,
            *("federation", "suspend", "coalition.uksl.example", "--json"),
            *("--reason", "its key may be compromised"),
        )
    )
    assert suspended["suspension_reason"] == "its key may be compromised"
    (partner,) = json.loads(ok(capsys, "federation", "state", "--json"))["partners"]
    assert partner["suspended_at"] is not None
    assert partner["suspended_by"] == suspended["suspended_by"]
    code, _, err = run(capsys, "federation", "suspend", "coalition.uksl.example", "--reason", "x")
    assert code != 0 and "suspended already" in err
    reinstated = json.loads(
        ok(capsys, "federation", "reinstate", "coalition.uksl.example", "--json")
    )
    assert reinstated["suspended_at"] is None
    code, _, err = run(capsys, "federation", "reinstate", "coalition.uksl.example")
    assert code != 0 and "not suspended" in err
