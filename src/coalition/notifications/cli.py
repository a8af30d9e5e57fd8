"""`coalition notifications`: the mail outbox, for the node's operator. `coalition
notifications send` is meant for a scheduler when the web process does not send mail
itself (it does, every 30 seconds, when COALITION_SMTP_HOST is set)."""

from __future__ import annotations

from typing import Annotated

import typer

from coalition.cli.context import emit, settings, uow_maker


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Notification e-mail.", no_args_is_help=True)
    app.add_typer(group, name="notifications")

    @group.command("send")
    def send(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        """Send the e-mails waiting in the outbox (retrying failed ones when their time
        comes)."""
        from coalition.notifications.mail import send_due

        current = settings()
        if not current.smtp_host:
            typer.echo("COALITION_SMTP_HOST is not set: this node sends no e-mail", err=True)
            raise typer.Exit(1)
        emit(send_due(uow_maker(), current), as_json)
