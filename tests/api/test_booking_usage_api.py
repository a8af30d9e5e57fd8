"""Quotas, single occurrences and utilisation over HTTP: the REST API (problem+json naming
the field, 403, 404 and 409, the CSV, XLSX and SVG downloads) and the pages (the quota
table and form, the per-occurrence buttons, the utilisation page with its chart and its
text alternative). Requests are made at the real "now"; a booking in the past is made
through the use case with an earlier "now"."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from coalition.accounts.permissions import Principal
from coalition.facilities import bookings
from coalition.facilities.schemas import BookingDecisionIn, BookingIn
from tests.api.conftest import login
from tests.api.test_bookings_api import (
    CLOSED,
    MONDAY,
    TUESDAY,
    as_utc,
    events,
    fields,
    local,
    made,
    problem,
)
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.facility_world import PROJECT, TUNNEL, FacilityWorld, actor_of, make_facility_world
from tests.factories import World


@pytest.fixture
def fw(uow: UowFactory, operator: Principal, world: World) -> FacilityWorld:
    return make_facility_world(uow, operator, world, closed=CLOSED)


def quota(client: TestClient, fw: FacilityWorld, who: str = "grace", **values: Any) -> Any:
    return client.put(
        f"/api/v1/facilities/{fw.tunnel}/quotas",
        json={"period": "week", "hours": "3"} | values,
        headers=login(client, who),
    )


def past_booking(uow: UowFactory, fw: FacilityWorld) -> str:
    """An approved booking of yesterday 09:00-11:00 New York time, requested last week."""
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    day = yesterday.date()
    while day.weekday() > 4:  # USAPL-RNG (Monday to Saturday) would do; the tunnel works weekdays
        day -= timedelta(days=1)
    made_ = bookings.request_booking(
        uow(),
        actor_of(uow, fw, "carol"),
        BookingIn(
            reference="BK-PAST",
            facility=TUNNEL,
            project=PROJECT,
            purpose="Runs that nobody came to",
            starts=datetime.fromisoformat(local(day, 9)),
            ends=datetime.fromisoformat(local(day, 11)),
            participant_ids=[fw.carol],
        ),
        now=now - timedelta(days=14),
    )
    bookings.decide_booking(
        uow(), actor_of(uow, fw, "grace"), made_.id, BookingDecisionIn(outcome="approved")
    )
    return f"{day.isoformat()}T09:00"


def test_quotas_are_set_listed_enforced_and_removed(client: TestClient, fw: FacilityWorld) -> None:
    response = quota(client, fw, project=PROJECT)
    assert response.status_code == 200, response.text
    set_ = response.json()
    assert (set_["project"], set_["period"], set_["hours"]) == (PROJECT, "week", "3.00")
    carol = login(client, "carol")
    listed = client.get(f"/api/v1/facilities/{fw.tunnel}/quotas").json()
    assert [q["id"] for q in listed] == [set_["id"]]
    made(client, carol, fw, starts=local(TUESDAY, 9), ends=local(TUESDAY, 11))
    over = problem(
        client.post(
            "/api/v1/bookings",
            json={
                "reference": "BK-2",
                "facility": TUNNEL,
                "project": PROJECT,
                "purpose": "More runs",
                "starts": local(TUESDAY, 13),
                "ends": local(TUESDAY, 15),
                "participant_ids": [str(fw.carol)],
            },
            headers=carol,
        ),
        409,
    )
    assert over["detail"].startswith("starts: over the quota of project TUNNEL at USAPL-WT")
    assert f"the week of {MONDAY.isoformat()}" in over["detail"]
    assert "it holds 2.00 h and asks 2.00 h; 3.00 h are allowed" in over["detail"]
    grace = login(client, "grace")
    gone = client.delete(f"/api/v1/facilities/{fw.tunnel}/quotas/{set_['id']}", headers=grace)
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/facilities/{fw.tunnel}/quotas/{set_['id']}", headers=grace)
    assert problem(again, 404)["detail"] == "no quota with this id at this facility"


def test_a_bad_quota_names_its_field(client: TestClient, fw: FacilityWorld) -> None:
    both = problem(quota(client, fw, project=PROJECT, nation="GBR"), 422)
    assert "project" in fields(both)
    for hours, message in (("0", "greater than 0"), ("1.001", "decimal"), ("1.01", "minutes")):
        wrong = problem(quota(client, fw, project=PROJECT, hours=hours), 422)
        assert message in fields(wrong)["hours"], (hours, fields(wrong))
    period = problem(quota(client, fw, project=PROJECT, period="fortnight"), 422)
    assert "period" in fields(period)
    unknown = problem(quota(client, fw, nation="XXX"), 422)
    assert "nation" in fields(unknown)
    assert problem(quota(client, fw, "carol", project=PROJECT), 403)


def test_an_occurrence_is_cancelled_and_a_past_one_marked_a_no_show(
    client: TestClient, fw: FacilityWorld, uow: UowFactory
) -> None:
    carol = login(client, "carol")
    series = made(
        client,
        carol,
        fw,
        starts=local(TUESDAY, 9),
        ends=local(TUESDAY, 11),
        recurrence="FREQ=WEEKLY;COUNT=2",
    )
    cancel = f"/api/v1/bookings/{series['id']}/occurrences/cancel"
    wrong = problem(
        client.post(cancel, json={"starts": local(TUESDAY, 10), "reason": "x"}, headers=carol),
        422,
    )
    assert set(fields(wrong)) == {"reason"}
    missing = problem(
        client.post(cancel, json={"starts": local(TUESDAY, 10), "reason": "late"}, headers=carol),
        422,
    )
    assert fields(missing)["starts"].startswith("no occurrence of BK-1 starts at")
    done = client.post(cancel, json={"starts": local(TUESDAY, 9), "reason": "late"}, headers=carol)
    assert done.status_code == 200, done.text
    assert [o["status"] for o in done.json()["occurrences"]] == ["cancelled", "scheduled"]
    feed = events(client.get(f"/api/v1/facilities/{fw.tunnel}/calendar.ics").content)
    assert feed[as_utc(TUESDAY, 9)][1] == "CANCELLED"
    assert feed[as_utc(TUESDAY + timedelta(days=7), 9)][1] == "TENTATIVE"

    starts = past_booking(uow, fw)
    past = client.get("/api/v1/facilities/" + str(fw.tunnel) + "/bookings").json()
    past_id = next(b["id"] for b in past if b["reference"] == "BK-PAST")
    no_show = f"/api/v1/bookings/{past_id}/occurrences/no-show"
    assert problem(client.post(no_show, json={"starts": starts}, headers=carol), 403)
    grace = login(client, "grace")
    marked = client.post(no_show, json={"starts": starts, "note": "no one came"}, headers=grace)
    assert marked.status_code == 200, marked.text
    assert marked.json()["occurrences"][0]["status"] == "no_show"
    future = problem(
        client.post(
            f"/api/v1/bookings/{series['id']}/occurrences/no-show",
            json={"starts": local(TUESDAY + timedelta(days=7), 9)},
            headers=grace,
        ),
        409,
    )
    assert "only an approved booking" in future["detail"]


def test_the_utilisation_report_in_every_format(
    client: TestClient, fw: FacilityWorld, uow: UowFactory
) -> None:
    starts = past_booking(uow, fw)
    day = starts[:10]
    login(client, "carol")
    url = f"/api/v1/facilities/{fw.tunnel}/utilisation?from={day}&to={day}"
    report = client.get(url).json()
    assert report["open_hours"] == "10.00"
    assert report["totals"]["used_hours"] == "2.00"
    assert report["totals"]["utilisation_percent"] == "20.0"
    assert [r["name"] for r in report["projects"]] == [PROJECT]
    assert [r["name"] for r in report["nations"]] == ["USA"]
    csv = client.get(url + "&format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert f'filename="utilisation-{TUNNEL}-{day}-{day}.csv"' in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0].startswith("Breakdown,Name,Open h,Requested h")
    assert lines[1].startswith(f"facility,{TUNNEL},10.00,2.00,2.00")
    xlsx = client.get(url + "&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet["A2"].value == "facility"
    svg = client.get(url + "&format=svg")
    assert svg.headers["content-type"] == "image/svg+xml" and "Bookings at USAPL-WT" in svg.text
    backwards = problem(client.get(url.replace(f"from={day}", "from=2999-01-01")), 422)
    assert "to" in fields(backwards)
    assert problem(client.get(url.replace(f"to={day}", "to=soon")), 422)
    login(client, "fabien")
    assert problem(client.get(url), 404)


# --- pages ------------------------------------------------------------------------------------


def test_the_facility_manager_sets_and_removes_a_quota_on_the_page(
    client: TestClient, fw: FacilityWorld
) -> None:
    web_login(client, "carol")
    page = client.get(f"/facilities/{fw.tunnel}").text
    assert 'id="quotas-h"' in page and "Set a quota" not in page
    assert f'href="/facilities/{fw.tunnel}/utilisation"' in page
    web_login(client, "grace")
    page = client.get(f"/facilities/{fw.tunnel}").text
    token = form_token(page)
    action = f"/facilities/{fw.tunnel}/quotas"
    bad = client.post(
        action, data={"csrf_token": token, "quota_period": "week", "quota_hours": "lots"}
    )
    assert bad.status_code == 422
    assert re.search(r'id="e-quota_hours">[^<]*valid decimal', bad.text)
    assert 'value="lots"' in bad.text
    nobody = client.post(
        action, data={"csrf_token": token, "quota_period": "week", "quota_hours": "4"}
    )
    assert nobody.status_code == 422
    assert re.search(r'id="e-quota_project">name a project or a nation', nobody.text)
    done = client.post(
        action,
        data={
            "csrf_token": token,
            "quota_nation": "GBR",
            "quota_period": "month",
            "quota_hours": "40",
        },
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Quota set: GBR, 40.00 h a month." in done.text
    assert "nation GBR" in done.text
    quota_id = client.get(f"/api/v1/facilities/{fw.tunnel}/quotas").json()[0]["id"]
    removed = client.post(
        f"{action}/{quota_id}/remove", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Quota removed." in removed.text and "No quota" in removed.text


def test_occurrence_buttons_on_the_booking_page(
    client: TestClient, fw: FacilityWorld, uow: UowFactory
) -> None:
    series = made(
        client,
        login(client, "carol"),
        fw,
        starts=local(TUESDAY, 9),
        ends=local(TUESDAY, 11),
        recurrence="FREQ=WEEKLY;COUNT=2",
    )
    web_login(client, "carol")
    location = f"/bookings/{series['id']}"
    page = client.get(location).text
    assert page.count("Cancel occurrence") == 2 and "No-show" not in page
    short = client.post(
        f"{location}/occurrences/cancel",
        data={
            "csrf_token": form_token(page),
            "starts": as_utc(TUESDAY, 9).isoformat(),
            "reason": "no",
        },
    )
    assert short.status_code == 422 and "at least 3 characters" in short.text
    done = client.post(
        f"{location}/occurrences/cancel",
        data={
            "csrf_token": form_token(page),
            "starts": as_utc(TUESDAY, 9).isoformat(),
            "reason": "model late",
        },
        follow_redirects=True,
    )
    assert "Occurrence of BK-1 cancelled." in done.text
    assert "cancelled</span> by carol: model late" in done.text
    assert done.text.count("Cancel occurrence") == 1

    past_booking(uow, fw)
    past = client.get(f"/api/v1/facilities/{fw.tunnel}/bookings").json()
    past_location = f"/bookings/{next(b['id'] for b in past if b['reference'] == 'BK-PAST')}"
    assert "No-show" not in client.get(past_location).text  # carol does not manage it
    web_login(client, "grace")
    page = client.get(past_location).text
    assert "No-show" in page and "Cancel occurrence" not in page
    starts = re.search(r'name="starts" value="([^"]+)"', page)
    assert starts
    marked = client.post(
        f"{past_location}/occurrences/no-show",
        data={"csrf_token": form_token(page), "starts": starts.group(1)},
        follow_redirects=True,
    )
    assert "marked a no-show" in marked.text and "no-show</span> by grace" in marked.text


def test_the_utilisation_page_has_its_table_chart_and_downloads(
    client: TestClient, fw: FacilityWorld, uow: UowFactory
) -> None:
    day = past_booking(uow, fw)[:10]
    web_login(client, "carol")
    page = client.get(f"/facilities/{fw.tunnel}/utilisation?from={day}&to={day}")
    assert page.status_code == 200
    assert 'id="utilisation-table"' in page.text
    alt = re.search(r'<img id="timeline-chart" src="([^"]+)" alt="([^"]+)"', page.text)
    assert alt, page.text
    assert "used 2.00 h" in alt.group(2) and "utilisation 20.0%" in alt.group(2)
    chart = client.get(alt.group(1).replace("&amp;", "&"))
    assert chart.headers["content-type"] == "image/svg+xml"
    csv = client.get(f"/facilities/{fw.tunnel}/utilisation.csv?from={day}&to={day}")
    assert csv.text.splitlines()[1].startswith(f"facility,{TUNNEL},10.00")
    default = client.get(f"/facilities/{fw.tunnel}/utilisation")
    assert default.status_code == 200 and 'id="utilisation-table"' in default.text
    bad = client.get(f"/facilities/{fw.tunnel}/utilisation?from=yesterday&to={day}")
    assert bad.status_code == 422
    assert re.search(r'id="e-from">[^<]*yesterday&#39; is not a date', bad.text)
