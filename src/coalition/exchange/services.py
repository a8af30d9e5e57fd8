"""Partner nodes, and release packages built for them from approved requests."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.content import services as content
from coalition.content.models import ContentVersion
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
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork
from coalition.techdata import services as techdata
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import ArtifactIn, LabelIn

UowFactory = Callable[[], UnitOfWork]


def register_partner(uow: UnitOfWork, actor: Principal, data: PartnerIn) -> PartnerOut:
    """Record a partner node: its URL, the organisations it serves, its keys (checked to
    be the right kinds of public key)."""
    require(actor, Permission.PARTNER_MANAGE, Target.node())
    problems = _key_problems(data)
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
        others = list(session.scalars(select(PartnerNode)))
        # One partner per key and per log: a partner claiming another's log could speak
        # for it to this node's witness, and one key must name one node.
        kid = signing_key_id_of(data.signing_key)
        origin = data.log_key.split("+", 1)[0] if data.log_key else None
        for other in others:
            if kid is not None and signing_key_id(other) == kid:
                raise Conflict(f"signing_key: {other.name} is registered with this key")
            if origin and other.log_key and other.log_key.split("+", 1)[0] == origin:
                raise Conflict(f"log_key: {other.name} is registered with the log {origin}")
        for other in others:
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
            witness_key=data.witness_key,
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


def check_partner_keys(data: PartnerIn) -> None:
    """That a partner's keys are the right kinds of public key, or a ValidationFailed."""
    _key_problems(data).raise_if_any()


def _key_problems(data: PartnerIn) -> Problems:
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
    for name, value in (("log_key", data.log_key), ("witness_key", data.witness_key)):
        if value:
            try:
                parse_verifier(value)
            except NoteError as exc:
                problems.add(name, str(exc))
    return problems


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
    found = next((p for p in partners if signing_key_id(p) == kid), None)
    if found is None:
        raise ValidationFailed.of("package", "signed by no registered partner node")
    if found.suspended_at is not None:
        raise ValidationFailed.of(
            "package", f"signed by {found.name}, whose trust this node has suspended"
        )
    opened = open_from(found, data, settings)
    if opened.provenance.get("provisos") and not acknowledge_provisos:
        raise ValidationFailed.of(
            "acknowledge_provisos",
            "the release comes with provisos the recipient must acknowledge: "
            + opened.provenance["provisos"],
        )
    person = for_person if actor.is_operator else actor.person_id
    if person is None:
        raise ValidationFailed.of("for", "name the person who receives it")
    content_settings = content.content_settings(settings)
    blob: list[str] = []
    try:
        with uow:
            uow.for_writing()
            now = uow.session.get(PartnerNode, found.id, with_for_update={"read": True})
            if now is None or now.suspended_at is not None:  # suspended meanwhile
                raise ValidationFailed.of(
                    "package", f"signed by {found.name}, whose trust this node has suspended"
                )
            artifact, version = record_import(
                uow, actor, opened, content_settings, blob, reader=person
            )
            out = _import_out(uow, artifact, version, opened)
            uow.commit()
            blob.clear()
            return out
    finally:
        for name in blob:  # sealed, but its transaction did not commit
            content_settings.blobs.delete(name)


@dataclass(frozen=True)
class Opened:
    """A package checked on arrival: who sent it, what it holds, and what was checked."""

    partner: PartnerNode
    data: bytes
    provenance: dict[str, Any]
    label_xml: str
    plain: bytes
    #: The index of the release's entry in the sender's log, when its receipt was checked.
    sender_ledger_index: int | None


def open_from(partner: PartnerNode, data: bytes, settings: Settings) -> Opened:
    """Open a package ``partner`` signed: its signature and integrity, this node's
    wrapping key, its provenance, and its ledger receipt when the partner's log key is
    known. Any fault is a :class:`ValidationFailed` naming it; nothing is written."""
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
    return Opened(partner, data, opened.provenance, opened.label_xml, plain, checked_index)


