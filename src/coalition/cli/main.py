"""Entry point: `coalition ...` (also `python -m coalition`)."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from typer.exceptions import TyperException

from coalition.cli import context
from coalition.errors import CoalitionError, ValidationFailed

app = typer.Typer(
    help="Coalition: agreements, projects and release decisions for allied defence labs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: Exit codes, documented in docs/cli.md.
EXIT_CODES = {400: 1, 422: 1, 401: 5, 403: 5, 404: 3, 409: 4}


def _register() -> None:
    from coalition.accounts import cli as accounts_cli
    from coalition.agreements import cli as agreements_cli
    from coalition.cli import node
    from coalition.content import cli as content_cli
    from coalition.discussions import cli as discussions_cli
    from coalition.disputes import cli as disputes_cli
    from coalition.exchange import cli as exchange_cli
    from coalition.expertise import cli as expertise_cli
    from coalition.facilities import cli as facilities_cli
    from coalition.federation import cli as federation_cli
    from coalition.funding import cli as funding_cli
    from coalition.governance import cli as governance_cli
    from coalition.identity import cli as identity_cli
    from coalition.ip import cli as ip_cli
    from coalition.ledger import cli as ledger_cli
    from coalition.notifications import cli as notifications_cli
    from coalition.policy import cli as policy_cli
    from coalition.projects import cli as projects_cli
    from coalition.registry import cli as registry_cli
    from coalition.registry import people_cli
    from coalition.releases import cli as releases_cli
    from coalition.reports import cli as reports_cli
    from coalition.risks import cli as risks_cli
    from coalition.techdata import cli as techdata_cli
    from coalition.visits import cli as visits_cli

    node.register(app)
    registry_cli.register(app)
    people_cli.register(app)
    agreements_cli.register(app)
    projects_cli.register(app)
    accounts_cli.register(app)
    identity_cli.register(app)
    policy_cli.register(app)
    techdata_cli.register(app)
    ip_cli.register(app)
    funding_cli.register(app)
    facilities_cli.register(app)
    facilities_cli.register_bookings(app)
    visits_cli.register(app)
    expertise_cli.register(app)
    governance_cli.register(app)
    risks_cli.register(app)
    disputes_cli.register(app)
    notifications_cli.register(app)
    reports_cli.register(app)
    discussions_cli.register(app)
    content_cli.register(app)
    exchange_cli.register(app)
    federation_cli.register(app)
    releases_cli.register(app)
    ledger_cli.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        # Without standalone mode, Click returns (not raises) the code of `typer.Exit`.
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ValidationError as exc:
        # Raised while reading COALITION_* settings: name the variable, not a traceback.
        for error in exc.errors():
            name = "COALITION_" + "_".join(str(p) for p in error["loc"]).upper()
            typer.echo(f"error: setting {name}: {error['msg']}", err=True)
        sys.exit(1)
    except ValidationFailed as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem.field}: {problem.message}", err=True)
        sys.exit(EXIT_CODES[exc.status])
    except CoalitionError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        sys.exit(EXIT_CODES.get(exc.status, 1))
    except OperationalError as exc:
        # A data folder never set up (or one older than this release): say what to run.
        text = str(exc.orig).lower()
        if "no such table" not in text and "does not exist" not in text:
            raise
        typer.echo(
            "error: the database has no tables for this command: run `coalition db upgrade`",
            err=True,
        )
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except TyperException as exc:
        # Usage errors (missing or malformed options) carry their own text and exit code 2.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)


__all__ = ["app", "context", "main"]
