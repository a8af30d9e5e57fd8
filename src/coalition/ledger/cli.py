"""Commands of the transparency ledger (docs/cli.md, "Ledger")."""

from __future__ import annotations

import base64
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from coalition.cli.context import emit, operator, settings, uow, uow_maker
from coalition.common.paging import PageRequest
from coalition.errors import ValidationFailed
from coalition.ledger import cosigning, keys, services
from coalition.ledger.note import NoteError, Verifier, parse_verifier
from coalition.ledger.verify import (
    VerificationError,
    audit_tiles,
    verify_checkpoint,
    verify_consistency,
    verify_receipt,
)


def _verifier() -> Verifier:
    config = settings()
    return keys.load_signer(config.effective_ledger_key_file, config.ledger_origin).verifier


def _read(path: Path, option: str) -> str:
    try:
        return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed.of(option, f"cannot be read ({exc})") from exc


def _keys(values: list[str], option: str) -> tuple[Verifier, ...]:
    try:
        return tuple(parse_verifier(v) for v in values)
    except NoteError as exc:
        raise ValidationFailed.of(option, str(exc)) from exc


def _utc(value: datetime | None) -> datetime | None:
    """Typer reads times without a zone; the ledger's are UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _proof_lines(text: str) -> list[bytes]:
    hashes = []
    for number, line in enumerate(text.split(), start=1):
        try:
            hashes.append(base64.b64decode(line, validate=True))
        except ValueError as exc:
            raise ValidationFailed.of("proof", f"line {number} is not base64") from exc
    return hashes


def register(app: typer.Typer) -> None:
    ledger = typer.Typer(help="The transparency ledger.", no_args_is_help=True)
    app.add_typer(ledger, name="ledger")

    @ledger.command("keygen")
    def keygen() -> None:
        """Create the ledger's signing key (mode 0600), once; print the public key."""
        config = settings()
        signer = keys.keygen(config.effective_ledger_key_file, config.ledger_origin)
        typer.echo(signer.verifier.encoded())

    @ledger.command("witness-keygen")
    def witness_keygen() -> None:
        """Create this node's witness key (mode 0600), once; print its verifier key."""
        config = settings()
        signer = keys.keygen(config.effective_witness_key_file, config.witness_name)
        typer.echo(signer.verifier.encoded())

    @ledger.command("public-key")
    def public_key() -> None:
        """Print the verifier key, name+hexkeyid+base64key, for partners and witnesses."""
        typer.echo(_verifier().encoded())

    @ledger.command("checkpoint")
    def checkpoint() -> None:
        """Sign a checkpoint of the log as it is now, ask the configured witnesses to
        cosign it, and print it as published (a signed note with their cosignatures)."""
        config = settings()
        signer = keys.load_signer(config.effective_ledger_key_file, config.ledger_origin)
        services.sign_checkpoint(uow(), signer, config.ledger_checkpoint_file)
        for outcome in cosigning.collect_now(uow_maker(), config):
            if not outcome.cosigned:
                typer.echo(f"witness {outcome.witness}: {outcome.problem}", err=True)
        sys.stdout.write(
            services.published_checkpoint(
                uow(), operator(), signer.verifier, config.ledger_checkpoint_file
            )
        )

    @ledger.command("status")
    def status(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The log's size and root, the latest checkpoint, its cosigners and whether it
        verifies with this node's key and its witnesses' quorum."""
        config = settings()
        result = services.status(
            uow(),
            operator(),
            _verifier(),
            config.ledger_checkpoint_file,
            tuple(w.key for w in cosigning.configured(config)),
            config.ledger_witness_quorum,
        )
        emit(result, as_json)

    @ledger.command("search")
    def search(
        who: Annotated[str | None, typer.Option(help="The actor (username).")] = None,
        tag: Annotated[str | None, typer.Option(help="A tag prefix, e.g. accounts:login.")] = None,
        object_id: Annotated[str | None, typer.Option("--object", help="An object's id.")] = None,
        outcome: Annotated[
            str | None, typer.Option(help="permit or deny (decisions), bad-password, ...")
        ] = None,
        since: Annotated[
            datetime | None, typer.Option(help="From this time (UTC, ISO 8601).")
        ] = None,
        until: Annotated[
            datetime | None, typer.Option(help="Before this time (UTC, ISO 8601).")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
        offset: Annotated[int, typer.Option(min=0)] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Entries by actor, tag, object, outcome and time, newest first."""
        found = services.search_entries(
            uow(),
            operator(),
            PageRequest(limit=limit, offset=offset),
            who=who,
            tag=tag,
            object_id=object_id,
            since=_utc(since),
            until=_utc(until),
            outcome=outcome,
        )
        emit(found, as_json, ["index", "at", "actor", "tag", "outcome", "object_type", "object_id"])

    @ledger.command("entry")
    def entry(index: Annotated[int, typer.Option("--index", min=0)]) -> None:
        """Print one entry's exact leaf bytes, base64."""
        typer.echo(base64.b64encode(services.entry(uow(), index)).decode())

    @ledger.command("proof")
    def proof(index: Annotated[int, typer.Option("--index", min=0)]) -> None:
        """Print a receipt (C2SP tlog-proof) for an entry, against the latest checkpoint."""
        sys.stdout.write(
            services.receipt(uow(), _verifier(), settings().ledger_checkpoint_file, index)
        )

    @ledger.command("consistency")
    def consistency(
        size1: Annotated[int, typer.Option("--from", min=0)],
        size2: Annotated[int, typer.Option("--to", min=0)],
    ) -> None:
        """Print the consistency proof between two tree sizes, one base64 hash per line."""
        for value in services.consistency(uow(), size1, size2):
            typer.echo(base64.b64encode(value).decode())

    @ledger.command("export-tiles")
    def export_tiles(folder: Path) -> None:
        """Write the log, as of the latest checkpoint, as C2SP tlog-tiles files in FOLDER."""
        written = services.export_tiles(
            uow(), _verifier(), settings().ledger_checkpoint_file, folder
        )
        typer.echo(f"{written} files written to {folder}")

    @ledger.command("verify")
    def verify(
        key: Annotated[str, typer.Option(help="The log's verifier key (name+id+key).")],
        checkpoint: Annotated[
            Path | None, typer.Option(help="A signed checkpoint to check ('-': stdin).")
        ] = None,
        receipt: Annotated[Path | None, typer.Option(help="A tlog-proof receipt to check.")] = None,
        entry: Annotated[
            str | None, typer.Option(help="The entry the receipt is for, base64.")
        ] = None,
        witness: Annotated[
            list[str] | None, typer.Option(help="A witness's verifier key (repeat).")
        ] = None,
        quorum: Annotated[int, typer.Option(min=0, help="Cosignatures needed.")] = 0,
        tiles: Annotated[
            Path | None,
            typer.Option(help="A folder of exported tiles: recompute the whole log."),
        ] = None,
        old: Annotated[
            Path | None,
            typer.Option(help="An older signed checkpoint the --checkpoint must extend."),
        ] = None,
        proof: Annotated[
            Path | None,
            typer.Option(help="The consistency proof from --old to --checkpoint, base64 lines."),
        ] = None,
    ) -> None:
        """Check offline: a checkpoint's signature and witness quorum, a receipt, or a whole
        exported log."""
        (log_key,) = _keys([key], "key")
        witnesses = _keys(witness or [], "witness")
        try:
            if tiles is not None:
                result = audit_tiles(tiles, log_key)
                if result.first_bad_index is not None:
                    raise ValidationFailed.of(
                        "tiles",
                        f"{result.problem} (first bad index {result.first_bad_index})",
                    )
                typer.echo(
                    f"OK: {result.checkpoint.origin} at size {result.checkpoint.size}, "
                    "recomputed from the tiles"
                )
                return
            if receipt is not None:
                if entry is None:
                    raise ValidationFailed.of("entry", "a receipt is checked against its entry")
                try:
                    data = base64.b64decode(entry, validate=True)
                except ValueError as exc:
                    raise ValidationFailed.of("entry", "is not base64") from exc
                verified = verify_receipt(
                    _read(receipt, "receipt"), data, log_key, witnesses, quorum
                )
            elif checkpoint is not None:
                verified = verify_checkpoint(
                    _read(checkpoint, "checkpoint"), log_key, witnesses, quorum
                )
                if old is not None:
                    earlier = verify_checkpoint(_read(old, "old"), log_key).checkpoint
                    hashes = _proof_lines(_read(proof, "proof") if proof else "")
                    verify_consistency(earlier, verified.checkpoint, hashes)
                    typer.echo(f"OK: size {verified.checkpoint.size} extends size {earlier.size}")
            else:
                raise ValidationFailed.of("checkpoint", "give a checkpoint or a receipt")
        except VerificationError as exc:
            raise ValidationFailed.of("verify", str(exc)) from exc
        cosigned = f", cosigned by {', '.join(verified.witnesses)}" if verified.witnesses else ""
        typer.echo(f"OK: {verified.checkpoint.origin} at size {verified.checkpoint.size}{cosigned}")

    @ledger.command("audit")
    def audit_command() -> None:
        """Recompute the whole tree from the stored entries; name the first bad index."""
        from coalition.ledger.log import audit

        with uow() as unit:
            result = audit(unit.session)
        if result.first_bad_index is not None or result.problem:
            raise ValidationFailed.of(
                "ledger", f"{result.problem} (first bad index {result.first_bad_index})"
            )
        typer.echo(f"OK: {result.size} entries, root {base64.b64encode(result.root).decode()}")
