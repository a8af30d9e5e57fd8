"""Use cases of the ledger: sign checkpoints, refuse rollback, hand out entries, proofs and
receipts.

The latest signed checkpoint is kept in a file outside the database as well as handed out:
a database restored from an old backup does not extend it, and the node refuses to start.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.audit.models import Event
from coalition.common.access import require
from coalition.common.paging import Page, PageRequest
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.ledger import log, merkle, tiles
from coalition.ledger.models import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerPending,
)
from coalition.ledger.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    open_note,
    parse_checkpoint,
    sign_note,
)
from coalition.ledger.verify import VerificationError, verify_checkpoint
from coalition.store.uow import UnitOfWork

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class RolledBack(Exception):
    """The database does not extend the last checkpoint this node signed."""


@dataclass(frozen=True)
class Signed:
    note: str
    checkpoint: Checkpoint


def read_signed(path: Path, verifier: Verifier) -> Signed | None:
    if not path.exists():
        return None
    note = path.read_text(encoding="utf-8")
    try:
        opened, _ = open_note(note, verifier)
        checkpoint = parse_checkpoint(opened.text)
    except NoteError as exc:
        raise RolledBack(f"{path} does not hold a checkpoint signed by this node: {exc}") from exc
    return Signed(note, checkpoint)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _extends(session: Session, previous: Checkpoint, size: int, root: bytes) -> str | None:
    """Why the tree (size, root) does not extend ``previous``, or None if it does."""
    if size < previous.size:
        return (
            f"the database holds {size} entries, fewer than the {previous.size} of the last "
            "signed checkpoint (restored from an older backup?)"
        )
    nodes = log.DbNodes(session)
    try:
        old_root = merkle.root_hash(nodes, previous.size)
    except LookupError:
        return "the database lacks the tree the last signed checkpoint covered"
    if old_root != previous.root:
        return f"the database's tree at size {previous.size} has another root than was signed"
    if size > previous.size and previous.size > 0:
        proof = merkle.consistency_proof(nodes, previous.size, size)
        try:
            merkle.verify_consistency(previous.size, size, previous.root, root, proof)
        except merkle.ProofError as exc:
            return f"the tree is not consistent with the last signed checkpoint: {exc}"
    return None


def sign_checkpoint(uow: UnitOfWork, signer: Signer, checkpoint_file: Path) -> Signed:
    """Integrate what is pending, check the tree extends the last signed checkpoint, and
    sign the new one. Two inconsistent checkpoints are never signed."""
    previous = read_signed(checkpoint_file, signer.verifier)
    with uow:
        uow.for_writing()
        session = uow.session
        while log.integrate(session):
            pass
        size, root = log.head(session)
        if previous is not None:
            problem = _extends(session, previous.checkpoint, size, root)
            if problem is not None:
                raise Conflict(f"checkpoint: refused to sign: {problem}")
        checkpoint = Checkpoint(signer.name, size, root)
        kept = session.get(LedgerCheckpoint, size)
        if kept is not None and bytes(kept.root) != root:  # pragma: no cover - _extends
            raise Conflict(f"checkpoint: refused to sign: size {size} was signed with another root")
        note = sign_note(checkpoint.text(), signer)
        if kept is None:
            session.add(LedgerCheckpoint(size=size, root=root, note=note))
        else:  # the same text again; the cosignatures over it stay valid
            kept.note = note
        uow.commit()
    # After the commit: a crash in between leaves an older file, which the database extends.
    _write_atomically(checkpoint_file, note)
    return Signed(note, checkpoint)


def check_not_rolled_back(uow: UnitOfWork, verifier: Verifier, checkpoint_file: Path) -> None:
    """Raise :class:`RolledBack`, saying why, when the database does not extend the last
    checkpoint this node signed."""
    previous = read_signed(checkpoint_file, verifier)
    if previous is None:
        return
    with uow:
        size, root = log.head(uow.session)
        problem = _extends(uow.session, previous.checkpoint, size, root)
    if problem is not None:
        raise RolledBack(f"the node refuses to start: {problem}")


def entry(uow: UnitOfWork, index: int) -> bytes:
    with uow:
        row = uow.session.get(LedgerEntry, index)
        if row is None:
            raise NotFound(f"no ledger entry at index {index}")
        return bytes(row.entry)


def receipt(uow: UnitOfWork, verifier: Verifier, checkpoint_file: Path, index: int) -> str:
    """A C2SP tlog-proof for entry ``index`` against the latest signed checkpoint."""
    signed = read_signed(checkpoint_file, verifier)
    if signed is None:
        raise ValidationFailed.of("checkpoint", "no checkpoint is signed yet")
    size = signed.checkpoint.size
    if not 0 <= index < size:
        raise ValidationFailed.of(
            "index", f"the latest checkpoint covers entries 0 to {size - 1}; sign a newer one"
        )
    with uow:
        proof = log.inclusion(uow.session, index, size)
        note = published_note(uow.session, size) or signed.note
    lines = [PROOF_HEADER, f"index {index}", *(base64.b64encode(h).decode() for h in proof)]
    return "\n".join(lines) + "\n\n" + note


def published_note(session: Session, size: int | None = None) -> str | None:
    """The checkpoint of ``size`` (default: the latest signed) as published: this node's
    signed note with its witnesses' cosignature lines appended."""
    if size is None:
        size = session.scalar(select(func.max(LedgerCheckpoint.size)))
        if size is None:
            return None
    checkpoint = session.get(LedgerCheckpoint, size)
    if checkpoint is None:
        return None
    lines = session.scalars(
        select(LedgerCosignature.line)
        .where(LedgerCosignature.size == size)
        .order_by(LedgerCosignature.witness)
    )
    return checkpoint.note + "".join(lines)


