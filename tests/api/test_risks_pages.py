"""Risk pages: the register with its heat map (a table whose cells link to their risks), the
form to raise a risk (the owner by e-mail, errors at their fields), and one risk with its
history, its score chart and only the forms its reader may use."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.factories import World
from tests.integration.test_risks import PROJECT, WP, RiskWorld, make_risk_world


@pytest.fixture
def rw(uow: UowFactory, operator: Principal, world: World) -> RiskWorld:
    return make_risk_world(uow, operator, world)


def form(client: TestClient, page: str, **values: str) -> dict[str, str]:
    return {"csrf_token": form_token(client.get(page).text)} | values


def raise_through_the_form(client: TestClient, reference: str = "RSK-1", **values: str) -> str:
    response = client.post(
        "/risks/new",
        data=form(
            client,
            "/risks/new",
            reference=reference,
            project=PROJECT,
            work_package=WP,
            title="Fusion library licence may lapse",
            category="technical",
            likelihood="4",
            impact="5",
            owner="alice@usapl.example",
        )
        | values,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_a_risk_raised_through_the_form_is_in_the_register_and_its_heat_map(
    client: TestClient, rw: RiskWorld
) -> None:
    web_login(client, "paula")
    page = raise_through_the_form(client)
    shown = client.get(page).text
    assert "Risk RSK-1 raised: score 20 (critical)." in shown
    assert "Alice Archer (USAPL)" in shown
    assert 'src="data:image/svg+xml;base64,' in shown
    assert "Score of risk RSK-1 at each assessment:" in shown  # the chart's text alternative
    assert 'action="/risks/' in shown and "/assess" in shown and "/owner" in shown
    register = client.get("/risks", params={"project": PROJECT}).text
    assert 'href="/risks/' in register and "RSK-1" in register
    assert "Risk heat map of SENSE: 1 live risk(s)" in register
    cell = re.search(r'<a href="(/risks\?[^"]*likelihood=4[^"]*)" aria-label="1 risk', register)
    assert cell, "the heat map cell links to its risks"
    linked = client.get(cell.group(1).replace("&amp;", "&")).text
    assert "Showing the risks at likelihood 4 and impact 5." in linked and "RSK-1" in linked


def test_the_form_shows_errors_at_their_fields(client: TestClient, rw: RiskWorld) -> None:
    web_login(client, "paula")
    page = client.get("/risks/new", params={"project": PROJECT}).text
    assert f'value="{PROJECT}"' in page
    response = client.post(
        "/risks/new",
        data=form(
            client,
            "/risks/new",
            reference="RSK-2",
            project=PROJECT,
            work_package="WP9",
            title="Fusion library licence may lapse",
            category="technical",
            likelihood="3",
            impact="3",
            owner="fred@lopt.example",
        ),
    )
    assert response.status_code == 422
    assert "The risk was not raised" in response.text
    assert 'id="e-work_package"' in response.text and "SENSE has no work package" in response.text
    assert 'id="e-owner"' in response.text and "which does not take part in SENSE" in response.text
    unknown = client.post(
        "/risks/new",
        data=form(
            client,
            "/risks/new",
            reference="RSK-2",
            project=PROJECT,
            title="Fusion library licence may lapse",
            category="technical",
            likelihood="3",
            impact="3",
            owner="nobody@nowhere.example",
        ),
    )
    assert unknown.status_code == 422 and "no person with e-mail" in unknown.text


def test_each_reader_sees_only_the_forms_they_may_use(client: TestClient, rw: RiskWorld) -> None:
    web_login(client, "paula")
    page = raise_through_the_form(client)
    web_login(client, "alice")
    mine = client.get(page).text
    assert "Record assessment" in mine and "Hand to another owner" not in mine
    web_login(client, "bob")
    theirs = client.get(page).text
    assert "RSK-1" in theirs and "Record assessment" not in theirs
    web_login(client, "fred")
    assert client.get(page).status_code == 404
    assert "No risk to show." in client.get("/risks").text


def test_a_refused_assessment_re_renders_with_the_reason(client: TestClient, rw: RiskWorld) -> None:
    web_login(client, "paula")
    page = raise_through_the_form(client)
    response = client.post(
        f"{page}/assess",
        data=form(client, page, likelihood="1", impact="1", status="closed"),
    )
    assert response.status_code == 409
    assert "an open risk is closed once its mitigation has been recorded" in response.text
    done = client.post(
        f"{page}/assess",
        data=form(client, page, likelihood="2", impact="5", status="mitigating", note="on it"),
        follow_redirects=True,
    )
    assert "assessed: score 10 (high), falling." in done.text
    handed = client.post(
        f"{page}/owner",
        data=form(client, page, owner="alice@usapl.example"),
    )
    assert handed.status_code == 422 and "Alice Archer already owns RSK-1" in handed.text
    moved = client.post(
        f"{page}/owner",
        data=form(client, page, owner="bob@uksl.example", handover_note="UKSL runs WP1"),
        follow_redirects=True,
    )
    assert "is now owned by Bob Baker" in moved.text
