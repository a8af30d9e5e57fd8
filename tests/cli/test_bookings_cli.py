"""`coalition bookings` against a fresh SQLite node: request (participants by e-mail or id,
recurring with exceptions), list, show, decide, cancel and the iCalendar feeds; refusals exit
1 (invalid), 3 (not found) or 4 (conflict) with the field named on stderr."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from coalition.accounts.permissions import Principal
from coalition.cli import context

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.facility_world import (
    EMAILS,
    PROJECT,
    TUNNEL,
    ZONE,
    FacilityWorld,
    make_facility_world,
)

NEW_YORK = ZoneInfo(ZONE)
_today = date.today()
#: A Monday three to four weeks ahead; USAPL-WT is closed four weeks later.
MONDAY = _today + timedelta(days=21 + (7 - _today.weekday()) % 7)
TUESDAY = MONDAY + timedelta(days=1)
CLOSED = (MONDAY + timedelta(days=28), MONDAY + timedelta(days=32))
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def fw(node: Path, capsys: Capsys) -> FacilityWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_facility_world(context.uow, Principal.operator("test"), closed=CLOSED)


def local(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00"


def as_utc(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=NEW_YORK).astimezone(UTC)


def request_args(reference: str = "BK-1", **changes: Any) -> list[str]:
    options: dict[str, Any] = {
        "reference": reference,
        "facility": TUNNEL,
        "project": PROJECT,
        "purpose": "Inlet calibration runs",
        "starts": local(TUESDAY, 10),
        "ends": local(TUESDAY, 12),
        "participant": [EMAILS["carol"], EMAILS["alice"]],
    } | changes
    args = ["bookings", "request"]
    for name, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            args += [f"--{name}", str(item)]
    return args


def book(capsys: Capsys, reference: str = "BK-1", **changes: Any) -> dict[str, Any]:
    made: dict[str, Any] = json.loads(ok(capsys, *request_args(reference, **changes), "--json"))
    return made


def events(feed: str | bytes) -> dict[datetime, tuple[datetime, str]]:
    return {
        e.decoded("dtstart"): (e.decoded("dtend"), str(e.get("status")))
        for e in Calendar.from_ical(feed).walk()
        if e.name == "VEVENT"
    }


def test_a_booking_from_request_to_cancellation(
    fw: FacilityWorld, capsys: Capsys, tmp_path: Path
) -> None:
    made = book(
        capsys,
        starts=local(TUESDAY, 9),
        ends=local(TUESDAY, 11),
        recurrence="FREQ=WEEKLY;COUNT=3",
        exception=local(TUESDAY + timedelta(days=7), 9),
        participant=[EMAILS["carol"], str(fw.alice)],
    )
    days = [TUESDAY, TUESDAY + timedelta(days=14)]
    assert [datetime.fromisoformat(o["starts_at"]) for o in made["occurrences"]] == [
        as_utc(d, 9) for d in days
    ]
    assert made["status"] == "requested" and made["requested_by"].startswith("operator:")
    assert [p["person_id"] for p in made["participants"]] == [str(fw.carol), str(fw.alice)]

    table = ok(capsys, "bookings", "list", TUNNEL)
    assert "BK-1" in table and "requested" in table
    shown = json.loads(ok(capsys, "bookings", "show", "BK-1", "--json"))
    assert shown["id"] == made["id"] and shown["recurrence"] == "FREQ=WEEKLY;COUNT=3"
    expected = {as_utc(d, 9): (as_utc(d, 11), "TENTATIVE") for d in days}
    assert events(ok(capsys, "bookings", "calendar", TUNNEL)) == expected

    approved = json.loads(
        ok(capsys, "bookings", "decide", "BK-1", "--outcome", "approved", "--json")
    )
    assert approved["status"] == "approved" and approved["decided_by"].startswith("operator:")
    confirmed = {start: (end, "CONFIRMED") for start, (end, _) in expected.items()}
    out = tmp_path / "tunnel.ics"
    assert ok(capsys, "bookings", "calendar", TUNNEL, "-o", str(out)) == ""
    assert events(out.read_bytes()) == confirmed
    assert events(ok(capsys, "bookings", "calendar", "--project", PROJECT)) == confirmed
    assert events(ok(capsys, "bookings", "calendar", "--person", EMAILS["carol"])) == confirmed
    assert events(ok(capsys, "bookings", "calendar", "--person", EMAILS["dan"])) == {}

    cancelled = json.loads(
        ok(capsys, "bookings", "cancel", "BK-1", "--reason", "model not ready", "--json")
    )
    assert cancelled["status"] == "cancelled"
    assert json.loads(ok(capsys, "bookings", "list", TUNNEL, "--json")) == []
    ended = json.loads(ok(capsys, "bookings", "list", TUNNEL, "--include-ended", "--json"))
    assert [(b["reference"], b["status"]) for b in ended] == [("BK-1", "cancelled")]
    assert events(ok(capsys, "bookings", "calendar", TUNNEL)) == {}


def test_invalid_requests_exit_1_naming_the_field(fw: FacilityWorld, capsys: Capsys) -> None:
    code, out, err = run(capsys, *request_args(starts=local(TUESDAY, 7)))
    assert code == 1 and out == ""
    assert f"error: starts: {TUESDAY} 07:00: {TUESDAY} ({TUESDAY:%A}): open 08:00 to 18:00" in err
    code, _, err = run(
        capsys, *request_args(starts=local(CLOSED[0], 10), ends=local(CLOSED[0], 12))
    )
    assert code == 1 and f"the facility is closed from {CLOSED[0]} to {CLOSED[1]}" in err
    code, _, err = run(
        capsys, *request_args(participant=[EMAILS["carol"], EMAILS["dan"], EMAILS["bob"]])
    )
    assert code == 1
    assert f"error: participant_ids[1]: Dan Dawson may not take part on {TUESDAY}: clearance" in err
    assert "error: participant_ids[2]: Bob Baker may not take part" in err
    assert "not releasable to CAN" in err
    code, _, err = run(capsys, *request_args(participant=["nobody@nowhere.example"]))
    assert code == 1 and "participant" in err and "nobody@nowhere.example" in err
    code, _, err = run(capsys, *request_args(recurrence="FREQ=WEEKLY;BYDAY=TU"))
    assert code == 1 and "error: recurrence: give COUNT or UNTIL" in err
    code, _, err = run(capsys, *request_args(ends=local(TUESDAY, 9)))
    assert code == 1 and "error: ends: must be after starts" in err
    code, _, err = run(capsys, *request_args(facility="NOPE-WT"))
    assert code == 1 and "error: facility: no facility 'NOPE-WT'" in err
    code, _, err = run(capsys, "bookings", "calendar")
    assert code == 1 and "project: name a project or a person" in err
    code, _, err = run(capsys, *request_args()[:-4])  # no --participant
    assert code == 2 and "Missing option" in err
    assert json.loads(ok(capsys, "bookings", "list", TUNNEL, "--include-ended", "--json")) == []


def test_unknown_bookings_and_facilities_exit_3(fw: FacilityWorld, capsys: Capsys) -> None:
    code, _, err = run(capsys, "bookings", "show", "NOPE")
    assert code == 3 and "error: no booking 'NOPE'" in err
    code, _, err = run(capsys, "bookings", "decide", "NOPE", "--outcome", "approved")
    assert code == 3 and "no booking 'NOPE'" in err
    code, _, err = run(capsys, "bookings", "list", "NOPE-WT")
    assert code == 3 and "no facility 'NOPE-WT'" in err
    code, _, err = run(capsys, "bookings", "calendar", "NOPE-WT")
    assert code == 3 and "no facility 'NOPE-WT'" in err


def test_conflicts_exit_4(fw: FacilityWorld, capsys: Capsys) -> None:
    book(capsys)
    code, out, err = run(capsys, *request_args("BK-2", starts=local(TUESDAY, 11)))
    assert code == 4 and out == ""
    assert f"error: starts: {TUNNEL} is fully booked at {TUESDAY} 11:00 ({ZONE})" in err
    assert f"free: {TUESDAY} 12:00-13:00" in err
    book(capsys, "BK-2", starts=local(TUESDAY, 12), ends=local(TUESDAY, 13))
    code, _, err = run(capsys, *request_args(starts=local(MONDAY, 10), ends=local(MONDAY, 11)))
    assert code == 4 and "reference: a booking 'BK-1' already exists" in err
    ok(capsys, "bookings", "decide", "BK-1", "--outcome", "approved")
    code, _, err = run(capsys, "bookings", "decide", "BK-1", "--outcome", "rejected")
    assert code == 4 and "status: the booking is approved" in err
    code, _, err = run(capsys, "bookings", "decide", "BK-2", "--outcome", "maybe")
    assert code == 1 and "outcome" in err
    ok(capsys, "bookings", "cancel", "BK-2", "--reason", "not needed")
    code, _, err = run(capsys, "bookings", "cancel", "BK-2", "--reason", "not needed")
    assert code == 4 and "status: the booking is cancelled" in err
    # The cancelled slot is free again.
    book(capsys, "BK-3", starts=local(TUESDAY, 12), ends=local(TUESDAY, 13))


def test_calendar_feeds_from_the_command_line(fw: FacilityWorld, capsys: Capsys) -> None:
    made = json.loads(
        ok(
            capsys,
            "bookings",
            "feed-create",
            "--account",
            "carol",
            "--project",
            PROJECT,
            "--name",
            "phone",
            "--json",
        )
    )
    assert made["path"].startswith("/feeds/cf_") and made["kind"] == "project"
    listed = json.loads(ok(capsys, "bookings", "feed-list", "--account", "carol", "--json"))
    assert [f["id"] for f in listed] == [made["id"]]
    revoked = json.loads(ok(capsys, "bookings", "feed-revoke", made["id"], "--json"))
    assert revoked["revoked_at"]
    code, _, err = run(capsys, "bookings", "feed-create", "--account", "carol", "--name", "x")
    assert code == 1 and "one of --facility, --project or --person" in err
    code, _, err = run(
        capsys,
        "bookings",
        "feed-create",
        "--account",
        "nobody",
        "--project",
        PROJECT,
        "--name",
        "x",
    )
    assert code == 3 and "no account 'nobody'" in err
