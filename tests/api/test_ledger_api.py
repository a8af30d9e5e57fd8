"""The ledger's API: what an auditor reads, and that others may not."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal, Role
from coalition.ledger import keys, merkle, services
from coalition.ledger.log import DbNodes, integrate
from coalition.ledger.verify import verify_receipt
from coalition.settings import Settings
from tests.api.conftest import login
from tests.conftest import UowFactory
from tests.factories import make_account


def test_an_auditor_reads_checkpoint_entries_receipts_and_consistency(
    client: TestClient, uow: UowFactory, operator: Principal, settings: Settings
) -> None:
    make_account(uow, operator, "inspector", Role.AUDITOR)
    signer = keys.keygen(settings.effective_ledger_key_file, settings.ledger_origin)
    signed = services.sign_checkpoint(uow(), signer, settings.ledger_checkpoint_file)
    size = signed.checkpoint.size
    assert size > 2

    login(client, "inspector")
    note = client.get("/api/v1/ledger/checkpoint")
    assert note.status_code == 200 and note.text == signed.note
    key = client.get("/api/v1/ledger/public-key").text.strip()
    assert key == signer.verifier.encoded()

    entry = client.get(f"/api/v1/ledger/entries/{size - 1}").json()
    assert entry["decoded"]["tag"] == "accounts:account:create"
    receipt = client.get(f"/api/v1/ledger/proof/{size - 1}").text
    verified = verify_receipt(receipt, base64.b64decode(entry["entry"]), signer.verifier)
    assert verified.checkpoint.size == size

    proof = client.get("/api/v1/ledger/consistency", params={"from": 1, "to": size}).json()
    hashes = [base64.b64decode(h) for h in proof["proof"]]
    with uow() as unit:
        first = merkle.root_hash(DbNodes(unit.session), 1)
    merkle.verify_consistency(1, size, first, signed.checkpoint.root, hashes)
    assert client.get("/api/v1/ledger/entries/999999").status_code == 404

    with uow() as unit:  # no background integrator runs in the test client
        unit.for_writing()
        integrate(unit.session)
        unit.commit()
    found = client.get("/api/v1/ledger/entries", params={"tag": "accounts:login"}).json()
    assert found["total"] >= 1
    assert all(row["tag"].startswith("accounts:login") for row in found["items"])
    assert found["items"][0]["actor"] == "inspector"
    assert found["items"][0]["outcome"] == "ok"
    refused = client.get("/api/v1/ledger/entries", params={"outcome": "bad-password"}).json()
    assert refused["total"] == 0
    page = client.get("/ledger")
    assert page.status_code == 200 and "Transparency ledger" in page.text

    state = client.get("/api/v1/ledger/status").json()
    assert state["checkpoint_size"] == size and state["cosigners"] == []
    assert state["verification"].startswith("verified: signed by coalition.example/ledger")
    assert "0 of 0 witnesses" in state["verification"]


def test_failed_log_ins_are_found_by_their_outcome(
    client: TestClient, uow: UowFactory, operator: Principal
) -> None:
    make_account(uow, operator, "inspector", Role.AUDITOR)
    failed = client.post("/api/v1/auth/login", json={"username": "inspector", "password": "wrong"})
    assert failed.status_code == 401
    login(client, "inspector")
    with uow() as unit:
        unit.for_writing()
        integrate(unit.session)
        unit.commit()
    found = client.get("/api/v1/ledger/entries", params={"outcome": "bad-password"}).json()
    assert [(r["tag"], r["actor"]) for r in found["items"]] == [
        ("accounts:login:failed", "inspector")
    ]
    too_long = client.get("/api/v1/ledger/entries", params={"outcome": "x" * 41})
    assert too_long.status_code == 422 and "outcome" in too_long.text


def test_others_may_not_read_the_ledger(client: TestClient) -> None:
    login(client, "reader")
    answer = client.get("/api/v1/ledger/entries/0")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
