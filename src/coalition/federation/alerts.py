"""Alerts: what a partner (or someone claiming to be one) did that an operator must look
at. Each is logged, kept, put in the ledger and told to the node's partner managers, in a
transaction of its own, so the refusal that raised it cannot roll it back."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, true

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import people_holding
from coalition.common.events import record_event
from coalition.federation.models import AlertKind, FederationAlert
from coalition.notifications.services import notify
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)

FEDERATION = Principal.operator("federation")
#: An alert again within this time of the last is counted on the open one, not kept
#: again: from a stranger, the same kind from the same address; from a partner, the same
#: kind with the same detail (a fork, a refusal: each different one is kept).
QUIET = timedelta(minutes=10)
#: Requests that fail authentication cost no write beyond this many alerts per minute
#: from one network (an IPv4 /24, an IPv6 /64), nor beyond the overall cap: a stranger
#: cannot make the node write at the rate it can send requests.
PER_NETWORK_PER_MINUTE = 5
ALL_UNVERIFIED_PER_MINUTE = 60


class _Throttle:
    """Per-process counts of unverified alerts in the current minute."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minute = -1
        self._counts: dict[str, int] = {}
        self._total = 0
        self.dropped = 0

    def admit(self, source: str | None) -> bool:
        network = _network(source)
        minute = int(time.monotonic() // 60)
        with self._lock:
            if minute != self._minute:
                if self.dropped:
                    logger.warning(
                        "federation: %d more unverified alerts only logged", self.dropped
                    )
                self._minute, self._counts, self._total, self.dropped = minute, {}, 0, 0
            if (
                self._counts.get(network, 0) >= PER_NETWORK_PER_MINUTE
                or self._total >= ALL_UNVERIFIED_PER_MINUTE
            ):
                self.dropped += 1
                return False
            self._counts[network] = self._counts.get(network, 0) + 1
            self._total += 1
            return True


def _network(source: str | None) -> str:
    try:
        address = ipaddress.ip_address(source or "")
    except ValueError:
        return source or "?"
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_THROTTLE = _Throttle()


def raise_alert(
    uow: Callable[[], UnitOfWork],
    settings: Settings,
    kind: AlertKind,
    detail: str,
    *,
    partner_id: uuid.UUID | None = None,
    source: str | None = None,
    unverified: bool = False,
) -> None:
    """Raise an alert. ``unverified``: the request it is about failed authentication, so
    nothing in it (not even who it claims to be) is believed; such alerts are grouped by
    address and throttled before any write."""
    logger.warning(
        "federation alert %s from %s: %s", kind.value, source or partner_id or "?", detail
    )
    source = source[:200] if source else None
    if unverified and not _THROTTLE.admit(source):
        return
    try:
        with uow() as unit:
            unit.for_writing()
            session = unit.session
            again = session.scalar(
                select(FederationAlert)
                .where(
                    FederationAlert.kind == kind,
                    FederationAlert.partner_node_id == partner_id
                    if partner_id
                    else FederationAlert.partner_node_id.is_(None),
                    FederationAlert.source == source
                    if source
                    else FederationAlert.source.is_(None),
                    FederationAlert.acknowledged_at.is_(None),
                    # What a partner did is kept detail by detail; a stranger's grouped.
                    FederationAlert.detail == detail if not unverified else true(),
                    FederationAlert.last_seen_at > utcnow() - QUIET,
                )
                .order_by(FederationAlert.last_seen_at.desc())
                .limit(1)
                .with_for_update()
            )
            if again is not None:
                again.repeats += 1
                again.last_seen_at = utcnow()
                unit.commit()
                return
            alert = FederationAlert(
                kind=kind, partner_node_id=partner_id, source=source, detail=detail
            )
            unit.add(alert)
            unit.flush()
            record_event(
                unit,
                FEDERATION,
                "federation:alert:raise",
                alert,
                {
                    "kind": kind.value,
                    "partner_node_id": partner_id,
                    "source": source,
                    "detail": detail,
                },
                authority="federation protocol",
            )
            notify(
                unit,
                settings,
                people_holding(session, Permission.PARTNER_MANAGE, Target.node()),
                kind="federation-alert",
                title=f"Federation alert: {kind.value.replace('_', ' ')}",
                link="/federation",
                body=detail,
            )
            unit.commit()
    except Exception:  # an alert that cannot be kept is still in the log above
        logger.exception("the federation alert could not be recorded")
