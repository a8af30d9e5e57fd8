"""Commands of accounts: the first admin, accounts and their roles."""

from __future__ import annotations

from typing import Annotated

import typer

from coalition.accounts import services
from coalition.accounts.models import AccountStatus
from coalition.accounts.permissions import Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.errors import NotFound

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
PasswordOpt = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="COALITION_NEW_PASSWORD",
        help="Asked for when not given (or from COALITION_NEW_PASSWORD).",
    ),
]


def _account_id(username_or_id: str) -> str:
    for account in services.list_accounts(uow(), operator()):
        if account.username == username_or_id or str(account.id) == username_or_id:
            return str(account.id)
    raise NotFound(f"no account '{username_or_id}'")


def register(app: typer.Typer) -> None:
    admin = typer.Typer(help="Node administration.", no_args_is_help=True)
    accounts = typer.Typer(help="Accounts and their roles.", no_args_is_help=True)
    app.add_typer(admin, name="admin")
    app.add_typer(accounts, name="accounts")

    @admin.command("create")
    def admin_create(
        username: Annotated[str, typer.Option()],
        password: PasswordOpt,
        display_name: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create an account holding node_admin on the whole node."""
        data = build(
            AccountIn,
            username=username,
            display_name=display_name or username,
            password=password,
            grants=[{"role": Role.NODE_ADMIN}],
        )
        emit(services.create_account(uow(), operator(), data), as_json)

    @accounts.command("list")
    def accounts_list(as_json: JsonOpt = False) -> None:
        """List accounts."""
        emit(
            services.list_accounts(uow(), operator()),
            as_json,
            ["id", "username", "display_name", "status", "last_login_at"],
        )

    @accounts.command("create")
    def accounts_create(
        username: Annotated[str, typer.Option()],
        password: PasswordOpt,
        display_name: Annotated[str | None, typer.Option()] = None,
        person: Annotated[
            str | None, typer.Option(help="Person id this account belongs to.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create an account (grant roles with `accounts grant`)."""
        data = build(
            AccountIn,
            username=username,
            display_name=display_name or username,
            password=password,
            person_id=parse_uuid(person, "person") if person else None,
        )
        emit(services.create_account(uow(), operator(), data), as_json)

    @accounts.command("grant")
    def accounts_grant(
        account: Annotated[str, typer.Argument(help="Username or id.")],
        role: Annotated[Role, typer.Option()],
        scope: Annotated[
            ScopeKind, typer.Option(help="node, organisation or project")
        ] = ScopeKind.NODE,
        scope_id: Annotated[str | None, typer.Option(help="Organisation or project id.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Grant a role in a scope."""
        data = build(
            GrantIn,
            role=role,
            scope_kind=scope,
            scope_id=parse_uuid(scope_id, "scope-id") if scope_id else None,
        )
        emit(
            services.grant_role(
                uow(), operator(), parse_uuid(_account_id(account), "account"), data
            ),
            as_json,
        )

    @accounts.command("revoke")
    def accounts_revoke(
        account: Annotated[str, typer.Argument(help="Username or id.")],
        assignment: Annotated[
            str, typer.Option(help="Role assignment id (see `accounts list --json`).")
        ],
        as_json: JsonOpt = False,
    ) -> None:
        """Take a role away."""
        emit(
            services.revoke_role(
                uow(),
                operator(),
                parse_uuid(_account_id(account), "account"),
                parse_uuid(assignment, "assignment"),
            ),
            as_json,
        )

    @accounts.command("status")
    def accounts_status(
        account: Annotated[str, typer.Argument(help="Username or id.")],
        status: Annotated[AccountStatus, typer.Option()],
        as_json: JsonOpt = False,
    ) -> None:
        """Suspend or re-activate an account (ends its sessions)."""
        emit(
            services.set_account_status(
                uow(), operator(), parse_uuid(_account_id(account), "account"), status
            ),
            as_json,
        )
