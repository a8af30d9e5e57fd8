"""An API client bound to the test's rolled-back transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal, Role
from coalition.settings import Settings
from coalition.web.app import create_app
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World, make_account, make_world


@pytest.fixture
def world(uow: UowFactory, operator: Principal) -> World:
    world = make_world(uow, operator)
    make_account(uow, operator, "admin", Role.NODE_ADMIN)
    make_account(uow, operator, "reader", Role.RESEARCHER)
    return world


@pytest.fixture
def client(uow: UowFactory, settings: Settings, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(settings, uow), base_url="http://127.0.0.1") as test_client:
        yield test_client


def login(client: TestClient, username: str = "admin") -> dict[str, str]:
    """Log in with the session cookie; return the CSRF header for changes."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}
