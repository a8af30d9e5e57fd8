"""Collecting cosignatures from this node's witnesses (the client side of C2SP tlog-witness).

For each configured witness the node sends its latest signed checkpoint with a consistency
proof from the size that witness last cosigned, checks the cosignature line it gets back
against the witness's key, and keeps it beside the checkpoint. The published checkpoint is
the node's signed note with those lines appended: a partner verifies it with
``coalition ledger verify --witness KEY --quorum K``.

A witness that is down, refuses or answers nonsense costs this one round only: the others
are still asked, the failure is reported, and the next round tries again.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from coalition.ledger import log
from coalition.ledger.models import LedgerCheckpoint, LedgerCosignature
from coalition.ledger.note import (
    NoteError,
    Verifier,
    cosigner,
    parse_note,
    parse_verifier,
    verify_cosignature,
)
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]

TIMEOUT_SECONDS = 10.0
#: How many times a witness's "409: I am at size N" is followed before giving up.
MAX_RETRIES = 2


@dataclass(frozen=True)
class Witness:
    key: Verifier
    #: The tlog-witness URL prefix; ``add-checkpoint`` is appended.
    url: str

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + "/add-checkpoint"


def parse_witnesses(text: str) -> tuple[Witness, ...]:
    """``vkey URL`` entries separated by ';' or new lines (COALITION_LEDGER_WITNESSES)."""
    found: list[Witness] = []
    for number, item in enumerate(text.replace("\n", ";").split(";"), start=1):
        parts = item.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(f"witness {number}: expected 'verifier-key URL', got {item.strip()!r}")
        key_text, url = parts
        try:
            key = parse_verifier(key_text)
        except NoteError as exc:
            raise ValueError(f"witness {number}: {exc}") from exc
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"witness {number}: the URL must start with https:// or http://")
        if any(w.key.name == key.name for w in found):
            raise ValueError(f"witness {number}: {key.name} is named twice")
        found.append(Witness(key, url))
    return tuple(found)


def configured(settings: Settings) -> tuple[Witness, ...]:
    """The witnesses of COALITION_LEDGER_WITNESSES (checked when the settings load)."""
    return parse_witnesses(settings.ledger_witnesses)


def collect_now(uow: UowFactory, settings: Settings) -> list[Outcome]:
    """One round of collection from the configured witnesses, over HTTPS."""
    witnesses = configured(settings)
    if not witnesses:
        return []
    with httpx.Client(headers={"User-Agent": "coalition-ledger"}) as client:
        return collect(uow, witnesses, client)


@dataclass(frozen=True)
class Outcome:
    witness: str
    cosigned: bool
    #: What went wrong, when it did (the witness's status and message).
    problem: str | None = None


def collect(uow: UowFactory, witnesses: tuple[Witness, ...], client: httpx.Client) -> list[Outcome]:
    """Ask every witness to cosign the latest signed checkpoint; keep what verifies."""
    with uow() as unit:
        latest = unit.session.scalar(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        )
        if latest is None:
            return []
        size, note = latest.size, latest.note
        have = set(
            unit.session.scalars(
                select(LedgerCosignature.witness).where(LedgerCosignature.size == size)
            )
        )
    text = parse_note(note).text
    outcomes = []
    for witness in witnesses:
        if witness.key.name in have:
            outcomes.append(Outcome(witness.key.name, True))
            continue
        try:
            answer = _ask(uow, witness, client, size, note)
            line, timestamp = _check(text, answer, witness.key)
        except WitnessRefused as exc:
            logger.warning("witness %s did not cosign size %d: %s", witness.key.name, size, exc)
            outcomes.append(Outcome(witness.key.name, False, str(exc)))
            continue
        with uow() as unit:
            unit.for_writing()
            unit.session.add(
                LedgerCosignature(
                    size=size, witness=witness.key.name, line=line, timestamp=timestamp
                )
            )
            unit.commit()
        outcomes.append(Outcome(witness.key.name, True))
    return outcomes


class WitnessRefused(Exception):
    pass


def _last_cosigned(uow: UowFactory, name: str) -> int:
    with uow() as unit:
        found = unit.session.scalar(
            select(func.max(LedgerCosignature.size)).where(LedgerCosignature.witness == name)
        )
    return int(found or 0)


def _ask(uow: UowFactory, witness: Witness, client: httpx.Client, size: int, note: str) -> str:
    old = _last_cosigned(uow, witness.key.name)
    for _ in range(MAX_RETRIES + 1):
        if old > size:
            raise WitnessRefused(f"the witness is at size {old}, beyond this node's {size}")
        with uow() as unit:
            proof = log.consistency(unit.session, old, size) if 0 < old < size else []
        body = "".join(
            [f"old {old}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n", note]
        )
        try:
            response = client.post(witness.endpoint, content=body.encode(), timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise WitnessRefused(f"cannot reach {witness.endpoint}: {exc}") from exc
        if response.status_code == 409 and response.text.strip().isdigit():
            old = int(response.text.strip())  # the witness says where it is: prove from there
            continue
        if response.status_code != 200:
            raise WitnessRefused(f"status {response.status_code}: {response.text.strip()[:200]}")
        return response.text
    raise WitnessRefused("the witness kept changing its size")


def _check(checkpoint_text: str, answer: str, witness: Verifier) -> tuple[str, int]:
    """The cosignature line from the witness's answer, verified, and its timestamp."""
    expected = cosigner(witness).key_id
    for line in answer.splitlines():
        try:
            signature = parse_note(f"x\n\n{line}\n").signatures[0]
        except NoteError:
            continue
        if signature.key_id != expected:
            continue  # other lines (other keys of the witness) are ignored
        try:
            return signature.line(), verify_cosignature(checkpoint_text, signature, witness)
        except NoteError as exc:
            raise WitnessRefused(str(exc)) from exc
    raise WitnessRefused("the answer holds no cosignature by this witness's key")
