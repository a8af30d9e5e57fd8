"""Who may read the governance records of an agreement: its oversight bodies, meetings,
votes and action items, the risk registers of its projects, and its disputes.

They belong to the parties: people of an organisation party to the agreement or taking
part in one of its projects (an organisation counts with those above and below it, as
roles do), accounts holding a role in such an organisation or one of the projects, and
the node's operator and node-wide auditors. Everyone else is told "not found" and lists
leave the records out uncounted. The records themselves hold no classified substance:
papers go in as labelled artifacts, which the decision engine guards one by one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, ScopeKind, Target, authorize
from coalition.agreements.models import AgreementParty
from coalition.projects.models import Participant, Project
from coalition.registry.models import Organisation, Person


class Readers:
    def __init__(self, session: Session, actor: Principal) -> None:
        self.session, self.actor = session, actor
        self.everything = (
            actor.is_operator or authorize(actor, Permission.EVENT_READ, Target.node()).allowed
        )
        self._agreements: frozenset[uuid.UUID] | None = None

    def agreement_ids(self) -> frozenset[uuid.UUID] | None:
        """The agreements whose records the actor may read; None for all of them."""
        if self.everything:
            return None
        if self._agreements is None:
            self._agreements = self._load()
        return self._agreements

    def may_read(self, agreement_id: uuid.UUID) -> bool:
        readable = self.agreement_ids()
        return readable is None or agreement_id in readable

    def _load(self) -> frozenset[uuid.UUID]:
        session, actor = self.session, self.actor
        if not actor.active:
            return frozenset()
        own: set[uuid.UUID] = set()
        projects: set[uuid.UUID] = set()
        if actor.person_id is not None:
            employer = session.scalar(
                select(Person.employer_id).where(Person.id == actor.person_id)
            )
            if employer is not None:
                own.add(employer)
        for grant in actor.grants:
            if grant.scope_id is None:
                continue
            if grant.scope_kind is ScopeKind.ORGANISATION:
                own.add(grant.scope_id)
            elif grant.scope_kind is ScopeKind.PROJECT:
                projects.add(grant.scope_id)
        related = _related(session, own)
        agreements: set[uuid.UUID] = set()
        if related:
            agreements |= set(
                session.scalars(
                    select(AgreementParty.agreement_id).where(
                        AgreementParty.organisation_id.in_(related)
                    )
                )
            )
            today = date.today()
            projects |= set(
                session.scalars(
                    select(Participant.project_id).where(
                        Participant.organisation_id.in_(related),
                        Participant.joined_on <= today,
                        or_(Participant.withdrew_on.is_(None), Participant.withdrew_on > today),
                    )
                )
            )
        if projects:
            agreements |= set(
                session.scalars(select(Project.agreement_id).where(Project.id.in_(projects)))
            )
        return frozenset(agreements)


def _related(session: Session, organisations: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The organisations with those above and below them."""
    start = set(organisations)
    if not start:
        return set()
    parent = {
        row[0]: row[1] for row in session.execute(select(Organisation.id, Organisation.parent_id))
    }
    related = set(start)
    for org in start:  # up
        current = parent.get(org)
        while current is not None and current not in related:
            related.add(current)
            current = parent.get(current)
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for child, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(child)
    frontier = list(start)
    while frontier:  # down
        for child in children.get(frontier.pop(), []):
            if child not in related:
                related.add(child)
                frontier.append(child)
    return related


def readers_among(
    session: Session, agreement_id: uuid.UUID, people: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """Those of ``people`` who may read the agreement's records (as their own accounts, or
    by their employer for a person without one): whom a notice about them may reach."""
    from coalition.accounts.models import Account, AccountStatus
    from coalition.common.access import principal_for_account

    found: list[uuid.UUID] = []
    for person_id in dict.fromkeys(people):
        account_id = session.scalar(
            select(Account.id).where(
                Account.person_id == person_id, Account.status == AccountStatus.ACTIVE
            )
        )
        principal = principal_for_account(session, account_id) if account_id else None
        if principal is None:
            principal = Principal(
                name=f"person:{person_id}", account_id=None, active=True, person_id=person_id
            )
        if Readers(session, principal).may_read(agreement_id):
            found.append(person_id)
    return found
