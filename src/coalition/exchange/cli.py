"""Commands of release packages (docs/cli.md, "Packages"): this node's package keys, and
what a recipient does with a package: inspect, verify, open."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, settings, uow
from coalition.errors import ValidationFailed
from coalition.exchange import keys, services, tdf
from coalition.exchange.schemas import PartnerIn
from coalition.ledger.note import NoteError, parse_verifier
from coalition.ledger.verify import VerificationError, verify_receipt
from coalition.registry.cli import organisation_id
from coalition.techdata.cli import person_id

SenderKey = Annotated[
    Path, typer.Option("--sender-key", help="The releasing node's signing key (PEM).")
]
LogKey = Annotated[
    str | None,
    typer.Option("--log-key", help="The releasing node's ledger key: check the receipt too."),
]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationFailed.of("package", f"cannot be read ({exc})") from exc


def _check(package: Path, sender_key: Path, log_key: str | None) -> tdf.Opened:
    """Verify a package's bindings and segments, and its receipt with the log key."""
    try:
        opened = tdf.verify(_read(package), keys.load_sender(sender_key, "sender-key"))
    except tdf.PackageError as exc:
        raise ValidationFailed.of("package", str(exc)) from exc
    if log_key is not None:
        if opened.receipt is None or opened.receipt_entry is None:
            raise ValidationFailed.of("package", "carries no ledger receipt")
        try:
            verify_receipt(opened.receipt, opened.receipt_entry, parse_verifier(log_key))
        except (VerificationError, NoteError) as exc:
            raise ValidationFailed.of("receipt", str(exc)) from exc
    return opened


