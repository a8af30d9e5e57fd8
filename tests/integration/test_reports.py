"""Periodic reports through the use cases, on SQLite and PostgreSQL: a project's report for a
quarter read back from its PDF, its label the highest of what it includes, who may know of
it and read it through the engine, the refusals that name the field and leave nothing
behind, schedules that report each period once, and a project's progress.

The world is tests/factories.py's (USAPL, UKSL, LOPT; Alice of USAPL, Bob of UKSL with
GBR and CAN citizenships) with the project arrangement PA-RADAR (USAPL and UKSL, in force
2024 to 2028, accounts in US dollars, GBP at 1.25) and its project RADAR (2025 to 2028,
USAPL leads, UKSL a partner; WP1 and WP2). In the first quarter of 2026: milestone M1
achieved early, M2 due and not achieved, deliverable D1.1 due and not delivered, D2.1
submitted; a risk raised; the project board PB-RADAR carries a motion; USAPL's
CONFIDENTIAL//REL TO USA, GBR paper (whose title must never show) released to UKSL; costs
booked. Accounts: "paula", programme manager of USAPL (Paula, USA SECRET clearance);
"alice" and "bob", researchers (Bob on the project team); "fred", of LOPT outside it."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.audit.models import Event
from coalition.common.access import principal_for_account
from coalition.content import services as content
from coalition.content.models import ContentVersion
from coalition.errors import NotFound, PermissionDenied, ValidationFailed
from coalition.funding.schemas import BudgetLineIn, ContributionIn, ExpenditureIn
from coalition.funding.services import record_contribution, record_expenditure, set_budget_line
from coalition.governance.schemas import BodyIn, MotionIn, VoteIn
from coalition.governance.schemas import MemberIn as SeatIn
from coalition.governance.services import add_member as seat
from coalition.governance.services import cast_vote, create_body, open_motion
from coalition.policy.facts import Action, Purpose
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableUpdate,
    MemberIn,
    MilestoneIn,
    MilestoneUpdate,
    ParticipantIn,
    ProjectIn,
    WorkPackageIn,
)
from coalition.projects.services import (
    add_deliverable,
    add_member,
    add_milestone,
    add_participant,
    add_work_package,
    create_project,
    update_deliverable,
    update_milestone,
)
from coalition.registry.people import add_clearance, create_person
from coalition.registry.schemas import ClearanceIn, PersonIn
from coalition.releases.models import ReleaseItem, ReleaseRecipient, ReleaseRequest, RequestStatus
from coalition.reports import schedules, services
from coalition.reports.models import Frequency, GeneratedReport, ReportScope
from coalition.reports.schemas import ReportIn, ScheduleIn
from coalition.risks.schemas import RiskIn
from coalition.risks.services import raise_risk
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact, ArtifactKind
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.techdata.services import create_artifact
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World, make_world

AGREEMENT, PROJECT = "PA-RADAR", "RADAR"
Q1 = (date(2026, 1, 1), date(2026, 3, 31))
AFTER_Q1 = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
SECRET_TITLE = "Antenna geometry of the X-band array"
BANNER = "CONFIDENTIAL//REL TO USA, GBR"


@dataclass
class ReportWorld:
    base: World
    agreement: uuid.UUID
    project: uuid.UUID
    paper: uuid.UUID
    paula: uuid.UUID
    fred: uuid.UUID
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_report_world(
    new: Callable[[], UnitOfWork], actor: Principal, base: World | None = None
) -> ReportWorld:
    base = base or make_world(new, actor)
    settings = Settings()
    agreement = create_agreement(
        new(),
        actor,
        AgreementIn(
            reference=AGREEMENT,
            title="Radar project arrangement",
            kind="project_arrangement",
            effective_from=date(2024, 1, 1),
            expires_on=date(2029, 1, 1),
            classification_ceiling=3,
            parties=[PartyIn(organisation_id=base.usa_lab), PartyIn(organisation_id=base.gbr_lab)],
            cost_share_rule="equal",
            accounting_currency="USD",
            exchange_rates={"GBP": Decimal("1.25")},
        ),
    ).id
    change_status(new(), actor, agreement, StatusChangeIn(to_status="in_force", reason="signed"))
    project = create_project(
        new(),
        actor,
        ProjectIn(
            code=PROJECT,
            title="Cognitive radar",
            agreement_id=agreement,
            start_on=date(2025, 1, 1),
            end_on=date(2028, 12, 31),
            classification_ceiling=3,
            lead_organisation_id=base.usa_lab,
        ),
    ).id
    add_participant(
        new(),
        actor,
        project,
        ParticipantIn(organisation_id=base.gbr_lab, role="partner", joined_on=date(2025, 1, 1)),
    )
    wps = {
        code: add_work_package(
            new(), actor, project, WorkPackageIn(code=code, title=title, lead_organisation_id=lead)
        ).id
        for code, title, lead in (
            ("WP1", "Waveforms", base.usa_lab),
            ("WP2", "Trials", base.gbr_lab),
        )
    }

    def person(given: str, email: str, employer: uuid.UUID, nation: str) -> uuid.UUID:
        return create_person(
            new(),
            actor,
            PersonIn(
                given_name=given,
                family_name="Tester",
                email=email,
                employer_id=employer,
                citizenships=[nation],
            ),
        ).id

    paula = person("Paula", "paula@usapl.example", base.usa_lab, "USA")
    fred = person("Fred", "fred@lopt.example", base.fra_lab, "FRA")
    today = datetime.now(UTC).date()
    add_clearance(
        new(),
        actor,
        paula,
        ClearanceIn(
            issuer="USA",
            level_name="SECRET",
            valid_from=today - timedelta(days=400),
            valid_until=today + timedelta(days=1000),
        ),
    )
    add_member(
        new(),
        actor,
        project,
        MemberIn(person_id=base.bob, role="researcher", joined_on=date(2025, 1, 1)),
    )
    # The plan of the first quarter of 2026, and after it.
    m1 = add_milestone(
        new(),
        actor,
        project,
        MilestoneIn(code="M1", title="Waveform library", due_on=date(2026, 2, 15)),
    )
    update_milestone(
        new(), actor, m1.id, MilestoneUpdate(status="achieved", achieved_on=date(2026, 2, 10))
    )
    add_milestone(
        new(),
        actor,
        project,
        MilestoneIn(code="M2", title="Trial readiness", due_on=date(2026, 3, 20)),
    )
    add_milestone(
        new(), actor, project, MilestoneIn(code="M3", title="First trial", due_on=date(2026, 6, 30))
    )
    add_deliverable(
        new(),
        actor,
        wps["WP1"],
        DeliverableIn(code="D1.1", title="Waveform report", due_on=date(2026, 3, 1)),
    )
    d21 = add_deliverable(
        new(),
        actor,
        wps["WP2"],
        DeliverableIn(code="D2.1", title="Trial plan", due_on=date(2026, 3, 15)),
    )
    update_deliverable(new(), actor, d21.id, DeliverableUpdate(status="submitted"))
    raise_risk(
        new(),
        actor,
        RiskIn(
            reference="RSK-RAD-1",
            project=PROJECT,
            title="Trial range may not be available",
            category="schedule",
            likelihood=3,
            impact=4,
            owner_id=paula,
        ),
        settings,
        now=at(date(2026, 2, 1)),
    )
    create_body(
        new(),
        actor,
        BodyIn(
            code="PB-RADAR",
            name="Radar project board",
            kind="programme_management_board",
            agreement=AGREEMENT,
            project=PROJECT,
        ),
    )
    from coalition.governance.services import body_id_for

    seat(
        new(),
        actor,
        body_id_for(new(), actor, "PB-RADAR"),
        SeatIn(person_id=paula, chair=True, joined_on=date(2025, 1, 1)),
    )
    world = ReportWorld(base, agreement, project, uuid.uuid4(), paula, fred)
    for username, person_id, role, organisation in (
        ("paula", paula, Role.PROGRAMME_MANAGER, base.usa_lab),
        ("alice", base.alice, Role.RESEARCHER, base.usa_lab),
        ("bob", base.bob, Role.RESEARCHER, base.gbr_lab),
        ("fred", fred, Role.RESEARCHER, base.fra_lab),
    ):
        world.accounts[username] = create_account(
            new(),
            actor,
            AccountIn(
                username=username,
                display_name=username.title(),
                password=PASSWORD,
                person_id=person_id,
                grants=[
                    GrantIn(role=role, scope_kind=ScopeKind.ORGANISATION, scope_id=organisation)
                ],
            ),
        ).id
    motion = open_motion(
        new(),
        actor,
        MotionIn(
            reference="MOT-RAD-1",
            body="PB-RADAR",
            title="Move the first trial to June",
            text="The board moves the first trial to June.",
            procedure="written",
            deadline=at(date(2026, 3, 20)),
        ),
        settings,
        now=at(date(2026, 3, 2)),
    )
    cast_vote(
        new(),
        actor_of(new, world, "paula"),
        motion.id,
        VoteIn(choice="for"),
        settings,
        now=at(date(2026, 3, 10)),
    )
    paper = create_artifact(
        new(),
        actor,
        ArtifactIn(
            reference="RAD-DOC-1",
            title=SECRET_TITLE,
            kind=ArtifactKind.REPORT,
            project_id=project,
            owner_organisation_id=base.usa_lab,
            label=LabelIn(scheme="USA", originator="USA", banner=BANNER),
        ),
    )
    world.paper = paper.id
    release(new, paper.id, base.gbr_lab, at(date(2026, 3, 5)))
    set_budget_line(
        new(),
        actor,
        BudgetLineIn(
            project=PROJECT,
            work_package="WP1",
            category="personnel",
            nation="USA",
            fiscal_year=2026,
            amount=Decimal("100000"),
            currency="USD",
        ),
    )
    for day, amount, cur, org in (
        (date(2025, 12, 10), "10000", "USD", "USAPL"),
        (date(2026, 2, 10), "20000", "USD", "USAPL"),
        (date(2026, 3, 12), "8000", "GBP", "UKSL"),
    ):
        record_expenditure(
            new(),
            actor,
            ExpenditureIn(
                project=PROJECT,
                work_package="WP1" if org == "USAPL" else "WP2",
                category="personnel",
                organisation=org,
                incurred_on=day,
                amount=Decimal(amount),
                currency=cur,
            ),
        )
    record_contribution(
        new(),
        actor,
        ContributionIn(
            reference="CON-RAD-1",
            agreement=AGREEMENT,
            project=PROJECT,
            organisation="UKSL",
            kind="cash",
            made_on=date(2026, 2, 1),
            amount=Decimal("50000"),
            currency="GBP",
        ),
    )
    return world


def release(new: UowFactory, artifact: uuid.UUID, recipient: uuid.UUID, decided: datetime) -> None:
    """A release approved on ``decided``, recorded as the release workflow leaves it."""
    with new() as uow:
        session = uow.session
        request = ReleaseRequest(
            reference=f"REL-T-{uuid.uuid4().hex[:6]}",
            requested_by="alice",
            purpose=Purpose.CARRYING_OUT_THE_PROJECT,
            justification="trials",
            status=RequestStatus.APPROVED,
            decided_at=decided,
        )
        session.add(request)
        session.flush()
        session.add(ReleaseItem(request_id=request.id, artifact_id=artifact, position=0))
        session.add(ReleaseRecipient(request_id=request.id, organisation_id=recipient))
        uow.commit()


def actor_of(new: UowFactory, world: ReportWorld, username: str) -> Principal:
    with new() as unit:
        found = principal_for_account(unit.session, world.accounts[username])
    assert found is not None
    return found


@pytest.fixture
def rw(uow: UowFactory, operator: Principal) -> ReportWorld:
    return make_report_world(uow, operator)


def quarter(**changes: object) -> ReportIn:
    values: dict[str, object] = {
        "scope": "project",
        "project": PROJECT,
        "period_start": Q1[0],
        "period_end": Q1[1],
    }
    return ReportIn.model_validate(values | changes)


def pdf_text(document: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(document))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_a_quarter_report_says_what_happened_and_shows_no_classified_title(
    uow: UowFactory, rw: ReportWorld, settings: Settings
) -> None:
    paula = actor_of(uow, rw, "paula")
    made = services.generate(uow(), paula, quarter(), settings, now=AFTER_Q1)
    report = made.report
    assert (report.reference, report.period, report.scope) == (
        "RPT-RADAR-2026-Q1",
        "2026-Q1",
        ReportScope.PROJECT,
    )
    assert report.banner == BANNER  # the highest label of what it includes: the released paper's
    handout = content.hand_out(
        uow(), paula, report.artifact_id, content.content_settings(settings), action=Action.DOWNLOAD
    )
    downloaded = b"".join(handout.body())
    text, pages = pdf_text(downloaded)
    for heading in (
        "Report on RADAR, 2026-Q1",
        "1. Progress against plan",
        "2. Spend against plan",
        "3. Risks",
        "4. Decisions and action items",
        "5. Disputes",
        "6. Releases made",
        "7. Invention disclosures",
        "8. Funding and balance",
    ):
        assert heading in text, heading
    assert "M1" in text and "M2" in text and "M3" not in text  # M3 is due after the quarter
    assert "achieved" in text and "late" in text
    assert "D1.1" in text and "D2.1" in text
    assert "RSK-RAD-1" in text and "MOT-RAD-1" in text and "carried" in text
    assert "1 release request(s) approved in the period, 1 item(s) released" in text
    assert "CONFIDENTIAL" in text and "GBR" in text
    assert "No technology readiness level is recorded" in text
    assert SECRET_TITLE not in text and "RAD-DOC-1" not in text
    # The report's own banner is drawn on every page, top and bottom (and the download
    # marks it once more).
    own_text, own_pages = pdf_text(made.pdf)
    assert own_text.count(BANNER) >= 2 * own_pages and own_pages == pages
    view = services.read_report(uow(), paula, report.id, settings)
    c = view.content
    summary = c.progress.summary
    assert (summary.milestones_due, summary.milestones_achieved, summary.milestones_on_time) == (
        2,
        1,
        1,
    )
    assert (
        summary.milestones_late,
        summary.deliverables_due,
        summary.deliverables_delivered,
        summary.deliverables_late,
    ) == (1, 2, 1, 1)
    assert {m.code: m.state for m in c.progress.milestones} == {"M1": "achieved", "M2": "late"}
    assert [(x.nation, x.level, x.items) for x in c.releases.counts] == [("GBR", "CONFIDENTIAL", 1)]
    assert [r.reference for r in c.risks.rows] == ["RSK-RAD-1"] and c.risks.raised_in_period == 1
    assert [(d.reference, d.outcome) for d in c.governance.decisions] == [("MOT-RAD-1", "carried")]
    assert c.progress.trl[0].points == []
    spend = c.progress.spend
    assert spend is not None and spend.currency == "USD"
    assert (spend.total.budget, spend.total.actual_to_date, spend.total.actual_in_period) == (
        Decimal("100000.00"),
        Decimal("40000.00"),  # 10,000 + 20,000 + 8,000 GBP at 1.25
        Decimal("30000.00"),
    )
    funding = {n.nation: n for n in c.funding.nations}
    assert funding["GBR"].contributed_in_period == Decimal("62500.00")
    assert SECRET_TITLE not in c.model_dump_json()
    with uow() as unit:
        tags = list(
            unit.session.scalars(select(Event.tag).where(Event.object_id == str(report.id)))
        )
        artifact = unit.session.get(Artifact, report.artifact_id)
        assert artifact is not None and artifact.kind is ArtifactKind.REPORT
        assert (artifact.project_id, artifact.owner_organisation_id) == (
            rw.project,
            rw.base.usa_lab,
        )
    assert tags == ["reports:report:generate"]


def test_who_may_know_of_a_report_and_who_may_read_it(
    uow: UowFactory, rw: ReportWorld, settings: Settings
) -> None:
    made = services.generate_report(
        uow(), actor_of(uow, rw, "paula"), quarter(), settings, now=AFTER_Q1
    )
    alice, bob, fred = (actor_of(uow, rw, name) for name in ("alice", "bob", "fred"))
    # Alice's organisation owns it: she knows of it, but reading needs a clearance.
    assert [r.id for r in services.list_reports(uow(), alice)] == [made.id]
    with pytest.raises(PermissionDenied, match="clearance"):
        services.read_report(uow(), alice, made.id, settings)
    # Bob is on the team, but a CAN citizenship is not in REL TO USA, GBR: not found.
    # Fred's laboratory takes no part: not found either, as for an unknown id.
    for outsider in (bob, fred):
        assert services.list_reports(uow(), outsider) == []
        for attempt in (
            services.get_report,
            lambda u, a, i: services.read_report(u, a, i, settings),
        ):
            with pytest.raises(NotFound, match="no report with this id"):
                attempt(uow(), outsider, made.id)
    with pytest.raises(NotFound, match="no report with this id"):
        services.get_report(uow(), alice, uuid.uuid4())
    with pytest.raises(NotFound):  # the artifact's own download path says the same
        content.hand_out(uow(), bob, made.artifact_id, content.content_settings(settings))
    with pytest.raises(PermissionDenied, match="download refused: clearance"):
        content.hand_out(uow(), alice, made.artifact_id, content.content_settings(settings))


def test_a_period_outside_the_project_or_not_yet_past_is_refused_naming_the_field(
    uow: UowFactory, rw: ReportWorld, settings: Settings
) -> None:
    paula = actor_of(uow, rw, "paula")

    def refused(data: ReportIn) -> dict[str, str]:
        with pytest.raises(ValidationFailed) as caught:
            services.generate_report(uow(), paula, data, settings, now=AFTER_Q1)
        return {p.field: p.message for p in caught.value.problems}

    early = refused(quarter(period_start=date(2024, 10, 1)))
    assert set(early) == {"period_start"}
    assert "2025-01-01" in early["period_start"] and "2028-12-31" in early["period_start"]
    assert set(refused(quarter(period_end=date(2025, 12, 1)))) == {"period_end"}  # before start
    assert "after today" in refused(quarter(period_end=date(2026, 4, 30)))["period_end"]
    assert set(refused(quarter(project="NOPE"))) == {"project"}
    with pytest.raises(PermissionDenied, match="organisation:governance:manage"):
        services.generate_report(
            uow(), actor_of(uow, rw, "alice"), quarter(), settings, now=AFTER_Q1
        )
    with uow() as unit:
        assert unit.session.scalar(select(func.count()).select_from(GeneratedReport)) == 0


def test_a_failed_generation_writes_nothing(
    uow: UowFactory, rw: ReportWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = services.record_event  # type: ignore[attr-defined]

    def failing(
        unit: UnitOfWork, actor: Principal, tag: str, *args: object, **kwargs: object
    ) -> None:
        if tag == "reports:report:generate":
            raise RuntimeError("the disk is full")
        real(unit, actor, tag, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "record_event", failing)
    with pytest.raises(RuntimeError):
        services.generate_report(
            uow(), actor_of(uow, rw, "paula"), quarter(), settings, now=AFTER_Q1
        )
    with uow() as unit:
        session = unit.session
        assert session.scalar(select(func.count()).select_from(GeneratedReport)) == 0
        kinds = list(session.scalars(select(Artifact.reference)))
        assert kinds == ["RAD-DOC-1"]
        assert session.scalar(select(func.count()).select_from(ContentVersion)) == 0
    blobs = Path(settings.effective_content_dir)
    assert not blobs.exists() or not [p for p in blobs.rglob("*") if p.is_file()]


def test_a_schedule_reports_each_ended_period_once(
    uow: UowFactory, rw: ReportWorld, settings: Settings, operator: Principal
) -> None:
    paula = actor_of(uow, rw, "paula")
    made = schedules.create_schedule(
        uow(),
        paula,
        ScheduleIn(
            project=PROJECT, frequency=Frequency.QUARTERLY, first_period_start=date(2026, 2, 3)
        ),
        now=AFTER_Q1,
    )
    assert (made.next_period_start, made.next_period_end) == Q1
    with pytest.raises(PermissionDenied, match="node:governance:tick"):
        schedules.generate_due(uow, paula, settings, now=AFTER_Q1)
    first = schedules.generate_due(uow, operator, settings, now=AFTER_Q1)
    assert [r.period for r in first.generated] == ["2026-Q1"]
    assert first.generated[0].schedule_id == made.id
    again = schedules.generate_due(uow, operator, settings, now=AFTER_Q1 + timedelta(days=30))
    assert again.generated == [] and again.failed == []
    later = schedules.generate_due(uow, operator, settings, now=datetime(2026, 10, 2, tzinfo=UTC))
    assert [r.period for r in later.generated] == ["2026-Q2", "2026-Q3"]
    listed = schedules.list_schedules(uow(), paula, project=PROJECT)
    assert [(s.reports, s.next_period_start) for s in listed] == [(3, date(2026, 10, 1))]
    with uow() as unit:
        periods = list(
            unit.session.execute(
                select(GeneratedReport.period_start, func.count())
                .where(GeneratedReport.schedule_id == made.id)
                .group_by(GeneratedReport.period_start)
            )
        )
    assert sorted(periods) == [(date(2026, 1, 1), 1), (date(2026, 4, 1), 1), (date(2026, 7, 1), 1)]
    stopped = schedules.stop_schedule(uow(), paula, made.id)
    assert not stopped.active
    assert (
        schedules.generate_due(
            uow, operator, settings, now=datetime(2027, 2, 1, tzinfo=UTC)
        ).generated
        == []
    )


def test_progress_of_a_project_at_a_day(uow: UowFactory, rw: ReportWorld) -> None:
    found = services.project_progress(uow(), actor_of(uow, rw, "bob"), PROJECT, date(2026, 3, 20))
    assert {m.code: m.state for m in found.milestones} == {
        "M1": "achieved",
        "M2": "planned",
        "M3": "planned",
    }
    assert {d.code: d.state for d in found.deliverables} == {"D1.1": "late", "D2.1": "delivered"}
    assert found.spend is not None and found.spend.total.actual_to_date == Decimal("40000.00")
    with pytest.raises(NotFound):
        services.project_progress(uow(), actor_of(uow, rw, "fred"), PROJECT)
    with pytest.raises(ValidationFailed) as caught:
        services.project_progress(uow(), actor_of(uow, rw, "bob"), PROJECT, date(2024, 5, 1))
    assert caught.value.problems[0].field == "on"


def test_an_agreement_report_covers_its_projects_and_is_held_by_a_party(
    uow: UowFactory, rw: ReportWorld, settings: Settings
) -> None:
    paula = actor_of(uow, rw, "paula")
    data = quarter(scope="agreement", project=None, agreement=AGREEMENT)
    made = services.generate_report(uow(), paula, data, settings, now=AFTER_Q1)
    assert (made.reference, made.project, made.agreement) == (
        "RPT-PA-RADAR-2026-Q1",
        None,
        AGREEMENT,
    )
    assert made.banner == BANNER
    view = services.read_report(uow(), paula, made.id, settings)
    assert view.content.projects == [PROJECT]
    assert [d.body for d in view.content.governance.decisions] == ["PB-RADAR"]  # its boards too
    assert [r.key for r in view.content.progress.spend.rows] == [PROJECT]  # type: ignore[union-attr]
    with uow() as unit:
        artifact = unit.session.get(Artifact, made.artifact_id)
        assert artifact is not None
        # Not one project's: held by the generating person's organisation, a party.
        assert (artifact.project_id, artifact.owner_organisation_id) == (None, rw.base.usa_lab)
    # Only the owner's people pass the engine's agreement rule for an artifact of no project.
    assert services.list_reports(uow(), actor_of(uow, rw, "bob")) == []
    with pytest.raises(ValidationFailed) as caught:
        services.generate_report(
            uow(), paula, data.model_copy(update={"period_start": date(2023, 10, 1)}), settings
        )
    (problem,) = caught.value.problems
    assert problem.field == "period_start" and "2024-01-01 to 2028-12-31" in problem.message


def test_readiness_over_time_is_what_was_recorded_up_to_the_day(
    uow: UowFactory, operator: Principal, rw: ReportWorld
) -> None:
    from coalition.projects.schemas import TrlIn
    from coalition.projects.services import record_trl

    for day, level in ((date(2025, 11, 1), 3), (date(2026, 2, 1), 4), (date(2026, 5, 1), 5)):
        record_trl(
            uow(), operator, rw.project, TrlIn(level=level, assessed_on=day), date(2026, 6, 1)
        )
    found = services.project_progress(uow(), actor_of(uow, rw, "bob"), PROJECT, date(2026, 3, 20))
    [history] = found.trl
    assert [(p.on, p.level) for p in history.points] == [
        (date(2025, 11, 1), 3),
        (date(2026, 2, 1), 4),
    ]
    assert history.note == ""