def record_import(
    uow: UnitOfWork,
    actor: Principal,
    opened: Opened,
    content_settings: content.ContentSettings,
    sealed_blobs: list[str],
    *,
    reader: uuid.UUID | None,
    hosted_nations: frozenset[str] | None = None,
) -> tuple[Artifact, ContentVersion]:
    """Inside an open writing unit of work: the package's item as an artifact of the
    receiving organisation, its content sealed (the blob's name is appended to
    ``sealed_blobs`` for the caller to remove if the transaction does not commit), and
    where it came from. With a ``reader``, that person must be permitted to read it; a
    delivery from a partner node has none, and the release the sender's engine decided
    must name this organisation's nation as one the label is releasable to."""
    session = uow.session
    partner, provenance = opened.partner, opened.provenance
    recipient = session.scalar(
        select(Organisation).where(Organisation.short_name == provenance.get("recipient"))
    )
    if recipient is None:
        raise ValidationFailed.of(
            "package", f"is for {provenance.get('recipient')}, no organisation here"
        )
    fields = techdata.label_from_document(session, opened.label_xml.encode())
    label = LabelIn.model_validate(fields)
    earlier = _imported_before(session, partner, provenance, recipient) if reader is None else None
    if earlier is not None:
        # The same item released again (a new version, or a new release of it): it joins
        # the artifact imported before, with the label it comes with now.
        artifact = earlier
        techdata.apply_label(
            uow, actor, artifact, label, f"released again under {provenance.get('request')}"
        )
    else:
        artifact = techdata.add_artifact(
            uow,
            actor,
            ArtifactIn(
                # A person importing by hand is told a reference exists (it may be this
                # very package again); a delivery finds a free one.
                reference=provenance.get("item", "")
                if reader is not None
                else _free_reference(session, provenance.get("item", ""), partner),
                title=provenance.get("title", provenance.get("item", "")),
                kind=provenance.get("kind", "other"),
                owner_organisation_id=recipient.id,
                description=f"Released by {provenance.get('node')} under "
                f"{provenance.get('request')}.",
                label=label,
            ),
        )
    if reader is not None:
        decision = techdata.decide_for(uow, reader, artifact, Action.READ)
        if not decision.permit:
            raise techdata.refusal(decision)
    else:
        served_elsewhere = any(
            str(recipient.id) in p.organisation_ids for p in session.scalars(select(PartnerNode))
        )
        if served_elsewhere or (
            hosted_nations is not None and recipient.nation_code not in hosted_nations
        ):
            raise ValidationFailed.of(
                "package", f"is for {recipient.short_name}, which this node does not host"
            )
        releasable = techdata.releasability_for(uow, recipient, artifact)
        if not releasable.passed:
            raise ValidationFailed.of("package", f"refused here: {releasable.reason}")
    seal = content.seal_next_version if earlier is not None else content.seal_first_version
    version = seal(
        session,
        actor,
        artifact,
        provenance.get("filename", "content.bin"),
        [opened.plain],
        content_settings,
        comment=f"from {partner.name}",
    )
    sealed_blobs.append(version.blob)
    record = session.scalar(
        select(ImportedPackage).where(ImportedPackage.artifact_id == artifact.id)
    )
    if record is None:
        record = ImportedPackage(artifact_id=artifact.id, partner_node_id=partner.id)
        session.add(record)
    # Where the latest version came from (earlier ones are in the ledger).
    record.provenance = provenance
    record.receipt_checked = opened.sender_ledger_index is not None
    record.sender_ledger_index = opened.sender_ledger_index
    record.package_sha256 = hashlib.sha256(opened.data).hexdigest()
    record.imported_by = actor.name
    record.imported_at = utcnow()
    record_event(
        uow,
        actor,
        "exchange:package:import",
        artifact,
        {
            "partner": partner.name,
            "request": provenance.get("request"),
            "item": provenance.get("item"),
            "receipt_checked": opened.sender_ledger_index is not None,
            "sha256": version.sha256,
            "provisos_acknowledged": bool(provenance.get("provisos")) and reader is not None,
        },
    )
    uow.flush()
    return artifact, version


def _imported_before(
    session: Session, partner: PartnerNode, provenance: dict[str, Any], recipient: Organisation
) -> Artifact | None:
    """The artifact an earlier delivery of the same item (by the sender's id for it) from
    the same partner for the same organisation became, if any."""
    item_id = provenance.get("item_id")
    if not item_id:
        return None
    for record in session.scalars(
        select(ImportedPackage)
        .join(Artifact, Artifact.id == ImportedPackage.artifact_id)
        .where(
            ImportedPackage.partner_node_id == partner.id,
            Artifact.owner_organisation_id == recipient.id,
        )
    ):
        if record.provenance.get("item_id") == item_id:
            return session.get(Artifact, record.artifact_id, with_for_update=True)
    return None


def _free_reference(session: Session, wanted: str, partner: PartnerNode) -> str:
    """The sender's reference for the item, unless this node uses it for another
    artifact; then the same with the sending node's name (and a number, if need be),
    shortened to fit."""
    label = partner.name.split(".")[1 if partner.name.count(".") >= 2 else 0]
    for n in range(1, 1000):
        suffix = "" if n == 1 and wanted else f"@{label}" if n <= 2 else f"@{label}-{n - 1}"
        candidate = wanted[: 40 - len(suffix)] + suffix
        if session.scalar(select(Artifact.id).where(Artifact.reference == candidate)) is None:
            return candidate
    raise Conflict(f"reference: no free reference for {wanted}")


def _import_out(
    uow: UnitOfWork, artifact: Artifact, version: ContentVersion, opened: Opened
) -> ImportOut:
    owner = uow.session.get(Organisation, artifact.owner_organisation_id)
    assert owner is not None
    return ImportOut(
        artifact_id=artifact.id,
        reference=artifact.reference,
        banner=artifact.label.banner,
        local_classification=techdata.equivalent_in(uow.session, artifact.label, owner.nation_code),
        partner=opened.partner.name,
        provenance=opened.provenance,
        receipt_checked=opened.sender_ledger_index is not None,
        version_sha256=version.sha256,
    )


def signing_key_id(partner: PartnerNode) -> str | None:
    return signing_key_id_of(partner.signing_key)


def signing_key_id_of(pem: str) -> str | None:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        return None
    return tdf.key_id(key) if isinstance(key, Ed25519PublicKey) else None
