"""`coalition discussions`: threads and their messages from the command line. The CLI acts
as the node's operator, who sees every thread and message; a message is written by a
person, named with `--as` (the operator posts for them, decided as them, and the record
says so). Threads and messages are named by id."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, settings, uow
from coalition.common.paging import PageRequest
from coalition.discussions import services
from coalition.discussions.models import SubjectKind
from coalition.discussions.schemas import MessageIn, ThreadFilters, ThreadIn

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOpt = Annotated[str, typer.Option("--as", help="The author: a person's e-mail address or id.")]
Scheme = Annotated[str | None, typer.Option(help="The label's scheme, e.g. USA.")]
Originator = Annotated[str | None, typer.Option(help="The originating nation, e.g. USA.")]
Banner = Annotated[
    str | None, typer.Option(help="The label as a banner, e.g. 'SECRET//REL TO USA, GBR'.")
]
Classification = Annotated[str | None, typer.Option(help="The classification (without --banner).")]
Rel = Annotated[list[str] | None, typer.Option("--rel", help="Repeat: releasable to.")]
Noforn = Annotated[bool, typer.Option(help="Not releasable to foreign nationals.")]
Caveat = Annotated[list[str] | None, typer.Option("--caveat", help="Repeat: a caveat.")]
Attach = Annotated[
    list[str] | None, typer.Option("--attach", help="Repeat: an artifact reference.")
]
Mention = Annotated[list[str] | None, typer.Option("--mention", help="Repeat: an e-mail address.")]
COLUMNS = [
    "id",
    "title",
    "banner",
    "subject_kind",
    "subject",
    "project_code",
    "message_count",
    "last_message_at",
]


def _label(
    scheme: str | None,
    originator: str | None,
    banner: str | None,
    classification: str | None,
    rel: list[str] | None,
    noforn: bool,
    caveats: list[str] | None,
) -> dict[str, Any] | None:
    if banner is None and classification is None:
        return None
    label: dict[str, Any] = {
        "scheme": (scheme or "").upper(),
        "originator": (originator or "").upper(),
    }
    if banner is not None:
        label["banner"] = banner
    else:
        label |= {
            "classification": classification,
            "releasable_to": [c.upper() for c in rel or []],
            "noforn": noforn,
            "caveats": [c.upper() for c in caveats or []],
        }
    return label


def register(app: typer.Typer) -> None:
    from coalition.techdata.cli import person_id

    discussions = typer.Typer(
        help="Threaded discussions with labelled messages.", no_args_is_help=True
    )
    app.add_typer(discussions, name="discussions")

    @discussions.command("list")
    def list_(
        project: Annotated[str | None, typer.Option(help="Project code.")] = None,
        subject_kind: Annotated[SubjectKind | None, typer.Option()] = None,
        subject_id: Annotated[str | None, typer.Option(help="The subject's id.")] = None,
        limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
        offset: Annotated[int, typer.Option(min=0)] = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """Threads, newest first, with their message counts."""
        filters = ThreadFilters(
            project=project,
            subject_kind=subject_kind,
            subject_id=parse_uuid(subject_id, "subject-id") if subject_id else None,
        )
        page = services.list_threads(
            uow(), operator(), filters, PageRequest(limit=limit, offset=offset)
        )
        emit(page, as_json, COLUMNS)

    @discussions.command("show")
    def show(thread: str, as_json: JsonOpt = False) -> None:
        """One thread with its messages, replies under what they answer."""
        found = services.get_thread(uow(), operator(), parse_uuid(thread, "thread"))
        if as_json:
            emit(found, True)
            return
        typer.echo(f"{found.banner}\n{found.title} ({found.subject_kind} {found.subject or ''})")
        for message in found.messages:
            indent = "  " * message.depth
            typer.echo(f"\n{indent}{message.label.banner}")
            typer.echo(f"{indent}{message.id} {message.author} ({message.author_organisation})")
            for line in message.body.splitlines():
                typer.echo(f"{indent}{line}")

    @discussions.command("start")
    def start(
        author: AsOpt,
        subject_kind: Annotated[SubjectKind, typer.Option()],
        title: Annotated[str, typer.Option()],
        project: Annotated[str | None, typer.Option(help="Project code.")] = None,
        work_package: Annotated[str | None, typer.Option(help="Work package code.")] = None,
        reference: Annotated[
            str | None, typer.Option(help="Artifact, motion, risk or dispute reference.")
        ] = None,
        scheme: Scheme = None,
        originator: Originator = None,
        banner: Banner = None,
        classification: Classification = None,
        rel: Rel = None,
        noforn: Noforn = False,
        caveat: Caveat = None,
        body: Annotated[str | None, typer.Option(help="An opening message.")] = None,
        attach: Attach = None,
        mention: Mention = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Start a thread on a subject at a label, for a person on the project's team."""
        data = build(
            ThreadIn,
            subject_kind=subject_kind,
            project=project,
            work_package=work_package,
            reference=reference,
            title=title,
            label=_label(scheme, originator, banner, classification, rel, noforn, caveat),
            body=body,
            attachments=attach,
            mentions=mention,
        )
        emit(
            services.start_thread(
                uow(), operator(), data, settings(), author_id=person_id(author, "as")
            ),
            as_json,
        )

    @discussions.command("post")
    def post(
        thread: str,
        author: AsOpt,
        body: Annotated[str, typer.Option()],
        reply_to: Annotated[
            str | None, typer.Option(help="The id of the message answered.")
        ] = None,
        scheme: Scheme = None,
        originator: Originator = None,
        banner: Banner = None,
        classification: Classification = None,
        rel: Rel = None,
        noforn: Noforn = False,
        caveat: Caveat = None,
        attach: Attach = None,
        mention: Mention = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Post a message for a person; without a label it takes the thread's."""
        data = build(
            MessageIn,
            body=body,
            parent_id=parse_uuid(reply_to, "reply-to") if reply_to else None,
            label=_label(scheme, originator, banner, classification, rel, noforn, caveat),
            attachments=attach,
            mentions=mention,
        )
        emit(
            services.post_message(
                uow(),
                operator(),
                parse_uuid(thread, "thread"),
                data,
                settings(),
                author_id=person_id(author, "as"),
            ),
            as_json,
        )

    @discussions.command("export")
    def export(
        thread: str,
        format: Annotated[str, typer.Option(help="text or json.")] = "text",
        output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    ) -> None:
        """The thread for the record, each message under its banner (recorded)."""
        if format not in ("text", "json"):
            typer.echo("error: format: text or json", err=True)
            raise typer.Exit(1)
        exported = services.export_thread(uow(), operator(), parse_uuid(thread, "thread"))
        text = exported.text if format == "text" else exported.model_dump_json(indent=2) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            typer.echo(
                f"{len(exported.messages)} message(s) at {exported.highest_banner}: {output}"
            )
