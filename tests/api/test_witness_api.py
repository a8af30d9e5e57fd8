"""This node as a witness (C2SP tlog-witness add-checkpoint): it cosigns checkpoints that
extend what it saw, and refuses everything else with the protocol's status codes, writing
nothing."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coalition.ledger import keys, merkle
from coalition.ledger.note import Checkpoint, Signer, parse_note, sign_note
from coalition.ledger.verify import verify_checkpoint
from coalition.settings import Settings
from coalition.web.app import create_app
from tests.conftest import UowFactory

ORIGIN = "partner.example/log"


@pytest.fixture
def partner() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
def witness(
    tmp_path: Path, uow: UowFactory, partner: Signer
) -> Iterator[tuple[TestClient, Signer]]:
    settings = Settings(
        data_dir=tmp_path, host="127.0.0.1", witness_logs=partner.verifier.encoded()
    )
    signer = keys.keygen(settings.effective_witness_key_file, settings.witness_name)
    with TestClient(create_app(settings, uow), base_url="http://127.0.0.1") as client:
        yield client, signer


def _tree(size: int, salt: bytes = b"") -> merkle.MemoryTree:
    return merkle.MemoryTree(merkle.leaf_hash(salt + i.to_bytes(4, "big")) for i in range(size))


def _request(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _note(signer: Signer, size: int, tree: merkle.MemoryTree) -> str:
    return sign_note(Checkpoint(ORIGIN, size, tree.root(size)).text(), signer)


def test_cosigns_checkpoints_that_extend_what_it_saw(
    witness: tuple[TestClient, Signer], partner: Signer
) -> None:
    client, signer = witness
    tree = _tree(9)
    first = client.post("/witness/add-checkpoint", content=_request(0, [], _note(partner, 5, tree)))
    assert first.status_code == 200, first.text
    proof = merkle.consistency_proof(tree.node, 5, 9)
    note = _note(partner, 9, tree)
    second = client.post("/witness/add-checkpoint", content=_request(5, proof, note))
    assert second.status_code == 200, second.text
    cosigned = note + second.text
    verified = verify_checkpoint(cosigned, partner.verifier, (signer.verifier,), quorum=1)
    assert verified.witnesses == (signer.verifier.name,)
    assert parse_note(cosigned).signatures[-1].name == signer.verifier.name


def test_refuses_with_the_protocol_s_statuses_and_writes_nothing(
    witness: tuple[TestClient, Signer], partner: Signer
) -> None:
    client, _ = witness
    tree = _tree(12)
    assert (
        client.post(
            "/witness/add-checkpoint", content=_request(0, [], _note(partner, 9, tree))
        ).status_code
        == 200
    )

    stale = client.post(
        "/witness/add-checkpoint", content=_request(5, [], _note(partner, 12, tree))
    )
    assert stale.status_code == 409 and stale.text == "9\n"

    other = _tree(12, salt=b"fork")
    forked = _note(partner, 12, other)
    bad = client.post(
        "/witness/add-checkpoint",
        content=_request(9, merkle.consistency_proof(other.node, 9, 12), forked),
    )
    assert bad.status_code == 422 and "consistency" in bad.text

    impostor = Signer.generate(ORIGIN)
    forged = client.post(
        "/witness/add-checkpoint",
        content=_request(9, merkle.consistency_proof(tree.node, 9, 12), _note(impostor, 12, tree)),
    )
    assert forged.status_code == 403

    stranger = Signer.generate("unknown.example/log")
    unknown = sign_note(Checkpoint("unknown.example/log", 1, tree.root(1)).text(), stranger)
    assert (
        client.post("/witness/add-checkpoint", content=_request(0, [], unknown)).status_code == 404
    )
    assert client.post("/witness/add-checkpoint", content=b"hello").status_code == 400
    assert (
        client.post(
            "/witness/add-checkpoint", content=b"old 09\n\n" + _note(partner, 12, tree).encode()
        ).status_code
        == 400
    )

    # None of the refusals moved the witness: the honest next checkpoint still extends 9.
    good = client.post(
        "/witness/add-checkpoint",
        content=_request(9, merkle.consistency_proof(tree.node, 9, 12), _note(partner, 12, tree)),
    )
    assert good.status_code == 200, good.text
