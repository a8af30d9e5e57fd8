"""Partner nodes, and release packages built for them from approved requests."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.content import services as content
from coalition.errors import Conflict, Problems, ValidationFailed
from coalition.exchange import keys as package_keys
from coalition.exchange import tdf
from coalition.exchange.models import ImportedPackage, PartnerNode
from coalition.exchange.schemas import ImportOut, PartnerIn, PartnerOut
from coalition.ledger.note import NoteError, parse_verifier
from coalition.ledger.verify import VerificationError, parse_receipt, verify_receipt
from coalition.policy.facts import Action
from coalition.registry.models import Organisation
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata import services as techdata
from coalition.techdata.schemas import ArtifactIn, LabelIn

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


def import_package(
    uow: UnitOfWork,
    actor: Principal,
    data: bytes,
    settings: Settings,
    *,
    for_person: uuid.UUID | None = None,
    acknowledge_provisos: bool = False,
) -> ImportOut:
    """Take in a package addressed to this node, in one transaction:

    - it must be signed by a registered partner node and open with this node's wrapping
      key; its receipt is checked when the partner's ledger key is known;
    - the item becomes an artifact of the receiving organisation (named in its provenance)
      with the originator's label as it came, and its content the first version, sealed;
    - the importer (or ``for_person``, at the node's shell) must be permitted to read it,
      or nothing is kept;
    - where it came from is recorded with it, and in the ledger."""
    try:
        kid = tdf.signer_of(data)
    except tdf.PackageError as exc:
        raise ValidationFailed.of("package", str(exc)) from exc
    with uow:
        partners = list(uow.session.scalars(select(PartnerNode)))
        for partner in partners:
            uow.session.expunge(partner)
    found = next((p for p in partners if _signing_key_id(p) == kid), None)
    if found is None:
        raise ValidationFailed.of("package", "signed by no registered partner node")
    partner = found
    sender = serialization.load_pem_public_key(partner.signing_key.encode())
    assert isinstance(sender, Ed25519PublicKey)
    wrapping = package_keys.load_wrapping(settings.effective_package_key_file)
    try:
        opened, plain = tdf.open_package(data, sender, wrapping)
    except tdf.PackageError as exc:
        raise ValidationFailed.of("package", str(exc)) from exc
    if opened.provenance is None:
        raise ValidationFailed.of("package", "carries no release provenance")
    checked_index: int | None = None
    if partner.log_key:
        if opened.receipt is None or opened.receipt_entry is None:
            raise ValidationFailed.of("receipt", "the package carries no ledger receipt")
        try:
            verify_receipt(opened.receipt, opened.receipt_entry, parse_verifier(partner.log_key))
        except (VerificationError, NoteError) as exc:
            raise ValidationFailed.of("receipt", str(exc)) from exc
        checked_index = parse_receipt(opened.receipt).index
    provenance = opened.provenance
    if provenance.get("provisos") and not acknowledge_provisos:
        raise ValidationFailed.of(
            "acknowledge_provisos",
            "the release comes with provisos the recipient must acknowledge: "
            + provenance["provisos"],
        )
    content_settings = content.content_settings(settings)
    blob: str | None = None
    try:
        with uow:
            uow.for_writing()
            session = uow.session
            recipient = session.scalar(
                select(Organisation).where(Organisation.short_name == provenance.get("recipient"))
            )
            if recipient is None:
                raise ValidationFailed.of(
                    "package", f"is for {provenance.get('recipient')}, no organisation here"
                )
            fields = techdata.label_from_document(session, opened.label_xml.encode())
            artifact = techdata.add_artifact(
                uow,
                actor,
                ArtifactIn(
                    reference=provenance.get("item", ""),
                    title=provenance.get("title", provenance.get("item", "")),
                    kind=provenance.get("kind", "other"),
                    owner_organisation_id=recipient.id,
                    description=f"Released by {provenance.get('node')} under "
                    f"{provenance.get('request')}.",
                    label=LabelIn.model_validate(fields),
                ),
            )
            person = for_person if actor.is_operator else actor.person_id
            if person is None:
                raise ValidationFailed.of("for", "name the person who receives it")
            decision = techdata.decide_for(uow, person, artifact, Action.READ)
            if not decision.permit:
                raise techdata.refusal(decision)
            version = content.seal_first_version(
                session,
                actor,
                artifact,
                provenance.get("filename", "content.bin"),
                [plain],
                content_settings,
                comment=f"from {partner.name}",
            )
            blob = version.blob
            session.add(
                ImportedPackage(
                    artifact_id=artifact.id,
                    partner_node_id=partner.id,
                    provenance=provenance,
                    receipt_checked=checked_index is not None,
                    sender_ledger_index=checked_index,
                    package_sha256=hashlib.sha256(data).hexdigest(),
                    imported_by=actor.name,
                )
            )
            record_event(
                uow,
                actor,
                "exchange:package:import",
                artifact,
                {
                    "partner": partner.name,
                    "request": provenance.get("request"),
                    "item": provenance.get("item"),
                    "receipt_checked": checked_index is not None,
                    "sha256": version.sha256,
                    "provisos_acknowledged": bool(provenance.get("provisos")),
                },
            )
            uow.flush()
            local = techdata.equivalent_in(session, artifact.label, recipient.nation_code)
            out = ImportOut(
                artifact_id=artifact.id,
                reference=artifact.reference,
                banner=artifact.label.banner,
                local_classification=local,
                partner=partner.name,
                provenance=provenance,
                receipt_checked=checked_index is not None,
                version_sha256=version.sha256,
            )
            uow.commit()
            blob = None
            return out
    finally:
        if blob is not None:  # sealed, but its transaction did not commit
            content_settings.blobs.delete(blob)


def _signing_key_id(partner: PartnerNode) -> str | None:
    try:
        key = serialization.load_pem_public_key(partner.signing_key.encode())
    except ValueError:
        return None
    return tdf.key_id(key) if isinstance(key, Ed25519PublicKey) else None
