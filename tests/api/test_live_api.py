"""The live-update stream over HTTP: only for a logged-in session, as server-sent events
opening with the reader's counts. Each test reads the first event and closes the stream."""

# The technical-data and release tests' fixtures are imported and used by name.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from coalition.settings import Settings
from tests.api.conftest import login
from tests.api.test_releases_api import _submit, releasable  # noqa: F401 - fixture
from tests.api.test_techdata_api import (  # noqa: F401 - fixtures used by name
    Sonar,
    cheap_password_hashes,
    people,
    sonar,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"live_poll_seconds": 0.05})


def first_event(client: TestClient) -> tuple[str, dict[str, object]]:
    """The stream's first event (its name and data); the stream is closed after it."""
    fields: dict[str, str] = {}
    with client.stream("GET", "/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if not line:
                break
            name, _, value = line.partition(": ")
            fields[name] = value
    return fields["event"], json.loads(fields["data"])


def test_a_logged_out_request_gets_401_not_a_redirect(client: TestClient) -> None:
    answer = client.get("/events", follow_redirects=False)
    assert answer.status_code == 401
    assert "location" not in answer.headers
    assert not answer.headers["content-type"].startswith("text/event-stream")


def test_the_stream_opens_with_the_readers_counts(client: TestClient, releasable: Sonar) -> None:
    assert _submit(client, releasable, "SONAR-REL").status_code == 201
    login(client, "officer")  # may decide it; an account with no person
    assert first_event(client) == ("counts", {"inbox": 0, "approvals": 1, "packages": 0})
    login(client, "alice")  # her own request waits for someone else
    assert first_event(client) == ("counts", {"inbox": 0, "approvals": 0, "packages": 0})


def test_after_logging_out_the_stream_is_refused(client: TestClient, sonar: Sonar) -> None:
    headers = login(client, "bob")
    assert first_event(client)[0] == "counts"
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/events").status_code == 401
