"""Cross-checking ledgers: partners witness each other's logs with no setting beyond the
registry. A partner registered with its witness key is asked to cosign this node's
checkpoints (C2SP tlog-witness, at its URL + ``/witness``); a partner registered with
its log key has its checkpoints cosigned here, and is watched: its published checkpoint
is fetched and compared with what this node last cosigned of it. A checkpoint that does
not extend that one (another root at the same size, a smaller tree, a failed
consistency proof) is a fork or a rollback: an alert is raised.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.exchange import keys as package_keys
from coalition.exchange.models import PartnerNode
from coalition.federation import signing
from coalition.federation.alerts import raise_alert
from coalition.federation.models import AlertKind
from coalition.ledger import cosigning
from coalition.ledger.models import WitnessState
from coalition.ledger.note import (
    NoteError,
    Verifier,
    open_note,
    parse_checkpoint,
    parse_note,
    parse_verifier,
)
from coalition.ledger.witness import WitnessError
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]


def partner_logs(session: Session) -> dict[str, Verifier]:
    """The partners' logs this node witnesses, by origin."""
    out = {}
    for key in session.scalars(
        select(PartnerNode.log_key).where(
            PartnerNode.log_key.is_not(None), PartnerNode.suspended_at.is_(None)
        )
    ):
        try:
            verifier = parse_verifier(str(key))
        except NoteError:
            continue
        out[verifier.name] = verifier
    return out


def suspended_logs(session: Session) -> dict[str, str]:
    """The log origins of suspended partners, with their names: not witnessed, even if
    the node's settings list them."""
    out = {}
    for name, key in session.execute(
        select(PartnerNode.name, PartnerNode.log_key).where(
            PartnerNode.log_key.is_not(None), PartnerNode.suspended_at.is_not(None)
        )
    ):
        out[str(key).split("+", 1)[0]] = name
    return out


def refuse_suspended(
    uow: UowFactory, settings: Settings, origin: str, suspended: dict[str, str], source: str | None
) -> str | None:
    """Why a checkpoint offered for cosigning is refused because its log is a suspended
    partner's (with an alert, throttled: the offer proves nothing until checked), or
    None."""
    name = suspended.get(origin)
    if name is None:
        return None
    raise_alert(
        uow,
        settings,
        AlertKind.SUSPENDED_NODE,
        f"a checkpoint of {origin}, the log of {name} (suspended), was offered for cosigning",
        source=source,
        unverified=True,
    )
    return f"this node has suspended its trust in {name}"


def partner_witnesses(uow: UowFactory) -> tuple[cosigning.Witness, ...]:
    """The partners that witness this node's log."""
    with uow() as unit:
        rows = unit.session.execute(
            select(PartnerNode.witness_key, PartnerNode.url)
            .where(PartnerNode.witness_key.is_not(None), PartnerNode.suspended_at.is_(None))
            .order_by(PartnerNode.name)
        ).all()
    out = []
    for key, url in rows:
        try:
            out.append(cosigning.Witness(parse_verifier(str(key)), url.rstrip("/") + "/witness"))
        except NoteError:
            logger.warning("partner witness key %r is not a verifier key", key)
    return tuple(out)


def collect(uow: UowFactory, client: httpx.Client) -> list[cosigning.Outcome]:
    """Ask every partner witness to cosign this node's latest checkpoint."""
    witnesses = partner_witnesses(uow)
    return cosigning.collect(uow, witnesses, client) if witnesses else []


def is_inconsistency(error: WitnessError) -> bool:
    """The witness's refusals that prove a fork: a checkpoint signed by the log's key at
    the size already cosigned, with another root. (A failed consistency proof or an old
    checkpoint proves nothing: anyone can send a bad proof or replay an old note.)"""
    return error.status == 409 and "another root" in error.message


def on_witness_refusal(
    uow: UowFactory, settings: Settings, origin: str, error: WitnessError, body: bytes
) -> None:
    """Called by the witness endpoint when it refuses a checkpoint: one that proves a
    partner's log forked raises an alert that keeps both roots."""
    if not is_inconsistency(error):
        return
    note = body.split(b"\n\n", 1)[-1].decode("utf-8", "replace")
    try:
        offered = parse_checkpoint(parse_note(note).text)
    except NoteError:
        return
    with uow() as unit:
        partner = _partner_of(unit.session, origin)
        state = unit.session.scalar(select(WitnessState).where(WitnessState.origin == origin))
        cosigned = base64.b64encode(bytes(state.root)).decode() if state else "?"
    raise_alert(
        uow,
        settings,
        AlertKind.INCONSISTENT_CHECKPOINT,
        f"log {origin} signed two trees of size {offered.size}: root "
        f"{base64.b64encode(offered.root).decode()} offered, {cosigned} cosigned here "
        f"(the offered note: {note.strip()!r})",
        partner_id=partner.id if partner else None,
        source=None if partner else origin,
    )


def _partner_of(session: Session, origin: str) -> PartnerNode | None:
    for partner in session.scalars(select(PartnerNode).where(PartnerNode.log_key.is_not(None))):
        if str(partner.log_key).split("+", 1)[0] == origin:
            session.expunge(partner)
            return partner
    return None


def watch(uow: UowFactory, settings: Settings, client: httpx.Client) -> dict[str, str]:
    """Fetch each witnessed partner's published checkpoint and compare it with the one
    this node last cosigned of that log."""
    with uow() as unit:
        partners = list(
            unit.session.scalars(
                select(PartnerNode)
                .where(PartnerNode.log_key.is_not(None), PartnerNode.suspended_at.is_(None))
                .order_by(PartnerNode.name)
            )
        )
        for partner in partners:
            unit.session.expunge(partner)
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    outcome = {}
    for partner in partners:
        url = f"{partner.url.rstrip('/')}/federation/v1/checkpoint"
        try:
            response = client.get(
                url, headers=signing.sign_request(signer, "GET", url, partner.name)
            )
        except httpx.HTTPError as exc:
            outcome[partner.name] = f"unreachable: {exc}"
            continue
        if response.status_code != 200:
            outcome[partner.name] = f"answered {response.status_code}"
            continue
        outcome[partner.name] = check_published(uow, settings, partner, response.text)
    return outcome


def check_published(uow: UowFactory, settings: Settings, partner: PartnerNode, note: str) -> str:
    verifier = parse_verifier(str(partner.log_key))
    try:
        opened, _ = open_note(note, verifier)
        checkpoint = parse_checkpoint(opened.text)
    except NoteError as exc:
        raise_alert(
            uow,
            settings,
            AlertKind.INCONSISTENT_CHECKPOINT,
            f"log {verifier.name}: the published checkpoint does not verify: {exc}",
            partner_id=partner.id,
        )
        return f"refused: {exc}"
    with uow() as unit:
        state = unit.session.scalar(
            select(WitnessState).where(WitnessState.origin == verifier.name)
        )
        seen = None if state is None else (state.size, bytes(state.root))
    if seen is None:
        return f"size {checkpoint.size}; not witnessed here yet"
    size, root = seen
    problem = None
    if checkpoint.size < size:
        problem = f"publishes size {checkpoint.size}, smaller than the {size} cosigned here"
    elif checkpoint.size == size and checkpoint.root != root:
        problem = f"publishes another root at size {size} than the one cosigned here"
    if problem:
        raise_alert(
            uow,
            settings,
            AlertKind.INCONSISTENT_CHECKPOINT,
            f"log {verifier.name}: {problem}",
            partner_id=partner.id,
        )
        return "inconsistent: " + problem
    return f"size {checkpoint.size}; consistent with size {size} cosigned here"
