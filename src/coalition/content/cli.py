"""Commands of artifact content (docs/cli.md, "Content"). The node's operator acts for a
named person: the engine decides for that person, and the decision is recorded with both
names."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from coalition.cli.context import emit, operator, parse_uuid, settings, uow, uow_maker
from coalition.content import services
from coalition.errors import ValidationFailed
from coalition.policy.facts import Action
from coalition.techdata.cli import person_id

ForPerson = Annotated[
    str, typer.Option("--for", help="The person (id or e-mail) the engine decides for.")
]
READ_SIZE = 1 << 20


def _chunks(path: Path) -> Iterator[bytes]:
    try:
        file = path.open("rb")
    except OSError as exc:
        raise ValidationFailed.of("file", f"cannot be read ({exc})") from exc
    with file:
        while chunk := file.read(READ_SIZE):
            yield chunk


def register(app: typer.Typer) -> None:
    content = typer.Typer(
        help="Artifact content: versions, upload, download.", no_args_is_help=True
    )
    app.add_typer(content, name="content")

    @content.command("upload")
    def upload(
        artifact: str,
        file: Path,
        for_person: ForPerson,
        filename: Annotated[
            str | None, typer.Option(help="The name to keep; default: the file's.")
        ] = None,
        comment: Annotated[str | None, typer.Option(help="What changed.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Upload FILE as the artifact's next version, sealed at rest."""
        config = settings()
        version = services.upload(
            uow_maker(),
            operator(),
            parse_uuid(artifact, "artifact"),
            filename or file.name,
            _chunks(file),
            services.content_settings(config),
            comment=comment,
            for_person=person_id(for_person, "for"),
        )
        emit(version, as_json)

    @content.command("versions")
    def versions(
        artifact: str,
        for_person: ForPerson,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The artifact's versions, newest first."""
        found = services.list_versions(
            uow(), operator(), parse_uuid(artifact, "artifact"), person_id(for_person, "for")
        )
        emit(found, as_json, ["number", "filename", "content_type", "size", "sha256", "created_at"])

    @content.command("download")
    def download(
        artifact: str,
        for_person: ForPerson,
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Where to write it ('-': standard output).")
        ],
        version: Annotated[int | None, typer.Option(min=1, help="Default: the latest.")] = None,
    ) -> None:
        """Write the content, marked (banners, or zipped with its label), if the engine
        permits the person to download it; the decision is recorded either way."""
        config = settings()
        handout = services.hand_out(
            uow(),
            operator(),
            parse_uuid(artifact, "artifact"),
            services.content_settings(config),
            number=version,
            action=Action.DOWNLOAD,
            for_person=person_id(for_person, "for"),
        )
        if str(output) == "-":
            for chunk in handout.body():
                sys.stdout.buffer.write(chunk)
            return
        if output.exists():
            raise ValidationFailed.of("output", f"{output} exists; choose another name")
        written = 0
        with output.open("xb") as file:
            for chunk in handout.body():
                file.write(chunk)
                written += len(chunk)
        typer.echo(
            f"{output}: {handout.body_name}, version {handout.version}, {written} bytes, "
            f"marked {handout.banner}",
            err=True,
        )
