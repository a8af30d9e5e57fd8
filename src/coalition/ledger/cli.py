"""Commands of the transparency ledger (docs/cli.md, "Ledger")."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.cli.context import settings, uow
from coalition.errors import ValidationFailed
from coalition.ledger import keys, services
from coalition.ledger.note import NoteError, Verifier, parse_verifier
from coalition.ledger.verify import (
    VerificationError,
    audit_tiles,
    verify_checkpoint,
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
        """Sign a checkpoint of the log as it is now and print it (a signed note)."""
        config = settings()
        signer = keys.load_signer(config.effective_ledger_key_file, config.ledger_origin)
        signed = services.sign_checkpoint(uow(), signer, config.ledger_checkpoint_file)
        sys.stdout.write(signed.note)

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
