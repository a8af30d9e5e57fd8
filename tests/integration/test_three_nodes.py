"""Three national nodes, three processes, three databases, over HTTPS on loopback: a
release from the USA node reaches the GBR node and is imported there, exactly once, even
when the sender is killed with ``kill -9`` in the middle; the FRA node receives nothing;
each node's checkpoints are cosigned by its two partners; a tampered package and a forked
checkpoint are refused with alerts; each node sees the others' directories."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import func, select

from coalition.audit.models import Event
from coalition.exchange import keys as package_keys
from coalition.exchange import tdf
from coalition.exchange.models import ImportedPackage
from coalition.federation import signing
from coalition.federation.models import (
    AlertKind,
    Delivery,
    DeliveryStatus,
    DirectoryEntry,
    FederationAlert,
    InboundDelivery,
)
from coalition.ledger import keys as ledger_keys
from coalition.ledger.models import LedgerCheckpoint, LedgerCosignature, WitnessState
from coalition.ledger.note import Checkpoint, sign_note
from tests.federation_world import (
    Authority,
    NodeProcess,
    approved_release,
    federate,
    make_node,
)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def count(node: NodeProcess, model: type, *where: object) -> int:
    with node.unit() as unit:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)  # type: ignore[arg-type]
        return int(unit.session.scalar(query) or 0)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Authority, list[NodeProcess]]]:
    root = tmp_path_factory.mktemp("three-nodes")
    authority = Authority(root / "ca")
    nodes = [make_node(root, nation, authority) for nation in ("USA", "GBR", "FRA")]
    federate(nodes)
    try:
        for node in nodes:
            node.start(authority.path)
        yield authority, nodes
    finally:
        for node in nodes:
            node.stop()
            node.engine.dispose()


def by_nation(nodes: list[NodeProcess]) -> dict[str, NodeProcess]:
    return {n.nation: n for n in nodes}


def test_a_release_reaches_the_recipients_node_only(
    world: tuple[Authority, list[NodeProcess]],
) -> None:
    _, nodes = world
    usa, gbr, fra = (by_nation(nodes)[n] for n in ("USA", "GBR", "FRA"))
    request_id = approved_release(usa, "SONAR-1")
    wait_for(
        "the delivery",
        lambda: count(usa, Delivery, Delivery.status == DeliveryStatus.DELIVERED) == 1,
    )
    assert count(gbr, InboundDelivery) == 1 and count(gbr, ImportedPackage) == 1
    with gbr.unit() as unit:
        reference = unit.session.scalar(select(ImportedPackage.provenance))
    assert reference is not None and reference["item"] == "SONAR-1"
    assert count(fra, InboundDelivery) == 0 and count(fra, ImportedPackage) == 0
    # The receipt is recorded on both sides: the import in GBR's ledger, proven to USA.
    with usa.unit() as unit:
        delivery = unit.session.scalar(select(Delivery).where(Delivery.request_id == request_id))
        assert delivery is not None and delivery.receipt is not None
        receipt = delivery.receipt
    assert (
        receipt["receiver"] == gbr.name
        and receipt["ledger"]["origin"] == gbr.settings.ledger_origin
    )
    assert count(gbr, Event, Event.tag == "federation:delivery:receive") == 1
    assert count(usa, Event, Event.tag == "federation:delivery:receipt") == 1


def test_a_sender_killed_mid_delivery_delivers_exactly_once_after_restart(
    world: tuple[Authority, list[NodeProcess]],
) -> None:
    authority, nodes = world
    usa, gbr = by_nation(nodes)["USA"], by_nation(nodes)["GBR"]
    before = count(gbr, InboundDelivery)
    gbr.kill()  # the receiver is away: the delivery is built and tried, and waits
    approved_release(usa, "SONAR-2")
    wait_for(
        "a failed attempt",
        lambda: (
            count(usa, Delivery, Delivery.status == DeliveryStatus.PACKAGED, Delivery.attempts >= 1)
            == 1
        ),
    )
    usa.kill()  # kill -9 in the middle of the delivery
    gbr.start(authority.path)
    usa.start(authority.path)
    wait_for(
        "the delivery after the restart",
        lambda: count(usa, Delivery, Delivery.status == DeliveryStatus.DELIVERED) == 2,
    )
    assert count(gbr, InboundDelivery) == before + 1
    assert count(gbr, ImportedPackage) == before + 1
    assert count(usa, Event, Event.tag == "releases:item:release") == 2  # not released twice


def test_a_sender_killed_at_random_moments_never_delivers_twice(
    world: tuple[Authority, list[NodeProcess]],
) -> None:
    authority, nodes = world
    usa, gbr = by_nation(nodes)["USA"], by_nation(nodes)["GBR"]
    for run, delay in enumerate((0.05, 0.3, 0.8)):
        approved_release(usa, f"SONAR-K{run}")
        time.sleep(delay)
        usa.kill()
        usa.start(authority.path)
    wait_for(
        "every delivery",
        lambda: count(usa, Delivery, Delivery.status != DeliveryStatus.DELIVERED) == 0,
    )
    with usa.unit() as unit:
        sent = set(unit.session.scalars(select(Delivery.id)))
    with gbr.unit() as unit:
        received = list(unit.session.scalars(select(InboundDelivery.delivery_id)))
    assert len(received) == len(set(received)) == len(sent)
    assert set(received) == sent


def test_each_checkpoint_is_cosigned_by_the_two_partners(
    world: tuple[Authority, list[NodeProcess]],
) -> None:
    _, nodes = world

    def cosigned_by_two(node: NodeProcess) -> bool:
        with node.unit() as unit:
            size = unit.session.scalar(select(func.max(LedgerCheckpoint.size)))
            names = set(
                unit.session.scalars(
                    select(LedgerCosignature.witness).where(LedgerCosignature.size == size)
                )
            )
        partners = {f"{n.name}/witness" for n in nodes if n is not node}
        return names == partners

    for node in nodes:
        wait_for(
            f"{node.name}'s checkpoint cosigned by two partners",
            lambda node=node: cosigned_by_two(node),  # type: ignore[misc]
        )


def test_a_tampered_package_is_refused_with_an_alert(
    world: tuple[Authority, list[NodeProcess]],
) -> None:
    authority, nodes = world
    usa, gbr = by_nation(nodes)["USA"], by_nation(nodes)["GBR"]
    key = package_keys.load_signing(usa.settings.effective_package_signing_key_file)
    # Any package USA made for GBR will do: build one by hand from the outbox's words.
    wrapping = package_keys.load_wrapping(gbr.settings.effective_package_key_file).public_key()
    data = tdf.build(
        [b"a payload"],
        tdf.Contents(
            mime_type="text/plain",
            label=tdf.Label("SECRET", 3, ("USA", "GBR"), False, "USA"),
            label_xml="<x/>",
            namespace="coalition.usa.example",
            kas_url=gbr.url,
            receipt=None,
            receipt_entry=None,
            provenance={"recipient": "UKSL"},
        ),
        wrapping,
        key,
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    payload = bytearray(archive.read(tdf.PAYLOAD))
    payload[-1] ^= 1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as changed:
        changed.writestr(tdf.MANIFEST, archive.read(tdf.MANIFEST))
        changed.writestr(tdf.PAYLOAD, bytes(payload))
    url = f"{gbr.url}/federation/v1/deliveries/{uuid.uuid4()}"
    body = out.getvalue()
    headers = signing.sign_request(key, "PUT", url, gbr.name, body)
    before = count(gbr, InboundDelivery)
    with httpx.Client(verify=authority.context()) as client:
        answer = client.put(url, content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert count(gbr, InboundDelivery) == before
    assert count(gbr, FederationAlert, FederationAlert.kind == AlertKind.REFUSED_PACKAGE) >= 1


def test_a_forked_checkpoint_raises_an_alert_at_the_witness(
    world: tuple[Authority, list[NodeProcess]],
) -> None:
    authority, nodes = world
    usa, gbr = by_nation(nodes)["USA"], by_nation(nodes)["GBR"]

    def witnessed() -> tuple[int, bytes] | None:
        with gbr.unit() as unit:
            state = unit.session.scalar(
                select(WitnessState).where(WitnessState.origin == usa.settings.ledger_origin)
            )
            return None if state is None else (state.size, bytes(state.root))

    wait_for("GBR to witness USA's log", lambda: witnessed() is not None)
    seen = witnessed()
    assert seen is not None
    size, root = seen
    # USA's key signs another tree of the same size: a fork only a witness can catch.
    signer = ledger_keys.load_signer(
        usa.settings.effective_ledger_key_file, usa.settings.ledger_origin
    )
    other_root = bytes(a ^ 0xFF for a in root)
    forged = sign_note(Checkpoint(usa.settings.ledger_origin, size, other_root).text(), signer)
    with httpx.Client(verify=authority.context()) as client:
        answer = client.post(
            f"{gbr.url}/witness/add-checkpoint", content=f"old {size}\n\n{forged}".encode()
        )
    assert answer.status_code == 409
    wait_for(
        "the alert",
        lambda: (
            count(gbr, FederationAlert, FederationAlert.kind == AlertKind.INCONSISTENT_CHECKPOINT)
            >= 1
        ),
        timeout=10,
    )


def test_each_node_sees_its_partners_directories(
    world: tuple[Authority, list[NodeProcess]],
) -> None:
    _, nodes = world
    gbr = by_nation(nodes)["GBR"]

    def listed() -> set[str]:
        with gbr.unit() as unit:
            return set(unit.session.scalars(select(DirectoryEntry.short_name)))

    wait_for("the directories", lambda: listed() == {"USAPL", "FRDL"})
