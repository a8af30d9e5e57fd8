"""This node's identity as partners see it: its name, address and public keys, signed
with its node key, and the fingerprints its operators read out to partners' operators
before they pin the key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from coalition.exchange import keys as package_keys
from coalition.exchange.models import PartnerNode
from coalition.federation import signing
from coalition.ledger import keys as ledger_keys
from coalition.registry.models import Organisation
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

IDENTITY_TYPE = "coalition.node/1"


def fingerprint(key: Ed25519PublicKey) -> str:
    """The SHA-256 of the key's DER, in groups of four hex digits: what operators compare
    over the telephone before pinning a partner's key."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha256(der).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def hosted_here(session: Any, nations: frozenset[str] | None = None) -> list[Organisation]:
    """The organisations this node hosts: every one no partner node serves (and, when the
    node's nations are set, of those nations)."""
    elsewhere = {
        organisation_id
        for partner in session.scalars(select(PartnerNode))
        for organisation_id in partner.organisation_ids
    }
    return [
        o
        for o in session.scalars(select(Organisation).order_by(Organisation.short_name))
        if str(o.id) not in elsewhere and (nations is None or o.nation_code in nations)
    ]


def identity(uow: Callable[[], UnitOfWork], settings: Settings) -> dict[str, Any]:
    """The unsigned identity document."""
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    wrapping = package_keys.load_wrapping(settings.effective_package_key_file)
    keys: dict[str, str | None] = {
        "signing": package_keys.public_pem(signer.public_key()),
        "wrapping": package_keys.public_pem(wrapping.public_key()),
        "log": None,
        "witness": None,
    }
    if settings.effective_ledger_key_file.exists():
        keys["log"] = ledger_keys.load_signer(
            settings.effective_ledger_key_file, settings.ledger_origin
        ).verifier.encoded()
    if settings.effective_witness_key_file.exists():
        keys["witness"] = ledger_keys.load_signer(
            settings.effective_witness_key_file, settings.witness_name
        ).verifier.encoded()
    with uow() as unit:
        # Only the organisations listed in the directory are named to the world.
        listed = [
            {"short_name": o.short_name, "name": o.name, "nation": o.nation_code}
            for o in hosted_here(unit.session, settings.hosted_nations)
            if o.directory_listed
        ]
    return {
        "type": IDENTITY_TYPE,
        "name": settings.effective_node_name,
        "url": settings.public_url.rstrip("/"),
        "ledger_origin": settings.ledger_origin,
        "keys": keys,
        "fingerprint": fingerprint(signer.public_key()),
        "organisations": listed,
        "issued_at": utcnow().isoformat(),
    }


def signed_identity(uow: Callable[[], UnitOfWork], settings: Settings) -> dict[str, Any]:
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    return signing.sign_document(identity(uow, settings), signer)
