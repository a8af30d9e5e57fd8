"""This node's checkpoints cosigned by its witnesses: other nodes, each with a database of
its own, reached over HTTP (C2SP tlog-witness); the published checkpoint carries their
cosignatures and verifies with a quorum, and a witness that refuses costs nothing but its
own cosignature."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.ledger import cosigning, keys, services
from coalition.ledger.models import LedgerCosignature
from coalition.ledger.note import Signer, sign_note
from coalition.ledger.verify import VerificationError, verify_checkpoint
from coalition.settings import Settings
from tests.conftest import UowFactory
from tests.witnesses import WitnessNode, network, witness_node

ORIGIN = "coalition.example/ledger"


@dataclass
class Node:
    settings: Settings
    signer: Signer


@pytest.fixture
def node(tmp_path: Path) -> Node:
    settings = Settings(data_dir=tmp_path / "node", host="127.0.0.1", ledger_origin=ORIGIN)
    return Node(settings, keys.keygen(settings.effective_ledger_key_file, ORIGIN))


@pytest.fixture
def witnesses(tmp_path: Path, node: Node) -> Iterator[list[WitnessNode]]:
    key = node.signer.verifier.encoded()
    with (
        witness_node(tmp_path / "nor", "nor", key) as first,
        witness_node(tmp_path / "aus", "aus", key) as second,
    ):
        yield [first, second]


def _change(uow: UowFactory, n: int) -> None:
    with uow() as unit:
        unit.for_writing()
        unit.add(
            Event(
                actor="t",
                tag="test:thing:change",
                object_type="things",
                object_id=str(n),
                details={"n": n},
            )
        )
        unit.commit()


def _sign(uow: UowFactory, node: Node) -> services.Signed:
    return services.sign_checkpoint(uow(), node.signer, node.settings.ledger_checkpoint_file)


def _published(uow: UowFactory, node: Node) -> str:
    return services.published_checkpoint(
        uow(), Principal.operator("t"), node.signer.verifier, node.settings.ledger_checkpoint_file
    )


def test_two_witnesses_cosign_and_the_published_checkpoint_meets_the_quorum(
    uow: UowFactory, node: Node, witnesses: list[WitnessNode]
) -> None:
    entries = tuple(w.entry for w in witnesses)
    keys_ = tuple(w.signer.verifier for w in witnesses)
    with network(witnesses) as http:
        for round_ in range(3):  # the second and third rounds prove consistency from the last
            for n in range(round_ * 5, round_ * 5 + 5):
                _change(uow, n)
            signed = _sign(uow, node)
            outcomes = cosigning.collect(uow, entries, http)
            assert [o.cosigned for o in outcomes] == [True, True], outcomes
            published = _published(uow, node)
            verified = verify_checkpoint(published, node.signer.verifier, keys_, quorum=2)
            assert verified.checkpoint == signed.checkpoint
            assert set(verified.witnesses) == {w.signer.name for w in witnesses}
        # Asking again costs nothing: who has cosigned is not asked twice.
        assert all(o.cosigned for o in cosigning.collect(uow, entries, http))

    state = services.status(
        uow(),
        Principal.operator("t"),
        node.signer.verifier,
        node.settings.ledger_checkpoint_file,
        keys_,
        2,
    )
    assert state.verification.startswith("verified") and "2 of 2" in state.verification
    assert [c.witness for c in state.cosigners] == sorted(w.signer.name for w in witnesses)
    # A receipt carries the cosigned checkpoint.
    receipt = services.receipt(uow(), node.signer.verifier, node.settings.ledger_checkpoint_file, 3)
    assert receipt.endswith(published)


def test_a_witness_that_is_unreachable_or_refuses_costs_only_its_own_cosignature(
    uow: UowFactory, node: Node, witnesses: list[WitnessNode], tmp_path: Path
) -> None:
    stranger = Signer.generate("ghost.example/witness")
    absent = cosigning.Witness(stranger.verifier, "https://ghost.example/witness")
    # A witness node that does not know this log answers 404.
    other_log = Signer.generate("other.example/log").verifier.encoded()
    _change(uow, 1)
    _sign(uow, node)
    with (
        witness_node(tmp_path / "fra", "fra", other_log) as with_other_log,
        network([*witnesses, with_other_log]) as http,
    ):
        entries = (absent, with_other_log.entry, witnesses[0].entry)
        outcomes = {o.witness: o for o in cosigning.collect(uow, entries, http)}
    assert outcomes[witnesses[0].signer.name].cosigned
    assert not outcomes["ghost.example/witness"].cosigned
    assert "cannot reach" in (outcomes["ghost.example/witness"].problem or "")
    assert "status 404" in (outcomes[with_other_log.signer.name].problem or "")
    with uow() as unit:
        stored = list(unit.session.scalars(select(LedgerCosignature.witness)))
    assert stored == [witnesses[0].signer.name]
    with pytest.raises(VerificationError, match="1 of the 2"):
        verify_checkpoint(
            _published(uow, node),
            node.signer.verifier,
            (witnesses[0].signer.verifier, with_other_log.signer.verifier),
            quorum=2,
        )


def test_a_witness_ahead_of_our_record_says_where_it_is_and_is_proved_from_there(
    uow: UowFactory, node: Node, witnesses: list[WitnessNode]
) -> None:
    witness = witnesses[0]
    with network(witnesses) as http:
        _change(uow, 1)
        _sign(uow, node)
        assert cosigning.collect(uow, (witness.entry,), http)[0].cosigned
        # This node forgets what the witness cosigned (say, a restore of that table): it
        # asks from size 0, the witness answers 409 with its size, the proof follows.
        with uow() as unit:
            unit.for_writing()
            unit.session.execute(delete(LedgerCosignature))
            unit.commit()
        _change(uow, 2)
        _sign(uow, node)
        outcome = cosigning.collect(uow, (witness.entry,), http)[0]
    assert outcome.cosigned, outcome.problem


def test_a_fork_signed_with_the_log_s_key_is_refused_by_the_witness(
    uow: UowFactory, node: Node, witnesses: list[WitnessNode]
) -> None:
    witness = witnesses[0]
    with network(witnesses) as http:
        _change(uow, 1)
        _change(uow, 2)
        signed = _sign(uow, node)
        assert cosigning.collect(uow, (witness.entry,), http)[0].cosigned
    # Someone holding the log's key signs another tree of the same size.
    forged = signed.checkpoint.text().replace(
        signed.checkpoint.text().split("\n")[2], "A" * 43 + "="
    )
    body = f"old {signed.checkpoint.size}\n\n" + sign_note(forged, node.signer)
    answer = witness.client.post("/witness/add-checkpoint", content=body.encode())
    assert answer.status_code == 409
    assert answer.text == f"{signed.checkpoint.size}\n"


def test_the_witness_list_setting_is_checked_when_the_settings_load(tmp_path: Path) -> None:
    key = Signer.generate("de.example/witness").verifier.encoded()
    good = Settings(data_dir=tmp_path, ledger_witnesses=f"{key} https://de.example/witness;")
    assert cosigning.configured(good)[0].endpoint == "https://de.example/witness/add-checkpoint"
    for bad, message in [
        (f"{key}", "expected 'verifier-key URL'"),
        (f"{key} ftp://de.example", "must start with https://"),
        ("nonsense https://de.example", "witness 1"),
        (f"{key} https://a.example\n{key} https://b.example", "named twice"),
    ]:
        with pytest.raises(ValueError, match=message):
            Settings(data_dir=tmp_path, ledger_witnesses=bad)
