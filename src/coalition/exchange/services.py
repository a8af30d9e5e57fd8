"""Partner nodes, and release packages built for them from approved requests."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, Problems
from coalition.exchange.models import PartnerNode
from coalition.exchange.schemas import PartnerIn, PartnerOut
from coalition.ledger.note import NoteError, parse_verifier
from coalition.registry.models import Organisation
from coalition.store.uow import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


def register_partner(uow: UnitOfWork, actor: Principal, data: PartnerIn) -> PartnerOut:
    """Record a partner node: its URL, the organisations it serves, its keys (checked to
    be the right kinds of public key)."""
    require(actor, Permission.PARTNER_MANAGE, Target.node())
    problems = Problems()
    try:
        wrapping = serialization.load_pem_public_key(data.wrapping_key.encode())
        if not isinstance(wrapping, rsa.RSAPublicKey) or wrapping.key_size < 2048:
            problems.add("wrapping_key", "must be an RSA public key of at least 2048 bits")
    except ValueError:
        problems.add("wrapping_key", "is not a PEM public key")
    try:
        signing = serialization.load_pem_public_key(data.signing_key.encode())
        if not isinstance(signing, Ed25519PublicKey):
            problems.add("signing_key", "must be an Ed25519 public key")
    except ValueError:
        problems.add("signing_key", "is not a PEM public key")
    if data.log_key:
        try:
            parse_verifier(data.log_key)
        except NoteError as exc:
            problems.add("log_key", str(exc))
    with uow:
        uow.for_writing()
        session = uow.session
        known = set(
            session.scalars(
                select(Organisation.id).where(Organisation.id.in_(data.organisation_ids))
            )
        )
        unknown = [str(i) for i in data.organisation_ids if i not in known]
        if unknown:
            problems.add("organisation_ids", f"unknown: {', '.join(unknown)}")
        problems.raise_if_any()
        if session.scalar(select(PartnerNode.id).where(PartnerNode.name == data.name)):
            raise Conflict(f"name: a partner node '{data.name}' is registered already")
        served = {str(i) for i in data.organisation_ids}
        for other in session.scalars(select(PartnerNode)):
            overlap = ", ".join(sorted(served & set(other.organisation_ids)))
            if overlap:
                raise Conflict(f"organisation_ids: already served by {other.name}: {overlap}")
        row = PartnerNode(
            name=data.name,
            url=data.url,
            organisation_ids=sorted(served),
            wrapping_key=data.wrapping_key,
            signing_key=data.signing_key,
            log_key=data.log_key,
        )
        uow.add(row)
        uow.flush()
        record_event(
            uow,
            actor,
            "exchange:partner:register",
            row,
            {"name": data.name, "url": data.url, "organisations": sorted(served)},
        )
        uow.commit()
        return PartnerOut.model_validate(row)


def list_partners(uow: UnitOfWork, actor: Principal) -> list[PartnerOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        return [
            PartnerOut.model_validate(p)
            for p in uow.session.scalars(select(PartnerNode).order_by(PartnerNode.name))
        ]


def partner_for(uow: UnitOfWork, organisation_id: uuid.UUID) -> PartnerNode | None:
    with uow:
        for partner in uow.session.scalars(select(PartnerNode)):
            if str(organisation_id) in partner.organisation_ids:
                uow.session.expunge(partner)
                return partner
    return None
