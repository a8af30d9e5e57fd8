"""`coalition risks`: the risk register from the command line. Risks are named by
reference, projects and work packages by code, people by id or e-mail."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coalition.cli.context import build, console, emit, operator, settings, uow
from coalition.risks import charts, rules, services
from coalition.risks.models import RiskCategory, RiskStatus
from coalition.risks.schemas import AssessmentIn, HeatMapOut, ReassignIn, RiskIn

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Text = Annotated[str | None, typer.Option()]
Rating = Annotated[int, typer.Option(min=1, max=5, help="1 to 5.")]
COLUMNS = [
    "reference",
    "project",
    "work_package",
    "title",
    "score",
    "band",
    "trend",
    "status",
    "owner",
]


def _print_heat_map(heat: HeatMapOut) -> None:
    table = Table("likelihood \\ impact", *(str(i) for i in rules.RATINGS), title=None)
    for likelihood in reversed(rules.RATINGS):
        row = [c for c in heat.cells if c.likelihood == likelihood]
        table.add_row(str(likelihood), *(f"{c.count} {c.band[0].upper()}" for c in row))
    console.print(table)
    console.print(charts.heat_map_text(heat), highlight=False)


def register(app: typer.Typer) -> None:
    from coalition.techdata.cli import person_id

    risks = typer.Typer(help="The risk register of projects.", no_args_is_help=True)
    app.add_typer(risks, name="risks")

    def _found(reference: str) -> uuid.UUID:
        return services.risk_id_for(uow(), operator(), reference)

    @risks.command("list")
    def list_(
        project: Annotated[str | None, typer.Option(help="Project code.")] = None,
        work_package: Annotated[str | None, typer.Option(help="Work package code.")] = None,
        status: Annotated[RiskStatus | None, typer.Option()] = None,
        live: Annotated[bool, typer.Option("--live", help="Leave closed risks out.")] = False,
        min_score: Annotated[int | None, typer.Option(min=1, max=25)] = None,
        owner: Annotated[str | None, typer.Option(help="Person id or e-mail.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Risks, highest score first, with their band, trend and owner."""
        emit(
            services.list_risks(
                uow(),
                operator(),
                project=project,
                work_package=work_package,
                status=status,
                live=live,
                min_score=min_score,
                owner_id=person_id(owner, "owner") if owner else None,
            ),
            as_json,
            COLUMNS,
        )

    @risks.command("show")
    def show(reference: str, as_json: JsonOpt = False) -> None:
        """One risk with its history of assessments."""
        emit(services.get_risk(uow(), operator(), _found(reference)), as_json)

    @risks.command("raise")
    def raise_(
        reference: Annotated[str, typer.Option()],
        project: Annotated[str, typer.Option(help="Project code.")],
        title: Annotated[str, typer.Option()],
        category: Annotated[RiskCategory, typer.Option()],
        likelihood: Rating,
        impact: Rating,
        owner: Annotated[str, typer.Option(help="Person id or e-mail.")],
        work_package: Annotated[str | None, typer.Option(help="Work package code.")] = None,
        description: Text = None,
        mitigation: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Raise a risk of a project; its owner is told."""
        data = build(
            RiskIn,
            reference=reference,
            project=project,
            work_package=work_package,
            title=title,
            description=description,
            category=category,
            likelihood=likelihood,
            impact=impact,
            owner_id=person_id(owner, "owner"),
            mitigation=mitigation,
        )
        emit(services.raise_risk(uow(), operator(), data, settings()), as_json)

    @risks.command("assess")
    def assess(
        reference: str,
        likelihood: Rating,
        impact: Rating,
        status: Annotated[RiskStatus, typer.Option()],
        mitigation: Text = None,
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record an assessment of a risk: likelihood, impact and status as of today."""
        data = build(
            AssessmentIn,
            likelihood=likelihood,
            impact=impact,
            status=status,
            mitigation=mitigation,
            note=note,
        )
        emit(
            services.assess_risk(uow(), operator(), _found(reference), data, settings()),
            as_json,
        )

    @risks.command("reassign")
    def reassign(
        reference: str,
        owner: Annotated[str, typer.Option(help="Person id or e-mail.")],
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Hand a risk to another owner, who is told."""
        data = build(ReassignIn, owner_id=person_id(owner, "owner"), note=note)
        emit(
            services.reassign_risk(uow(), operator(), _found(reference), data, settings()),
            as_json,
        )

    @risks.command("heat-map")
    def heat_map(
        project: Annotated[str | None, typer.Option(help="Project code; default all.")] = None,
        work_package: Annotated[str | None, typer.Option(help="Work package code.")] = None,
        svg: Annotated[
            Path | None, typer.Option(help="Also write the heat map as an SVG file.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """How many live risks sit at each likelihood and impact."""
        found = services.heat_map(uow(), operator(), project, work_package=work_package)
        if svg is not None:
            svg.write_text(charts.heat_map_chart(found), encoding="utf-8")
        if as_json:
            emit(found, True)
        else:
            _print_heat_map(found)
