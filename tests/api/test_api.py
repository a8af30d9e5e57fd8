"""The REST API: authentication, problem+json errors, paging, permissions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.login import SOURCE_ALLOWANCE, Throttling, log_in
from coalition.errors import AuthenticationFailed
from coalition.settings import Settings
from tests.api.conftest import login
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World

PROBLEM = "application/problem+json"


def test_health_needs_no_log_in(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_openapi_document_is_3_1_and_lists_the_resources(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path in (
        "/api/v1/organisations",
        "/api/v1/people/{person_id}/clearances",
        "/api/v1/agreements/{agreement_id}/status",
        "/api/v1/projects",
    ):
        assert path in spec["paths"]


def test_everything_else_needs_authentication(client: TestClient) -> None:
    response = client.get("/api/v1/organisations")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Unauthorized"


def test_cookie_session_changes_need_the_csrf_header(client: TestClient) -> None:
    headers = login(client)
    body = {"name": "Norwegian Lab", "short_name": "NLAB", "kind": "lab", "nation_code": "GBR"}
    refused = client.post("/api/v1/organisations", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    assert client.post("/api/v1/organisations", json=body, headers=headers).status_code == 201


def test_api_token_works_until_revoked(client: TestClient) -> None:
    headers = login(client)
    created = client.post(
        "/api/v1/me/tokens", json={"name": "script", "password": PASSWORD}, headers=headers
    ).json()
    token = {"Authorization": f"Bearer {created['token']}"}
    fresh = TestClient(client.app, base_url="http://127.0.0.1")
    assert fresh.get("/api/v1/me", headers=token).json()["username"] == "admin"
    assert client.delete(f"/api/v1/me/tokens/{created['id']}", headers=headers).status_code == 200
    assert fresh.get("/api/v1/me", headers=token).status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    wrong = client.post("/api/v1/auth/login", json={"username": "admin", "password": "nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_repeated_failures_lock_the_account(client: TestClient) -> None:
    for _ in range(3):  # settings fixture: login_max_failures=3
        client.post("/api/v1/auth/login", json={"username": "reader", "password": "bad"})
    locked = client.post("/api/v1/auth/login", json={"username": "reader", "password": PASSWORD})
    assert locked.status_code == 401


def test_create_organisation_validation_names_each_field(client: TestClient) -> None:
    headers = login(client)
    response = client.post(
        "/api/v1/organisations",
        headers=headers,
        json={"name": "", "short_name": "X", "kind": "castle", "nation_code": "XX"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "kind", "nation_code"}


def test_duplicate_is_409_and_unknown_id_is_404(client: TestClient) -> None:
    headers = login(client)
    body = {"name": "Again", "short_name": "UKSL", "kind": "lab", "nation_code": "GBR"}
    conflict = client.post("/api/v1/organisations", json=body, headers=headers)
    assert conflict.status_code == 409 and "short_name" in conflict.json()["detail"]
    missing = client.get("/api/v1/organisations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/organisations/not-a-uuid").status_code == 422


def test_researcher_may_read_but_not_create(client: TestClient) -> None:
    headers = login(client, "reader")
    assert client.get("/api/v1/organisations").status_code == 200
    refused = client.post(
        "/api/v1/organisations",
        headers=headers,
        json={"name": "X", "short_name": "X", "kind": "lab", "nation_code": "GBR"},
    )
    assert refused.status_code == 403
    assert "node:organisation:create" in refused.json()["detail"]


def test_lists_are_paged_and_filtered(client: TestClient) -> None:
    login(client)
    first = client.get("/api/v1/organisations", params={"limit": 2}).json()
    second = client.get("/api/v1/organisations", params={"limit": 2, "offset": 2}).json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    usa = client.get("/api/v1/organisations", params={"nation": "USA"}).json()
    assert [o["short_name"] for o in usa["items"]] == ["USAPL"]


def test_illegal_agreement_transition_is_422_with_reason(client: TestClient, world: World) -> None:
    headers = login(client)
    response = client.post(
        f"/api/v1/agreements/{world.mou}/status",
        headers=headers,
        json={"to_status": "draft", "reason": "undo"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to_status"


def test_person_with_clearance_round_trip(client: TestClient, world: World) -> None:
    headers = login(client)
    person = client.post(
        "/api/v1/people",
        headers=headers,
        json={
            "given_name": "Chloé",
            "family_name": "Durand",
            "email": "c@uksl.example",
            "employer_id": str(world.gbr_lab),
            "citizenships": ["FRA", "GBR"],
        },
    ).json()
    clearance = client.post(
        f"/api/v1/people/{person['id']}/clearances",
        headers=headers,
        json={
            "issuer": "GBR",
            "level_name": "SC",
            "valid_from": "2025-01-01",
            "valid_until": "2030-01-01",
        },
    )
    assert clearance.status_code == 201 and clearance.json()["level"] == 3
    shown = client.get(f"/api/v1/people/{person['id']}").json()
    assert shown["clearances"][0]["level_name"] == "SC"


def test_reversed_dates_are_422(client: TestClient, world: World) -> None:
    headers = login(client)
    response = client.post(
        f"/api/v1/people/{world.bob}/clearances",
        headers=headers,
        json={
            "issuer": "GBR",
            "level_name": "SC",
            "valid_from": "2025-01-01",
            "valid_until": "2024-01-01",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "valid_until", "message": "must be after valid_from"}
    ]


def test_events_are_for_auditors_and_admins(client: TestClient) -> None:
    login(client, "reader")
    assert client.get("/api/v1/events").status_code == 403
    login(client, "admin")
    tags = [e["tag"] for e in client.get("/api/v1/events", params={"limit": 200}).json()["items"]]
    assert "registry:organisation:create" in tags and "accounts:login:ok" in tags


def test_security_headers_are_set(client: TestClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_detail_views_say_what_the_caller_may_do(client: TestClient, world: World) -> None:
    login(client, "reader")
    assert client.get(f"/api/v1/agreements/{world.mou}").json()["allowed_actions"] == []
    login(client, "admin")
    allowed = client.get(f"/api/v1/agreements/{world.mou}").json()["allowed_actions"]
    assert allowed == ["organisation:agreement:update", "organisation:agreement:status"]


def test_log_out_ends_the_session_on_the_server(client: TestClient) -> None:
    headers = login(client)
    stolen = dict(client.cookies)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    replay = TestClient(client.app, base_url="http://127.0.0.1", cookies=stolen)
    assert replay.get("/api/v1/me").status_code == 401


def test_a_locked_username_still_opens_from_another_address(
    client: TestClient, uow: UowFactory, settings: Settings
) -> None:
    throttling = Throttling(settings.login_max_failures, settings.login_lockout_seconds)
    for _ in range(settings.login_max_failures):
        with pytest.raises(AuthenticationFailed):
            log_in(
                uow(),
                "reader",
                "bad",
                throttling=throttling,
                session_seconds=60,
                source="203.0.113.9",
            )
    with pytest.raises(AuthenticationFailed):  # the right password, from the attacker's address
        log_in(
            uow(),
            "reader",
            PASSWORD,
            throttling=throttling,
            session_seconds=60,
            source="203.0.113.9",
        )
    assert (
        log_in(
            uow(),
            "reader",
            PASSWORD,
            throttling=throttling,
            session_seconds=60,
            source="198.51.100.7",
        ).principal.name
        == "reader"
    )


def test_one_address_spraying_many_usernames_is_paused(
    uow: UowFactory, settings: Settings, world: World
) -> None:
    throttling = Throttling(settings.login_max_failures, settings.login_lockout_seconds)
    for n in range(settings.login_max_failures * SOURCE_ALLOWANCE):
        with pytest.raises(AuthenticationFailed):
            log_in(
                uow(),
                f"user{n}",
                "guess",
                throttling=throttling,
                session_seconds=60,
                source="203.0.113.50",
            )
    with pytest.raises(AuthenticationFailed):
        log_in(
            uow(),
            "admin",
            PASSWORD,
            throttling=throttling,
            session_seconds=60,
            source="203.0.113.50",
        )


def test_suspending_an_account_ends_its_sessions(client: TestClient, uow: UowFactory) -> None:
    login(client, "reader")
    assert client.get("/api/v1/me").status_code == 200
    admin = TestClient(client.app, base_url="http://127.0.0.1")
    headers = login(admin, "admin")
    reader_id = client.get("/api/v1/me").json()["id"]
    admin.put(f"/api/v1/accounts/{reader_id}/status", json={"status": "suspended"}, headers=headers)
    assert client.get("/api/v1/me").status_code == 401


def test_unknown_usernames_are_not_stored_in_the_record(client: TestClient) -> None:
    client.post("/api/v1/auth/login", json={"username": "my-secret-password", "password": "x"})
    login(client, "admin")
    events = client.get("/api/v1/events", params={"tag": "accounts:login"}).json()["items"]
    assert all("my-secret-password" not in str(e) for e in events)


def test_a_token_needs_the_password_again_and_a_limited_lifetime(client: TestClient) -> None:
    headers = login(client)
    wrong = client.post(
        "/api/v1/me/tokens", headers=headers, json={"name": "t", "password": "not-my-password"}
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "password"
    forever = client.post(
        "/api/v1/me/tokens",
        headers=headers,
        json={"name": "t", "password": PASSWORD, "expires_in_days": None},
    )
    assert forever.status_code == 422


def test_changing_the_password_revokes_tokens_and_sessions(client: TestClient) -> None:
    headers = login(client)
    token = client.post(
        "/api/v1/me/tokens", headers=headers, json={"name": "t", "password": PASSWORD}
    ).json()["token"]
    changed = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "another-long-password"},
    )
    assert changed.status_code == 204
    fresh = TestClient(client.app, base_url="http://127.0.0.1")
    assert fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_guessing_the_current_password_is_throttled(client: TestClient) -> None:
    headers = login(client)
    for _ in range(3):  # settings fixture: login_max_failures=3
        client.post(
            "/api/v1/me/password",
            headers=headers,
            json={"current_password": "guess-guess-guess", "new_password": "another-long-password"},
        )
    right = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "another-long-password"},
    )
    assert right.status_code == 422 and "too many" in right.json()["detail"]
