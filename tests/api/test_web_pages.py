"""Server-rendered pages: log-in, CSRF, access, forms with per-field errors."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import PASSWORD, World


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def web_login(client: TestClient, username: str = "admin") -> None:
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_pages_redirect_to_log_in_with_next(client: TestClient) -> None:
    response = client.get("/organisations?q=lab", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/organisations%3Fq%3Dlab"


def test_log_in_form_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 403


def test_log_in_does_not_redirect_off_site(client: TestClient) -> None:
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_failed_log_in_says_so_without_saying_why(client: TestClient) -> None:
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "admin", "password": "wrong", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "wrong username or password" in response.text


def test_dashboard_shows_counts(client: TestClient) -> None:
    web_login(client)
    page = client.get("/").text
    assert "Agreements in force" in page and "Clearances expiring" in page


def test_researcher_dashboard_does_not_mention_clearance_expiries(client: TestClient) -> None:
    web_login(client, "reader")
    assert "Clearances expiring" not in client.get("/").text


def test_new_organisation_form_shows_field_errors(client: TestClient) -> None:
    web_login(client)
    token = form_token(client.get("/organisations/new").text)
    response = client.post(
        "/organisations/new",
        data={
            "csrf_token": token,
            "name": "Dup",
            "short_name": "UKSL",
            "kind": "lab",
            "nation_code": "GBR",
        },
    )
    assert response.status_code == 409
    assert "already exists" in response.text
    missing = client.post("/organisations/new", data={"csrf_token": token, "kind": "lab"})
    assert missing.status_code == 422
    assert 'id="e-name"' in missing.text and 'id="e-nation_code"' in missing.text


def test_organisation_created_through_the_form_is_listed(client: TestClient) -> None:
    web_login(client)
    token = form_token(client.get("/organisations/new").text)
    created = client.post(
        "/organisations/new",
        data={
            "csrf_token": token,
            "name": "Royal Optics Lab",
            "short_name": "ROL",
            "kind": "lab",
            "nation_code": "GBR",
        },
        follow_redirects=True,
    )
    assert created.status_code == 200 and "Organisation ROL created." in created.text
    assert "Royal Optics Lab" in client.get("/organisations?q=optics").text


def test_log_out_ends_the_session(client: TestClient) -> None:
    web_login(client)
    token = form_token(client.get("/").text)
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/", follow_redirects=False).status_code == 303


def test_pages_offer_only_the_forms_that_would_succeed(client: TestClient, world: World) -> None:
    web_login(client, "reader")
    page = client.get(f"/people/{world.bob}").text
    assert "Edit</a>" not in page and "Record a briefing" not in page
    assert "Not shown to you." in page
    web_login(client, "admin")
    page = client.get(f"/people/{world.bob}").text
    assert "Edit</a>" in page and "Record a briefing" in page and "Add a clearance" in page


def test_reference_page_shows_schemes_groups_and_nations(client: TestClient) -> None:
    web_login(client, "reader")
    page = client.get("/reference").text
    assert "COSMIC TOP SECRET" in page and "FVEY" in page and "United Kingdom" in page
    assert "<s>GBR</s>" in page  # left the EU


def test_admin_creates_an_account_with_a_role_and_suspends_it(client: TestClient) -> None:
    web_login(client, "admin")
    page = client.get("/accounts").text
    assert 'href="/accounts"' in page
    short = client.post(
        "/accounts",
        data={
            "csrf_token": form_token(page),
            "username": "new.user",
            "display_name": "New",
            "password": "short",
            "role": "researcher",
            "scope": "node",
        },
    )
    assert short.status_code == 422 and "at least 12 characters" in short.text
    created = client.post(
        "/accounts",
        data={
            "csrf_token": form_token(page),
            "username": "new.user",
            "display_name": "New",
            "password": "long-enough-password",
            "role": "researcher",
            "scope": "node",
        },
        follow_redirects=True,
    )
    assert "Account new.user created." in created.text and "Researcher" in created.text
    suspended = client.post(
        created.url.path + "/status",
        data={"csrf_token": form_token(created.text), "status": "suspended"},
        follow_redirects=True,
    )
    assert "is now suspended" in suspended.text


def test_accounts_page_is_for_administrators_only(client: TestClient) -> None:
    web_login(client, "reader")
    assert 'href="/accounts"' not in client.get("/").text
    assert client.get("/accounts").status_code == 403


def test_edit_pages_refuse_those_who_may_not_edit(client: TestClient, world: World) -> None:
    web_login(client, "reader")
    for path in (
        f"/organisations/{world.gbr_lab}/edit",
        f"/people/{world.bob}/edit",
        f"/agreements/{world.mou}/edit",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "<form" not in response.text.split("</header>")[-1]


def test_a_mangled_address_gets_a_page_not_json(client: TestClient) -> None:
    web_login(client)
    for path in ("/people/abc", "/people?status=bogus"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert response.headers["content-type"].startswith("text/html")


def test_absurd_offsets_and_horizons_do_not_break_lists(client: TestClient) -> None:
    login_headers = web_login(client)  # type: ignore[func-returns-value]
    assert login_headers is None
    assert client.get("/people?offset=99999999999999999999").status_code in (200, 400)
    api = client.get("/api/v1/people", params={"offset": 10**12})
    assert api.status_code == 200 and api.json()["items"] == []
    far = client.get("/api/v1/clearances/expiring", params={"on": "9999-12-31"})
    assert far.status_code == 422


def test_admin_adds_a_nation_and_a_security_agreement_on_the_reference_page(
    client: TestClient,
) -> None:
    web_login(client, "admin")
    token = form_token(client.get("/reference").text)
    bad = client.post(
        "/reference/nations", data={"csrf_token": token, "code": "XX", "currency": "EUR"}
    )
    assert bad.status_code == 422 and "not an ISO 3166-1 alpha-3" in bad.text
    added = client.post(
        "/reference/nations",
        data={"csrf_token": token, "code": "NLD", "currency": "EUR", "scheme_code": "NLD"},
        follow_redirects=True,
    )
    assert "Nation NLD added." in added.text and "Netherlands" in added.text
    recorded = client.post(
        "/reference/security-agreements",
        data={
            "csrf_token": token,
            "reference": "GSA-NLD-USA",
            "title": "GSA",
            "parties": "NLD, USA",
            "max_level": "3",
            "in_force_from": "2001-01-01",
        },
        follow_redirects=True,
    )
    assert "Security agreement GSA-NLD-USA recorded." in recorded.text


def test_reference_page_offers_no_forms_to_a_researcher(client: TestClient) -> None:
    web_login(client, "reader")
    page = client.get("/reference").text
    assert "Add a nation" not in page and "Record a security agreement" not in page
