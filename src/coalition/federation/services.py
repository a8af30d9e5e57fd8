"""Use cases of federation for the node's operators: its state and its partners', the
deliveries out and in, alerts, pinning a partner from its published identity, retrying
and queueing deliveries. Managing and reading all this takes ``node:partner:manage``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, func, select, update

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange.models import PartnerNode
from coalition.exchange.schemas import PartnerIn, PartnerOut
from coalition.federation import signing
from coalition.federation.identity import IDENTITY_TYPE, fingerprint
from coalition.federation.models import (
    Delivery,
    DeliveryStatus,
    DirectoryEntry,
    FederationAlert,
    InboundDelivery,
    PartnerDirectory,
)
from coalition.federation.queue import HELD, queue_deliveries
from coalition.federation.schemas import (
    AlertOut,
    DeliveryOut,
    InboundOut,
    NodeState,
    PartnerState,
    PartnerTrust,
    PinIn,
    SuspendIn,
)
from coalition.ledger.models import WitnessState
from coalition.registry.models import Organisation
from coalition.releases.models import ReleaseRequest, RequestStatus
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact

UowFactory = Callable[[], UnitOfWork]


def _pairs(rows: Any) -> dict[Any, Any]:
    return {row[0]: row[1] for row in rows}


def _manage(actor: Principal) -> None:
    require(actor, Permission.PARTNER_MANAGE, Target.node())


def node_state(uow: UnitOfWork, actor: Principal, settings: Settings) -> NodeState:
    """This node's identity and, per partner, what is pinned and what passed between."""
    _manage(actor)
    try:
        signer = package_keys.load_signing(settings.effective_package_signing_key_file)
        print_ = fingerprint(signer.public_key())
    except ValidationFailed:
        print_ = None
    with uow:
        session = uow.session
        names = {
            row[0]: row[1]
            for row in session.execute(select(Organisation.id, Organisation.short_name))
        }
        counts: dict[uuid.UUID, dict[str, int]] = {}
        for partner_id, status, count in session.execute(
            select(Delivery.partner_node_id, Delivery.status, func.count()).group_by(
                Delivery.partner_node_id, Delivery.status
            )
        ):
            counts.setdefault(partner_id, {})[status.value] = count
        received = _pairs(
            session.execute(
                select(InboundDelivery.partner_node_id, func.count()).group_by(
                    InboundDelivery.partner_node_id
                )
            )
        )
        directories = {d.partner_node_id: d for d in session.scalars(select(PartnerDirectory))}
        listed = _pairs(
            session.execute(
                select(DirectoryEntry.partner_node_id, func.count()).group_by(
                    DirectoryEntry.partner_node_id
                )
            )
        )
        witnessed = {
            row[0]: row[1]
            for row in session.execute(select(WitnessState.origin, WitnessState.size))
        }
        partners = []
        for p in session.scalars(select(PartnerNode).order_by(PartnerNode.name)):
            origin = p.log_key.split("+", 1)[0] if p.log_key else None
            directory = directories.get(p.id)
            partners.append(
                PartnerState(
                    id=p.id,
                    name=p.name,
                    url=p.url,
                    organisations=sorted(names.get(uuid.UUID(i), i) for i in p.organisation_ids),
                    pins={
                        "signing": True,
                        "wrapping": True,
                        "log": p.log_key is not None,
                        "witness": p.witness_key is not None,
                    },
                    deliveries=counts.get(p.id, {}),
                    received=int(received.get(p.id, 0)),
                    directory_issued_at=directory.issued_at if directory else None,
                    directory_organisations=int(listed.get(p.id, 0)),
                    witnessed_size=witnessed.get(origin) if origin else None,
                    suspended_at=p.suspended_at,
                    suspended_by=p.suspended_by,
                    suspension_reason=p.suspension_reason,
                )
            )
        open_alerts = session.scalar(
            select(func.count())
            .select_from(FederationAlert)
            .where(FederationAlert.acknowledged_at.is_(None))
        )
    return NodeState(
        name=settings.effective_node_name,
        url=settings.public_url,
        ledger_origin=settings.ledger_origin,
        fingerprint=print_,
        transport=settings.federation_transport,
        partners=partners,
        open_alerts=int(open_alerts or 0),
    )


