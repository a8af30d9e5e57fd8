"""Queueing a release's deliveries: called in the transaction that approves it, so an
approved release to an organisation hosted on a partner node is always on its way
(transactional outbox), and never queued for a release that was not approved."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.exchange.models import PartnerNode
from coalition.federation.models import Delivery
from coalition.releases.models import ReleaseRequest

#: What a delivery held by a suspension of its partner says it waits for.
HELD = "held: trust in {partner} is suspended"


def queue_deliveries(session: Session, request: ReleaseRequest) -> int:
    """One delivery per item and per recipient that a partner node hosts, unless queued
    already; returns how many were added."""
    served: dict[str, PartnerNode] = {}
    for node in session.scalars(select(PartnerNode)):
        for organisation_id in node.organisation_ids:
            served[organisation_id] = node
    queued = {
        (row[0], row[1])
        for row in session.execute(
            select(Delivery.recipient_id, Delivery.artifact_id).where(
                Delivery.request_id == request.id
            )
        )
    }
    added = 0
    for recipient in request.recipients:
        partner = served.get(str(recipient.organisation_id))
        if partner is None:
            continue
        for item in request.items:
            if (recipient.organisation_id, item.artifact_id) in queued:
                continue
            session.add(
                Delivery(
                    request_id=request.id,
                    recipient_id=recipient.organisation_id,
                    artifact_id=item.artifact_id,
                    partner_node_id=partner.id,
                    # Queued all the same: it goes when the partner is reinstated.
                    last_error=HELD.format(partner=partner.name) if partner.suspended_at else None,
                )
            )
            added += 1
    return added
