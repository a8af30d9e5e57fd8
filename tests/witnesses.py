"""Witness nodes for tests: another node, with a database and a witness key of its own,
reached over HTTP by host name (C2SP tlog-witness)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from coalition.ledger import cosigning, keys
from coalition.ledger.note import Signer
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory
from coalition.web.app import create_app


@dataclass
class WitnessNode:
    host: str
    client: TestClient
    signer: Signer

    @property
    def entry(self) -> cosigning.Witness:
        return cosigning.Witness(self.signer.verifier, f"https://{self.host}/witness")

    @property
    def setting(self) -> str:
        """This witness as an entry of COALITION_LEDGER_WITNESSES."""
        return f"{self.signer.verifier.encoded()} {self.entry.url}"


@contextmanager
def witness_node(folder: Path, name: str, log_key: str) -> Iterator[WitnessNode]:
    """A node named ``name`` that witnesses the log whose verifier key is ``log_key``."""
    folder.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{folder / 'witness.db'}")
    upgrade(engine)
    settings = Settings(
        data_dir=folder,
        host="127.0.0.1",
        witness_name=f"{name}.example/witness",
        witness_logs=log_key,
    )
    signer = keys.keygen(settings.effective_witness_key_file, settings.witness_name)
    try:
        with TestClient(create_app(settings, uow_factory(engine))) as client:
            yield WitnessNode(f"{name}.example", client, signer)
    finally:
        engine.dispose()


def network(witnesses: list[WitnessNode]) -> httpx.Client:
    """HTTP to the witness nodes by host name; any other host is unreachable."""
    by_host = {w.host: w.client for w in witnesses}

    def send(request: httpx.Request) -> httpx.Response:
        client = by_host.get(request.url.host)
        if client is None:
            raise httpx.ConnectError("connection refused", request=request)
        answer = client.post(request.url.path, content=request.content)
        return httpx.Response(answer.status_code, content=answer.content, headers=answer.headers)

    return httpx.Client(transport=httpx.MockTransport(send))