def list_deliveries(
    uow: UnitOfWork,
    actor: Principal,
    *,
    status: DeliveryStatus | None = None,
    request_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[DeliveryOut]:
    _manage(actor)
    with uow:
        query = (
            select(Delivery, ReleaseRequest.reference, Artifact.reference, Organisation.short_name)
            .join(ReleaseRequest, ReleaseRequest.id == Delivery.request_id)
            .join(Artifact, Artifact.id == Delivery.artifact_id)
            .join(Organisation, Organisation.id == Delivery.recipient_id)
            .order_by(Delivery.created_at.desc(), Delivery.id)
            .limit(limit)
        )
        if status is not None:
            query = query.where(Delivery.status == status)
        if request_id is not None:
            query = query.where(Delivery.request_id == request_id)
        partners = {
            row[0]: row[1] for row in uow.session.execute(select(PartnerNode.id, PartnerNode.name))
        }
        return [
            _delivery_out(d, request, artifact, recipient, partners[d.partner_node_id])
            for d, request, artifact, recipient in uow.session.execute(query)
        ]


def _delivery_out(
    d: Delivery, request: str, artifact: str, recipient: str, partner: str
) -> DeliveryOut:
    index = (d.receipt or {}).get("ledger", {}).get("index")
    return DeliveryOut(
        id=d.id,
        request_id=d.request_id,
        request_reference=request,
        artifact_reference=artifact,
        recipient=recipient,
        partner=partner,
        status=d.status.value,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        receiver_ledger_index=index if isinstance(index, int) else None,
        created_at=d.created_at,
    )


def get_receipt(uow: UnitOfWork, actor: Principal, delivery_id: uuid.UUID) -> dict[str, Any]:
    """A delivered delivery's signed receipt, as the partner signed it."""
    _manage(actor)
    with uow:
        delivery = uow.session.get(Delivery, delivery_id)
        if delivery is None:
            raise NotFound("no delivery with this id")
        if delivery.receipt is None:
            raise NotFound(f"the delivery is {delivery.status.value}; it has no receipt yet")
        return dict(delivery.receipt)


def list_inbound(uow: UnitOfWork, actor: Principal, *, limit: int = 200) -> list[InboundOut]:
    _manage(actor)
    with uow:
        rows = uow.session.execute(
            select(InboundDelivery, PartnerNode.name, Artifact.reference)
            .join(PartnerNode, PartnerNode.id == InboundDelivery.partner_node_id)
            .join(Artifact, Artifact.id == InboundDelivery.artifact_id)
            .order_by(InboundDelivery.received_at.desc())
            .limit(limit)
        )
        return [
            InboundOut(
                id=i.id,
                partner=partner,
                delivery_id=i.delivery_id,
                artifact_id=i.artifact_id,
                artifact_reference=reference,
                package_sha256=i.package_sha256,
                received_at=i.received_at,
            )
            for i, partner, reference in rows
        ]


def list_alerts(
    uow: UnitOfWork, actor: Principal, *, open_only: bool = False, limit: int = 200
) -> list[AlertOut]:
    _manage(actor)
    with uow:
        query = (
            select(FederationAlert, PartnerNode.name)
            .outerjoin(PartnerNode, PartnerNode.id == FederationAlert.partner_node_id)
            .order_by(FederationAlert.created_at.desc())
            .limit(limit)
        )
        if open_only:
            query = query.where(FederationAlert.acknowledged_at.is_(None))
        return [_alert_out(a, partner) for a, partner in uow.session.execute(query)]


def _alert_out(alert: FederationAlert, partner: str | None) -> AlertOut:
    return AlertOut(
        id=alert.id,
        kind=alert.kind.value,
        partner=partner,
        source=alert.source,
        detail=alert.detail,
        created_at=alert.created_at,
        repeats=alert.repeats,
        last_seen_at=alert.last_seen_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
    )


def acknowledge_alert(uow: UnitOfWork, actor: Principal, alert_id: uuid.UUID) -> AlertOut:
    _manage(actor)
    with uow:
        uow.for_writing()
        alert = uow.session.get(FederationAlert, alert_id, with_for_update=True)
        if alert is None:
            raise NotFound("no alert with this id")
        if alert.acknowledged_at is not None:
            raise ValidationFailed.of("alert", f"acknowledged already by {alert.acknowledged_by}")
        alert.acknowledged_by, alert.acknowledged_at = actor.name, utcnow()
        record_event(uow, actor, "federation:alert:acknowledge", alert, {"kind": alert.kind.value})
        partner = (
            uow.session.get(PartnerNode, alert.partner_node_id) if alert.partner_node_id else None
        )
        out = _alert_out(alert, partner.name if partner else None)
        uow.commit()
        return out


def retry_delivery(uow: UnitOfWork, actor: Principal, delivery_id: uuid.UUID) -> None:
    """A failed or refused delivery queued again, its attempts counted afresh (a release
    refused when it was built is decided again)."""
    _manage(actor)
    with uow:
        uow.for_writing()
        delivery = uow.session.get(Delivery, delivery_id, with_for_update=True)
        if delivery is None:
            raise NotFound("no delivery with this id")
        if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.REFUSED):
            raise ValidationFailed.of(
                "status",
                f"the delivery is {delivery.status.value}; only failed or refused ones are retried",
            )
        was = delivery.status.value
        delivery.status = (
            DeliveryStatus.PACKAGED if delivery.package_sha256 else DeliveryStatus.QUEUED
        )
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
        partner = uow.session.get(PartnerNode, delivery.partner_node_id)
        if partner is not None and partner.suspended_at is not None:
            delivery.last_error = HELD.format(partner=partner.name)
        record_event(uow, actor, "federation:delivery:retry", delivery, {"was": was})
        uow.commit()


