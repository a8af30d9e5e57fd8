"""`coalition report`: periodic reports, their schedules and the progress of projects from
the command line. Reports are named by id or by their artifact's reference, projects by
code, agreements by reference, people by id or e-mail."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coalition.cli.context import build, console, emit, operator, settings, uow, uow_maker
from coalition.errors import ValidationFailed
from coalition.reports import schedules, services
from coalition.reports.models import Frequency, ReportScope
from coalition.reports.schemas import ProgressOut, ReportIn, ScheduleIn

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ProjectOpt = Annotated[str | None, typer.Option("--project", help="Project code.")]
AgreementOpt = Annotated[str | None, typer.Option("--agreement", help="Agreement reference.")]
COLUMNS = ["reference", "project", "agreement", "period", "banner"]
SCHEDULE_COLUMNS = ["id", "project", "agreement", "frequency", "next_period_start", "active"]


def _day(value: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value else None
    except ValueError:
        raise ValidationFailed.of(option, f"'{value}' is not a day (YYYY-MM-DD)") from None


def _scope(project: str | None, agreement: str | None) -> ReportScope:
    if bool(project) == bool(agreement):
        raise ValidationFailed.of("project", "give --project or --agreement (one of them)")
    return ReportScope.PROJECT if project else ReportScope.AGREEMENT


def _print_progress(found: ProgressOut) -> None:
    s = found.summary
    console.print(
        f"[bold]{found.project}[/bold] {found.title}, at {found.on}: milestones "
        f"{s.milestones_achieved} achieved ({s.milestones_on_time} on time) of "
        f"{s.milestones_due} due, {s.milestones_late} late; deliverables "
        f"{s.deliverables_delivered} delivered of {s.deliverables_due} due, "
        f"{s.deliverables_late} late.",
        highlight=False,
    )
    table = Table("kind", "code", "title", "due", "state")
    for m in found.milestones:
        table.add_row("milestone", m.code, m.title, str(m.due_on), m.state)
    for d in found.deliverables:
        table.add_row("deliverable", f"{d.work_package} {d.code}", d.title, str(d.due_on), d.state)
    console.print(table)
    for t in found.trl:
        console.print(
            f"TRL {t.project}: {t.note}"
            if not t.points
            else f"TRL {t.project}: " + ", ".join(f"{p.on} {p.level}" for p in t.points),
            highlight=False,
        )
    if found.spend is None:
        console.print(found.spend_note or "", highlight=False)
    else:
        total = found.spend.total
        console.print(
            f"Spend in {found.spend.currency}: budget {total.budget}, planned to date "
            f"{total.planned_to_date}, actual to date {total.actual_to_date}, variance "
            f"{total.variance}.",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    from coalition.techdata.cli import person_id

    report = typer.Typer(
        help="Periodic reports of projects and agreements, schedules, progress.",
        no_args_is_help=True,
    )
    app.add_typer(report, name="report")

    @report.command("generate")
    def generate(
        period_start: Annotated[str, typer.Option("--from", help="The first day, YYYY-MM-DD.")],
        period_end: Annotated[str, typer.Option("--to", help="The last day, YYYY-MM-DD.")],
        project: ProjectOpt = None,
        agreement: AgreementOpt = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Also write the PDF here.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Generate the report of a project or an agreement for a period of days past."""
        if output is not None and output.exists():
            raise ValidationFailed.of("output", f"{output} exists; choose another name")
        data = build(
            ReportIn,
            scope=_scope(project, agreement),
            project=project,
            agreement=agreement,
            period_start=period_start,
            period_end=period_end,
        )
        made = services.generate(uow(), operator(), data, settings())
        if output is not None:
            output.write_bytes(made.pdf)
        emit(made.report, as_json)

    @report.command("list")
    def list_(
        project: ProjectOpt = None, agreement: AgreementOpt = None, as_json: JsonOpt = False
    ) -> None:
        """Reports, the latest period first."""
        emit(
            services.list_reports(uow(), operator(), project=project, agreement=agreement),
            as_json,
            COLUMNS,
        )

    @report.command("show")
    def show(
        reference: Annotated[str, typer.Argument(help="The report's id or reference.")],
        for_person: Annotated[
            str | None,
            typer.Option(
                "--for", help="Show what it says, if the engine lets this person read it."
            ),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """One report; with --for, what it says (the engine's read decision is recorded)."""
        report_id = services.report_id_for(uow(), operator(), reference)
        if for_person is None:
            emit(services.get_report(uow(), operator(), report_id), as_json)
            return
        view = services.read_report(
            uow(), operator(), report_id, settings(), person_id(for_person, "for")
        )
        if as_json:
            emit(view, True)
            return
        emit(view.report, False)
        summary = view.content.progress.summary
        console.print(
            f"Milestones {summary.milestones_achieved}/{summary.milestones_due}, "
            f"{summary.milestones_late} late; deliverables "
            f"{summary.deliverables_delivered}/{summary.deliverables_due}, "
            f"{summary.deliverables_late} late; {view.content.risks.live_at_end} live risk(s); "
            f"{len(view.content.governance.decisions)} decision(s); "
            f"{view.content.releases.items} item(s) released.",
            highlight=False,
        )

    @report.command("schedule")
    def schedule(
        project: ProjectOpt = None,
        agreement: AgreementOpt = None,
        every: Annotated[Frequency, typer.Option("--every")] = Frequency.QUARTERLY,
        first: Annotated[
            str | None, typer.Option("--from", help="A day in the first period; default today.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Report on a project or an agreement every month, quarter or year."""
        data = build(
            ScheduleIn,
            scope=_scope(project, agreement),
            project=project,
            agreement=agreement,
            frequency=every,
            first_period_start=first,
        )
        emit(schedules.create_schedule(uow(), operator(), data), as_json)

    @report.command("schedules")
    def schedules_(
        project: ProjectOpt = None, agreement: AgreementOpt = None, as_json: JsonOpt = False
    ) -> None:
        """The schedules, with the next period each owes."""
        found = schedules.list_schedules(uow(), operator(), project=project, agreement=agreement)
        emit(found, as_json, SCHEDULE_COLUMNS)

    @report.command("unschedule")
    def unschedule(
        schedule_id: Annotated[str, typer.Argument(help="The schedule's id.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Stop a schedule; the reports it made stay."""
        from coalition.cli.context import parse_uuid

        emit(
            schedules.stop_schedule(uow(), operator(), parse_uuid(schedule_id, "schedule")), as_json
        )

    @report.command("run-due")
    def run_due(as_json: JsonOpt = False) -> None:
        """Generate every scheduled report whose period has ended, each period once."""
        done = schedules.generate_due(uow_maker(), operator(), settings())
        if as_json:
            emit(done, True)
            return
        for made in done.generated:
            console.print(f"generated {made.reference} ({made.banner})", highlight=False)
        for failed in done.failed:
            console.print(
                f"failed {failed.schedule_id} {failed.period_start} to {failed.period_end}: "
                f"{failed.reason}",
                highlight=False,
            )
        for stopped in done.completed:
            console.print(f"completed schedule {stopped}", highlight=False)
        if not (done.generated or done.failed or done.completed):
            console.print("nothing due")

    @report.command("progress")
    def progress(
        project: Annotated[str, typer.Argument(help="The project's code.")],
        on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """A project's milestones and deliverables against plan, readiness and spend."""
        found = services.project_progress(uow(), operator(), project, _day(on, "on"))
        if as_json:
            emit(found, True)
        else:
            _print_progress(found)