def consistency(uow: UnitOfWork, size1: int, size2: int) -> list[bytes]:
    with uow:
        size, _ = log.head(uow.session)
        if not 0 <= size1 <= size2 <= size:
            raise ValidationFailed.of(
                "to", f"sizes must satisfy 0 <= from <= to <= {size} (the tree's size)"
            )
        return log.consistency(uow.session, size1, size2)


def export_tiles(uow: UnitOfWork, verifier: Verifier, checkpoint_file: Path, folder: Path) -> int:
    """Write the log as of the latest signed checkpoint as C2SP tlog-tiles in ``folder``."""
    signed = read_signed(checkpoint_file, verifier)
    if signed is None:
        raise ValidationFailed.of("checkpoint", "no checkpoint is signed yet")
    with uow:
        session = uow.session
        nodes = log.DbNodes(session)

        def entries(start: int, end: int) -> list[bytes]:
            rows = session.scalars(
                select(LedgerEntry.entry)
                .where(LedgerEntry.index >= start, LedgerEntry.index < end)
                .order_by(LedgerEntry.index)
            )
            return [bytes(r) for r in rows]

        return tiles.write(folder, signed.checkpoint.size, nodes, entries, signed.note)


# --- the auditor's view -------------------------------------------------------------------


class EntryRow(BaseModel):
    index: int
    at: datetime
    actor: str
    tag: str
    object_type: str
    object_id: str
    #: "permit" or "deny" for a decision, the outcome of an act (a failed log-in), or None.
    outcome: str | None = None


class Cosigner(BaseModel):
    witness: str
    #: When the witness says it cosigned.
    cosigned_at: datetime
    received_at: datetime


class LedgerStatus(BaseModel):
    size: int
    root: str
    pending: int
    checkpoint_size: int | None
    #: The latest checkpoint as published: signed by this node, cosigned by its witnesses.
    checkpoint_note: str | None
    cosigners: list[Cosigner]
    witnesses: list[str]
    quorum: int
    #: What a partner's verifier would say of the published checkpoint, with this node's
    #: key and its witnesses' keys: "verified ..." or the problem.
    verification: str