def register(app: typer.Typer) -> None:
    package = typer.Typer(help="Release packages (OpenTDF .tdf).", no_args_is_help=True)
    app.add_typer(package, name="package")

    @package.command("keygen")
    def keygen() -> None:
        """Create this node's package keys, once; print their public halves (PEM)."""
        config = settings()
        recipient, signer = keys.keygen(
            config.effective_package_key_file, config.effective_package_signing_key_file
        )
        typer.echo(keys.public_pem(recipient.public_key()), nl=False)
        typer.echo(keys.public_pem(signer.public_key()), nl=False)

    @package.command("public-key")
    def public_key(
        which: Annotated[
            str, typer.Option(help="wrapping (for senders) or signing (for recipients)")
        ] = "signing",
    ) -> None:
        """Print a public key to hand to partners, PEM."""
        config = settings()
        if which == "wrapping":
            typer.echo(
                keys.public_pem(keys.load_wrapping(config.effective_package_key_file).public_key()),
                nl=False,
            )
        elif which == "signing":
            signer = keys.load_signing(config.effective_package_signing_key_file)
            typer.echo(keys.public_pem(signer.public_key()), nl=False)
        else:
            raise ValidationFailed.of("which", "is wrapping or signing")

    @package.command("inspect")
    def inspect(file: Path) -> None:
        """Print a package's manifest (nothing is verified: see `verify`)."""
        try:
            manifest, payload = tdf.read(_read(file))
        except tdf.PackageError as exc:
            raise ValidationFailed.of("package", str(exc)) from exc
        info = manifest.get("encryptionInformation", {})
        try:
            policy = json.loads(base64.b64decode(info.get("policy", "")))
        except ValueError:
            policy = None
        summary = {
            "payload": manifest.get("payload"),
            "encrypted_bytes": len(payload),
            "key_access": [
                {"url": k.get("url"), "kid": k.get("kid")} for k in info.get("keyAccess", [])
            ],
            "attributes": [
                a.get("attribute") for a in (policy or {}).get("body", {}).get("dataAttributes", [])
            ],
            "assertions": [
                {
                    "id": a.get("id"),
                    "type": a.get("type"),
                    "schema": a.get("statement", {}).get("schema"),
                }
                for a in manifest.get("assertions", [])
            ],
        }
        typer.echo(json.dumps(summary, indent=2))

    @package.command("verify")
    def verify(file: Path, sender_key: SenderKey, log_key: LogKey = None) -> None:
        """Check the assertions' signed bindings, every segment, and (with --log-key) the
        ledger receipt; with this node's wrapping key, also the policy binding, the root
        signature and decryption, writing nothing."""
        opened = _check(file, sender_key, log_key)
        config = settings()
        full = config.effective_package_key_file.exists()
        if full:
            try:
                tdf.open_package(
                    _read(file),
                    keys.load_sender(sender_key, "sender-key"),
                    keys.load_wrapping(config.effective_package_key_file),
                )
            except tdf.PackageError as exc:
                raise ValidationFailed.of("package", str(exc)) from exc
        typer.echo(
            "OK: bindings and segments verify"
            + ("; the receipt verifies" if log_key else "")
            + ("; opens with this node's key" if full else "")
            + f"; attributes {', '.join(opened.attributes)}"
        )

    @package.command("open")
    def open_command(
        file: Path,
        sender_key: SenderKey,
        output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the content.")],
        log_key: LogKey = None,
    ) -> None:
        """Verify, decrypt with this node's wrapping key and write the content; the label
        goes beside it as OUTPUT.label.xml."""
        _check(file, sender_key, log_key)
        config = settings()
        try:
            opened, plain = tdf.open_package(
                _read(file),
                keys.load_sender(sender_key, "sender-key"),
                keys.load_wrapping(config.effective_package_key_file),
            )
        except tdf.PackageError as exc:
            raise ValidationFailed.of("package", str(exc)) from exc
        label = output.with_name(output.name + ".label.xml")
        for path in (output, label):
            if path.exists():
                raise ValidationFailed.of("output", f"{path} exists; choose another name")
        output.write_bytes(plain)
        label.write_text(opened.label_xml, encoding="utf-8")
        typer.echo(f"{output}: {len(plain)} bytes; label in {label}", err=True)

    @package.command("import")
    def import_command(
        file: Path,
        for_person: Annotated[
            str, typer.Option("--for", help="The person who receives it (id or e-mail).")
        ],
        acknowledge_provisos: Annotated[
            bool,
            typer.Option(help="Acknowledge the export provisos the release comes with."),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Take in a package addressed to this node as an artifact of its recipient."""

        emit(
            services.import_package(
                uow(),
                operator(),
                _read(file),
                settings(),
                for_person=person_id(for_person, "for"),
                acknowledge_provisos=acknowledge_provisos,
            ),
            as_json,
        )

    partners = typer.Typer(help="Partner nodes packages are sent to.", no_args_is_help=True)
    app.add_typer(partners, name="partners")

    @partners.command("list")
    def list_partners(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The registered partner nodes."""
        emit(
            services.list_partners(uow(), operator()),
            as_json,
            ["name", "url", "organisation_ids", "log_key"],
        )

    @partners.command("register")
    def register_partner(
        name: Annotated[str, typer.Option(help="The node's name.")],
        url: Annotated[str, typer.Option(help="The node's base URL.")],
        organisation: Annotated[
            list[str], typer.Option(help="An organisation it serves, id or short name (repeat).")
        ],
        wrapping_key: Annotated[Path, typer.Option(help="Its package wrapping key, PEM file.")],
        signing_key: Annotated[Path, typer.Option(help="Its package signing key, PEM file.")],
        log_key: Annotated[str | None, typer.Option(help="Its ledger key, name+id+key.")] = None,
        witness_key: Annotated[
            str | None, typer.Option(help="Its witness key, name+id+key: it cosigns ours.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Register a partner node and the organisations whose packages go to it."""
        data = build(
            PartnerIn,
            name=name,
            url=url,
            organisation_ids=[organisation_id(o, "organisation") for o in organisation],
            wrapping_key=_read(wrapping_key).decode("utf-8", "replace"),
            signing_key=_read(signing_key).decode("utf-8", "replace"),
            log_key=log_key,
            witness_key=witness_key,
        )
        emit(services.register_partner(uow(), operator(), data), as_json)
