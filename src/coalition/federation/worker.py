"""The federation's clock: what a serving node does on its own, every
``federation_interval_seconds`` (and what ``coalition federation tick`` does once):

- send what the outbox holds that is due;
- ask partner witnesses to cosign this node's latest checkpoint;
- compare partners' published checkpoints with what this node cosigned of them;
- fetch partners' directories (every ``federation_directory_interval_seconds``).

Each part runs even when another fails; a failure is logged and tried again next time.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from coalition import __version__
from coalition.federation import directory, outbox, relay, witnessing
from coalition.federation.jetstream import JetStream
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]


def http_client(settings: Settings) -> httpx.Client:
    """HTTPS to partners, checked against the system's CAs or ``federation_ca_file``."""
    verify: ssl.SSLContext | bool = True
    if settings.federation_ca_file is not None:
        verify = ssl.create_default_context(cafile=str(settings.federation_ca_file))
    return httpx.Client(
        verify=verify,
        headers={"User-Agent": f"coalition/{__version__}"},
        timeout=outbox.TIMEOUT,
        follow_redirects=False,
    )


@dataclass
class TickReport:
    deliveries: list[outbox.Attempt] = field(default_factory=list)
    cosigned: dict[str, str] = field(default_factory=dict)
    watched: dict[str, str] = field(default_factory=dict)
    directories: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def tick(
    uow: UowFactory,
    settings: Settings,
    client: httpx.Client,
    *,
    directories: bool = True,
    stream: JetStream | None = None,
) -> TickReport:
    report = TickReport()

    def part(name: str, run: Callable[[], Any]) -> Any:
        try:
            return run()
        except Exception as exc:  # one part's failure does not stop the others
            logger.exception("federation: %s failed", name)
            report.failures[name] = f"{type(exc).__name__}: {exc}"
            return None

    report.deliveries = (
        part("deliveries", lambda: outbox.dispatch_due(uow, settings, client, stream=stream)) or []
    )
    if stream is not None:
        part("deliveries taken in", lambda: relay.take_deliveries(uow, settings, stream))
        report.deliveries += (
            part("answers", lambda: relay.take_answers(uow, settings, stream)) or []
        )
    outcomes = part("cosigning", lambda: witnessing.collect(uow, client)) or []
    report.cosigned = {o.witness: "cosigned" if o.cosigned else str(o.problem) for o in outcomes}
    report.watched = part("watching", lambda: witnessing.watch(uow, settings, client)) or {}
    if directories:
        report.directories = (
            part("directories", lambda: directory.fetch(uow, settings, client)) or {}
        )
    return report


class FederationWorker:
    """The clock as a background thread of a serving node."""

    def __init__(self, uow: UowFactory, settings: Settings) -> None:
        self._uow = uow
        self._settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="federation", daemon=True)
        self._last_directories = float("-inf")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def wake(self) -> None:
        """Run the next round now (a delivery was queued)."""
        self._wake.set()

    def _connect(self) -> JetStream | None:
        if self._settings.federation_transport != "nats":
            return None
        stream = JetStream(self._settings.nats_url, self._settings.nats_subject_prefix)
        try:
            stream.start()
        except Exception:  # the broker is away: HTTPS still works; try again next round
            logger.exception(
                "federation: cannot connect to NATS at %s",
                _without_secrets(self._settings.nats_url),
            )
            stream.close()
            return None
        return stream

    def _run(self) -> None:
        stream: JetStream | None = None
        with http_client(self._settings) as client:
            while not self._stop.is_set():
                if stream is None:
                    stream = self._connect()
                now = time.monotonic()
                due = (
                    now - self._last_directories
                    >= self._settings.federation_directory_interval_seconds
                )
                if due:
                    self._last_directories = now
                try:
                    tick(self._uow, self._settings, client, directories=due, stream=stream)
                except Exception:  # pragma: no cover - tick guards its parts
                    logger.exception("federation round failed")
                self._wake.wait(self._settings.federation_interval_seconds)
                self._wake.clear()
        if stream is not None:
            stream.close()


def _without_secrets(url: str) -> str:
    """A URL as it may be logged: without the user and password it may carry."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}" if rest else url
