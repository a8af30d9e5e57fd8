"""`coalition federation`: this node's identity, its partners, deliveries out and in,
alerts, the partners' directories, one round of the federation's clock, and the
protocol's OpenAPI description (docs/federation.md)."""

from __future__ import annotations

import json
import sys
import uuid
from contextlib import ExitStack
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, settings, uow
from coalition.errors import ValidationFailed
from coalition.exchange.services import list_partners
from coalition.federation import directory, identity, services
from coalition.federation.jetstream import JetStream
from coalition.federation.models import DeliveryStatus
from coalition.federation.schemas import PinIn, SuspendIn
from coalition.federation.worker import http_client, tick
from coalition.registry.cli import organisation_id

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DELIVERY_COLUMNS = [
    "id",
    "request_reference",
    "artifact_reference",
    "recipient",
    "partner",
    "status",
    "attempts",
    "last_error",
]


def register(app: typer.Typer) -> None:
    federation = typer.Typer(
        help="Partner nodes: identity, deliveries, alerts, directories.", no_args_is_help=True
    )
    app.add_typer(federation, name="federation")

    @federation.command("identity")
    def show_identity(as_json: JsonOpt = False) -> None:
        """This node's identity as partners fetch it (signed with --json): name, address,
        public keys and the node key's fingerprint to read out to partners."""
        config = settings()
        if as_json:
            sys.stdout.write(json.dumps(identity.signed_identity(uow, config), indent=2) + "\n")
            return
        document = identity.identity(uow, config)
        typer.echo(f"name: {document['name']}")
        typer.echo(f"url: {document['url']}")
        typer.echo(f"fingerprint: {document['fingerprint']}")
        for name, value in document["keys"].items():
            if name in ("log", "witness"):
                typer.echo(f"{name} key: {value or '(none: create it to take part in witnessing)'}")

    @federation.command("state")
    def state(as_json: JsonOpt = False) -> None:
        """This node and, per partner, pinned keys, deliveries, directory, witnessed size."""
        emit(services.node_state(uow(), operator(), settings()), as_json)

    @federation.command("pin")
    def pin(
        url: Annotated[str, typer.Argument(help="The partner node's address.")],
        fingerprint: Annotated[
            str, typer.Option(help="Its node key's fingerprint, as its operators read it out.")
        ],
        organisation: Annotated[
            list[str], typer.Option(help="An organisation it hosts, id or short name (repeat).")
        ],
        as_json: JsonOpt = False,
    ) -> None:
        """Register a partner node from its published identity, pinning its keys only if
        their fingerprint matches."""
        data = build(
            PinIn,
            url=url,
            fingerprint=fingerprint,
            organisation_ids=[organisation_id(o, "organisation") for o in organisation],
        )
        with http_client(settings()) as client:
            emit(services.pin_partner(uow(), operator(), data, client), as_json)

    @federation.command("repin")
    def repin(
        partner: Annotated[str, typer.Argument(help="The partner node's name.")],
        fingerprint: Annotated[
            str, typer.Option(help="The fingerprint of the key it now publishes.")
        ],
        as_json: JsonOpt = False,
    ) -> None:
        """Replace a partner's pinned keys by those it now publishes (it rotated them),
        only if its node key has this fingerprint."""
        partner_id = _partner_id(partner)
        with http_client(settings()) as client:
            emit(
                services.repin_partner(uow(), operator(), partner_id, fingerprint, client), as_json
            )

    def _partner_id(name: str) -> uuid.UUID:
        found = next((p for p in list_partners(uow(), operator()) if p.name == name), None)
        if found is None:
            raise ValidationFailed.of("partner", f"no partner node named {name!r}")
        return found.id

    @federation.command("suspend")
    def suspend(
        partner: Annotated[str, typer.Argument(help="The partner node's name.")],
        reason: Annotated[str, typer.Option(help="Why (kept with it and in the ledger).")],
        as_json: JsonOpt = False,
    ) -> None:
        """Suspend this node's trust in a partner: nothing is sent to it or taken from it
        (its deliveries are held) until it is reinstated."""
        data = build(SuspendIn, reason=reason)
        emit(services.suspend_partner(uow(), operator(), _partner_id(partner), data), as_json)

    @federation.command("reinstate")
    def reinstate(
        partner: Annotated[str, typer.Argument(help="The partner node's name.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Trust a suspended partner again; the deliveries held for it are due at once."""
        emit(services.reinstate_partner(uow(), operator(), _partner_id(partner)), as_json)

    @federation.command("deliveries")
    def deliveries(
        status: Annotated[DeliveryStatus | None, typer.Option(help="Only these.")] = None,
        request: Annotated[str | None, typer.Option(help="Only this request's (id).")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Deliveries to partner nodes, newest first."""
        emit(
            services.list_deliveries(
                uow(),
                operator(),
                status=status,
                request_id=parse_uuid(request, "request") if request else None,
            ),
            as_json,
            DELIVERY_COLUMNS,
        )

    @federation.command("receipt")
    def receipt(delivery: str) -> None:
        """A delivery's receipt, as its receiver signed it (JSON)."""
        found = services.get_receipt(uow(), operator(), parse_uuid(delivery, "delivery"))
        sys.stdout.write(json.dumps(found, indent=2, sort_keys=True) + "\n")

    @federation.command("retry")
    def retry(delivery: str) -> None:
        """Queue a failed or refused delivery again."""
        services.retry_delivery(uow(), operator(), parse_uuid(delivery, "delivery"))
        typer.echo("queued again")

    @federation.command("queue")
    def queue(request: str) -> None:
        """Queue an approved request's deliveries to partner nodes (id of the request)."""
        added = services.queue_request(uow(), operator(), parse_uuid(request, "request"))
        typer.echo(f"{added} deliveries queued")

    @federation.command("inbound")
    def inbound(as_json: JsonOpt = False) -> None:
        """Deliveries taken in from partner nodes, newest first."""
        emit(
            services.list_inbound(uow(), operator()),
            as_json,
            ["received_at", "partner", "artifact_reference", "delivery_id"],
        )

    @federation.command("alerts")
    def alerts(
        open_only: Annotated[bool, typer.Option("--open", help="Only unacknowledged.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Alerts: forged or replayed requests, refused packages, receipts that did not
        match, inconsistent checkpoints."""
        emit(
            services.list_alerts(uow(), operator(), open_only=open_only),
            as_json,
            ["id", "created_at", "kind", "partner", "source", "detail", "acknowledged_by"],
        )

    @federation.command("acknowledge")
    def acknowledge(alert: str) -> None:
        """Acknowledge an alert."""
        services.acknowledge_alert(uow(), operator(), parse_uuid(alert, "alert"))
        typer.echo("acknowledged")

    @federation.command("directory")
    def search_directory(
        capability: Annotated[str | None, typer.Option(help="A capability code or branch.")] = None,
        q: Annotated[str | None, typer.Option("--q", help="Words.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Organisations partner nodes list in their directories."""
        emit(
            directory.find(uow(), operator(), capability=capability, text=q),
            as_json,
            ["node", "short_name", "name", "nation_code", "capabilities"],
        )

    @federation.command("tick")
    def run_tick() -> None:
        """One round: send what is due, collect partner witnesses' cosignatures, check
        partners' checkpoints, fetch their directories."""
        config = settings()
        with ExitStack() as stack:
            client = stack.enter_context(http_client(config))
            stream = (
                stack.enter_context(JetStream(config.nats_url, config.nats_subject_prefix))
                if config.federation_transport == "nats"
                else None
            )
            report = tick(uow, config, client, stream=stream)
        for attempt in report.deliveries:
            typer.echo(
                f"delivery {attempt.delivery_id}: {attempt.status.value}"
                + (f" ({attempt.problem})" if attempt.problem else "")
            )
        for title, results in (
            ("cosigned by", report.cosigned),
            ("checkpoint of", report.watched),
            ("directory of", report.directories),
        ):
            for name, outcome in results.items():
                typer.echo(f"{title} {name}: {outcome}")
        for part, problem in report.failures.items():
            typer.echo(f"{part} failed: {problem}", err=True)
        if report.failures:
            raise typer.Exit(1)

    @federation.command("openapi")
    def openapi() -> None:
        """The OpenAPI description of the node-to-node protocol alone (JSON)."""
        from coalition.federation.openapi import protocol_openapi

        sys.stdout.write(json.dumps(protocol_openapi(), indent=2, sort_keys=True) + "\n")
