"""Identity providers over the REST API: list, create, update, disable, and the links of
their subjects to accounts; problem+json naming the field; node administrators only."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.registry.people import create_person
from coalition.registry.schemas import PersonIn
from coalition.settings import Settings
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World

PROBLEM = "application/problem+json"
PROVIDERS = "/api/v1/identity-providers"


@pytest.fixture
def secret(settings: Settings) -> str:
    folder = settings.effective_sso_secrets_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fra.secret").write_text("un-secret")
    (folder / "fra.secret").chmod(0o600)
    return "fra.secret"


def body(**changes: Any) -> dict[str, Any]:
    return {
        "key": "fra",
        "nation_code": "FRA",
        "display_name": "ProConnect Défense",
        "issuer": "https://auth.defense.example.fr",
        "client_id": "coalition",
        "client_secret_file": "fra.secret",
        "scopes": ["openid", "profile", "coalition"],
        "may_assert": ["clearance"],
    } | changes


def problems(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found = response.json()
    return {e["field"]: e["message"] for e in found.get("errors", [])} or {"": found["detail"]}


def test_providers_through_the_api(client: TestClient, secret: str) -> None:
    headers = login(client)
    made = client.post(PROVIDERS, json=body(), headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["callback_path"] == "/login/sso/fra/callback"
    assert "un-secret" not in made.text
    assert [p["key"] for p in client.get(PROVIDERS, headers=headers).json()] == ["fra"]

    changed = client.patch(
        f"{PROVIDERS}/fra", json={"may_assert": ["clearance", "citizenship"]}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["may_assert"] == ["citizenship", "clearance"]
    assert client.get(f"{PROVIDERS}/fra", headers=headers).json()["version"] == 2

    disabled = client.post(f"{PROVIDERS}/fra/disable", headers=headers)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert problems(client.post(f"{PROVIDERS}/fra/disable", headers=headers), 409)


def test_problems_name_their_field(client: TestClient, secret: str) -> None:
    headers = login(client)
    found = problems(
        client.post(PROVIDERS, json=body(issuer="http://auth.example.fr"), headers=headers), 422
    )
    assert "must use https" in found["issuer"]
    found = problems(client.post(PROVIDERS, json=body(scopes=["email"]), headers=headers), 422)
    assert "openid" in found["scopes"]
    found = problems(
        client.post(PROVIDERS, json=body(client_secret_file="/etc/hostname"), headers=headers),
        422,
    )
    assert "must be a file inside" in found["client_secret_file"]
    found = problems(client.post(PROVIDERS, json=body(client_secret="x"), headers=headers), 422)
    assert "client_secret" in found
    assert problems(client.patch(f"{PROVIDERS}/fra", json={"enabled": False}, headers=headers), 404)
    found = problems(
        client.patch(f"{PROVIDERS}/fra", json={"nation_code": "GBR"}, headers=headers), 422
    )
    assert "nation_code" in found


def test_only_node_administrators_see_or_change_providers(client: TestClient, secret: str) -> None:
    headers = login(client, "reader")
    assert problems(client.get(PROVIDERS, headers=headers), 403)
    assert problems(client.post(PROVIDERS, json=body(), headers=headers), 403)
    client.cookies.clear()
    assert problems(client.get(PROVIDERS), 401)


@pytest.fixture
def claire(uow: UowFactory, operator: Principal, world: World) -> str:
    person = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Claire",
            family_name="Chevalier",
            email="claire@lopt.example",
            employer_id=world.fra_lab,
            citizenships=["FRA"],
        ),
    )
    create_account(
        uow(),
        operator,
        AccountIn(
            username="claire",
            display_name="Claire Chevalier",
            password=PASSWORD,
            person_id=person.id,
            grants=[
                GrantIn(
                    role=Role.RESEARCHER, scope_kind=ScopeKind.ORGANISATION, scope_id=world.fra_lab
                )
            ],
        ),
    )
    return "claire"


def test_links_through_the_api(client: TestClient, secret: str, claire: str) -> None:
    headers = login(client)
    assert client.post(PROVIDERS, json=body(), headers=headers).status_code == 201
    links = f"{PROVIDERS}/fra/links"
    subject = "proconnect|7f3/a9"  # subjects may hold any printable character
    made = client.post(links, json={"subject": subject, "account": claire}, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["account"] == "claire" and made.json()["last_sign_in_at"] is None
    assert [k["subject"] for k in client.get(links, headers=headers).json()] == [subject]
    assert client.get(f"{PROVIDERS}/fra", headers=headers).json()["linked_identities"] == 1

    found = problems(
        client.post(links, json={"subject": "other", "account": claire}, headers=headers), 409
    )
    assert "claire is linked to subject" in found[""]
    found = problems(
        client.post(links, json={"subject": "x", "account": "reader"}, headers=headers), 422
    )
    assert "not linked to a person" in found["account"]
    found = problems(client.post(links, json={"subject": "x"}, headers=headers), 422)
    assert "account" in found

    gone = client.delete(f"{links}/{quote(subject, safe='')}", headers=headers)
    assert gone.status_code == 204, gone.text
    assert client.get(links, headers=headers).json() == []
    assert problems(client.delete(f"{links}/{quote(subject, safe='')}", headers=headers), 404)


def test_only_node_administrators_link(client: TestClient, secret: str, claire: str) -> None:
    headers = login(client)
    assert client.post(PROVIDERS, json=body(), headers=headers).status_code == 201
    client.cookies.clear()
    headers = login(client, "reader")
    links = f"{PROVIDERS}/fra/links"
    assert problems(client.get(links, headers=headers), 403)
    assert problems(
        client.post(links, json={"subject": "s", "account": claire}, headers=headers), 403
    )
    assert problems(client.delete(f"{links}/s", headers=headers), 403)


def test_the_provider_page_links_and_unlinks_accounts(
    client: TestClient, secret: str, claire: str, settings: Settings
) -> None:
    settings.public_url = "https://coalition.example.fr/"
    web_login(client)
    page = client.get("/identity-providers")
    made = client.post(
        "/identity-providers",
        data={
            **body(scopes="openid profile"),
            "enabled": "yes",
            "csrf_token": form_token(page.text),
        },
    )
    assert made.status_code == 200, made.text  # followed to the provider's page
    assert "https://coalition.example.fr/login/sso/fra/callback" in made.text
    assert "No subject of this provider is linked" in made.text

    refused = client.post(
        "/identity-providers/fra/links",
        data={"subject": "s-1", "account": "reader", "csrf_token": form_token(made.text)},
    )
    assert refused.status_code == 422
    assert "not linked to a person in the registry" in refused.text
    linked = client.post(
        "/identity-providers/fra/links",
        data={"subject": " s-1 ", "account": claire, "csrf_token": form_token(refused.text)},
    )
    assert linked.status_code == 200
    assert "Subject s-1 linked to claire." in linked.text
    assert "<code>s-1</code>" in linked.text and "never" in linked.text

    unlinked = client.post(
        "/identity-providers/fra/links/remove",
        data={"subject": "s-1", "csrf_token": form_token(linked.text)},
    )
    assert "Subject s-1 unlinked" in unlinked.text
    assert "No subject of this provider is linked" in unlinked.text
