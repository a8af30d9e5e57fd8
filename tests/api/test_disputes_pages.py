"""Dispute pages: the list with its filters and overdue badge, the form to raise one (errors
at their fields, values kept), and one dispute with its ladder drawn, its history, and only
the forms its reader may use."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal
from coalition.disputes import services
from coalition.settings import Settings
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.factories import World
from tests.integration.test_disputes import (
    AGREEMENT,
    PROJECT,
    DisputeWorld,
    actor_of,
    command,
    make_dispute_world,
)


@pytest.fixture
def dw(uow: UowFactory, operator: Principal, world: World) -> DisputeWorld:
    return make_dispute_world(uow, operator, world, admin=False)


def test_raise_a_dispute_on_the_form(client: TestClient, dw: DisputeWorld) -> None:
    web_login(client, "alice")
    page = client.get(f"/disputes/new?agreement={AGREEMENT}").text
    assert f'<option value="{AGREEMENT}" selected>' in page
    assert "Project officers (30 days)" in page and "LOPT, UKSL, USAPL" in page
    form = {
        "csrf_token": form_token(page),
        "reference": "DSP-WEB",
        "agreement": AGREEMENT,
        "project": PROJECT,
        "subject": "ip",
        "raised_by": "USAPL",
        "parties": "USNL, UKSL",
        "title": "Ownership of the fusion algorithm",
        "description": "Both labs claim the result.",
    }
    wrong = client.post("/disputes/new", data=form)
    assert wrong.status_code == 422
    assert re.search(r'id="e-parties">[^<]*USNL is not party to PA-SENSORS', wrong.text)
    assert 'value="DSP-WEB"' in wrong.text and 'value="USNL, UKSL"' in wrong.text
    short = client.post("/disputes/new", data=form | {"parties": "UKSL", "title": "x"})
    assert short.status_code == 422 and 'id="e-title"' in short.text
    created = client.post("/disputes/new", data=form | {"parties": "UKSL"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"]).text
    assert "Dispute DSP-WEB raised; it is for Project officers until" in page
    assert 'aria-current="step"' in page and "Escalate to level 2: Steering committee" in page
    assert "Record settlement" in page and "Withdraw dispute" in page
    listed = client.get("/disputes").text
    assert "DSP-WEB" in listed and "1 of 3: Project officers" in listed
    assert "overdue</span>" not in listed


def test_the_detail_page_shows_the_forms_its_reader_may_use(
    client: TestClient, dw: DisputeWorld, uow: UowFactory, settings: Settings
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=40)
    made = services.raise_dispute(
        uow(), actor_of(uow, dw, "alice"), command("DSP-OLD"), settings, now=long_ago
    )
    location = f"/disputes/{made.id}"
    web_login(client, "bob")
    listed = client.get("/disputes?overdue=1").text
    assert "DSP-OLD" in listed and 'class="badge bad">overdue' in listed
    assert "DSP-OLD" not in client.get("/disputes?status=resolved").text
    page = client.get(location).text
    assert "Escalate to level 2" in page
    # Bob's lab did not raise it: it neither settles nor withdraws it.
    assert "Record settlement" not in page and "Withdraw dispute" not in page
    assert re.search(r"due [0-9-]+ [0-9:]+ UTC, overdue by 10 days", page)
    token = form_token(page)
    no_reason = client.post(f"{location}/escalation", data={"csrf_token": token, "to_level": "2"})
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    up = client.post(
        f"{location}/escalation",
        data={"csrf_token": token, "to_level": "2", "reason": "no answer"},
        follow_redirects=True,
    )
    assert "escalated to level 2, Steering committee" in up.text
    assert "no answer" in up.text and "(passed)" in up.text
    # The same form sent again from a stale page would skip a level: refused, said.
    stale = client.post(
        f"{location}/escalation", data={"csrf_token": token, "to_level": "2", "reason": "again"}
    )
    assert stale.status_code == 422 and "already at level 2 (Steering committee)" in stale.text
    not_theirs = client.post(
        f"{location}/settlement", data={"csrf_token": token, "outcome": "Nothing is owed"}
    )
    assert not_theirs.status_code == 403
    client.cookies.clear()
    web_login(client, "alice")  # her lab raised it
    token = form_token(client.get(location).text)
    settled = client.post(
        f"{location}/settlement",
        data={"csrf_token": token, "outcome": "Joint recalibration in May"},
        follow_redirects=True,
    )
    assert "Dispute DSP-OLD settled." in settled.text and "resolved" in settled.text
    assert "Record settlement" not in settled.text and "Escalate to" not in settled.text

    web_login(client, "olga")
    assert client.get(location).status_code == 404
    assert "DSP-OLD" not in client.get("/disputes").text
