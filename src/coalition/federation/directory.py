"""The directory: each node publishes, signed, the organisations it chose to list and
their capability profiles; partners fetch it, check it with the pinned key, and show it in
search and in the partner finder.

Only what could be printed in a brochure goes out, and each partner gets its own:
organisations marked ``directory_listed``, and their active profiles whose label is
unclassified with no caveat, export control, IP terms or embargo, a public-release
distribution statement if any, and releasable to the nations of the organisations that
partner hosts. The rest of the registry never leaves the node this way.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.exchange import keys as package_keys
from coalition.exchange.models import PartnerNode
from coalition.expertise.models import ExpertiseProfile, ProfileStatus
from coalition.federation import signing
from coalition.federation.alerts import FEDERATION, raise_alert
from coalition.federation.identity import hosted_here
from coalition.federation.models import AlertKind, DirectoryEntry, PartnerDirectory
from coalition.federation.schemas import DirectoryEntryOut
from coalition.policy.facts import World
from coalition.policy.models import LabelClass
from coalition.registry.models import Organisation
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
DIRECTORY_TYPE = "coalition.directory/1"
MAX_ORGANISATIONS = 2000


_PUBLIC_RELEASE = re.compile(r"^(distribution(\s+statement)?\s+)?a\b", re.IGNORECASE)


def publishable(label: LabelClass, nations: frozenset[str], world: World, today: date) -> bool:
    """A label whose items may go to a partner whose organisations are of ``nations``:
    unclassified, with no caveat, export control, IP terms or embargo, a distribution
    statement of public release if any, and releasable to every one of those nations
    (no REL TO list means the originator's nation only, as for the engine)."""
    if not nations:
        return False
    plain = (
        label.common_level == 0
        and not label.requires_clearance
        and not label.caveats
        and not label.export
        and not label.ip_terms
        and (label.embargo_until is None or label.embargo_until <= today)
        and (label.distribution is None or bool(_PUBLIC_RELEASE.match(label.distribution)))
    )
    if not plain:
        return False
    audience = {label.originator}
    if not label.noforn:
        for code in label.releasable_to:
            audience |= {code} if len(code) == 3 else world.members(code, label.pinned_on or today)
    return nations <= audience


def partner_nations(uow: UowFactory, partner: PartnerNode) -> frozenset[str]:
    """The nations of the organisations a partner hosts, as this node's registry has them."""
    with uow() as unit:
        return frozenset(
            unit.session.scalars(
                select(Organisation.nation_code).where(
                    Organisation.id.in_([uuid.UUID(i) for i in partner.organisation_ids])
                )
            )
        )


def contents(
    uow: UowFactory, nations: frozenset[str], hosted: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    """The organisations this node lists, each with the profiles a partner of ``nations``
    may see."""
    today = date.today()
    with uow() as unit:
        session = unit.session
        world, _ = listing.current_world(session, unit.database)
        listed = [o for o in hosted_here(session, hosted) if o.directory_listed]
        profiles = list(
            session.scalars(
                select(ExpertiseProfile)
                .options(
                    selectinload(ExpertiseProfile.label),
                    selectinload(ExpertiseProfile.capability_rows),
                )
                .where(
                    ExpertiseProfile.organisation_id.in_([o.id for o in listed]),
                    ExpertiseProfile.status == ProfileStatus.ACTIVE,
                )
                .order_by(ExpertiseProfile.headline)
            )
        )
        by_org: dict[Any, list[dict[str, Any]]] = {}
        for profile in profiles:
            if not publishable(profile.label, nations, world, today):
                continue
            by_org.setdefault(profile.organisation_id, []).append(
                {
                    "headline": profile.headline,
                    "summary": profile.summary,
                    "capabilities": profile.capabilities,
                    "keywords": list(profile.keywords),
                    "trl": profile.trl,
                }
            )
        return [
            {
                "short_name": o.short_name,
                "name": o.name,
                "nation": o.nation_code,
                "kind": o.kind.value,
                "city": o.city,
                "website": o.website,
                "profiles": by_org.get(o.id, []),
            }
            for o in listed
        ]


def publish(uow: UowFactory, settings: Settings, partner: PartnerNode) -> dict[str, Any]:
    """This node's directory as ``partner`` may see it, signed with the node key."""
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    return signing.sign_document(
        {
            "type": DIRECTORY_TYPE,
            "node": settings.effective_node_name,
            "for": partner.name,
            "issued_at": utcnow().isoformat(),
            "organisations": contents(uow, partner_nations(uow, partner), settings.hosted_nations),
        },
        signer,
    )


def directory_url(partner: PartnerNode) -> str:
    return f"{partner.url.rstrip('/')}/federation/v1/directory"


def fetch(uow: UowFactory, settings: Settings, client: httpx.Client) -> dict[str, str]:
    """Fetch every partner's directory; keep each that checks out and is newer than the
    one kept. Returns, per partner, what happened."""
    with uow() as unit:
        partners = list(
            unit.session.scalars(
                select(PartnerNode)
                .where(PartnerNode.suspended_at.is_(None))
                .order_by(PartnerNode.name)
            )
        )
        for partner in partners:
            unit.session.expunge(partner)
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    outcome: dict[str, str] = {}
    for partner in partners:
        url = directory_url(partner)
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
        try:
            outcome[partner.name] = keep(
                uow, partner, response.json(), settings.effective_node_name
            )
        except (ValueError, TypeError, KeyError, signing.BadSignature) as exc:
            raise_alert(
                uow,
                settings,
                AlertKind.BAD_DIRECTORY,
                f"directory of {partner.name}: {exc}",
                partner_id=partner.id,
            )
            outcome[partner.name] = f"refused: {exc}"
    return outcome


def keep(uow: UowFactory, partner: PartnerNode, document: Any, me: str) -> str:
    """Check a partner's directory and keep it (its entries replaced whole), in one
    transaction recorded in the ledger."""
    if not isinstance(document, dict):
        raise ValueError("the directory is not a JSON object")
    key = serialization.load_pem_public_key(partner.signing_key.encode())
    assert isinstance(key, Ed25519PublicKey)
    body = signing.verify_document(document, key)
    if body.get("type") != DIRECTORY_TYPE or body.get("node") != partner.name:
        raise ValueError("the document is not this partner's directory")
    if body.get("for") != me:
        raise ValueError("the directory was made for another node")
    issued = datetime.fromisoformat(str(body.get("issued_at")))
    if issued.tzinfo is None:
        raise ValueError("the directory's issued_at has no time zone")
    organisations = body.get("organisations")
    if not isinstance(organisations, list) or len(organisations) > MAX_ORGANISATIONS:
        raise ValueError("the directory's organisations are not a list of a sane length")
    entries = [_entry(partner, item) for item in organisations]
    with uow() as unit:
        unit.for_writing()
        session = unit.session
        current = session.get(PartnerDirectory, partner.id)
        if current is not None and current.issued_at >= issued:
            return "unchanged"
        if current is None:
            current = PartnerDirectory(
                partner_node_id=partner.id, issued_at=issued, document=document
            )
            session.add(current)
        else:
            current.issued_at, current.document, current.fetched_at = issued, document, utcnow()
        session.execute(delete(DirectoryEntry).where(DirectoryEntry.partner_node_id == partner.id))
        session.add_all(entries)
        record_event(
            unit,
            FEDERATION,
            "federation:directory:keep",
            partner,
            {"issued_at": issued, "organisations": len(entries)},
            authority="signed directory of " + partner.name,
        )
        unit.commit()
    return f"kept {len(entries)} organisations"


def _text(item: dict[str, Any], name: str, limit: int) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"an organisation's {name} is missing")
    return value.strip()[:limit]


def _entry(partner: PartnerNode, item: Any) -> DirectoryEntry:
    if not isinstance(item, dict):
        raise ValueError("an organisation is not a JSON object")
    profiles = item.get("profiles") or []
    if not isinstance(profiles, list):
        raise ValueError("an organisation's profiles are not a list")
    capabilities: set[str] = set()
    headlines: list[str] = []
    for profile in profiles:
        if not isinstance(profile, dict):
            raise ValueError("a profile is not a JSON object")
        for name in ("capabilities", "keywords"):
            values = profile.get(name) or []
            if not isinstance(values, list):
                raise ValueError(f"a profile's {name} are not a list")
            capabilities |= {str(v).lower()[:80] for v in values}
        if isinstance(profile.get("headline"), str):
            headlines.append(profile["headline"][:200])
    return DirectoryEntry(
        partner_node_id=partner.id,
        short_name=_text(item, "short_name", 40),
        name=_text(item, "name", 200),
        nation_code=_text(item, "nation", 3).upper(),
        kind=str(item.get("kind") or "other")[:40],
        capabilities=sorted(capabilities)[:200],
        summary="; ".join(headlines)[:4000],
    )


def find(
    uow: UnitOfWork,
    actor: Principal,
    *,
    capability: str | None = None,
    text: str | None = None,
) -> list[DirectoryEntryOut]:
    """Organisations listed by partner nodes with ``capability`` (a code or its branch)
    and/or ``text`` in their name or profiles. Directories are public within the
    federation: anyone who may read the directory here may search them."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    code = (capability or "").strip().lower()
    words = (text or "").strip().lower()
    out = []
    with uow:
        rows = uow.session.execute(
            select(DirectoryEntry, PartnerNode.name)
            .join(PartnerNode, PartnerNode.id == DirectoryEntry.partner_node_id)
            .where(PartnerNode.suspended_at.is_(None))  # its word is not taken while suspended
            .order_by(DirectoryEntry.name)
        ).all()
        for entry, node in rows:
            if code and not any(c == code or c.startswith(code + ".") for c in entry.capabilities):
                continue
            text_of = f"{entry.name} {entry.short_name} {entry.summary}".lower()
            if words and words not in text_of and not any(words in c for c in entry.capabilities):
                continue
            out.append(
                DirectoryEntryOut(
                    node=node,
                    short_name=entry.short_name,
                    name=entry.name,
                    nation_code=entry.nation_code,
                    kind=entry.kind,
                    capabilities=entry.capabilities,
                    summary=entry.summary,
                )
            )
    return out