def queue_request(uow: UnitOfWork, actor: Principal, request_id: uuid.UUID) -> int:
    """Queue an approved request's deliveries to partner nodes not queued yet (for a
    request approved before its recipient's node was registered)."""
    _manage(actor)
    with uow:
        uow.for_writing()
        request = uow.session.get(ReleaseRequest, request_id)
        if request is None:
            raise NotFound("no release request with this id")
        if request.status is not RequestStatus.APPROVED:
            raise ValidationFailed.of("status", f"the request is {request.status.value}")
        added = queue_deliveries(uow.session, request)
        if added:
            record_event(
                uow, actor, "federation:delivery:queue", request, {"deliveries_queued": added}
            )
        uow.commit()
        return added


def _fetch_identity(client: httpx.Client, base_url: str, wanted_fingerprint: str) -> dict[str, Any]:
    """A node's published identity, checked to be signed by the key it names, and that key
    to have the fingerprint its operators gave out of band."""
    url = base_url.rstrip("/") + "/federation/v1/node"
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise ValidationFailed.of("url", f"cannot fetch {url}: {exc}") from exc
    if response.status_code != 200:
        raise ValidationFailed.of("url", f"{url} answered {response.status_code}")
    try:
        document = response.json()
        key = serialization.load_pem_public_key(document["keys"]["signing"].encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the signing key is not Ed25519")
        body = signing.verify_document(document, key)
    except (ValueError, KeyError, TypeError, AttributeError, signing.BadSignature) as exc:
        raise ValidationFailed.of("url", f"{url} is not a node identity: {exc}") from exc
    if body.get("type") != IDENTITY_TYPE or not isinstance(body.get("keys"), dict):
        raise ValidationFailed.of("url", f"{url} is not a node identity")
    actual = fingerprint(key)
    if "".join(actual.split()) != "".join(wanted_fingerprint.lower().split()):
        raise ValidationFailed.of(
            "fingerprint", f"the node's key has fingerprint {actual}: it is not pinned"
        )
    return body


def pin_partner(
    uow: UnitOfWork,
    actor: Principal,
    data: PinIn,
    client: httpx.Client,
) -> PartnerOut:
    """Register a partner from its published identity: fetched from its address, checked
    to be signed by the key it names, and pinned only if that key's fingerprint is the
    one its operators gave out of band."""
    _manage(actor)
    body = _fetch_identity(client, data.url, data.fingerprint)
    keys = body["keys"]
    return exchange.register_partner(
        uow,
        actor,
        PartnerIn(
            name=str(body.get("name")),
            url=data.url.rstrip("/"),
            organisation_ids=data.organisation_ids,
            wrapping_key=str(keys.get("wrapping")),
            signing_key=str(keys.get("signing")),
            log_key=keys.get("log"),
            witness_key=keys.get("witness"),
        ),
    )


def repin_partner(
    uow: UnitOfWork,
    actor: Principal,
    partner_id: uuid.UUID,
    new_fingerprint: str,
    client: httpx.Client,
) -> PartnerOut:
    """A partner's keys replaced by those it now publishes (it rotated them), pinned only
    if its node key has the new fingerprint its operators gave; its name must not change.
    Recorded in the ledger with the old and new key ids. A ledger key that changes starts
    the partner's log afresh for this node's witness (its old log is not its new one)."""
    _manage(actor)
    with uow:
        partner = uow.session.get(PartnerNode, partner_id)
        if partner is None:
            raise NotFound("no partner node with this id")
        url, name = partner.url, partner.name
    body = _fetch_identity(client, url, new_fingerprint)
    if body.get("name") != name:
        raise ValidationFailed.of(
            "fingerprint", f"the node at {url} is now {body.get('name')!r}, not {name!r}"
        )
    keys = body["keys"]
    check = PartnerIn(
        name=name,
        url=url,
        organisation_ids=[uuid.uuid4()],
        wrapping_key=str(keys.get("wrapping")),
        signing_key=str(keys.get("signing")),
        log_key=keys.get("log"),
        witness_key=keys.get("witness"),
    )
    exchange.check_partner_keys(check)
    with uow:
        uow.for_writing()
        partner = uow.session.get(PartnerNode, partner_id, with_for_update=True)
        assert partner is not None
        kid = exchange.signing_key_id_of(check.signing_key)
        origin = check.log_key.split("+", 1)[0] if check.log_key else None
        for other in uow.session.scalars(select(PartnerNode).where(PartnerNode.id != partner_id)):
            if exchange.signing_key_id(other) == kid:
                raise Conflict(f"signing_key: {other.name} is registered with this key")
            if origin and other.log_key and other.log_key.split("+", 1)[0] == origin:
                raise Conflict(f"log_key: {other.name} is registered with the log {origin}")
        if partner.log_key and partner.log_key != check.log_key:
            # Another log key: another log, witnessed from its start.
            old_origin = partner.log_key.split("+", 1)[0]
            uow.session.execute(delete(WitnessState).where(WitnessState.origin == old_origin))
        before = exchange.signing_key_id(partner)
        partner.signing_key = check.signing_key
        partner.wrapping_key = check.wrapping_key
        partner.log_key = check.log_key
        partner.witness_key = check.witness_key
        record_event(
            uow,
            actor,
            "exchange:partner:repin",
            partner,
            {
                "name": name,
                "signing_key_before": before,
                "signing_key": exchange.signing_key_id(partner),
                "log_key": check.log_key,
                "witness_key": check.witness_key,
            },
        )
        out = PartnerOut.model_validate(partner)
        uow.commit()
        return out


def suspend_partner(
    uow: UnitOfWork, actor: Principal, partner_id: uuid.UUID, data: SuspendIn
) -> PartnerTrust:
    """Stop trusting a partner node for now (its key may be compromised, its arrangement
    lapsed): nothing more is sent to it (its deliveries wait, marked held), nothing it
    signs is accepted (its requests are refused with an alert, its packages not
    imported), it is neither asked to cosign nor witnessed, and its directory is not
    shown. What passed before stays on record. Recorded in the ledger with the reason."""
    _manage(actor)
    reason = data.reason.strip()
    if not reason:
        raise ValidationFailed.of("reason", "say why the partner is suspended")
    with uow:
        uow.for_writing()
        partner = uow.session.get(PartnerNode, partner_id, with_for_update=True)
        if partner is None:
            raise NotFound("no partner node with this id")
        if partner.suspended_at is not None:
            raise Conflict(
                f"status: {partner.name} is suspended already, by {partner.suspended_by} "
                f"on {partner.suspended_at:%Y-%m-%d}"
            )
        partner.suspended_at, partner.suspended_by = utcnow(), actor.name
        partner.suspension_reason = reason
        held = uow.session.execute(
            update(Delivery)
            .where(
                Delivery.partner_node_id == partner_id,
                Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.PACKAGED)),
            )
            .values(last_error=HELD.format(partner=partner.name))
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        record_event(
            uow,
            actor,
            "exchange:partner:suspend",
            partner,
            {"name": partner.name, "reason": reason, "deliveries_held": int(held)},
        )
        out = PartnerTrust.model_validate(partner)
        uow.commit()
        return out


