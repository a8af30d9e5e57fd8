"""The Merkle log in the database: every recorded change has its entry in the same
transaction, the tree verifies, proofs check against the head, and tampering is found."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.errors import Conflict
from coalition.ledger import merkle
from coalition.ledger.entries import decode_entry
from coalition.ledger.integrator import Integrator
from coalition.ledger.log import (
    DbNodes,
    _append,
    audit,
    consistency,
    head,
    inclusion,
    integrate,
)
from coalition.ledger.models import LedgerEntry, LedgerNode, LedgerPending
from coalition.registry.schemas import NationIn, OrganisationIn
from coalition.registry.services import create_nation, create_organisation
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.uow import uow_factory
from tests.conftest import UowFactory


def _integrated(uow: UowFactory) -> tuple[int, bytes]:
    with uow() as unit:
        unit.for_writing()
        while integrate(unit.session):
            pass
        unit.commit()
    with uow() as unit:
        return head(unit.session)


def _count(uow: UowFactory, model: type) -> int:
    with uow() as unit:
        return int(unit.session.scalar(select(func.count()).select_from(model)) or 0)


def _labs(uow: UowFactory, operator: Principal, n: int) -> None:
    create_nation(uow(), operator, NationIn(code="NLD", currency="EUR", scheme_code="NLD"))
    for i in range(n):
        create_organisation(
            uow(),
            operator,
            OrganisationIn(name=f"Lab {i}", short_name=f"LAB{i}", kind="lab", nation_code="NLD"),
        )


def test_every_change_gets_its_entry_and_the_tree_verifies(
    uow: UowFactory, operator: Principal
) -> None:
    before = _integrated(uow)[0]
    _labs(uow, operator, 12)
    size, root = _integrated(uow)
    assert size == before + 13
    assert _count(uow, LedgerPending) == 0
    with uow() as unit:
        session = unit.session
        result = audit(session)
        assert result.first_bad_index is None and result.root == root
        for index in (0, size // 2, size - 1):
            row = session.get(LedgerEntry, index)
            assert row is not None
            entry = bytes(row.entry)
            proof = inclusion(session, index, size)
            merkle.verify_inclusion(index, size, merkle.leaf_hash(entry), proof, root)
        last_row = session.get(LedgerEntry, size - 1)
        assert last_row is not None
        last = decode_entry(bytes(last_row.entry))
        assert last["tag"] == "registry:organisation:create"
        # Values are salted hashes: the lab's name is not in the log.
        assert "Lab 11" not in bytes(last_row.entry).decode()
        assert all(str(v).startswith("sha256:") for v in last["fields"].values())
        older = size - 5
        merkle.verify_consistency(
            older,
            size,
            merkle.root_hash(_nodes(session), older),
            root,
            consistency(session, older, size),
        )


def _nodes(session: Session) -> merkle.NodeSource:
    return DbNodes(session)


def test_a_failed_use_case_leaves_no_entry(uow: UowFactory, operator: Principal) -> None:
    _labs(uow, operator, 1)
    entries, pending = _count(uow, LedgerEntry), _count(uow, LedgerPending)
    with pytest.raises(Conflict):
        create_organisation(
            uow(),
            operator,
            OrganisationIn(name="Again", short_name="LAB0", kind="lab", nation_code="NLD"),
        )
    assert (_count(uow, LedgerEntry), _count(uow, LedgerPending)) == (entries, pending)


def test_a_changed_entry_or_node_is_found_and_its_index_named(
    uow: UowFactory, operator: Principal
) -> None:
    _labs(uow, operator, 8)
    _integrated(uow)
    with uow() as unit:
        unit.session.execute(
            update(LedgerEntry).where(LedgerEntry.index == 5).values(entry=b'{"v":1,"forged":true}')
        )
        result = audit(unit.session)
        assert result.first_bad_index == 5, result
        unit.session.rollback()
    with uow() as unit:
        unit.session.execute(
            update(LedgerNode)
            .where(LedgerNode.level == 1, LedgerNode.index == 3)
            .values(hash=bytes(32))
        )
        result = audit(unit.session)
        assert result.first_bad_index == 6, result
        assert "1/3" in (result.problem or "")


def test_the_background_integrator_catches_up_within_its_interval(
    fresh_url: str, operator: Principal, tmp_path: Path
) -> None:
    # Its own database: the integrator's thread needs connections of its own.
    engine = make_engine(fresh_url)
    uow = uow_factory(engine)
    settings = Settings(data_dir=tmp_path, ledger_integrate_interval_ms=10)
    integrator = Integrator(uow, settings)
    integrator.integrate_now()
    integrator.start()
    try:
        for i in range(5):
            create_organisation(
                uow(),
                operator,
                OrganisationIn(name=f"Lab {i}", short_name=f"BG{i}", kind="lab", nation_code="GBR"),
            )
        deadline = time.monotonic() + 5
        while _count(uow, LedgerPending) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _count(uow, LedgerPending) == 0
    finally:
        integrator.stop()
    with uow() as unit:
        assert audit(unit.session).first_bad_index is None
    engine.dispose()


def test_sqlite_integrates_at_commit_and_postgresql_leaves_it_to_the_integrator(
    uow: UowFactory, operator: Principal, backend: str
) -> None:
    _integrated(uow)
    _labs(uow, operator, 2)
    if backend == "sqlite":  # writers are serialised anyway: each integrates its own entries
        assert _count(uow, LedgerPending) == 0
        with uow() as unit:
            assert head(unit.session)[0] == _count(uow, LedgerEntry) > 0
    else:  # writers never wait on the tree: their entries wait for the integrator
        assert _count(uow, LedgerPending) == 3


def test_two_processes_appending_in_turn_never_trust_a_stale_right_edge(
    fresh_url: str,
) -> None:
    """Each engine remembers the right edge it left; the other's appends move the head, so
    the compare-and-swap on the head fails and the edge is read again from the database.
    An append that is rolled back leaves a remembered edge that must not be trusted either."""
    engines = [make_engine(fresh_url), make_engine(fresh_url)]
    units = [uow_factory(e) for e in engines]
    for n in range(12):
        unit_of = units[n % 2]
        with unit_of() as unit:
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
        _integrated(unit_of)  # PostgreSQL: this process's integrator
        if n == 5:
            with unit_of() as unit:  # appended and remembered, then rolled back
                unit.for_writing()
                _append(unit.session, [(b'{"lost":true}', bytes(16), None)])
    with units[0]() as unit:
        result = audit(unit.session)
        tags = list(
            unit.session.scalars(
                select(Event.tag).join(LedgerEntry, LedgerEntry.event_id == Event.id)
            )
        )
    # The fresh database's nation, then the twelve changes; nothing of the rolled-back append.
    assert result.problem is None and result.size == 13
    assert tags == ["registry:nation:create"] + ["test:thing:change"] * 12
    for engine in engines:
        engine.dispose()
