"""The offline verifier: checkpoints, receipts and consistency, with nothing but this
package's pure modules and ``cryptography``. A partner can run it without the node."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from coalition.ledger import merkle, tiles
from coalition.ledger.note import (
    Checkpoint,
    NoteError,
    Verifier,
    cosigner,
    open_note,
    parse_checkpoint,
    parse_note,
    verify_cosignature,
)

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class VerificationError(ValueError):
    """What was checked did not hold; the message says which part."""


@dataclass(frozen=True)
class Verified:
    checkpoint: Checkpoint
    #: Witnesses whose cosignatures verified.
    witnesses: tuple[str, ...] = ()


def verify_checkpoint(
    note: str, log_key: Verifier, witnesses: tuple[Verifier, ...] = (), quorum: int = 0
) -> Verified:
    """The checkpoint, if the log signed it and at least ``quorum`` of ``witnesses``
    cosigned it."""
    try:
        opened, _ = open_note(note, log_key)
        checkpoint = parse_checkpoint(opened.text)
    except NoteError as exc:
        raise VerificationError(f"checkpoint: {exc}") from exc
    if checkpoint.origin != log_key.name:
        raise VerificationError(
            f"checkpoint: its origin {checkpoint.origin} is not the key's name {log_key.name}"
        )
    cosigned: list[str] = []
    by_id = {cosigner(w).key_id: w for w in witnesses}
    for signature in parse_note(note).signatures:
        witness = by_id.get(signature.key_id)
        if witness is None or signature.name != witness.name:
            continue
        try:
            verify_cosignature(opened.text, signature, witness)
        except NoteError as exc:
            raise VerificationError(f"checkpoint: {exc}") from exc
        if witness.name not in cosigned:
            cosigned.append(witness.name)
    if len(cosigned) < quorum:
        raise VerificationError(
            f"checkpoint: {len(cosigned)} of the {quorum} witness cosignatures needed"
        )
    return Verified(checkpoint, tuple(cosigned))


@dataclass(frozen=True)
class Receipt:
    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None


def parse_receipt(text: str) -> Receipt:
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise VerificationError("receipt: no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise VerificationError(f"receipt: the first line must be {PROOF_HEADER}")
    extra = None
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        extra = _b64(rest[0][len("extra ") :], "the extra data")
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise VerificationError("receipt: an 'index N' line must follow")
    number = rest[0][len("index ") :]
    if not number.isdigit() or (number != "0" and number.startswith("0")):
        raise VerificationError(f"receipt: the index {number!r} is not a decimal number")
    proof = tuple(_b64(line, f"proof line {n}") for n, line in enumerate(rest[1:], start=1))
    return Receipt(int(number), proof, note, extra)


def verify_receipt(
    text: str,
    entry: bytes,
    log_key: Verifier,
    witnesses: tuple[Verifier, ...] = (),
    quorum: int = 0,
) -> Verified:
    """That ``entry`` is in the log at the receipt's index, under a signed checkpoint."""
    receipt = parse_receipt(text)
    verified = verify_checkpoint(receipt.checkpoint_note, log_key, witnesses, quorum)
    checkpoint = verified.checkpoint
    try:
        merkle.verify_inclusion(
            receipt.index, checkpoint.size, merkle.leaf_hash(entry), receipt.proof, checkpoint.root
        )
    except merkle.ProofError as exc:
        raise VerificationError(f"receipt: {exc}") from exc
    return verified


def verify_consistency(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> None:
    try:
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    except merkle.ProofError as exc:
        raise VerificationError(f"consistency: {exc}") from exc


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"receipt: {what} is not base64") from exc


@dataclass(frozen=True)
class TileAudit:
    checkpoint: Checkpoint
    #: The first entry index from which the files do not make the checkpointed log.
    first_bad_index: int | None
    problem: str | None = None


def audit_tiles(folder: Path, log_key: Verifier) -> TileAudit:
    """Recompute the log from exported tiles: check the checkpoint's signature, rebuild the
    tree from the entry bundles, compare every tile, and compare the root."""
    try:
        note = (folder / "checkpoint").read_text(encoding="utf-8")
    except OSError as exc:
        raise VerificationError(f"tiles: no checkpoint in {folder} ({exc})") from exc
    checkpoint = verify_checkpoint(note, log_key).checkpoint
    size = checkpoint.size
    tree = merkle.MemoryTree()
    for index in range(0, size, tiles.WIDTH):
        width = min(tiles.WIDTH, size - index)
        path = folder / tiles.entries_path(index // tiles.WIDTH, width)
        try:
            bundle = tiles.unbundle(path.read_bytes())
        except (OSError, ValueError) as exc:
            return TileAudit(checkpoint, index, f"{path}: {exc}")
        if len(bundle) != width:
            return TileAudit(
                checkpoint,
                index + min(len(bundle), width),
                f"{path}: {len(bundle)} entries, not {width}",
            )
        for entry in bundle:
            tree.append(merkle.leaf_hash(entry))
    bad: tuple[int, int, str] | None = None
    for level, index, width in tiles.tiles_for(size):
        path = folder / tiles.tile_path(level, index, width)
        try:
            data = path.read_bytes()
        except OSError as exc:
            return TileAudit(
                checkpoint, (index * tiles.WIDTH) << (tiles.HEIGHT * level), f"{path}: {exc}"
            )
        merkle_level = tiles.HEIGHT * level
        for offset in range(width):
            node = index * tiles.WIDTH + offset
            if data[offset * 32 : offset * 32 + 32] != tree.node(merkle_level, node):
                place = (merkle_level, node << merkle_level)
                if bad is None or place < bad[:2]:
                    bad = (*place, f"{path}: hash {offset} does not match the entries")
                break
    if bad is not None:
        return TileAudit(checkpoint, bad[1], bad[2])
    if tree.root() != checkpoint.root:
        return TileAudit(checkpoint, 0, "the entries do not lead to the checkpoint's root")
    return TileAudit(checkpoint, None)