def reinstate_partner(uow: UnitOfWork, actor: Principal, partner_id: uuid.UUID) -> PartnerTrust:
    """Trust a suspended partner again, with the keys pinned before (a partner whose key
    was compromised is re-pinned with its new key first, or after): the deliveries held
    for it are due at once."""
    _manage(actor)
    with uow:
        uow.for_writing()
        partner = uow.session.get(PartnerNode, partner_id, with_for_update=True)
        if partner is None:
            raise NotFound("no partner node with this id")
        if partner.suspended_at is None:
            raise Conflict(f"status: {partner.name} is not suspended")
        suspended = partner.suspended_at
        partner.suspended_at = partner.suspended_by = partner.suspension_reason = None
        released = uow.session.execute(
            update(Delivery)
            .where(
                Delivery.partner_node_id == partner_id,
                Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.PACKAGED)),
            )
            .values(last_error=None, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        record_event(
            uow,
            actor,
            "exchange:partner:reinstate",
            partner,
            {
                "name": partner.name,
                "suspended_at": suspended.isoformat(),
                "deliveries_due": int(released),
            },
        )
        out = PartnerTrust.model_validate(partner)
        uow.commit()
        return out


def clear_expired_leases(uow: UnitOfWork) -> int:
    """Deliveries waiting (on a lease of a worker that died, or a back-off) are due now:
    a node that starts again tries what it holds at once. Sending twice is harmless, the
    receiver taking in a delivery id once."""
    with uow:
        uow.for_writing()
        changed = uow.session.execute(
            update(Delivery)
            .where(
                Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.PACKAGED)),
                Delivery.next_attempt_at > utcnow(),
            )
            .values(next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        uow.commit()
    return int(changed)
