"""Taking deliveries and answers off JetStream (``federation_transport = "nats"``): the
same checks and use cases as the HTTPS endpoints, with the answer published back."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

from coalition.errors import AuthenticationFailed, CoalitionError
from coalition.exchange.models import PartnerNode
from coalition.federation import outbox, receiving
from coalition.federation.jetstream import (
    DELIVERY_HEADER,
    JetStream,
    Message,
    answer_url,
    delivery_id_of,
    delivery_url,
    publish_answer,
)
from coalition.federation.models import Delivery, DeliveryStatus
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]


def take_deliveries(uow: UowFactory, settings: Settings, stream: JetStream) -> int:
    """Import the deliveries waiting on JetStream for this node and publish the answers.
    A message is acknowledged once answered (or refused for good); one whose handling
    failed for another reason (the database away) is left for JetStream to hand out again."""
    me = settings.effective_node_name
    handled = 0
    for message in stream.fetch(stream.subject("deliveries", me), stream.durable("deliveries", me)):
        delivery_id = _delivery_id(message)
        if delivery_id is None:
            logger.warning("NATS delivery without a delivery id: dropped")
            message.ack()
            continue
        try:
            caller = receiving.authenticate(
                uow,
                settings,
                "PUT",
                delivery_url(me, delivery_id),
                message.headers,
                message.data,
                client="nats",
                broker=True,
            )
        except AuthenticationFailed:
            message.ack()  # alerted; the sender signs afresh when it tries again
            continue
        except receiving.Suspended as exc:
            # Told so, as over HTTPS (it may send again once reinstated).
            problem = {"title": exc.title, "detail": exc.detail}
            publish_answer(stream, settings, exc.partner, delivery_id, exc.status, problem)
            message.ack()
            continue
        try:
            receipt, created = receiving.receive_delivery(
                uow, settings, caller, delivery_id, message.data
            )
            status, body = (201 if created else 200), receipt
        except CoalitionError as exc:
            if exc.status >= 500:
                continue
            status, body = exc.status, {"title": exc.title, "detail": exc.detail}
        publish_answer(stream, settings, caller.partner.name, delivery_id, status, body)
        message.ack()
        handled += 1
    return handled


def take_answers(uow: UowFactory, settings: Settings, stream: JetStream) -> list[outbox.Attempt]:
    """Record the answers partners published to this node's deliveries."""
    me = settings.effective_node_name
    out = []
    for message in stream.fetch(stream.subject("answers", me), stream.durable("answers", me)):
        delivery_id = _delivery_id(message)
        if delivery_id is None:
            message.ack()
            continue
        try:
            caller = receiving.authenticate(
                uow,
                settings,
                "POST",
                answer_url(me, delivery_id),
                message.headers,
                message.data,
                client="nats",
                broker=True,
            )
        except (AuthenticationFailed, receiving.Suspended):
            message.ack()  # alerted
            continue
        with uow() as unit:
            delivery = unit.session.get(Delivery, delivery_id)
            partner = unit.session.get(PartnerNode, delivery.partner_node_id) if delivery else None
            if delivery is not None:
                unit.session.expunge(delivery)
            if partner is not None:
                unit.session.expunge(partner)
        if delivery is None or partner is None or partner.id != caller.partner.id:
            logger.warning(
                "NATS answer for delivery %s from %s: not ours", delivery_id, caller.partner.name
            )
            message.ack()
            continue
        if delivery.status is DeliveryStatus.DELIVERED:
            message.ack()
            continue
        try:
            decoded = json.loads(message.data)
            status, body = int(decoded["status"]), decoded["body"]
        except (ValueError, KeyError, TypeError):
            logger.warning("NATS answer for delivery %s is malformed", delivery_id)
            message.ack()
            continue
        out.append(outbox.answer(uow, settings, delivery, partner, status, body))
        message.ack()
    return out


def _delivery_id(message: Message) -> uuid.UUID | None:
    value = {k.lower(): v for k, v in message.headers.items()}.get(DELIVERY_HEADER, "")
    return delivery_id_of("/" + value)