def status(
    uow: UnitOfWork,
    actor: Principal,
    verifier: Verifier | None,
    checkpoint_file: Path,
    witnesses: tuple[Verifier, ...] = (),
    quorum: int = 0,
) -> LedgerStatus:
    require(actor, Permission.LEDGER_READ, Target.node())
    signed = read_signed(checkpoint_file, verifier) if verifier is not None else None
    cosigners: list[Cosigner] = []
    with uow:
        session = uow.session
        size, root = log.head(session)
        pending = session.scalar(select(func.count()).select_from(LedgerPending)) or 0
        note = None
        if signed is not None:
            note = published_note(session, signed.checkpoint.size) or signed.note
            cosigners = [
                Cosigner(
                    witness=row.witness,
                    cosigned_at=datetime.fromtimestamp(row.timestamp, UTC),
                    received_at=row.received_at,
                )
                for row in session.scalars(
                    select(LedgerCosignature)
                    .where(LedgerCosignature.size == signed.checkpoint.size)
                    .order_by(LedgerCosignature.witness)
                )
            ]
    return LedgerStatus(
        size=size,
        root=base64.b64encode(root).decode(),
        pending=pending,
        checkpoint_size=signed.checkpoint.size if signed else None,
        checkpoint_note=note,
        cosigners=cosigners,
        witnesses=[w.name for w in witnesses],
        quorum=quorum,
        verification=_verification(note, verifier, witnesses, quorum),
    )


def _verification(
    note: str | None, verifier: Verifier | None, witnesses: tuple[Verifier, ...], quorum: int
) -> str:
    if verifier is None:
        return "no ledger key on this node"
    if note is None:
        return "no checkpoint is signed yet"
    try:
        verified = verify_checkpoint(note, verifier, witnesses, quorum)
    except VerificationError as exc:
        return f"not verified: {exc}"
    cosigned = len(verified.witnesses)
    return (
        f"verified: signed by {verifier.name}, cosigned by {cosigned} of "
        f"{len(witnesses)} witnesses (quorum {quorum})"
    )


def published_checkpoint(
    uow: UnitOfWork, actor: Principal, verifier: Verifier, checkpoint_file: Path
) -> str:
    """The latest signed checkpoint as published, with its witnesses' cosignatures."""
    require(actor, Permission.LEDGER_READ, Target.node())
    signed = read_signed(checkpoint_file, verifier)
    if signed is None:
        raise ValidationFailed.of("checkpoint", "no checkpoint is signed yet")
    with uow:
        return published_note(uow.session, signed.checkpoint.size) or signed.note


def search_entries(
    uow: UnitOfWork,
    actor: Principal,
    page: PageRequest,
    *,
    who: str | None = None,
    tag: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | None = None,
) -> Page[EntryRow]:
    """Entries by actor, tag (a prefix such as ``accounts:login``), object, time and
    outcome (``deny`` finds every refusal), newest first."""
    require(actor, Permission.LEDGER_READ, Target.node())
    query = (
        select(
            LedgerEntry.index,
            Event.at,
            Event.actor,
            Event.tag,
            Event.object_type,
            Event.object_id,
            Event.details["outcome"].as_string(),
        )
        .join(Event, Event.id == LedgerEntry.event_id)
        .order_by(LedgerEntry.index.desc())
    )
    if who:
        query = query.where(Event.actor == who)
    if tag:
        query = query.where(Event.tag.like(like_prefix(tag), escape="\\"))
    if object_id:
        query = query.where(Event.object_id == object_id)
    if since:
        query = query.where(Event.at >= since)
    if until:
        query = query.where(Event.at < until)
    if outcome:
        query = query.where(Event.details["outcome"].as_string() == outcome)
    with uow:
        session = uow.session
        total = (
            session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        )
        rows = session.execute(query.limit(page.limit).offset(page.offset)).all()
    return Page(
        items=[
            EntryRow(
                index=r[0],
                at=r[1],
                actor=r[2],
                tag=r[3],
                object_type=r[4],
                object_id=r[5],
                outcome=r[6],
            )
            for r in rows
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def run_audit(uow: UnitOfWork, actor: Principal) -> log.AuditResult:
    require(actor, Permission.LEDGER_READ, Target.node())
    with uow:
        return log.audit(uow.session)


def like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
