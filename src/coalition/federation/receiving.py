"""The receiving side of the node-to-node protocol: who is asking (a pinned partner, by its
signature, not replayed), and a delivery taken in exactly once with a signed receipt."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select

from coalition.common.events import record_event
from coalition.content import services as content
from coalition.errors import AuthenticationFailed, Conflict, PermissionDenied, ValidationFailed
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange import tdf
from coalition.exchange.models import PartnerNode
from coalition.federation import signing
from coalition.federation.alerts import FEDERATION, raise_alert
from coalition.federation.models import AlertKind, InboundDelivery, SeenNonce
from coalition.ledger import keys as ledger_keys
from coalition.ledger import services as ledger
from coalition.ledger.models import LedgerEntry
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
RECEIPT_TYPE = "coalition.delivery-receipt/1"
#: How old a broker message's signature may be: as long as the broker keeps messages.
BROKER_AGE = timedelta(days=8)


@dataclass(frozen=True)
class Caller:
    """A partner node whose signed request checked out."""

    partner: PartnerNode
    key_id: str
    verified: signing.Verified


class Suspended(PermissionDenied):
    """A request signed by a partner whose trust this node has suspended (403)."""

    def __init__(self, partner: str) -> None:
        super().__init__(f"this node has suspended its trust in {partner}")
        self.partner = partner


def partner_keys(uow: UowFactory) -> dict[str, PartnerNode]:
    """The registered partners by the id of their pinned signing key."""
    with uow() as unit:
        partners = list(unit.session.scalars(select(PartnerNode)))
        for partner in partners:
            unit.session.expunge(partner)
    out = {}
    for partner in partners:
        kid = exchange.signing_key_id(partner)
        if kid is not None:
            out[kid] = partner
    return out


def _public(partner: PartnerNode) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(partner.signing_key.encode())
    assert isinstance(key, Ed25519PublicKey)  # checked when the partner was registered
    return key


def authenticate(
    uow: UowFactory,
    settings: Settings,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    client: str | None = None,
    broker: bool = False,
) -> Caller:
    """The partner that signed this request, or :class:`AuthenticationFailed` with an
    alert: unknown key, bad or expired signature, meant for another node, or a nonce seen
    before (a replay). The nonce is kept in its own transaction, before anything else is
    done, so a replay is refused whatever became of the first request.

    A message from the JetStream broker (``broker``) may have waited there for days (its
    node was away) and may be handed out more than once: its signature is checked without
    a time limit and its nonce is not kept. What it asks is idempotent by its delivery id
    (one import per delivery, the same answer to every repeat), so a replay changes
    nothing."""
    known = partner_keys(uow)
    skew = timedelta(seconds=settings.federation_clock_skew_seconds)
    try:
        verified = signing.verify_request(
            method,
            url,
            headers,
            body,
            {kid: _public(p) for kid, p in known.items()},
            settings.effective_node_name,
            max_skew=BROKER_AGE if broker else skew,
        )
    except signing.UnknownSigner as exc:
        raise_alert(
            uow,
            settings,
            AlertKind.UNKNOWN_NODE,
            f"{method} {_path(url)}: signed with key {exc.key_id!r}, no registered partner's",
            source=client,
            unverified=True,
        )
        raise AuthenticationFailed("the request is not signed by a registered partner") from exc
    except signing.BadSignature as exc:
        # The key id a bad signature names is only a claim (key ids are public): the
        # alert names the address it came from and the partner it claims to be.
        kid = _claimed_key(headers)
        claimed = known.get(kid) if kid else None
        raise_alert(
            uow,
            settings,
            AlertKind.BAD_SIGNATURE,
            f"{method} {_path(url)}: {exc}"
            + (f" (claims to be {claimed.name})" if claimed else ""),
            source=client,
            unverified=True,
        )
        raise AuthenticationFailed(f"signature: {exc}") from exc
    partner = known[verified.key_id]
    if partner.suspended_at is not None:
        # Its signature is good, but this node no longer takes its word. Throttled and
        # grouped like a stranger's: the key may be in the wrong hands.
        raise_alert(
            uow,
            settings,
            AlertKind.SUSPENDED_NODE,
            f"{partner.name} called while suspended: {method} {_path(url)}",
            partner_id=partner.id,
            source=client,
            unverified=True,
        )
        raise Suspended(partner.name)
    if broker:
        return Caller(partner, verified.key_id, verified)
    try:
        with uow() as unit:
            unit.for_writing()
            session = unit.session
            session.execute(delete(SeenNonce).where(SeenNonce.expires_at < utcnow()))
            session.add(
                SeenNonce(
                    key_id=verified.key_id,
                    nonce=verified.nonce,
                    expires_at=verified.expires + skew,
                )
            )
            unit.commit()
    except Conflict as exc:
        raise_alert(
            uow,
            settings,
            AlertKind.REPLAY,
            f"{method} {_path(url)}: nonce {verified.nonce} seen before",
            partner_id=partner.id,
            source=client,
        )
        raise AuthenticationFailed("the request was seen before (replay)") from exc
    return Caller(partner, verified.key_id, verified)


def check_body(uow: UowFactory, settings: Settings, caller: Caller, body: bytes, what: str) -> None:
    """A body read after its signed headers: it must be the one whose digest was signed
    (otherwise 401 and a ``bad_signature`` alert)."""
    try:
        signing.check_body(caller.verified, body)
    except signing.BadSignature as exc:
        raise_alert(
            uow,
            settings,
            AlertKind.BAD_SIGNATURE,
            f"{what}: {exc}",
            partner_id=caller.partner.id,
        )
        raise AuthenticationFailed(f"signature: {exc}") from exc


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1][:200]


def _claimed_key(headers: Mapping[str, str]) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    text = lowered.get("signature-input", "")
    marker = 'keyid="'
    if marker not in text:
        return None
    return text.split(marker, 1)[1].split('"', 1)[0]


def receive_delivery(
    uow: UowFactory,
    settings: Settings,
    caller: Caller,
    delivery_id: uuid.UUID,
    data: bytes,
) -> tuple[dict[str, Any], bool]:
    """Take in one delivery from ``caller``, exactly once: the package is checked (it must
    be the caller's own, intact, addressed to this node, for an organisation this node
    hosts and releasable to its nation), imported, and recorded in the ledger in one
    transaction with the delivery's id; then a receipt signed by this node, with the
    proof of that entry, is made and kept. The same delivery again gets the same receipt
    (and ``False``: nothing new was imported)."""
    partner = caller.partner
    digest = hashlib.sha256(data).hexdigest()
    done = _inbound(uow, partner.id, delivery_id)
    if done is not None:
        return _existing(uow, settings, partner, done, digest), False
    try:
        try:
            signer = tdf.signer_of(data)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise tdf.PackageError(f"the package cannot be read ({type(exc).__name__})") from exc
        if signer != caller.key_id:
            raise ValidationFailed.of("package", "is not signed by the node that sent it")
        opened = exchange.open_from(partner, data, settings)
    except (ValidationFailed, tdf.PackageError) as exc:
        detail = exc.detail if isinstance(exc, ValidationFailed) else str(exc)
        raise_alert(
            uow,
            settings,
            AlertKind.REFUSED_PACKAGE,
            f"delivery {delivery_id}: {detail}",
            partner_id=partner.id,
        )
        if isinstance(exc, ValidationFailed):
            raise
        raise ValidationFailed.of("package", str(exc)) from exc
    content_settings = content.content_settings(settings)
    sealed: list[str] = []
    try:
        with uow() as unit:
            unit.for_writing()
            # Suspended since its request was authenticated: nothing of it is taken. Read
            # shared-locked, so a suspension and an import do not pass each other.
            now = unit.session.get(PartnerNode, partner.id, with_for_update={"read": True})
            if now is None or now.suspended_at is not None:
                raise Suspended(partner.name)
            artifact, version = exchange.record_import(
                unit,
                FEDERATION,
                opened,
                content_settings,
                sealed,
                reader=None,
                hosted_nations=settings.hosted_nations,
            )
            inbound = InboundDelivery(
                partner_node_id=partner.id,
                delivery_id=delivery_id,
                package_sha256=digest,
                artifact_id=artifact.id,
                event_id=0,
            )
            unit.add(inbound)
            unit.flush()
            record_event(
                unit,
                FEDERATION,
                "federation:delivery:receive",
                inbound,
                {
                    "partner": partner.name,
                    "delivery": str(delivery_id),
                    "package_sha256": digest,
                    "artifact": artifact.reference,
                    "request": opened.provenance.get("request"),
                    "version_sha256": version.sha256,
                },
                authority="delivery from partner node " + partner.name,
            )
            unit.flush()
            inbound.event_id = _last_event_id(unit, inbound.id)
            unit.commit()
            sealed.clear()
    except ValidationFailed as exc:
        raise_alert(
            uow,
            settings,
            AlertKind.REFUSED_PACKAGE,
            f"delivery {delivery_id}: {exc.detail}",
            partner_id=partner.id,
        )
        raise
    except Conflict:
        # The same delivery, imported meanwhile by a concurrent request: answer as a repeat.
        done = _inbound(uow, partner.id, delivery_id)
        if done is None:
            raise
        return _existing(uow, settings, partner, done, digest), False
    finally:
        for name in sealed:
            content_settings.blobs.delete(name)
    done = _inbound(uow, partner.id, delivery_id)
    assert done is not None
    return _existing(uow, settings, partner, done, digest), True


def _last_event_id(unit: UnitOfWork, inbound_id: uuid.UUID) -> int:
    from coalition.audit.models import Event

    found = unit.session.scalar(
        select(Event.id)
        .where(Event.object_type == InboundDelivery.__tablename__)
        .where(Event.object_id == str(inbound_id))
        .order_by(Event.id.desc())
        .limit(1)
    )
    assert found is not None
    return int(found)


def _inbound(
    uow: UowFactory, partner_id: uuid.UUID, delivery_id: uuid.UUID
) -> InboundDelivery | None:
    with uow() as unit:
        found = unit.session.scalar(
            select(InboundDelivery).where(
                InboundDelivery.partner_node_id == partner_id,
                InboundDelivery.delivery_id == delivery_id,
            )
        )
        if found is not None:
            unit.session.expunge(found)
        return found


def _existing(
    uow: UowFactory,
    settings: Settings,
    partner: PartnerNode,
    inbound: InboundDelivery,
    digest: str,
) -> dict[str, Any]:
    if inbound.package_sha256 != digest:
        raise_alert(
            uow,
            settings,
            AlertKind.REFUSED_PACKAGE,
            f"delivery {inbound.delivery_id} sent again with other content",
            partner_id=partner.id,
        )
        raise Conflict("delivery: this delivery id was taken in with other content")
    if inbound.receipt is not None:
        return inbound.receipt
    receipt = _make_receipt(uow, settings, partner, inbound)
    with uow() as unit:
        unit.for_writing()
        row = unit.session.get(InboundDelivery, inbound.id)
        assert row is not None
        if row.receipt is None:
            row.receipt = receipt
        receipt = row.receipt
        unit.commit()
    return receipt


def _make_receipt(
    uow: UowFactory, settings: Settings, partner: PartnerNode, inbound: InboundDelivery
) -> dict[str, Any]:
    """This node's signed word that it took the delivery in, with the C2SP proof that the
    import's entry is in its log (a checkpoint is signed over it first)."""
    from coalition.techdata.models import Artifact

    log_signer = ledger_keys.load_signer(settings.effective_ledger_key_file, settings.ledger_origin)
    ledger.sign_checkpoint(uow(), log_signer, settings.ledger_checkpoint_file)
    with uow() as unit:
        row = unit.session.execute(
            select(LedgerEntry.index, LedgerEntry.entry, LedgerEntry.salt).where(
                LedgerEntry.event_id == inbound.event_id
            )
        ).one()
        index, entry, salt = int(row[0]), bytes(row[1]), bytes(row[2])
        reference = unit.session.scalar(
            select(Artifact.reference).where(Artifact.id == inbound.artifact_id)
        )
    proof = ledger.receipt(uow(), log_signer.verifier, settings.ledger_checkpoint_file, index)
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    return signing.sign_document(
        {
            "type": RECEIPT_TYPE,
            "delivery": str(inbound.delivery_id),
            "sender": partner.name,
            "receiver": settings.effective_node_name,
            "package_sha256": inbound.package_sha256,
            "artifact": reference,
            "received_at": inbound.received_at.isoformat(),
            "ledger": {
                "origin": settings.ledger_origin,
                "object": str(inbound.id),
                "index": index,
                "entry": base64.b64encode(entry).decode(),
                # The entry's salt: with it the sender checks that the entry's hashed
                # fields are this delivery's id and package (they say nothing else new).
                "salt": base64.b64encode(salt).decode(),
                "proof": proof,
            },
        },
        signer,
    )
