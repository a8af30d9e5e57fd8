"""Commands of projects."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.common.paging import PageRequest
from coalition.errors import ValidationFailed
from coalition.projects import services
from coalition.projects.models import (
    DeliverableStatus,
    MemberRole,
    MilestoneStatus,
    ParticipantRole,
    ProjectStatus,
)
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableUpdate,
    MemberIn,
    MemberUpdate,
    MilestoneIn,
    MilestoneUpdate,
    ParticipantIn,
    ParticipantUpdate,
    ProjectIn,
    ProjectUpdate,
    TrlIn,
    WithdrawIn,
    WorkPackageIn,
    WorkPackageUpdate,
)
from coalition.registry.cli import organisation_id
from coalition.registry.schemas import Patch

P = TypeVar("P", bound=Patch)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
COLUMNS = ["id", "code", "status", "agreement.reference", "start_on", "end_on", "title"]


def register(app: typer.Typer) -> None:
    projects = typer.Typer(help="Projects, their teams and plans.", no_args_is_help=True)
    app.add_typer(projects, name="projects")

    @projects.command("list")
    def projects_list(
        q: Annotated[str | None, typer.Option(help="Search code and title.")] = None,
        agreement: Annotated[str | None, typer.Option(help="Agreement id.")] = None,
        status: Annotated[ProjectStatus | None, typer.Option()] = None,
        organisation: Annotated[
            str | None, typer.Option(help="Participant id or short name.")
        ] = None,
        limit: int = 50,
        offset: int = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """List projects."""
        page = build(PageRequest, limit=limit, offset=offset)
        emit(
            services.list_projects(
                uow(),
                operator(),
                page,
                q=q,
                status=status,
                agreement_id=parse_uuid(agreement, "agreement") if agreement else None,
                organisation_id=organisation_id(organisation) if organisation else None,
            ),
            as_json,
            COLUMNS,
        )

    @projects.command("show")
    def projects_show(project: str, as_json: JsonOpt = False) -> None:
        """Show a project with team and plan."""
        emit(services.get_project(uow(), operator(), parse_uuid(project, "project")), as_json)

    @projects.command("create")
    def projects_create(
        code: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        agreement: Annotated[str, typer.Option(help="Agreement id.")],
        lead: Annotated[str, typer.Option(help="Lead organisation id or short name.")],
        start_on: Annotated[str, typer.Option("--start", help="YYYY-MM-DD")],
        end_on: Annotated[str | None, typer.Option("--end", help="YYYY-MM-DD")] = None,
        ceiling: Annotated[int, typer.Option(help="Classification ceiling, 0-4.")] = 0,
        description: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Set up a project under an agreement."""
        data = build(
            ProjectIn,
            code=code,
            title=title,
            agreement_id=parse_uuid(agreement, "agreement"),
            lead_organisation_id=organisation_id(lead, "lead"),
            start_on=start_on,
            end_on=end_on,
            classification_ceiling=ceiling,
            description=description,
        )
        emit(services.create_project(uow(), operator(), data), as_json)

    @projects.command("update")
    def projects_update(
        project: str,
        title: Annotated[str | None, typer.Option()] = None,
        start_on: Annotated[str | None, typer.Option("--start")] = None,
        end_on: Annotated[str | None, typer.Option("--end")] = None,
        ceiling: Annotated[int | None, typer.Option()] = None,
        status: Annotated[ProjectStatus | None, typer.Option()] = None,
        description: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a project (e.g. --status active)."""
        data = build(
            ProjectUpdate,
            title=title,
            start_on=start_on,
            end_on=end_on,
            classification_ceiling=ceiling,
            status=status,
            description=description,
        )
        emit(
            services.update_project(uow(), operator(), parse_uuid(project, "project"), data),
            as_json,
        )

    @projects.command("add-participant")
    def add_participant(
        project: str,
        organisation: Annotated[str, typer.Option(help="Id or short name.")],
        role: Annotated[ParticipantRole, typer.Option()],
        joined_on: Annotated[str, typer.Option("--joined", help="YYYY-MM-DD")],
        as_json: JsonOpt = False,
    ) -> None:
        """Add a participating organisation."""
        data = build(
            ParticipantIn,
            organisation_id=organisation_id(organisation),
            role=role,
            joined_on=joined_on,
        )
        emit(
            services.add_participant(uow(), operator(), parse_uuid(project, "project"), data),
            as_json,
        )

    @projects.command("update-participant")
    def update_participant(
        participant: str,
        role: Annotated[ParticipantRole | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a participant's role (e.g. --role lead)."""
        data = build(ParticipantUpdate, role=role)
        emit(
            services.update_participant(
                uow(), operator(), parse_uuid(participant, "participant"), data
            ),
            as_json,
        )

    @projects.command("withdraw")
    def withdraw(
        participant: str,
        withdrew_on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
        as_json: JsonOpt = False,
    ) -> None:
        """Record that a participant withdrew."""
        data = build(WithdrawIn, withdrew_on=withdrew_on)
        emit(
            services.withdraw_participant(
                uow(), operator(), parse_uuid(participant, "participant"), data
            ),
            as_json,
        )

    @projects.command("add-member")
    def add_member(
        project: str,
        person: Annotated[str, typer.Option(help="Person id.")],
        role: Annotated[MemberRole, typer.Option()],
        joined_on: Annotated[str, typer.Option("--joined", help="YYYY-MM-DD")],
        left_on: Annotated[str | None, typer.Option("--left")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a person to the project team."""
        data = build(
            MemberIn,
            person_id=parse_uuid(person, "person"),
            role=role,
            joined_on=joined_on,
            left_on=left_on,
        )
        emit(services.add_member(uow(), operator(), parse_uuid(project, "project"), data), as_json)

    @projects.command("update-member")
    def update_member(
        member: str,
        role: Annotated[MemberRole | None, typer.Option()] = None,
        left_on: Annotated[str | None, typer.Option("--left", help="YYYY-MM-DD")] = None,
        clear_left: Annotated[
            bool, typer.Option("--clear-left", help="The person is on the team again.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a member's role, or the date they left the team."""
        data = build(MemberUpdate, role=role, left_on=left_on)
        if clear_left:
            data = _cleared(data, "left_on", given=left_on, option="clear-left")
        emit(services.update_member(uow(), operator(), parse_uuid(member, "member"), data), as_json)

    @projects.command("add-work-package")
    def add_work_package(
        project: str,
        code: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        lead: Annotated[str, typer.Option(help="Lead organisation id or short name.")],
        description: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a work package."""
        data = build(
            WorkPackageIn,
            code=code,
            title=title,
            lead_organisation_id=organisation_id(lead, "lead"),
            description=description,
        )
        emit(
            services.add_work_package(uow(), operator(), parse_uuid(project, "project"), data),
            as_json,
        )

    @projects.command("update-work-package")
    def update_work_package(
        work_package: str,
        title: Annotated[str | None, typer.Option()] = None,
        lead: Annotated[str | None, typer.Option(help="New lead: id or short name.")] = None,
        description: Annotated[str | None, typer.Option()] = None,
        clear_description: Annotated[bool, typer.Option("--clear-description")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a work package's title, lead organisation or description."""
        data = build(
            WorkPackageUpdate,
            title=title,
            lead_organisation_id=organisation_id(lead, "lead") if lead else None,
            description=description,
        )
        if clear_description:
            data = _cleared(data, "description", given=description, option="clear-description")
        emit(
            services.update_work_package(
                uow(), operator(), parse_uuid(work_package, "work-package"), data
            ),
            as_json,
        )

    @projects.command("add-deliverable")
    def add_deliverable(
        work_package: str,
        code: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        due_on: Annotated[str, typer.Option("--due", help="YYYY-MM-DD")],
        as_json: JsonOpt = False,
    ) -> None:
        """Add a deliverable to a work package."""
        data = build(DeliverableIn, code=code, title=title, due_on=due_on)
        emit(
            services.add_deliverable(
                uow(), operator(), parse_uuid(work_package, "work-package"), data
            ),
            as_json,
        )

    @projects.command("update-deliverable")
    def update_deliverable(
        deliverable: str,
        status: Annotated[DeliverableStatus | None, typer.Option()] = None,
        due_on: Annotated[str | None, typer.Option("--due")] = None,
        title: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a deliverable."""
        data = build(DeliverableUpdate, status=status, due_on=due_on, title=title)
        emit(
            services.update_deliverable(
                uow(), operator(), parse_uuid(deliverable, "deliverable"), data
            ),
            as_json,
        )

    @projects.command("add-milestone")
    def add_milestone(
        project: str,
        code: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        due_on: Annotated[str, typer.Option("--due", help="YYYY-MM-DD")],
        as_json: JsonOpt = False,
    ) -> None:
        """Add a milestone."""
        data = build(MilestoneIn, code=code, title=title, due_on=due_on)
        emit(
            services.add_milestone(uow(), operator(), parse_uuid(project, "project"), data), as_json
        )

    @projects.command("record-trl")
    def record_trl(
        project: str,
        level: Annotated[int, typer.Option(help="Technology readiness level, 1 to 9.")],
        assessed_on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD, the assessment's day.")],
        note: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record the project's technology readiness level as assessed on a day."""
        data = build(TrlIn, level=level, assessed_on=assessed_on, note=note)
        emit(services.record_trl(uow(), operator(), parse_uuid(project, "project"), data), as_json)

    @projects.command("trl")
    def list_trl(project: str, as_json: JsonOpt = False) -> None:
        """The project's readiness levels as assessed, oldest first."""
        emit(
            services.list_trl(uow(), operator(), parse_uuid(project, "project")),
            as_json,
            ["assessed_on", "level", "note", "recorded_by"],
        )

    @projects.command("update-milestone")
    def update_milestone(
        milestone: str,
        status: Annotated[MilestoneStatus | None, typer.Option()] = None,
        achieved_on: Annotated[str | None, typer.Option("--achieved", help="YYYY-MM-DD")] = None,
        due_on: Annotated[str | None, typer.Option("--due")] = None,
        title: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a milestone (e.g. --status achieved --achieved 2026-05-01)."""
        data = build(
            MilestoneUpdate, status=status, achieved_on=achieved_on, due_on=due_on, title=title
        )
        emit(
            services.update_milestone(uow(), operator(), parse_uuid(milestone, "milestone"), data),
            as_json,
        )


def _cleared(data: P, field: str, *, given: object, option: str) -> P:
    """The update with ``field`` sent as null, which clears it."""
    if given is not None:
        raise ValidationFailed.of(option, f"give either --{option} or a new value, not both")
    return data.model_validate({**data.model_dump(exclude_unset=True), field: None})
