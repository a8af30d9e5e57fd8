"""`coalition sso`: the nations' identity providers for single sign-on and the links
between their subjects and accounts, from the node's shell. Option names are the API's
field names, so an error names the option to fix."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, settings, uow
from coalition.identity import services
from coalition.identity.schemas import LinkIn, ProviderIn, ProviderPatch

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
COLUMNS = ["key", "nation_code", "display_name", "issuer", "may_assert", "enabled"]
LINK_COLUMNS = ["subject", "account", "account_display_name", "linked_at", "last_sign_in_at"]


class Attribute(enum.StrEnum):
    CITIZENSHIP = "citizenship"
    CLEARANCE = "clearance"


Text = Annotated[str | None, typer.Option()]
Scopes = Annotated[
    list[str] | None,
    typer.Option("--scope", help="A scope to ask for; repeat it. Default: openid profile."),
]
MayAssert = Annotated[
    list[Attribute] | None,
    typer.Option(
        "--may-assert",
        help="An attribute the provider may assert (its own nation's citizenship, its own "
        "nationals' clearances); repeat it.",
    ),
]
SECRET_FILE_HELP = (
    "The file holding the client secret (mode 0600) in the SSO secrets folder; a relative "  # noqa: S105  (help text, not a secret)
    "path is taken from that folder."
)
SecretFile = Annotated[str | None, typer.Option(help=SECRET_FILE_HELP)]
Key = Annotated[str, typer.Argument(help="The provider's key, e.g. gbr.")]
Subject = Annotated[
    str,
    typer.Option(help="The provider's subject ('sub'), as the refused sign-in showed it."),
]


def register(app: typer.Typer) -> None:
    sso = typer.Typer(
        help="Single sign-on with the nations' identity providers.", no_args_is_help=True
    )
    providers = typer.Typer(help="Identity providers (OpenID Connect).", no_args_is_help=True)
    app.add_typer(sso, name="sso")
    sso.add_typer(providers, name="providers")

    @providers.command("list")
    def list_(as_json: JsonOpt = False) -> None:
        """The identity providers, enabled or not."""
        emit(services.list_providers(uow(), operator()), as_json, COLUMNS)

    @providers.command("add")
    def add(
        key: Annotated[str, typer.Option(help="Short name in the sign-in address, e.g. gbr.")],
        nation_code: Annotated[str, typer.Option(help="The nation whose provider it is.")],
        display_name: Annotated[str, typer.Option(help='Shown as "Sign in with ...".')],
        issuer: Annotated[str, typer.Option(help="Issuer URL; https except on loopback.")],
        client_id: Annotated[str, typer.Option()],
        client_secret_file: Annotated[str, typer.Option(help=SECRET_FILE_HELP)],
        scope: Scopes = None,
        account_claim: Annotated[
            str | None, typer.Option(help="Claim naming the account; default preferred_username.")
        ] = None,
        may_assert: MayAssert = None,
        citizenship_claim: Annotated[str | None, typer.Option(help="Default: nationality.")] = None,
        clearance_claim: Annotated[str | None, typer.Option(help="Default: clearance.")] = None,
        disabled: Annotated[
            bool, typer.Option("--disabled", help="Add it without offering it yet.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a nation's OpenID Connect provider."""
        data = build(
            ProviderIn,
            key=key,
            nation_code=nation_code,
            display_name=display_name,
            issuer=issuer,
            client_id=client_id,
            client_secret_file=client_secret_file,
            scopes=scope,
            account_claim=account_claim,
            may_assert=[str(a) for a in may_assert] if may_assert is not None else None,
            citizenship_claim=citizenship_claim,
            clearance_claim=clearance_claim,
            enabled=not disabled,
        )
        emit(services.create_provider(uow(), operator(), data, settings()), as_json)

    @providers.command("update")
    def update(
        key: str,
        display_name: Text = None,
        issuer: Text = None,
        client_id: Text = None,
        client_secret_file: SecretFile = None,
        scope: Scopes = None,
        account_claim: Text = None,
        may_assert: MayAssert = None,
        assert_nothing: Annotated[
            bool, typer.Option("--assert-nothing", help="Trust it with no attribute at all.")
        ] = False,
        citizenship_claim: Text = None,
        clearance_claim: Text = None,
        enabled: Annotated[
            bool | None, typer.Option("--enable/--disable", help="Offer it, or stop it.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a provider; options left out stay as they are."""
        asserted = [str(a) for a in may_assert] if may_assert is not None else None
        values = {
            "display_name": display_name,
            "issuer": issuer,
            "client_id": client_id,
            "client_secret_file": client_secret_file,
            "scopes": scope,
            "account_claim": account_claim,
            "may_assert": asserted,
            "citizenship_claim": citizenship_claim,
            "clearance_claim": clearance_claim,
            "enabled": enabled,
        }
        data = build(ProviderPatch, **values)
        if assert_nothing:
            # build() leaves empty lists unset; an explicit "nothing" must still be sent.
            data.may_assert = []
        emit(services.update_provider(uow(), operator(), key, data, settings()), as_json)

    @providers.command("disable")
    def disable(key: str, as_json: JsonOpt = False) -> None:
        """Stop every sign-in through a provider; its links to accounts are kept."""
        emit(services.disable_provider(uow(), operator(), key), as_json)

    @sso.command("links")
    def links(key: Key, as_json: JsonOpt = False) -> None:
        """The provider's subjects linked to accounts."""
        emit(services.list_links(uow(), operator(), key), as_json, LINK_COLUMNS)

    @sso.command("link")
    def link(
        key: Key,
        subject: Subject,
        account: Annotated[str, typer.Option(help="The username of the account to link.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Link a provider's subject to an account: it then signs in as that account."""
        data = build(LinkIn, subject=subject, account=account)
        emit(services.link_identity(uow(), operator(), key, data), as_json)

    @sso.command("unlink")
    def unlink(key: Key, subject: Subject) -> None:
        """Remove a link: the subject no longer signs in here."""
        services.unlink_identity(uow(), operator(), key, subject)
        typer.echo(f"subject {subject} of {key} unlinked")
