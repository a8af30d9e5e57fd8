"""Deliveries over NATS JetStream between two nodes, with a real broker (the one CI runs
on 127.0.0.1:4222): published signed, taken in once, answered signed; a node that was away
takes its deliveries in when it is back; a forged message is dropped with an alert."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from coalition.exchange.models import ImportedPackage
from coalition.federation import outbox, relay, signing
from coalition.federation.jetstream import DELIVERY_HEADER, SENDER_HEADER, JetStream
from coalition.federation.models import (
    AlertKind,
    Delivery,
    DeliveryStatus,
    FederationAlert,
    InboundDelivery,
)
from tests.integration.test_federation import _approved_release, _count, _partner_id, nodes
from tests.integration.test_two_nodes import OPERATOR, Node

NATS_URL = os.environ.get("COALITION_TEST_NATS_URL", "nats://127.0.0.1:4222")

__all__ = ["nodes"]  # the two-node fixture, shared


def _reachable() -> bool:
    host, port = NATS_URL.rsplit("/", 1)[-1].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def prefix() -> str:
    if not _reachable():
        if os.environ.get("COALITION_REQUIRE_NATS") == "1":
            pytest.fail(f"NATS is required and not reachable at {NATS_URL}")
        pytest.skip(f"no NATS server at {NATS_URL}")
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def streams(nodes: tuple[Node, Node], prefix: str) -> Iterator[tuple[JetStream, JetStream]]:
    a = JetStream(NATS_URL, prefix)
    b = JetStream(NATS_URL, prefix)
    with a, b:
        yield a, b
        a._run(a._js.delete_stream(a.stream))  # leave the shared broker as it was


def _no_http() -> httpx.Client:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("HTTPS is not used here", request=request)

    return httpx.Client(transport=httpx.MockTransport(refuse))


def test_a_delivery_goes_over_jetstream_once_and_its_receipt_comes_back(
    nodes: tuple[Node, Node], streams: tuple[JetStream, JetStream]
) -> None:
    a, b = nodes
    sa, sb = streams
    _approved_release(a)
    with _no_http() as client:
        (sent,) = outbox.dispatch_due(a.uow, a.settings, client, stream=sa)  # type: ignore[arg-type]
    assert sent.status is DeliveryStatus.PACKAGED and "waiting" in (sent.problem or "")
    # A looks for deliveries to itself first: it must neither see nor take B's (each node
    # reads through consumers of its own).
    assert relay.take_deliveries(a.uow, a.settings, sa) == 0  # type: ignore[arg-type]
    assert relay.take_answers(b.uow, b.settings, sb) == []  # type: ignore[arg-type]
    # B was away; the message waited in the stream. B takes it in now.
    assert relay.take_deliveries(b.uow, b.settings, sb) == 1  # type: ignore[arg-type]
    assert relay.take_deliveries(b.uow, b.settings, sb) == 0  # type: ignore[arg-type]
    (answered,) = relay.take_answers(a.uow, a.settings, sa)  # type: ignore[arg-type]
    assert answered.status is DeliveryStatus.DELIVERED
    assert _count(b, InboundDelivery) == 1 and _count(b, ImportedPackage) == 1
    with a.unit() as unit:
        delivery = unit.session.scalar(select(Delivery))
        assert delivery is not None and delivery.receipt is not None
        assert delivery.receipt["receiver"] == b.settings.effective_node_name


def test_a_delivery_published_again_is_imported_once(
    nodes: tuple[Node, Node], streams: tuple[JetStream, JetStream]
) -> None:
    a, b = nodes
    sa, sb = streams
    _approved_release(a)
    with _no_http() as client:
        (first,) = outbox.dispatch_due(a.uow, a.settings, client, stream=sa)  # type: ignore[arg-type]
        # No answer yet: the next attempt publishes the same delivery again.
        outbox.attempt(a.uow, a.settings, client, first.delivery_id, stream=sa)  # type: ignore[arg-type]
    assert relay.take_deliveries(b.uow, b.settings, sb) == 2  # type: ignore[arg-type]
    answers = relay.take_answers(a.uow, a.settings, sa)  # type: ignore[arg-type]
    assert [x.status for x in answers] == [DeliveryStatus.DELIVERED]
    assert _count(b, InboundDelivery) == 1 and _count(b, ImportedPackage) == 1


def test_a_forged_message_is_dropped_with_an_alert(
    nodes: tuple[Node, Node], streams: tuple[JetStream, JetStream]
) -> None:
    _, b = nodes
    _, sb = streams
    stranger = Ed25519PrivateKey.generate()
    delivery_id = uuid.uuid4()
    me = b.settings.effective_node_name
    url = f"nats://{me}/federation/v1/deliveries/{delivery_id}"
    headers = signing.sign_request(
        stranger,
        "PUT",
        url,
        me,
        b"junk",
        {SENDER_HEADER: "coalition.nowhere.example", DELIVERY_HEADER: str(delivery_id)},
    )
    sb.publish(sb.subject("deliveries", me), b"junk", headers, str(delivery_id))
    assert relay.take_deliveries(b.uow, b.settings, sb) == 0  # type: ignore[arg-type]
    assert _count(b, FederationAlert, FederationAlert.kind == AlertKind.UNKNOWN_NODE) == 1
    assert _count(b, InboundDelivery) == 0


def test_a_suspended_partners_delivery_is_answered_with_a_refusal(
    nodes: tuple[Node, Node], streams: tuple[JetStream, JetStream]
) -> None:
    from coalition.federation import services
    from coalition.federation.schemas import SuspendIn

    a, b = nodes
    sa, sb = streams
    services.suspend_partner(
        b.unit(), OPERATOR, _partner_id(b), SuspendIn(reason="the arrangement lapsed")
    )
    _approved_release(a)
    with _no_http() as client:
        outbox.dispatch_due(a.uow, a.settings, client, stream=sa)  # type: ignore[arg-type]
    assert relay.take_deliveries(b.uow, b.settings, sb) == 0  # type: ignore[arg-type]
    (answered,) = relay.take_answers(a.uow, a.settings, sa)  # type: ignore[arg-type]
    assert answered.status is DeliveryStatus.REFUSED
    assert "suspended its trust" in (answered.problem or "")
    assert _count(b, InboundDelivery) == 0
