"""What the governance part of the dashboard shows each reader, by what they do: a member
sees the votes waiting for them and the coming meetings; an owner their action items and
risks; whoever keeps a risk register the high and critical risks of the projects they may
read; whoever may act on disputes the open ones, soonest due first. Every list comes from
the use cases that decide visibility, so the dashboard shows nothing a page would not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from coalition.accounts.permissions import Permission, Principal, holds_somewhere
from coalition.disputes.models import DisputeStatus
from coalition.disputes.schemas import DisputeOut
from coalition.disputes.services import list_disputes
from coalition.governance import services
from coalition.governance.schemas import ActionItemOut, MeetingOut, MotionOut
from coalition.notifications.services import unread_count
from coalition.registry.schemas import View
from coalition.risks.schemas import RiskOut
from coalition.risks.services import list_risks
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

#: The lowest score of the high band (coalition.risks.rules).
HIGH_SCORE = 10
SHOWN = 10


class GovernanceBoard(View):
    unread: int
    votes_waiting: list[MotionOut]
    my_actions: list[ActionItemOut]
    meetings: list[MeetingOut]
    my_risks: list[RiskOut]
    #: None when the reader keeps no risk register (the section is not shown).
    high_risks: list[RiskOut] | None
    #: None when the reader may act on no dispute.
    open_disputes: list[DisputeOut] | None


def governance_board(
    new: Callable[[], UnitOfWork],
    actor: Principal,
    settings: Settings,
    now: datetime | None = None,
) -> GovernanceBoard:
    moment = now or datetime.now(UTC)
    person = actor.person_id
    high = None
    if holds_somewhere(actor, Permission.RISK_MANAGE):
        high = list_risks(new(), actor, live=True, min_score=HIGH_SCORE)[:SHOWN]
    disputes = None
    if holds_somewhere(actor, Permission.DISPUTE_MANAGE):
        disputes = list_disputes(new(), actor, settings, status=DisputeStatus.OPEN, now=moment)
        disputes = disputes[:SHOWN]
    return GovernanceBoard(
        unread=unread_count(new(), actor),
        votes_waiting=services.list_motions(new(), actor, awaiting_my_vote=True, now=moment),
        my_actions=(
            services.list_actions(new(), actor, owner_id=person, open_only=True) if person else []
        ),
        meetings=services.list_meetings(new(), actor, upcoming=True, now=moment)[:SHOWN],
        my_risks=list_risks(new(), actor, owner_id=person, live=True) if person else [],
        high_risks=high,
        open_disputes=disputes,
    )
