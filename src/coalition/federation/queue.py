"""Queueing a release's deliveries: called in the transaction that approves it, so an
approved release to an organisation hosted on a partner node is always on its way
(transactional outbox), and never queued for a release that was not approved."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.exchange.models import PartnerNode
from coalition.federation.models import Delivery
from coalition.releases.models import ReleaseRequest


def queue_deliveries(session: Session, request: ReleaseRequest) -> int:
    """One delivery per item and per recipient that a partner node hosts, unless queued
    already; returns how many were added."""
    served: dict[str, uuid.UUID] = {}
    for partner in session.scalars(select(PartnerNode)):
        for organisation_id in partner.organisation_ids:
            served[organisation_id] = partner.id
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
        partner_id = served.get(str(recipient.organisation_id))
        if partner_id is None:
            continue
        for item in request.items:
            if (recipient.organisation_id, item.artifact_id) in queued:
                continue
            session.add(
                Delivery(
                    request_id=request.id,
                    recipient_id=recipient.organisation_id,
                    artifact_id=item.artifact_id,
                    partner_node_id=partner_id,
                )
            )
            added += 1
    return added
