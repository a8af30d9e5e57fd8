"""Commands that run the node: database, reference data, demo, server, event record."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from coalition.cli.context import console, emit, operator, settings, uow
from coalition.common.paging import PageRequest
from coalition.settings import Settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="Database schema.", no_args_is_help=True)
    reference = typer.Typer(
        help="Classification schemes, clearance names, groups.", no_args_is_help=True
    )
    demo = typer.Typer(help="The demo programme.", no_args_is_help=True)
    events = typer.Typer(help="The record of changes, log-ins and decisions.", no_args_is_help=True)
    app.add_typer(db, name="db")
    app.add_typer(reference, name="reference")
    app.add_typer(demo, name="demo")
    app.add_typer(events, name="events")

    @db.command("upgrade")
    def db_upgrade(revision: str = typer.Option("head", help="Target revision.")) -> None:
        """Apply migrations (creates the SQLite file on first use)."""
        from coalition.store.db import make_engine
        from coalition.store.migrate import current_revision, upgrade

        engine = make_engine(settings().effective_database_url)
        upgrade(engine, revision)
        console.print(f"database at revision {current_revision(engine)}")

    @db.command("current")
    def db_current() -> None:
        """Show the applied and the latest revision."""
        from coalition.store.db import make_engine
        from coalition.store.migrate import current_revision, head_revision

        engine = make_engine(settings().effective_database_url)
        console.print(f"applied: {current_revision(engine)}  latest: {head_revision()}")

    @reference.command("load")
    def reference_load(
        folder: Annotated[
            Path | None, typer.Option("--dir", help="Folder with the YAML files.")
        ] = None,
    ) -> None:
        """Load classification-schemes.yaml and groups.yaml (idempotent)."""
        from coalition.registry.reference import load_reference

        summary = load_reference(uow(), operator(), folder or settings().effective_reference_dir)
        console.print(
            f"{summary.schemes} schemes, {summary.levels} levels, {summary.clearance_names} "
            f"clearance names, {summary.groups} groups, {summary.memberships} memberships"
        )

    @demo.command("load")
    def demo_load() -> None:
        """Load the fictional demo programme and print its log-ins (idempotent)."""
        from coalition.demo.programme import load_demo

        result = load_demo(uow, operator(), settings().effective_reference_dir)
        console.print(
            f"demo programme: {result.nations} nations, {result.organisations} organisations, "
            f"{result.people} people, {result.agreements} agreements, {result.projects} projects "
            f"({result.created} objects created now)"
        )
        if result.logins:
            console.print(f"demo log-ins (password for all: [bold]{result.logins[0][1]}[/bold]):")
        for username, _password, role in result.logins:
            console.print(f"  {username:<20} {role}")
        _demo_checkpoint(settings())

    @app.command("serve")
    def serve(
        host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
        port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
        workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only).")] = 1,
    ) -> None:
        """Serve the web UI and the API."""
        import uvicorn

        from coalition.errors import CoalitionError
        from coalition.store.db import make_engine
        from coalition.store.migrate import current_revision, head_revision

        config = settings()
        applied = current_revision(make_engine(config.effective_database_url))
        if applied != head_revision():
            raise CoalitionError(
                f"the database is at revision {applied}, not {head_revision()}: "
                "run `coalition db upgrade` first"
            )
        _refuse_rollback(config)
        # The application reads its settings from the environment in the server process;
        # make --host/--port visible there too (the cookie's Secure flag depends on the host).
        os.environ["COALITION_HOST"] = host or config.host
        os.environ["COALITION_PORT"] = str(port or config.port)
        uvicorn.run(
            "coalition.web.asgi:app",
            host=host or config.host,
            port=port or config.port,
            workers=workers,
            proxy_headers=bool(config.trusted_proxies),
            forwarded_allow_ips=config.trusted_proxies or None,
            log_level=config.log_level.lower(),
            # Partner nodes reach a node over HTTPS; TLS is ended here or at a proxy.
            ssl_certfile=str(config.tls_cert_file) if config.tls_cert_file else None,
            ssl_keyfile=str(config.tls_key_file) if config.tls_key_file else None,
        )

    @events.command("list")
    def events_list(
        tag: Annotated[str | None, typer.Option(help="Tag prefix, e.g. registry:person")] = None,
        object_id: Annotated[
            str | None, typer.Option(help="Only events about this object.")
        ] = None,
        limit: int = 50,
        offset: int = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """Show recorded events, newest first."""
        from coalition.audit.services import list_events

        page = list_events(
            uow(), operator(), PageRequest(limit=limit, offset=offset), tag=tag, object_id=object_id
        )
        emit(page, as_json, ["id", "at", "actor", "tag", "object_type", "object_id"])


def _demo_checkpoint(config: Settings) -> None:
    """The demo node gets its keys (once: ledger, node and package, witness) and a signed
    checkpoint, so that receipts, the auditor's page, release packages and the federation
    page work from the start; the served node signs more checkpoints later."""
    from coalition.ledger import keys
    from coalition.ledger.services import sign_checkpoint

    key_file = config.effective_ledger_key_file
    if key_file.exists():
        signer = keys.load_signer(key_file, config.ledger_origin)
    else:
        signer = keys.keygen(key_file, config.ledger_origin)
        console.print(f"ledger key created in {key_file}; verifier key:")
        console.print(f"  {signer.verifier.encoded()}", highlight=False)
    signed = sign_checkpoint(uow(), signer, config.ledger_checkpoint_file)
    console.print(f"ledger: checkpoint signed at size {signed.checkpoint.size}")
    # The node's identity for partners (and its release packages): made once too.
    from coalition.exchange import keys as package_keys
    from coalition.federation.identity import fingerprint

    wrapping, signing = config.effective_package_key_file, config.effective_package_signing_key_file
    if not wrapping.exists() and not signing.exists():
        _, node_key = package_keys.keygen(wrapping, signing)
        console.print(f"node key created; fingerprint {fingerprint(node_key.public_key())}")
    if not config.effective_witness_key_file.exists():
        keys.keygen(config.effective_witness_key_file, config.witness_name)


def _refuse_rollback(config: Settings) -> None:
    """A database that does not extend the last checkpoint this node signed (an old backup
    restored, say) must not serve: its record would silently rewrite history."""
    from coalition.errors import CoalitionError
    from coalition.ledger.keys import load_signer
    from coalition.ledger.services import RolledBack, check_not_rolled_back

    if not config.ledger_checkpoint_file.exists():
        return
    verifier = load_signer(config.effective_ledger_key_file, config.ledger_origin).verifier
    try:
        check_not_rolled_back(uow(), verifier, config.ledger_checkpoint_file)
    except RolledBack as exc:
        raise CoalitionError(str(exc)) from exc
