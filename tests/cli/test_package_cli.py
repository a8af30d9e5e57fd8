"""`coalition package`: this node's package keys, and a recipient inspecting, verifying
(bindings, segments, the ledger receipt) and opening a package; a tampered one is refused."""

from __future__ import annotations

import base64
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from coalition.exchange import keys, tdf
from tests.cli.test_cli import node, ok, ready, run  # noqa: F401 - fixtures used by name


def test_a_recipient_inspects_verifies_and_opens_a_package(
    ready: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    printed = ok(capsys, "package", "keygen")
    assert printed.count("BEGIN PUBLIC KEY") == 2
    key_file = ready / "var" / "keys" / "package.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    code, _, err = run(capsys, "package", "keygen")
    assert code == 4 and "exists already" in err
    wrapping = load_pem_public_key(
        ok(capsys, "package", "public-key", "--which", "wrapping").encode()
    )

    # The releasing node: its own ledger gives the receipt of an entry.
    log_key = ok(capsys, "ledger", "keygen").strip()
    ok(capsys, "ledger", "checkpoint")
    entry = base64.b64decode(ok(capsys, "ledger", "entry", "--index", "0").strip())
    receipt = ok(capsys, "ledger", "proof", "--index", "0")
    sender = Ed25519PrivateKey.generate()
    sender_file = ready / "sender.pem"
    sender_file.write_text(keys.public_pem(sender.public_key()))
    contents = tdf.Contents(
        mime_type="text/plain",
        label=tdf.Label("SECRET", 3, ("GBR",), False, "USA"),
        label_xml="<ConfidentialityInformation>SECRET</ConfidentialityInformation>",
        namespace="coalition.example",
        kas_url="https://coalition.gbr.example",
        receipt=receipt,
        receipt_entry=entry,
    )
    package = ready / "release.tdf"
    package.write_bytes(tdf.build([b"trial data\n"], contents, wrapping, sender))  # type: ignore[arg-type]

    summary = json.loads(ok(capsys, "package", "inspect", str(package)))
    assert [a["id"] for a in summary["assertions"]] == ["stanag4774-label", "ledger-receipt"]
    assert "https://coalition.example/attr/rel-to/value/gbr" in summary["attributes"]
    verified = ok(
        capsys,
        "package",
        "verify",
        str(package),
        "--sender-key",
        str(sender_file),
        "--log-key",
        log_key,
    )
    assert "the receipt verifies" in verified and "opens with this node's key" in verified
    out = ready / "trial.txt"
    ok(capsys, "package", "open", str(package), "--sender-key", str(sender_file), "-o", str(out))
    assert out.read_bytes() == b"trial data\n"
    assert "SECRET" in (ready / "trial.txt.label.xml").read_text()

    archive = zipfile.ZipFile(io.BytesIO(package.read_bytes()))
    payload = bytearray(archive.read(tdf.PAYLOAD))
    payload[-1] ^= 1
    tampered = ready / "tampered.tdf"
    with zipfile.ZipFile(tampered, "w") as new:
        new.writestr(tdf.MANIFEST, archive.read(tdf.MANIFEST))
        new.writestr(tdf.PAYLOAD, bytes(payload))
    code, _, err = run(capsys, "package", "verify", str(tampered), "--sender-key", str(sender_file))
    assert code == 1 and "payload: segment 0" in err
    other = Ed25519PrivateKey.generate()
    sender_file.write_text(keys.public_pem(other.public_key()))
    code, _, err = run(capsys, "package", "verify", str(package), "--sender-key", str(sender_file))
    assert code == 1 and "signature does not verify" in err
