"""NATS JetStream as a transport between nodes (``federation_transport = "nats"``).

Deliveries and their answers travel as JetStream messages instead of HTTPS calls, on a
broker the partners share; everything else (identity, directories, checkpoints,
witnessing) stays on HTTPS. The messages are authenticated exactly as the HTTPS calls
are: each carries an RFC 9421 signature over the request it stands for
(``PUT nats://<recipient>/federation/v1/deliveries/<id>`` for a delivery, ``POST
nats://<sender>/federation/v1/answers/<id>`` for its answer), so the broker is trusted to
carry messages, never to vouch for them. JetStream keeps a message until its consumer
acknowledges it, so a node that is down takes its deliveries in when it is back.

Subjects: ``<prefix>.deliveries.<node>`` and ``<prefix>.answers.<node>``, where ``<node>``
is the node's name with every character other than letters, digits, ``-`` and ``_``
replaced by ``_``; one stream, ``<PREFIX>_FEDERATION``, holds ``<prefix>.>``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from coalition.errors import CoalitionError
from coalition.exchange import keys as package_keys
from coalition.exchange.models import PartnerNode
from coalition.federation import signing
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
T = TypeVar("T")
SENDER_HEADER = "coalition-sender"
#: Names the delivery, whose id is in the signed path: a changed header fails the signature.
DELIVERY_HEADER = "coalition-delivery"
TIMEOUT = 30.0  # generous: a loaded broker or host answers late, not never
#: For each JetStream API call and publish acknowledgement (the client's default is 5 s,
#: which a broker syncing to a busy disk can exceed); within ``TIMEOUT``.
JS_TIMEOUT = 20.0
MAX_AGE_SECONDS = 7 * 24 * 3600.0


def token(name: str) -> str:
    """A node name as one subject token."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


@dataclass(frozen=True)
class Message:
    subject: str
    data: bytes
    headers: dict[str, str]
    #: How many times JetStream has handed this message out (more than 1: redelivered).
    delivered: int
    ack: Callable[[], None]


