"""Oversight bodies, meetings, votes and action items through the use cases, on SQLite and
PostgreSQL: outcomes by the body's rule, refusals with their reasons, who may read what,
notifications and the ledger's events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pydantic
import pytest
from icalendar import Calendar
from sqlalchemy import ColumnElement, func, select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.governance import services
from coalition.governance.models import Motion
from coalition.governance.schemas import (
    ActionItemIn,
    ActionItemUpdateIn,
    BodyIn,
    MeetingIn,
    MemberIn,
    MinutesIn,
    MotionCloseIn,
    MotionIn,
    VoteIn,
)
from coalition.notifications.models import Notification, OutgoingMail
from coalition.settings import Settings
from tests.conftest import UowFactory
from tests.governance_world import GovernanceWorld, make_governance_world

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def gw(uow: UowFactory, operator: Principal) -> GovernanceWorld:
    return make_governance_world(uow, operator)


def _written(reference: str = "SC-TRI/2026/01", days: int = 7, **extra: object) -> MotionIn:
    return MotionIn.model_validate(
        {
            "reference": reference,
            "body": "SC-TRI",
            "title": "Adopt the test plan",
            "text": "The committee adopts test plan v2.",
            "procedure": "written",
            "deadline": NOW + timedelta(days=days),
            **extra,
        }
    )


def _count(uow: UowFactory, model: type, *where: ColumnElement[bool]) -> int:
    with uow() as u:
        return int(u.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_written_procedure_closes_when_all_voted_and_explains_the_outcome(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    opened = services.open_motion(uow(), pm, _written(), settings, NOW)
    assert opened.status == "open" and opened.rule == "unanimity"
    assert [s.nation for s in opened.seats] == ["FRA", "GBR", "USA"]
    assert _count(uow, Notification, Notification.kind == "vote") == 3
    for name, choice in (("alice", "for"), ("bob", "FOR")):
        voted = services.cast_vote(
            uow(), gw.principal(uow, name), opened.id, VoteIn(choice=choice), settings, NOW
        )
    assert voted.status == "open" and voted.tally["for"] == 2 and voted.tally["not voted"] == 1
    claire = gw.principal(uow, "claire")
    assert "vote" in services.get_motion(uow(), claire, opened.id, NOW).allowed_actions
    closed = services.cast_vote(uow(), claire, opened.id, VoteIn(choice="abstain"), settings, NOW)
    assert closed.status == "failed"
    assert closed.explanation == "failed: unanimity required, FRA (Claire Tester) abstained"
    assert closed.my_choice == "abstain" and "vote" not in closed.allowed_actions
    with uow() as u:
        tags = list(u.session.scalars(select(Event.tag).where(Event.object_id == str(opened.id))))
    assert tags.count("governance:vote:cast") == 3 and "governance:motion:closed" in tags
    # The outcome goes to every seat.
    assert _count(uow, Notification, Notification.key == f"vote-closed:{opened.id}") == 3


def test_votes_refused_with_the_reason(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    motion = services.open_motion(uow(), pm, _written(), settings, NOW)
    alice = gw.principal(uow, "alice")
    with pytest.raises(PermissionDenied, match="holds no seat"):
        services.cast_vote(
            uow(), gw.principal(uow, "dan"), motion.id, VoteIn(choice="for"), settings, NOW
        )
    with pytest.raises(NotFound):  # outside the agreement: not even told it exists
        services.cast_vote(
            uow(), gw.principal(uow, "oscar"), motion.id, VoteIn(choice="for"), settings, NOW
        )
    with pytest.raises(ValidationFailed) as bad:
        services.cast_vote(uow(), alice, motion.id, VoteIn(choice="maybe"), settings, NOW)
    assert bad.value.problems[0].field == "choice"
    services.cast_vote(uow(), alice, motion.id, VoteIn(choice="for"), settings, NOW)
    with pytest.raises(Conflict, match="already voted"):
        services.cast_vote(uow(), alice, motion.id, VoteIn(choice="against"), settings, NOW)
    late = NOW + timedelta(days=7)
    with pytest.raises(Conflict, match="closed at its deadline"):
        services.cast_vote(
            uow(), gw.principal(uow, "bob"), motion.id, VoteIn(choice="for"), settings, late
        )
    with pytest.raises(Conflict, match="closes at its deadline"):
        services.close_motion(uow(), pm, motion.id, MotionCloseIn(), settings, NOW)
    with pytest.raises(ValidationFailed, match="votes for themselves"):
        services.cast_vote(
            uow(), pm, motion.id, VoteIn(choice="for", for_person=gw.people["bob"]), settings, NOW
        )
    # A researcher may not run the body.
    with pytest.raises(PermissionDenied):
        services.close_motion(uow(), alice, motion.id, MotionCloseIn(), settings, late)
    # Nothing of the refused attempts was written.
    with uow() as u:
        assert len(u.session.scalars(select(Motion)).one().votes) == 1


def test_quorum_not_met_at_the_deadline(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    motion = services.open_motion(uow(), pm, _written(), settings, NOW)
    services.cast_vote(
        uow(), gw.principal(uow, "alice"), motion.id, VoteIn(choice="for"), settings, NOW
    )
    closed = services.close_motion(
        uow(), pm, motion.id, MotionCloseIn(), settings, NOW + timedelta(days=8)
    )
    assert closed.status == "failed"
    assert closed.explanation == (
        "failed: quorum not met: 1 of 3 voting weight took part, 50% required"
    )


def test_a_vote_in_a_meeting_recorded_by_the_secretary(
    uow: UowFactory, operator: Principal, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    board = services.create_body(
        uow(),
        pm,
        BodyIn(
            code="PMB-TRI",
            name="Programme management board",
            kind="programme_management_board",
            agreement="MOU-TRI",
            decision_rule="majority",
        ),
    )
    for key, veto in (("alice", True), ("bob", False), ("claire", False)):
        services.add_member(uow(), pm, board.id, MemberIn(person_id=gw.people[key], veto=veto), NOW)
    meeting = services.schedule_meeting(
        uow(),
        pm,
        MeetingIn(
            reference="PMB-TRI/M1",
            body="PMB-TRI",
            title="First board meeting",
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, hours=3),
            location="UKSL, Room 4",
            agenda=["Minutes of the last meeting", "Test site", " "],
        ),
        settings,
        NOW,
    )
    assert meeting.agenda == ["Minutes of the last meeting", "Test site"]
    invitation = Calendar.from_ical(services.invitation(uow(), pm, meeting.id))
    assert invitation["method"] == "REQUEST"
    event = invitation.walk("VEVENT")[0]
    assert len(event.get("attendee")) == 3 and str(event["location"]) == "UKSL, Room 4"
    motion = services.open_motion(
        uow(),
        pm,
        MotionIn(
            reference="PMB-TRI/M1/1",
            body="PMB-TRI",
            title="Choose the test site",
            text="Where the trials run.",
            procedure="meeting",
            meeting="PMB-TRI/M1",
            options=["Woomera", "Boscombe Down"],
        ),
        settings,
        NOW,
    )
    at_meeting = NOW + timedelta(days=1, hours=1)
    for key, choice in (("bob", "Woomera"), ("claire", "Woomera")):
        services.cast_vote(
            uow(),
            pm,
            motion.id,
            VoteIn(choice=choice, for_person=gw.people[key]),
            settings,
            at_meeting,
        )
    closed = services.close_motion(uow(), pm, motion.id, MotionCloseIn(), settings, at_meeting)
    assert closed.status == "carried" and closed.carried_option == "Woomera"
    assert closed.effective_on == at_meeting.date()
    # Alice's veto would have blocked it had she chosen the other site.
    held = services.record_minutes(
        uow(),
        pm,
        meeting.id,
        MinutesIn(minutes="Woomera chosen.", present=[gw.people["bob"], gw.people["claire"]]),
        at_meeting,
    )
    assert held.status == "held"
    assert {(a.nation, a.present) for a in held.attendees} == {
        ("USA", False),
        ("GBR", True),
        ("FRA", True),
    }
    assert [m.reference for m in held.motions] == ["PMB-TRI/M1/1"]


def test_outsiders_see_no_body_and_count_none(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    oscar = gw.principal(uow, "oscar")
    assert services.list_bodies(uow(), oscar) == []
    with pytest.raises(NotFound):
        services.get_body(uow(), oscar, gw.body)
    with pytest.raises(NotFound):
        services.body_id_for(uow(), oscar, "SC-TRI")
    assert [b.code for b in services.list_bodies(uow(), gw.principal(uow, "dan"))] == ["SC-TRI"]


def test_membership_rules(uow: UowFactory, gw: GovernanceWorld) -> None:
    pm = gw.principal(uow, "pm")
    with pytest.raises(ValidationFailed, match="works for no party"):
        services.add_member(uow(), pm, gw.body, MemberIn(person_id=gw.people["oscar"]))
    with pytest.raises(Conflict, match="already sits"):
        services.add_member(uow(), pm, gw.body, MemberIn(person_id=gw.people["bob"]))
    with pytest.raises(pydantic.ValidationError, match="veto"):
        MemberIn(person_id=gw.people["dan"], voting=False, veto=True)
    with pytest.raises(PermissionDenied):
        services.add_member(
            uow(), gw.principal(uow, "alice"), gw.body, MemberIn(person_id=gw.people["dan"])
        )


def test_a_failed_use_case_writes_nothing(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    before = _count(uow, Event)
    with pytest.raises(ValidationFailed) as bad:
        services.open_motion(
            uow(),
            pm,
            MotionIn(
                reference="SC-TRI/X",
                body="SC-TRI",
                title="A motion",
                text="Text.",
                procedure="meeting",
                meeting="NO-SUCH-MEETING",
            ),
            settings,
            NOW,
        )
    assert bad.value.problems[0].field == "meeting"
    with pytest.raises(ValidationFailed, match="deadline"):
        services.open_motion(uow(), pm, _written(days=-1), settings, NOW)
    assert _count(uow, Motion) == 0 and _count(uow, Event) == before
    assert _count(uow, Notification, Notification.kind == "vote") == 0


def test_action_items_and_their_owner(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    item = services.assign_action(
        uow(),
        pm,
        ActionItemIn(
            reference="SC-TRI/A1",
            body="SC-TRI",
            title="Circulate the test plan",
            owner_id=gw.people["bob"],
            due_on=NOW.date() + timedelta(days=10),
        ),
        settings,
        NOW,
    )
    assert item.status == "open" and item.owner == "Bob Baker"
    with pytest.raises(PermissionDenied):
        services.update_action(
            uow(), gw.principal(uow, "alice"), item.id, ActionItemUpdateIn(status="done"), NOW
        )
    with pytest.raises(PermissionDenied):  # the owner may finish it, not cancel it
        services.update_action(
            uow(), gw.principal(uow, "bob"), item.id, ActionItemUpdateIn(status="cancelled"), NOW
        )
    done = services.update_action(
        uow(), gw.principal(uow, "bob"), item.id, ActionItemUpdateIn(status="done"), NOW
    )
    assert done.status == "done" and done.done_on == NOW.date()
    with pytest.raises(ValidationFailed, match="in the past"):
        services.assign_action(
            uow(),
            pm,
            ActionItemIn(
                reference="SC-TRI/A2",
                body="SC-TRI",
                title="Too late",
                owner_id=gw.people["bob"],
                due_on=date(2020, 1, 1),
            ),
            settings,
            NOW,
        )


def test_mail_is_queued_only_when_the_node_sends_mail(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    services.open_motion(uow(), pm, _written(), settings, NOW)
    assert _count(uow, OutgoingMail) == 0
    mailing = settings.model_copy(update={"smtp_host": "127.0.0.1"})
    services.open_motion(uow(), pm, _written("SC-TRI/2026/02"), mailing, NOW)
    with uow() as u:
        addresses = sorted(u.session.scalars(select(OutgoingMail.to_address)))
    assert addresses == ["alice@usapl.example", "bob@uksl.example", "claire@example.org"]


def test_seats_are_fixed_when_the_vote_opens(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    pm = gw.principal(uow, "pm")
    motion = services.open_motion(uow(), pm, _written(), settings, NOW)
    services.add_member(uow(), pm, gw.body, MemberIn(person_id=gw.people["dan"]), NOW)
    with pytest.raises(PermissionDenied, match="holds no seat"):
        services.cast_vote(
            uow(), gw.principal(uow, "dan"), motion.id, VoteIn(choice="for"), settings, NOW
        )
    assert uuid.UUID(str(motion.id)) == motion.id


def test_the_clock_closes_due_procedures_escalates_disputes_and_reminds_once_a_day(
    uow: UowFactory, operator: Principal, gw: GovernanceWorld, settings: Settings
) -> None:
    from coalition.disputes.schemas import DisputeIn
    from coalition.disputes.services import get_dispute, raise_dispute

    pm = gw.principal(uow, "pm")
    motion = services.open_motion(uow(), pm, _written(days=3), settings, NOW)
    services.cast_vote(
        uow(), gw.principal(uow, "alice"), motion.id, VoteIn(choice="for"), settings, NOW
    )
    services.assign_action(
        uow(),
        pm,
        ActionItemIn(
            reference="SC-TRI/A9",
            body="SC-TRI",
            title="Book the range",
            owner_id=gw.people["claire"],
            due_on=NOW.date() + timedelta(days=2),
        ),
        settings,
        NOW,
    )
    dispute = raise_dispute(
        uow(),
        operator,
        DisputeIn(
            reference="DSP-TRI-1",
            agreement="MOU-TRI",
            subject="funding",
            title="Share of the range costs",
            description="Who pays for the extra range days.",
            raised_by="UKSL",
            parties=["USAPL"],
        ),
        settings,
        NOW,
    )
    with pytest.raises(PermissionDenied):
        services.tick(uow, pm, settings, NOW)
    day_one = NOW + timedelta(days=1)
    first = services.tick(uow, operator, settings, day_one)
    # Bob and Claire are reminded of the vote closing within two days; Claire of her item.
    assert (first.motions_closed, first.disputes_escalated, first.reminders) == ([], [], 3)
    assert services.tick(uow, operator, settings, day_one + timedelta(hours=1)).reminders == 0
    later = NOW + timedelta(days=31)
    last = services.tick(uow, operator, settings, later)
    assert last.motions_closed == ["SC-TRI/2026/01"]
    assert last.disputes_escalated == ["DSP-TRI-1"]  # one level only: the ladder runs out
    closed = services.get_motion(uow(), pm, motion.id, later)
    assert closed.status == "failed" and "quorum not met" in (closed.explanation or "")
    assert get_dispute(uow(), operator, dispute.id, settings, later).exhausted
    assert services.tick(uow, operator, settings, later).motions_closed == []


def test_one_party_never_acts_for_another_partys_seat(
    uow: UowFactory, operator: Principal, gw: GovernanceWorld, settings: Settings
) -> None:
    from coalition.accounts.permissions import Role
    from tests.governance_world import _account

    # A programme manager of UKSL: GBR's side of the body, not the chair's (USAPL).
    gw.accounts["pmuk"] = _account(
        uow, operator, "pmuk", Role.PROGRAMME_MANAGER, gw.base.gbr_lab, None
    )
    pmuk, pm = gw.principal(uow, "pmuk"), gw.principal(uow, "pm")
    with pytest.raises(PermissionDenied):  # Dan would sit for USAPL, the chair's side
        services.add_member(uow(), pmuk, gw.body, MemberIn(person_id=gw.people["dan"]))
    meeting = services.schedule_meeting(
        uow(),
        pm,
        MeetingIn(
            reference="SC-TRI/M9",
            body="SC-TRI",
            title="Ninth meeting",
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, hours=2),
        ),
        settings,
        NOW,
    )
    motion = services.open_motion(
        uow(),
        pm,
        MotionIn(
            reference="SC-TRI/M9/1",
            body="SC-TRI",
            title="Adopt the plan",
            text="Text.",
            procedure="meeting",
            meeting=meeting.reference,
            options=["For", "Against"],
        ),
        settings,
        NOW,
    )
    assert motion.options == ["for", "against"]
    early = VoteIn(choice="for", for_person=gw.people["bob"])
    with pytest.raises(Conflict, match="its votes are recorded and closed there"):
        services.cast_vote(uow(), pm, motion.id, early, settings, NOW)
    with pytest.raises(Conflict, match="its votes are recorded and closed there"):
        services.close_motion(uow(), pm, motion.id, MotionCloseIn(), settings, NOW)
    at_meeting = NOW + timedelta(days=1, hours=1)
    with pytest.raises(PermissionDenied):  # not GBR's seat, not the chair's organisation
        services.cast_vote(
            uow(),
            pmuk,
            motion.id,
            VoteIn(choice="against", for_person=gw.people["claire"]),
            settings,
            at_meeting,
        )
    for person, voter in (("bob", pmuk), ("claire", pm), ("alice", pm)):
        services.cast_vote(
            uow(),
            voter,
            motion.id,
            VoteIn(choice="AGAINST", for_person=gw.people[person]),
            settings,
            at_meeting,
        )
    closed = services.get_motion(uow(), pm, motion.id, at_meeting)
    # "Against" never carries, whatever its case.
    assert closed.status == "failed" and "voted down" in (closed.explanation or "")
