"""The offline verifier: checkpoints, receipts and consistency, with nothing but this
package's pure modules and ``cryptography``. A partner can run it without the node."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from coalition.ledger import merkle
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
