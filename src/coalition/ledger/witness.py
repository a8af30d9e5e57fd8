"""This node as a witness for partners' logs: the C2SP tlog-witness ``add-checkpoint`` call.

The request names the size the log thinks the witness last saw (``old N``), a consistency
proof from that size, a blank line, and the new signed checkpoint. The witness checks the
log's signature, that its record for the origin is at that size (compare-and-swap), and the
proof; then it records the new size and root in the same transaction and answers with its
cosignature. Its statuses are the protocol's: 400 malformed, 403 not signed by the known
key, 404 unknown origin, 409 conflicting old size (with the witness's size in the body),
422 a failed consistency proof.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

from sqlalchemy import select, update

from coalition.ledger import merkle
from coalition.ledger.models import WitnessState
from coalition.ledger.note import (
    NoteError,
    Signer,
    Verifier,
    cosign,
    open_note,
    parse_checkpoint,
)
from coalition.store.uow import UnitOfWork

MAX_BODY = 64 * 1024


class WitnessError(Exception):
    def __init__(self, status: int, message: str, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        #: The response body the protocol asks for, if any (the current size on 409).
        self.body = body


@dataclass(frozen=True)
class Request:
    old_size: int
    proof: tuple[bytes, ...]
    note: str


def parse_request(body: bytes) -> Request:
    if len(body) > MAX_BODY:
        raise WitnessError(400, f"the request is larger than {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WitnessError(400, "the request is not UTF-8") from exc
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise WitnessError(400, "no blank line between the proof and the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise WitnessError(400, "the first line must be 'old <size>'")
    number = lines[0][4:]
    if not number.isdigit() or (number != "0" and number.startswith("0")):
        raise WitnessError(400, f"the old size {number!r} is not a decimal number")
    proof = []
    for n, line in enumerate(lines[1:], start=1):
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WitnessError(400, f"proof line {n} is not base64") from exc
        if len(value) != merkle.HASH_SIZE:
            raise WitnessError(400, f"proof line {n} is not a 32-byte hash")
        proof.append(value)
    return Request(int(number), tuple(proof), note)


def add_checkpoint(
    uow: UnitOfWork,
    witness: Signer,
    logs: dict[str, Verifier],
    body: bytes,
    now: int | None = None,
) -> str:
    """The cosignature line for a consistent checkpoint, or :class:`WitnessError`."""
    request = parse_request(body)
    try:
        text = request.note.partition("\n\n")[0] + "\n"
        origin = text.split("\n", 1)[0]
    except ValueError as exc:  # pragma: no cover - partition never raises
        raise WitnessError(400, "the checkpoint is malformed") from exc
    log_key = logs.get(origin)
    if log_key is None:
        raise WitnessError(404, f"unknown log origin {origin!r}")
    try:
        opened, _ = open_note(request.note, log_key)
        checkpoint = parse_checkpoint(opened.text)
    except NoteError as exc:
        status = 403 if "signed" in str(exc) or "verify" in str(exc) else 400
        raise WitnessError(status, f"checkpoint: {exc}") from exc
    with uow:
        uow.for_writing()
        session = uow.session
        state = session.scalar(
            select(WitnessState).where(WitnessState.origin == origin).with_for_update()
        )
        known = 0 if state is None else state.size
        if request.old_size != known:
            raise WitnessError(409, f"the witness is at size {known}", body=f"{known}\n")
        if checkpoint.size < known:
            raise WitnessError(400, "the checkpoint is smaller than the old size")
        if state is not None:
            if checkpoint.size == known:
                if checkpoint.root != bytes(state.root):
                    raise WitnessError(409, "same size, another root", body=f"{known}\n")
            else:
                try:
                    merkle.verify_consistency(
                        known, checkpoint.size, bytes(state.root), checkpoint.root, request.proof
                    )
                except merkle.ProofError as exc:
                    raise WitnessError(422, f"consistency: {exc}") from exc
            session.execute(
                update(WitnessState)
                .where(WitnessState.origin == origin, WitnessState.size == known)
                .values(size=checkpoint.size, root=checkpoint.root)
            )
        else:
            if request.proof:
                raise WitnessError(422, "consistency: from size 0 the proof is empty")
            session.add(WitnessState(origin=origin, size=checkpoint.size, root=checkpoint.root))
        uow.commit()
    return cosign(opened.text, witness, now if now is not None else int(time.time())).line()