class JetStream:
    """A NATS connection on an event loop of its own thread, used from synchronous code."""

    def __init__(self, url: str, prefix: str = "coalition") -> None:
        try:
            import nats  # noqa: F401  (the optional extra)
        except ImportError as exc:  # pragma: no cover - the dev extra installs it
            raise CoalitionError(
                "federation_transport=nats needs nats-py: pip install 'coalition[nats]'"
            ) from exc
        self.url = url
        self.prefix = prefix
        self.stream = f"{token(prefix).upper()}_FEDERATION"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats", daemon=True)
        self._nc: Any = None
        self._js: Any = None
        self._subscriptions: dict[str, Any] = {}

    def __enter__(self) -> JetStream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float = TIMEOUT) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> None:
        self._thread.start()
        self._run(self._connect())

    async def _connect(self) -> None:
        import nats
        from nats.js.api import RetentionPolicy, StreamConfig

        self._nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=-1)
        self._js = self._nc.jetstream(timeout=JS_TIMEOUT)
        # A message is gone once its node has taken it (work queue: one consumer per
        # subject), and after a week whatever happens: the broker is no archive.
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self.prefix}.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            max_age=MAX_AGE_SECONDS,
        )
        try:
            await self._js.add_stream(config)
        except Exception:  # exists with another configuration: use it as it is
            await self._js.stream_info(self.stream)

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self._run(self._shut())
        except Exception:  # closing anyway
            logger.debug("NATS close failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _shut(self) -> None:
        """Close the connection, then end whatever the client left running, so that no
        task outlives the loop."""
        if self._nc is not None and not self._nc.is_closed:
            # Every publish waited for its acknowledgement and every fetched message was
            # acknowledged or is left to be handed out again: nothing is lost by closing.
            await asyncio.wait_for(self._nc.close(), timeout=5)
        current = asyncio.current_task()
        rest = [t for t in asyncio.all_tasks() if t is not current]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    def subject(self, kind: str, node: str) -> str:
        return f"{self.prefix}.{kind}.{token(node)}"

    def durable(self, kind: str, node: str) -> str:
        """The durable consumer of one node's ``kind`` of messages: a consumer's subject
        filter is fixed when it is made, so each node needs consumers of its own."""
        return f"{token(node)}-{kind}"

    def publish(self, subject: str, data: bytes, headers: dict[str, str], msg_id: str) -> None:
        """Publish and wait for JetStream's acknowledgement (it is then kept)."""
        self._run(self._js.publish(subject, data, headers={**headers, "Nats-Msg-Id": msg_id}))

    def fetch(
        self, subject: str, durable: str, batch: int = 20, wait: float = 0.2
    ) -> list[Message]:
        """Up to ``batch`` messages of a durable pull consumer, waiting at most ``wait``."""
        return self._run(self._fetch(subject, durable, batch, wait), timeout=wait + TIMEOUT)

    async def _fetch(self, subject: str, durable: str, batch: int, wait: float) -> list[Message]:

        subscription = self._subscriptions.get(durable)
        if subscription is None:
            subscription = await self._js.pull_subscribe(
                subject, durable=durable, stream=self.stream
            )
            # An existing consumer keeps the filter it was made with: never read another
            # node's messages through a consumer of the same name.
            info = await self._js.consumer_info(self.stream, durable)
            if info.config.filter_subject != subject:
                raise RuntimeError(
                    f"NATS consumer {durable} reads {info.config.filter_subject}, not {subject}"
                )
            self._subscriptions[durable] = subscription

        try:
            messages = await subscription.fetch(batch, timeout=wait)
        except TimeoutError:
            # Nothing came in time: nats-py says so with its own TimeoutError, or, when
            # the broker is slow to answer the pull request itself, asyncio's.
            return []
        out = []
        for message in messages:
            metadata = message.metadata
            out.append(
                Message(
                    subject=message.subject,
                    data=bytes(message.data),
                    headers=dict(message.headers or {}),
                    delivered=int(metadata.num_delivered or 1),
                    ack=self._acker(message),
                )
            )
        return out

    def _acker(self, message: Any) -> Callable[[], None]:
        def ack() -> None:
            self._run(message.ack())

        return ack


def delivery_url(partner_name: str, delivery_id: uuid.UUID) -> str:
    return f"nats://{partner_name}/federation/v1/deliveries/{delivery_id}"


def answer_url(sender_name: str, delivery_id: uuid.UUID) -> str:
    return f"nats://{sender_name}/federation/v1/answers/{delivery_id}"


def publish_delivery(
    stream: JetStream,
    settings: Settings,
    partner: PartnerNode,
    delivery_id: uuid.UUID,
    data: bytes,
    attempt: int,
) -> None:
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    url = delivery_url(partner.name, delivery_id)
    headers = signing.sign_request(
        signer,
        "PUT",
        url,
        partner.name,
        data,
        {
            SENDER_HEADER: settings.effective_node_name,
            DELIVERY_HEADER: str(delivery_id),
            "content-type": "application/zip",
        },
    )
    stream.publish(
        stream.subject("deliveries", partner.name), data, headers, f"{delivery_id}:{attempt}"
    )


def publish_answer(
    stream: JetStream,
    settings: Settings,
    sender: str,
    delivery_id: uuid.UUID,
    status: int,
    body: dict[str, Any],
) -> None:
    """The answer to a delivery, signed: its receipt (201/200) or the problem (4xx)."""
    signer = package_keys.load_signing(settings.effective_package_signing_key_file)
    data = json.dumps({"status": status, "body": body}, sort_keys=True).encode()
    url = answer_url(sender, delivery_id)
    headers = signing.sign_request(
        signer,
        "POST",
        url,
        sender,
        data,
        {
            SENDER_HEADER: settings.effective_node_name,
            DELIVERY_HEADER: str(delivery_id),
            "content-type": "application/json",
        },
    )
    stream.publish(
        stream.subject("answers", sender), data, headers, f"{delivery_id}:{uuid.uuid4()}"
    )


def delivery_id_of(subject_path: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(subject_path.rsplit("/", 1)[-1])
    except ValueError:
        return None
