"""The sending side: deliveries queued with an approval go out to the partner nodes that
host their recipients, and come back with signed receipts.

Each delivery moves on in steps that each commit, so that a node killed at any point
delivers exactly once after it restarts:

1. **record and build**: the release is decided again and recorded, with the event kept on
   the delivery in the same transaction; the package is built and written to the outbox
   folder, then the delivery is marked packaged. Killed before the mark, the package is
   built again from the recorded release (nothing is released twice); after it, the same
   bytes are sent.
2. **send**: the package goes to the partner in a signed ``PUT`` named by the delivery's
   id. The receiver imports a delivery id once and answers a repeat with the same
   receipt, so sending again after a lost answer is harmless.
3. **receipt**: the partner's signed receipt is checked (its key, this delivery, these
   bytes, and the proof that its ledger holds the import) and recorded in this node's
   ledger with the delivery marked delivered, in one transaction.

A failed attempt waits longer each time (doubling from ``federation_backoff_seconds``,
up to an hour), and the delivery is marked failed after ``federation_max_attempts``.
Claims are guarded updates, so two workers never send the same delivery at once.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, update

from coalition.common.events import record_event
from coalition.errors import CoalitionError
from coalition.exchange import keys as package_keys
from coalition.exchange.models import PartnerNode
from coalition.federation import signing
from coalition.federation.alerts import FEDERATION, raise_alert
from coalition.federation.jetstream import JetStream, publish_delivery
from coalition.federation.models import AlertKind, Delivery, DeliveryStatus
from coalition.federation.queue import HELD
from coalition.federation.receiving import RECEIPT_TYPE
from coalition.ledger.entries import decode_entry, value_hash
from coalition.ledger.note import NoteError, parse_verifier
from coalition.ledger.verify import VerificationError, parse_receipt, verify_receipt
from coalition.releases import services as releases
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
#: How long a claimed delivery is left to its worker before another may take it up.
LEASE = timedelta(minutes=10)
MAX_WAIT = timedelta(hours=1)
BATCH = 20
PACKAGE_TYPE = "application/zip"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def outbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "outbox"


def delivery_url(partner: PartnerNode, delivery_id: uuid.UUID) -> str:
    return f"{partner.url.rstrip('/')}/federation/v1/deliveries/{delivery_id}"


@dataclass(frozen=True)
class Attempt:
    delivery_id: uuid.UUID
    status: DeliveryStatus
    problem: str | None = None


def dispatch_due(
    uow: UowFactory,
    settings: Settings,
    client: httpx.Client,
    *,
    limit: int = BATCH,
    stream: JetStream | None = None,
) -> list[Attempt]:
    """Move every due delivery on by one attempt (at most ``limit``)."""
    now = utcnow()
    with uow() as unit:
        due = list(
            unit.session.scalars(
                select(Delivery.id)
                .join(PartnerNode, PartnerNode.id == Delivery.partner_node_id)
                .where(
                    Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.PACKAGED)),
                    Delivery.next_attempt_at <= now,
                    # A suspended partner's deliveries wait for its reinstatement.
                    PartnerNode.suspended_at.is_(None),
                )
                .order_by(Delivery.next_attempt_at)
                .limit(limit)
            )
        )
    out = []
    for delivery_id in due:
        if _claim(uow, delivery_id, now):
            out.append(attempt(uow, settings, client, delivery_id, stream=stream))
    return out


def _claim(uow: UowFactory, delivery_id: uuid.UUID, now: datetime) -> bool:
    with uow() as unit:
        unit.for_writing()
        claimed = unit.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        unit.commit()
    return bool(claimed)


def attempt(
    uow: UowFactory,
    settings: Settings,
    client: httpx.Client,
    delivery_id: uuid.UUID,
    *,
    stream: JetStream | None = None,
) -> Attempt:
    """One attempt at one delivery: build it if it is not built, send it (over HTTPS, or
    published on JetStream, whose answer comes later), check and record the receipt."""
    with uow() as unit:
        delivery = unit.session.get(Delivery, delivery_id)
        assert delivery is not None
        partner = unit.session.get(PartnerNode, delivery.partner_node_id)
        assert partner is not None
        unit.session.expunge(delivery)
        unit.session.expunge(partner)
    if partner.suspended_at is not None:
        # Suspended since it was claimed: it waits (reinstatement makes it due again).
        return Attempt(delivery.id, delivery.status, HELD.format(partner=partner.name))
    try:
        data = _package(uow, settings, delivery)
    except CoalitionError as exc:
        # The release is refused now (the world changed), or the node lacks a key (or the
        # partner was suspended meanwhile: then it is held, see _failed).
        return _failed(uow, settings, delivery, f"package: {exc.detail}", final=exc.status < 500)
    if _suspended(uow, partner.id):
        return _failed(uow, settings, delivery, "suspended while it was packaged", logged=False)
    if stream is not None:
        try:
            publish_delivery(stream, settings, partner, delivery.id, data, delivery.attempts + 1)
        except Exception as exc:  # the broker is down or refuses: try again later
            return _failed(uow, settings, delivery, f"cannot publish on NATS: {exc}")
        return _failed(
            uow, settings, delivery, "published on NATS; waiting for the answer", logged=False
        )
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    url = delivery_url(partner, delivery.id)
    headers = signing.sign_request(
        signer, "PUT", url, partner.name, data, {"content-type": PACKAGE_TYPE}
    )
    try:
        response = client.put(url, content=data, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return _failed(uow, settings, delivery, f"cannot reach {partner.name}: {exc}")
    try:
        body: Any = response.json()
    except ValueError:
        body = {"detail": response.text[:500]}
    return answer(uow, settings, delivery, partner, response.status_code, body)


def answer(
    uow: UowFactory,
    settings: Settings,
    delivery: Delivery,
    partner: PartnerNode,
    status: int,
    body: Any,
) -> Attempt:
    """What the partner answered a delivery with (over HTTPS or JetStream): its signed
    receipt, checked and recorded, or its refusal."""
    if status in (200, 201):
        try:
            _check_receipt(body, partner, delivery, settings)
        except ReceiptMismatch as exc:
            raise_alert(
                uow,
                settings,
                AlertKind.RECEIPT_MISMATCH,
                f"delivery {delivery.id}: {exc}",
                partner_id=partner.id,
            )
            return _failed(uow, settings, delivery, f"receipt: {exc}")
        return _delivered(uow, settings, delivery, partner, body)
    problem = _problem(body)
    permanent = 400 <= status < 500 and status not in (
        401,  # keys or clocks may be put right
        408,
        425,
        429,
    )
    return _failed(
        uow,
        settings,
        delivery,
        f"{partner.name} answered {status}: {problem}",
        final=permanent,
    )


def _problem(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:500]


def _package(uow: UowFactory, settings: Settings, delivery: Delivery) -> bytes:
    """The delivery's package: the one kept in the outbox, or built now (the release
    recorded with the delivery in one transaction, unless it was already)."""
    path = outbox_dir(settings) / f"{delivery.id}.tdf"
    if delivery.status is DeliveryStatus.PACKAGED and path.exists():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == delivery.package_sha256:
            if delivery.release_event_id is not None:
                # Sent again, it is decided again: the world may have changed meanwhile.
                releases.packages(
                    uow,
                    FEDERATION,
                    delivery.request_id,
                    delivery.recipient_id,
                    settings,
                    [delivery.artifact_id],
                    recorded={delivery.artifact_id: delivery.release_event_id},
                    check_only=True,
                )
            return data
        logger.warning(
            "outbox package of %s does not match its digest; building again", delivery.id
        )

    def keep_event(unit: UnitOfWork, events: dict[uuid.UUID, int]) -> None:
        row = unit.session.get(Delivery, delivery.id, with_for_update=True)
        assert row is not None
        row.release_event_id = events[delivery.artifact_id]

    recorded = (
        {delivery.artifact_id: delivery.release_event_id}
        if delivery.release_event_id is not None
        else None
    )
    (made,) = releases.packages(
        uow,
        FEDERATION,
        delivery.request_id,
        delivery.recipient_id,
        settings,
        [delivery.artifact_id],
        on_recorded=keep_event,
        recorded=recorded,
    )
    _write_atomically(path, made.data)
    digest = hashlib.sha256(made.data).hexdigest()
    with uow() as unit:
        unit.for_writing()
        row = unit.session.get(Delivery, delivery.id)
        assert row is not None
        row.status = DeliveryStatus.PACKAGED
        row.package_sha256 = digest
        row.package_size = len(made.data)
        unit.commit()
    delivery.package_sha256 = digest
    return made.data


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


class ReceiptMismatch(Exception):
    pass


def _check_receipt(
    receipt: Any, partner: PartnerNode, delivery: Delivery, settings: Settings
) -> None:
    """The receipt must be signed by the partner's pinned key, for this delivery and
    these bytes, from this node to that one; and, when the partner's ledger key is
    known, prove that its ledger holds the import of this delivery."""
    if not isinstance(receipt, dict):
        raise ReceiptMismatch("the answer is not a receipt")
    key = serialization.load_pem_public_key(partner.signing_key.encode())
    assert isinstance(key, Ed25519PublicKey)
    try:
        body = signing.verify_document(receipt, key)
    except signing.BadSignature as exc:
        raise ReceiptMismatch(str(exc)) from exc
    expected = {
        "type": RECEIPT_TYPE,
        "delivery": str(delivery.id),
        "sender": settings.effective_node_name,
        "receiver": partner.name,
        "package_sha256": delivery.package_sha256,
    }
    for name, value in expected.items():
        if body.get(name) != value:
            raise ReceiptMismatch(f"{name} is {body.get(name)!r}, expected {value!r}")
    if not partner.log_key:
        return
    proof = body.get("ledger")
    if not isinstance(proof, dict):
        raise ReceiptMismatch("the receipt carries no ledger proof")
    try:
        entry = base64.b64decode(str(proof.get("entry")), validate=True)
        salt = base64.b64decode(str(proof.get("salt")), validate=True)
        verify_receipt(str(proof.get("proof")), entry, parse_verifier(partner.log_key))
        if parse_receipt(str(proof.get("proof"))).index != proof.get("index"):
            raise ReceiptMismatch("the proof is for another entry")
        decoded = decode_entry(entry)
    except (VerificationError, NoteError, ValueError) as exc:
        raise ReceiptMismatch(f"ledger proof: {exc}") from exc
    fields = decoded.get("fields") or {}
    expected_fields = {
        "delivery": value_hash(salt, "delivery", str(delivery.id)),
        "package_sha256": value_hash(salt, "package_sha256", delivery.package_sha256),
    }
    if (
        decoded.get("tag") != "federation:delivery:receive"
        or decoded.get("object") != {"type": "federation_inbound", "id": proof.get("object")}
        or any(fields.get(name) != value for name, value in expected_fields.items())
    ):
        raise ReceiptMismatch("the proven entry is not the import of this delivery")


def _suspended(uow: UowFactory, partner_id: uuid.UUID) -> bool:
    with uow() as unit:
        return (
            unit.session.scalar(
                select(PartnerNode.suspended_at).where(PartnerNode.id == partner_id)
            )
            is not None
        )


def _held(unit: UnitOfWork, row: Delivery) -> str | None:
    """The delivery's note if its partner is suspended now (read in the transaction that
    would record an outcome: a suspension that commits first holds it)."""
    partner = unit.session.get(PartnerNode, row.partner_node_id, with_for_update={"read": True})
    if partner is None or partner.suspended_at is None:
        return None
    return HELD.format(partner=partner.name)


def _delivered(
    uow: UowFactory,
    settings: Settings,
    delivery: Delivery,
    partner: PartnerNode,
    receipt: dict[str, Any],
) -> Attempt:
    with uow() as unit:
        unit.for_writing()
        row = unit.session.get(Delivery, delivery.id, with_for_update=True)
        assert row is not None
        if row.status is DeliveryStatus.DELIVERED:  # another worker recorded it
            unit.commit()
            return Attempt(row.id, row.status)
        held = _held(unit, row)
        if held is not None:
            # Sent before the suspension; the receipt, signed by a key no longer trusted,
            # is not recorded. Sent again once reinstated, the partner answers the same.
            row.last_error = held
            unit.commit()
            return Attempt(row.id, row.status, held)
        row.status = DeliveryStatus.DELIVERED
        row.receipt = receipt
        row.delivered_at = utcnow()
        row.attempts += 1
        row.last_error = None
        ledger_part = receipt.get("ledger") or {}
        record_event(
            unit,
            FEDERATION,
            "federation:delivery:receipt",
            row,
            {
                "partner": partner.name,
                "delivery": str(row.id),
                "package_sha256": row.package_sha256,
                "receiver_origin": ledger_part.get("origin"),
                "receiver_index": ledger_part.get("index"),
                "receipt_sha256": hashlib.sha256(signing.canonical(receipt)).hexdigest(),
            },
            authority="signed receipt of " + partner.name,
        )
        unit.commit()
    (outbox_dir(settings) / f"{delivery.id}.tdf").unlink(missing_ok=True)
    logger.info("delivery %s to %s: delivered", delivery.id, partner.name)
    return Attempt(delivery.id, DeliveryStatus.DELIVERED)


def _failed(
    uow: UowFactory,
    settings: Settings,
    delivery: Delivery,
    problem: str,
    *,
    final: bool = False,
    logged: bool = True,
) -> Attempt:
    if logged:
        logger.warning("delivery %s: %s", delivery.id, problem)
    with uow() as unit:
        unit.for_writing()
        row = unit.session.get(Delivery, delivery.id, with_for_update=True)
        assert row is not None
        if row.status not in (DeliveryStatus.QUEUED, DeliveryStatus.PACKAGED):
            # Delivered (or given up) meanwhile, by another worker or a late answer: a
            # stale failure never takes a delivery back.
            unit.commit()
            return Attempt(row.id, row.status, problem)
        held = _held(unit, row)
        if held is not None:
            # Suspended meanwhile: whatever went wrong, it waits for reinstatement.
            row.last_error = held
            unit.commit()
            return Attempt(row.id, row.status, held)
        row.attempts += 1
        row.last_error = problem[:2000]
        if final:
            row.status = DeliveryStatus.REFUSED
        elif row.attempts >= settings.federation_max_attempts:
            row.status = DeliveryStatus.FAILED
        else:
            row.next_attempt_at = utcnow() + backoff(settings, row.attempts)
        if row.status in (DeliveryStatus.REFUSED, DeliveryStatus.FAILED):
            record_event(
                unit,
                FEDERATION,
                f"federation:delivery:{row.status.value}",
                row,
                {"problem": problem, "attempts": row.attempts},
            )
        status = row.status
        unit.commit()
    return Attempt(delivery.id, status, problem)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts: doubling, capped at an hour."""
    seconds = settings.federation_backoff_seconds * 2 ** min(max(attempts - 1, 0), 20)
    return min(timedelta(seconds=seconds), MAX_WAIT)
