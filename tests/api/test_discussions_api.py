"""Discussions over the API and in the pages: a thread with messages at two labels shows
each reader only what they may read (counts and exports included), refusals are
problem+json naming the field, and the pages nest replies under what they answer, each
message under its banner."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World
from tests.integration.test_discussions import EMAILS, SECRET, UNCLASSIFIED, Talk, make_talk


@pytest.fixture
def talk(uow: UowFactory, operator: Principal, world: World) -> Talk:
    talk = make_talk(uow, operator, world)
    for name in ("alice", "dave", "frank"):
        create_account(
            uow(),
            operator,
            AccountIn(
                username=name,
                display_name=name.title(),
                password=PASSWORD,
                person_id=talk.people[name],
                grants=[GrantIn(role=Role.RESEARCHER, scope_kind=ScopeKind.NODE)],
            ),
        )
    return talk


def _thread(client: TestClient, headers: dict[str, str], **changes: object) -> dict[str, object]:
    command = {
        "subject_kind": "project",
        "project": "SONAR",
        "title": "Array calibration",
        "label": UNCLASSIFIED.model_dump(mode="json"),
        "body": "Open findings of the array trial.",
    } | changes
    response = client.post("/api/v1/discussions", json=command, headers=headers)
    assert response.status_code == 201, response.text
    found: dict[str, object] = response.json()
    return found


def test_a_reader_sees_and_counts_only_the_messages_they_may_read(
    client: TestClient, talk: Talk
) -> None:
    alice = login(client, "alice")
    thread = _thread(client, alice)
    assert thread["message_count"] == 1 and thread["banner"] == "UNCLASSIFIED//REL TO USA, GBR"
    top = thread["messages"][0]["id"]  # type: ignore[index]
    secret = client.post(
        f"/api/v1/discussions/{thread['id']}/messages",
        json={
            "body": "The weak spot is at 3 kHz.",
            "label": SECRET.model_dump(mode="json"),
            "parent_id": top,
        },
        headers=alice,
    )
    assert secret.status_code == 201, secret.text
    assert (secret.json()["depth"], secret.json()["parent_id"]) == (1, top)
    mine = client.get(f"/api/v1/discussions/{thread['id']}").json()
    assert mine["message_count"] == 2

    client.cookies.clear()
    dave = login(client, "dave")
    listed = client.get("/api/v1/discussions", params={"project": "SONAR"}).json()
    assert listed["total"] == 1 and listed["items"][0]["message_count"] == 1
    shown = client.get(f"/api/v1/discussions/{thread['id']}").json()
    assert [m["body"] for m in shown["messages"]] == ["Open findings of the array trial."]
    assert shown["message_count"] == 1
    hidden = client.get(f"/api/v1/discussions/messages/{secret.json()['id']}")
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    text = client.get(f"/api/v1/discussions/{thread['id']}/export", params={"format": "text"})
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert "3 kHz" not in text.text and text.text.startswith("UNCLASSIFIED//REL TO USA, GBR\n")
    exported = client.get(f"/api/v1/discussions/{thread['id']}/export").json()
    assert len(exported["messages"]) == 1
    # Posting above one's clearance is refused at the label, and writes nothing.
    refused = client.post(
        f"/api/v1/discussions/{thread['id']}/messages",
        json={"body": "A guess", "label": SECRET.model_dump(mode="json")},
        headers=dave,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "label"

    client.cookies.clear()
    login(client, "frank")
    assert client.get("/api/v1/discussions").json()["total"] == 0
    assert client.get(f"/api/v1/discussions/{thread['id']}").status_code == 404


def test_the_api_filters_by_subject_and_refuses_what_it_cannot_start(
    client: TestClient, talk: Talk
) -> None:
    alice = login(client, "alice")
    on_wp = _thread(
        client, alice, subject_kind="work_package", work_package="WP1", title="WP1 plan", body=None
    )
    _thread(client, alice)
    found = client.get(
        "/api/v1/discussions",
        params={"subject_kind": "work_package", "subject_id": str(talk.work_package)},
    ).json()
    assert [t["id"] for t in found["items"]] == [on_wp["id"]]
    loose = client.post(
        "/api/v1/discussions",
        json={
            "subject_kind": "artifact",
            "reference": talk.loose,
            "title": "Loose",
            "label": UNCLASSIFIED.model_dump(mode="json"),
        },
        headers=alice,
    )
    assert loose.status_code == 422
    assert loose.json()["errors"][0]["field"] == "reference"
    unknown = client.get(f"/api/v1/discussions/{uuid.uuid4()}")
    assert unknown.status_code == 404


def _form(client: TestClient, page: str, **values: str) -> dict[str, str]:
    return {"csrf_token": form_token(client.get(page).text)} | values


def test_the_pages_start_a_thread_nest_replies_and_show_each_banner(
    client: TestClient, talk: Talk
) -> None:
    web_login(client, "alice")
    page = client.get("/discussions?project=SONAR")
    assert page.status_code == 200 and "Start a discussion" in page.text
    started = client.post(
        "/discussions/new",
        data=_form(
            client,
            "/discussions",
            subject_kind="project",
            project="SONAR",
            title="Array calibration",
            scheme="usa",
            originator="usa",
            banner="UNCLASSIFIED//REL TO USA, GBR",
            body="Which frequency?",
            mentions=EMAILS["dave"],
        ),
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    location = str(started.headers["location"])
    shown = client.get(location).text
    top = re.search(r'<li id="m-([0-9a-f-]+)"', shown)
    assert top
    replied = client.post(
        f"{location}/messages",
        data=_form(
            client,
            location,
            body="3 kHz, see the plan",
            parent_id=top.group(1),
            scheme="USA",
            originator="USA",
            banner="SECRET//REL TO USA, GBR",
            attachments=talk.shared,
        ),
        follow_redirects=False,
    )
    assert replied.status_code == 303, replied.text
    shown = client.get(location).text
    assert "Message posted at SECRET//REL TO USA, GBR." in shown
    # The reply sits in a list inside the message it answers, under its own banner.
    nested = shown.index('<li id="m-' + top.group(1))
    assert shown.index("<ol>", nested) < shown.index("3 kHz, see the plan")
    assert 'data-depth="1"' in shown
    assert shown.count('<code class="banner">SECRET//REL TO USA, GBR</code>') == 2
    assert talk.shared in shown and "/export.txt" in shown
    # A refusal is shown at its field.
    refused = client.post(
        f"{location}/messages",
        data=_form(client, location, body="x", scheme="USA", originator="USA", banner="TOP SECRET"),
    )
    assert refused.status_code == 422
    assert 'id="e-banner"' in refused.text and "ceiling" in refused.text
    export = client.get(f"{location}/export.txt")
    assert export.headers["content-type"].startswith("text/plain")
    assert export.text.startswith("SECRET//REL TO USA, GBR\n")

    client.cookies.clear()
    web_login(client, "dave")
    shown = client.get(location).text
    assert "Which frequency?" in shown and "3 kHz" not in shown
    assert "SECRET//REL TO USA, GBR" not in shown
    listed = client.get("/discussions?project=SONAR").text
    assert "Array calibration" in listed
    started_error = client.post(
        "/discussions/new",
        data=_form(
            client,
            "/discussions",
            subject_kind="project",
            project="SONAR",
            title="Above",
            scheme="USA",
            originator="USA",
            banner="SECRET//REL TO USA, GBR",
        ),
    )
    assert started_error.status_code == 422 and 'id="e-banner"' in started_error.text

    client.cookies.clear()
    web_login(client, "frank")
    assert "Array calibration" not in client.get("/discussions").text
    assert client.get(location).status_code == 404


def test_a_subject_page_links_to_its_discussions_and_starts_one_on_it(
    client: TestClient, talk: Talk
) -> None:
    web_login(client, "alice")
    page = f"/discussions?subject_kind=work_package&subject_id={talk.work_package}"
    shown = client.get(page).text
    assert f'name="subject_id" value="{talk.work_package}"' in shown
    assert "Showing the discussions on one work package." in shown
    values = {
        "subject_kind": "work_package",
        "subject_id": str(talk.work_package),
        "title": "WP1 plan",
        "scheme": "USA",
        "originator": "USA",
    }
    refused = client.post(
        "/discussions/new", data=_form(client, page, **values, banner="SECRET//REL TO MARS")
    )
    assert refused.status_code == 422 and 'id="e-banner"' in refused.text
    assert f'name="subject_id" value="{talk.work_package}"' in refused.text
    started = client.post(
        "/discussions/new",
        data=_form(client, page, **values, banner="UNCLASSIFIED//REL TO USA, GBR"),
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    listed = client.get(page).text
    assert "WP1 plan" in listed and "SONAR WP1" in listed
