"""Discussions on both databases: a message is checked like an artifact of the thread's
project, owned by its author's organisation, at its own label. What a reader may not read
is neither shown nor counted, nor exported, nor told about; a refused post writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Grant, Principal, Role, ScopeKind
from coalition.agreements.models import DecisionRule
from coalition.audit.models import Event
from coalition.common.paging import PageRequest
from coalition.discussions import rules, services
from coalition.discussions.models import DiscussionMessage, DiscussionThread
from coalition.discussions.schemas import MessageIn, ThreadFilters, ThreadIn
from coalition.disputes.models import Dispute, DisputeSubject
from coalition.errors import NotFound, PermissionDenied, ValidationFailed
from coalition.governance.models import BodyKind, Motion, OversightBody, Procedure
from coalition.notifications.models import Notification
from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn, WorkPackageIn
from coalition.projects.services import (
    add_member,
    add_participant,
    add_work_package,
    create_project,
)
from coalition.registry.people import add_clearance, create_person
from coalition.registry.schemas import ClearanceIn, PersonIn, SecurityAgreementIn
from coalition.registry.services import create_security_agreement
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.techdata.services import create_artifact
from tests.conftest import UowFactory
from tests.factories import World, make_world

TODAY = date.today()
EMAILS = {
    "alice": "alice@usapl.example",
    "dave": "dave@uksl.example",
    "erin": "erin@uksl.example",
    "frank": "frank@lopt.example",
}


def label(classification: str, *, rel: tuple[str, ...] = ("USA", "GBR")) -> LabelIn:
    return LabelIn(
        scheme="USA", originator="USA", classification=classification, releasable_to=list(rel)
    )


UNCLASSIFIED = label("UNCLASSIFIED")
SECRET = label("SECRET")


@dataclass
class Talk:
    """A project (SONAR, ceiling SECRET) of a USA and a GBR lab, and its people."""

    project: uuid.UUID
    work_package: uuid.UUID
    agreement: uuid.UUID
    usa_lab: uuid.UUID
    gbr_lab: uuid.UUID
    fra_lab: uuid.UUID
    people: dict[str, uuid.UUID]
    #: Artifacts of the project: UNCLASSIFIED REL USA, GBR; USA NOFORN; one of no project.
    shared: str = "SONAR-OPEN"
    noforn: str = "SONAR-NOFORN"
    loose: str = "LOOSE-1"

    def actor(self, name: str) -> Principal:
        return Principal(
            name=name,
            account_id=uuid.uuid4(),
            active=True,
            grants=(Grant(Role.RESEARCHER, ScopeKind.NODE),),
            person_id=self.people[name],
        )


def make_talk(
    new: Callable[[], UnitOfWork], operator: Principal, world: World | None = None
) -> Talk:
    """alice (USA, SECRET) manages SONAR; dave (GBR, BPSS only) and erin (GBR, SC) are its
    researchers; frank works at a French lab outside it."""
    world = world or make_world(new, operator)
    create_security_agreement(
        new(),
        operator,
        SecurityAgreementIn(
            reference="GSA-GBR-USA",
            title="GBR-USA general security agreement",
            parties=["GBR", "USA"],
            max_level=3,
            in_force_from=date(2000, 1, 1),
        ),
    )
    project = create_project(
        new(),
        operator,
        ProjectIn(
            code="SONAR",
            title="Sonar",
            agreement_id=world.mou,
            start_on=TODAY - timedelta(days=400),
            end_on=date(2029, 12, 31),
            lead_organisation_id=world.usa_lab,
            classification_ceiling=3,
        ),
    )
    add_participant(
        new(),
        operator,
        project.id,
        ParticipantIn(
            organisation_id=world.gbr_lab, role="partner", joined_on=TODAY - timedelta(days=300)
        ),
    )
    package = add_work_package(
        new(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Arrays", lead_organisation_id=world.gbr_lab),
    )
    people = {"alice": world.alice}
    for name, family, employer, nation in (
        ("dave", "Dunn", world.gbr_lab, "GBR"),
        ("erin", "Ellis", world.gbr_lab, "GBR"),
        ("frank", "Fabre", world.fra_lab, "FRA"),
    ):
        people[name] = create_person(
            new(),
            operator,
            PersonIn(
                given_name=name.title(),
                family_name=family,
                email=EMAILS[name],
                employer_id=employer,
                citizenships=[nation],
            ),
        ).id
    for name, role in (
        ("alice", "project_manager"),
        ("dave", "researcher"),
        ("erin", "researcher"),
    ):
        add_member(
            new(),
            operator,
            project.id,
            MemberIn(person_id=people[name], role=role, joined_on=TODAY - timedelta(days=200)),
        )
    for name, issuer, level in (
        ("alice", "USA", "SECRET"),
        ("dave", "GBR", "BPSS"),
        ("erin", "GBR", "SC"),
        ("frank", "FRA", "HABILITATION SECRET"),
    ):
        add_clearance(
            new(),
            operator,
            people[name],
            ClearanceIn(
                issuer=issuer,
                level_name=level,
                valid_from=TODAY - timedelta(days=100),
                valid_until=TODAY + timedelta(days=1000),
            ),
        )
    talk = Talk(
        project.id, package.id, world.mou, world.usa_lab, world.gbr_lab, world.fra_lab, people
    )
    for reference, title, shown, in_project in (
        (talk.shared, "Array trial plan", UNCLASSIFIED, True),
        (talk.noforn, "Array weakness", label("UNCLASSIFIED", rel=()), True),
        (talk.loose, "Loose note", UNCLASSIFIED, False),
    ):
        create_artifact(
            new(),
            operator,
            ArtifactIn(
                reference=reference,
                title=title,
                kind="report",
                project_id=project.id if in_project else None,
                owner_organisation_id=world.usa_lab,
                label=shown,
            ),
        )
    return talk


@pytest.fixture
def talk(uow: UowFactory, operator: Principal) -> Talk:
    return make_talk(uow, operator)


def start(
    uow: UowFactory,
    actor: Principal,
    settings: Settings,
    title: str = "Array calibration",
    **changes: object,
) -> uuid.UUID:
    command = {
        "subject_kind": "project",
        "project": "SONAR",
        "title": title,
        "label": UNCLASSIFIED.model_dump(),
    } | changes
    return services.start_thread(uow(), actor, ThreadIn.model_validate(command), settings).id


def post(
    uow: UowFactory,
    actor: Principal,
    settings: Settings,
    thread: uuid.UUID,
    body: str,
    **changes: object,
) -> uuid.UUID:
    data = MessageIn.model_validate({"body": body} | changes)
    return services.post_message(uow(), actor, thread, data, settings).id


def listed(uow: UowFactory, actor: Principal, **filters: object) -> tuple[list[str], int]:
    page = services.list_threads(
        uow(), actor, ThreadFilters.model_validate(filters), PageRequest(limit=50)
    )
    return [t.title for t in page.items], page.total


def test_a_message_above_a_readers_clearance_is_invisible_to_them_counts_included(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, dave = talk.actor("alice"), talk.actor("dave")
    thread = start(uow, alice, settings)
    post(uow, alice, settings, thread, "Open findings of the array trial.")
    secret = post(
        uow,
        alice,
        settings,
        thread,
        "The array's weak spot is at 3 kHz.",
        label=SECRET.model_dump(),
    )

    seen = services.get_thread(uow(), dave, thread)
    assert [m.body for m in seen.messages] == ["Open findings of the array trial."]
    assert seen.message_count == 1
    page = services.list_threads(uow(), dave, ThreadFilters(), PageRequest())
    assert [(t.title, t.message_count) for t in page.items] == [("Array calibration", 1)]
    assert services.count_messages(uow(), dave, ThreadFilters(project="SONAR")) == 1
    exported = services.export_thread(uow(), dave, thread)
    assert [m.body for m in exported.messages] == ["Open findings of the array trial."]
    assert "3 kHz" not in exported.text and "SECRET" not in exported.text
    assert exported.highest_banner == "UNCLASSIFIED//REL TO USA, GBR"
    with pytest.raises(NotFound):
        services.get_message(uow(), dave, secret)

    full = services.get_thread(uow(), alice, thread)
    assert full.message_count == 2
    assert services.count_messages(uow(), alice, ThreadFilters()) == 2
    everything = services.export_thread(uow(), alice, thread)
    assert everything.highest_banner == "SECRET//REL TO USA, GBR"
    text = everything.text
    assert text.index("SECRET//REL TO USA, GBR\n#2 Alice Archer") < text.index("3 kHz")
    assert services.get_message(uow(), alice, secret).label.banner == "SECRET//REL TO USA, GBR"


def test_the_engine_decides_a_fetched_message_and_the_record_keeps_the_decision(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, dave = talk.actor("alice"), talk.actor("dave")
    thread = start(uow, alice, settings)
    secret = post(uow, alice, settings, thread, "Classified detail", label=SECRET.model_dump())
    with pytest.raises(NotFound) as refused:
        services.get_message(uow(), dave, secret)
    with pytest.raises(NotFound) as unknown:
        services.get_message(uow(), dave, uuid.uuid4())
    assert refused.value.detail == unknown.value.detail
    with uow() as unit:
        outcomes = [
            e.details["outcome"]
            for e in unit.session.scalars(
                select(Event).where(Event.tag == "discussions:decision:read").order_by(Event.id)
            )
        ]
    assert outcomes == ["deny", "deny"]


def test_replies_hang_under_what_they_answer_and_a_hidden_parent_is_skipped(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, dave, erin = talk.actor("alice"), talk.actor("dave"), talk.actor("erin")
    thread = start(uow, alice, settings)
    top = post(uow, alice, settings, thread, "Which frequency?")
    secret = post(
        uow, erin, settings, thread, "3 kHz", parent_id=str(top), label=SECRET.model_dump()
    )
    answer = post(uow, alice, settings, thread, "Agreed", parent_id=str(secret))
    post(uow, dave, settings, thread, "Another question")

    full = services.get_thread(uow(), alice, thread)
    assert [(m.body, m.depth) for m in full.messages] == [
        ("Which frequency?", 0),
        ("3 kHz", 1),
        ("Agreed", 2),
        ("Another question", 0),
    ]
    assert full.messages[2].parent_id == secret
    # dave may not read erin's SECRET answer: alice's reply hangs under the top message.
    partial = services.get_thread(uow(), dave, thread)
    assert [(m.body, m.depth, m.parent_id) for m in partial.messages] == [
        ("Which frequency?", 0, None),
        ("Agreed", 1, top),
        ("Another question", 0, None),
    ]
    assert services.get_message(uow(), dave, answer).parent_id == top
    # A reply needs a parent of the same thread that the author may see.
    with pytest.raises(ValidationFailed) as hidden:
        post(uow, dave, settings, thread, "Re", parent_id=str(secret))
    assert hidden.value.problems[0].field == "parent_id"
    other = start(uow, alice, settings, title="Another thread")
    with pytest.raises(ValidationFailed) as elsewhere:
        post(uow, alice, settings, other, "Re", parent_id=str(top))
    assert elsewhere.value.problems[0].field == "parent_id"


def test_attachments_are_shown_to_each_reader_only_if_they_may_see_them(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, dave = talk.actor("alice"), talk.actor("dave")
    thread = start(uow, alice, settings)
    message = post(
        uow, alice, settings, thread, "See both papers", attachments=[talk.shared, talk.noforn]
    )
    as_alice = services.get_message(uow(), alice, message)
    assert [a.reference for a in as_alice.attachments] == [talk.shared, talk.noforn]
    as_dave = services.get_message(uow(), dave, message)
    assert [a.reference for a in as_dave.attachments] == [talk.shared]
    # An export holds the titles of the papers shown, so their labels count in its own.
    assert services.export_thread(uow(), alice, thread).highest_banner == "UNCLASSIFIED"
    dave_export = services.export_thread(uow(), dave, thread)
    assert dave_export.highest_banner == "UNCLASSIFIED//REL TO USA, GBR"
    assert talk.noforn not in dave_export.text
    # The author may attach only what they may see; one they may not is "unknown".
    with pytest.raises(ValidationFailed) as refused:
        post(uow, dave, settings, thread, "Mine too", attachments=[talk.noforn, "NO-SUCH"])
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("attachments", f"no artifact '{talk.noforn}' you may see"),
        ("attachments", "no artifact 'NO-SUCH' you may see"),
    ]


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    link: str | None


def _notices(uow: UowFactory, person: uuid.UUID) -> list[Notice]:
    with uow() as unit:
        return [
            Notice(n.title, n.body, n.link)
            for n in unit.session.scalars(
                select(Notification).where(
                    Notification.person_id == person, Notification.kind == "mention"
                )
            )
        ]


def test_only_mentioned_people_who_may_read_the_message_are_told(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice = talk.actor("alice")
    thread = start(uow, alice, settings)
    secret = post(
        uow,
        alice,
        settings,
        thread,
        f"@{EMAILS['dave']} and @{EMAILS['erin']}: the weak spot is at 3 kHz.",
        label=SECRET.model_dump(),
        mentions=[EMAILS["frank"]],
    )
    assert _notices(uow, talk.people["dave"]) == []
    assert _notices(uow, talk.people["frank"]) == []
    [notice] = _notices(uow, talk.people["erin"])
    assert notice.link == f"/discussions/{thread}#m-{secret}"
    assert "3 kHz" not in notice.title and notice.body == ""
    assert notice.title == "Alice Archer mentioned you in a discussion on SONAR"
    open_one = post(uow, alice, settings, thread, f"cc @{EMAILS['dave']}.")
    [told] = _notices(uow, talk.people["dave"])
    assert told.link == f"/discussions/{thread}#m-{open_one}"
    # The record keeps neither the words nor a digest that could be confirmed by guessing.
    with uow() as unit:
        details = [
            e.details
            for e in unit.session.scalars(
                select(Event).where(Event.tag == "discussions:message:post").order_by(Event.id)
            )
        ]
    assert all("body" not in d and "body_sha256" not in d for d in details)
    assert "3 kHz" not in repr(details)
    assert details[0]["notified"] == 1


def test_a_thread_of_a_classified_label_is_not_named_in_a_notice(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice = talk.actor("alice")
    thread = start(uow, alice, settings, title="Weak spot", label=SECRET.model_dump())
    post(uow, alice, settings, thread, "Have a look", mentions=[EMAILS["erin"]])
    [notice] = _notices(uow, talk.people["erin"])
    assert notice.title == "Alice Archer mentioned you in a discussion on SONAR"


def test_one_may_not_post_above_what_one_may_read(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, dave = talk.actor("alice"), talk.actor("dave")
    thread = start(uow, alice, settings)
    with pytest.raises(ValidationFailed) as refused:
        post(uow, dave, settings, thread, "A guess", label=SECRET.model_dump())
    [problem] = refused.value.problems
    assert problem.field == "label" and "clearance" in problem.message
    with pytest.raises(ValidationFailed) as too_high:
        start(uow, dave, settings, title="Above", label=SECRET.model_dump())
    assert too_high.value.problems[0].field == "label"
    top_secret = label("TOP SECRET")
    with pytest.raises(ValidationFailed) as ceiling:
        post(uow, alice, settings, thread, "x", label=top_secret.model_dump())
    assert ceiling.value.problems[0].field == "label.classification"
    assert "ceiling" in ceiling.value.problems[0].message


def test_a_reader_outside_the_project_sees_no_thread_and_counts_none(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, frank = talk.actor("alice"), talk.actor("frank")
    thread = start(uow, alice, settings)
    message = post(uow, alice, settings, thread, "Hello team")
    assert listed(uow, frank) == ([], 0)
    assert listed(uow, frank, project="SONAR") == ([], 0)
    assert services.count_threads(uow(), frank, ThreadFilters()) == 0
    assert services.count_messages(uow(), frank, ThreadFilters()) == 0
    for fetch in (services.get_thread, services.export_thread):
        with pytest.raises(NotFound):
            fetch(uow(), frank, thread)
    with pytest.raises(NotFound):
        services.get_message(uow(), frank, message)
    with pytest.raises(NotFound):
        post(uow, frank, settings, thread, "Let me in")
    # Nor may he start one on a project he takes no part in.
    with pytest.raises(ValidationFailed) as refused:
        start(uow, frank, settings, title="Outsider")
    assert refused.value.problems[0].field == "project"
    assert "do not take part in project SONAR" in refused.value.problems[0].message


def test_the_operator_sees_everything_and_an_account_without_a_person_nothing(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice = talk.actor("alice")
    thread = start(uow, alice, settings)
    post(uow, alice, settings, thread, "Open")
    secret = post(
        uow, alice, settings, thread, "Closed", label=label("SECRET", rel=()).model_dump()
    )
    assert listed(uow, operator) == (["Array calibration"], 1)
    assert services.get_thread(uow(), operator, thread).message_count == 2
    assert services.get_message(uow(), operator, secret).body == "Closed"
    nobody = Principal("svc", uuid.uuid4(), True, (Grant(Role.RESEARCHER, ScopeKind.NODE),))
    assert listed(uow, nobody) == ([], 0)
    assert services.count_messages(uow(), nobody, ThreadFilters()) == 0
    with pytest.raises(NotFound):
        services.get_thread(uow(), nobody, thread)
    with pytest.raises(NotFound):
        services.get_message(uow(), nobody, secret)
    with pytest.raises(ValidationFailed) as no_author:
        post(uow, nobody, settings, thread, "Hi")
    assert no_author.value.problems[0].field == "author"
    # The operator writes for a person, as that person, and the record says so.
    data = MessageIn(body="For the record")
    posted = services.post_message(
        uow(), operator, thread, data, settings, author_id=talk.people["erin"]
    )
    assert posted.author == "Erin Ellis"
    with uow() as unit:
        event = unit.session.scalar(select(Event).where(Event.object_id == str(posted.id)))
        assert event is not None
        assert event.details["for_person"] == str(talk.people["erin"])
        assert event.actor == operator.name
    with pytest.raises(PermissionDenied):
        services.post_message(uow(), alice, thread, data, settings, author_id=talk.people["erin"])


def test_a_failed_post_writes_nothing(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice = talk.actor("alice")
    thread = start(uow, alice, settings)

    def state() -> tuple[int, int, int]:
        with uow() as unit:
            session = unit.session
            return (
                session.scalar(select(func.count()).select_from(DiscussionMessage)) or 0,
                session.scalar(select(func.count()).select_from(Notification)) or 0,
                session.scalar(select(func.count()).select_from(Event)) or 0,
            )

    before = state()
    with pytest.raises(ValidationFailed):
        post(
            uow,
            alice,
            settings,
            thread,
            f"@{EMAILS['erin']} see this",
            attachments=["NO-SUCH"],
        )
    with pytest.raises(ValidationFailed) as unknown:
        post(uow, alice, settings, thread, "x", mentions=["nobody@nowhere.example"])
    assert unknown.value.problems[0].field == "mentions"
    with pytest.raises(ValidationFailed):
        start(uow, alice, settings, title="With a bad paper", body="x", attachments=["NO-SUCH"])
    assert state() == before
    with uow() as unit:
        assert unit.session.scalar(select(func.count()).select_from(DiscussionThread)) == 1


def test_threads_on_each_kind_of_subject_lead_to_a_project(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, dave = talk.actor("alice"), talk.actor("dave")
    on_wp = start(
        uow, alice, settings, title="WP1 plan", subject_kind="work_package", work_package="WP1"
    )
    on_artifact = start(
        uow,
        alice,
        settings,
        title="About the weakness",
        subject_kind="artifact",
        project=None,
        reference=talk.noforn,
    )
    with pytest.raises(ValidationFailed) as loose:
        start(uow, alice, settings, subject_kind="artifact", project=None, reference=talk.loose)
    assert loose.value.problems[0].field == "reference"
    assert "belongs to no project" in loose.value.problems[0].message
    # An artifact the starter may not see is reported as one that does not exist.
    with pytest.raises(ValidationFailed) as hidden:
        start(uow, dave, settings, subject_kind="artifact", project=None, reference=talk.noforn)
    assert hidden.value.problems[0].message == "no such artifact"

    # dave sees the thread on the NOFORN artifact (its own label lets him) but not the
    # artifact: its reference is not shown to him.
    page = services.list_threads(uow(), dave, ThreadFilters(subject_kind="artifact"), PageRequest())
    assert [(t.id, t.subject, t.subject_link) for t in page.items] == [(on_artifact, None, None)]
    mine = services.get_thread(uow(), alice, on_artifact)
    assert mine.subject == talk.noforn
    wp = services.get_thread(uow(), alice, on_wp)
    assert (wp.subject_kind, wp.subject, wp.subject_id) == (
        "work_package",
        "SONAR WP1",
        talk.work_package,
    )
    assert listed(uow, alice, subject_kind="work_package", subject_id=talk.work_package)[1] == 1


def test_governance_subjects_need_a_project_and_their_agreements_readers(
    uow: UowFactory, operator: Principal, settings: Settings, talk: Talk
) -> None:
    alice, frank = talk.actor("alice"), talk.actor("frank")
    with uow() as unit:
        session = unit.session
        board = OversightBody(
            code="SC-MOU",
            name="Steering committee",
            kind=BodyKind.STEERING_COMMITTEE,
            agreement_id=talk.agreement,
            decision_rule=DecisionRule.MAJORITY,
        )
        session.add(board)
        session.flush()
        session.add(
            Motion(
                reference="MOT-1",
                body_id=board.id,
                title="Budget",
                text="Approve",
                procedure=Procedure.WRITTEN,
                opened_by="t",
            )
        )
        for reference, project in (("DSP-1", None), ("DSP-2", talk.project)):
            session.add(
                Dispute(
                    reference=reference,
                    agreement_id=talk.agreement,
                    project_id=project,
                    subject=DisputeSubject.FUNDING,
                    title="Shares",
                    description="Unpaid",
                    raised_by_id=talk.usa_lab,
                    level_since=datetime.now(UTC),
                )
            )
        session.commit()
    with pytest.raises(ValidationFailed) as motion:
        start(uow, alice, settings, subject_kind="motion", reference="MOT-1")
    assert "a body of the whole agreement" in motion.value.problems[0].message
    with pytest.raises(ValidationFailed) as loose:
        start(uow, alice, settings, subject_kind="dispute", reference="DSP-1")
    assert "about no project" in loose.value.problems[0].message
    thread = start(uow, alice, settings, subject_kind="dispute", reference="DSP-2")
    assert services.get_thread(uow(), alice, thread).subject == "DSP-2"
    # frank's lab is no party to the agreement: the dispute is unknown to him.
    with pytest.raises(ValidationFailed) as unknown:
        start(uow, frank, settings, subject_kind="dispute", reference="DSP-2")
    assert unknown.value.problems[0].message == "no such dispute"


def test_mentions_are_at_signs_before_whole_addresses() -> None:
    body = (
        "Ask @Bob@UKSL.example. Not mail@alice@usapl.example, nor bob@uksl.example; "
        "(@erin@uksl.example) and @bob@uksl.example again"
    )
    assert rules.mentioned(body, ["Dave@uksl.example "]) == [
        "dave@uksl.example",
        "bob@uksl.example",
        "erin@uksl.example",
    ]


def test_replies_are_arranged_depth_first_under_their_nearest_visible_parent() -> None:
    a, b, c, d, e = (uuid.UUID(int=n) for n in range(1, 6))
    parents = {a: None, b: a, c: b, d: None, e: c}
    shown = rules.nearest_visible(parents, {a, c, d, e})
    assert shown == {a: None, c: a, d: None, e: c}
    assert rules.threaded([a, c, d, e], shown) == [(a, 0), (c, 1), (e, 2), (d, 0)]
