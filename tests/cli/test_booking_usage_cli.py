"""`coalition facilities quota`, `coalition facilities utilisation`, `coalition bookings
cancel-occurrence` and `coalition bookings no-show` against a fresh SQLite node; refusals
exit 1 (invalid), 3 (not found) or 4 (conflict) with the field named on stderr."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from coalition.accounts.permissions import Principal
from coalition.cli import context
from coalition.facilities import bookings
from coalition.facilities.schemas import BookingDecisionIn, BookingIn
from tests.cli.test_bookings_cli import TUESDAY, Capsys, book, fw, local  # noqa: F401
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.facility_world import PROJECT, TUNNEL, FacilityWorld


def test_quotas_are_set_listed_enforced_and_removed(
    fw: FacilityWorld,  # noqa: F811
    capsys: Capsys,
) -> None:
    out = ok(
        capsys,
        "facilities",
        "quota",
        "set",
        TUNNEL,
        "--project",
        PROJECT,
        "--period",
        "week",
        "--hours",
        "3",
        "--json",
    )
    assert json.loads(out)["hours"] == "3.00"
    ok(
        capsys,
        "facilities",
        "quota",
        "set",
        TUNNEL,
        "--nation",
        "GBR",
        "--period",
        "year",
        "--hours",
        "100",
    )
    listed = json.loads(ok(capsys, "facilities", "quota", "list", TUNNEL, "--json"))
    assert [(q["project"], q["nation"], q["period"]) for q in listed] == [
        (None, "GBR", "year"),
        (PROJECT, None, "week"),
    ]
    book(capsys, "BK-1", starts=local(TUESDAY, 9), ends=local(TUESDAY, 11))
    code, _, err = run(capsys, *_request("BK-2"))
    assert code == 4 and "over the quota of project TUNNEL" in err and "3.00 h are allowed" in err
    code, _, err = run(
        capsys,
        "facilities",
        "quota",
        "set",
        TUNNEL,
        "--period",
        "week",
        "--hours",
        "1.001",
        "--project",
        PROJECT,
    )
    assert code == 1 and "hours" in err
    code, _, err = run(
        capsys, "facilities", "quota", "set", TUNNEL, "--period", "week", "--hours", "1"
    )
    assert code == 1 and "project: name a project or a nation" in err
    out = ok(
        capsys, "facilities", "quota", "remove", TUNNEL, "--project", PROJECT, "--period", "week"
    )
    assert "Removed the week quota of TUNNEL at USAPL-WT." in out
    code, _, err = run(
        capsys, "facilities", "quota", "remove", TUNNEL, "--project", PROJECT, "--period", "week"
    )
    assert code == 3 and "no week quota for project TUNNEL" in err
    ok(capsys, *_request("BK-2"))


def _request(reference: str) -> list[str]:
    from tests.cli.test_bookings_cli import request_args

    return request_args(reference, starts=local(TUESDAY, 13), ends=local(TUESDAY, 15))


def _past(fw: FacilityWorld) -> datetime:  # noqa: F811
    """BK-PAST, approved, two days ago 09:00-11:00 New York time (a weekday)."""
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    while day.weekday() > 4:
        day -= timedelta(days=1)
    actor = Principal.operator("test")
    made = bookings.request_booking(
        context.uow(),
        actor,
        BookingIn(
            reference="BK-PAST",
            facility=TUNNEL,
            project=PROJECT,
            purpose="Runs nobody came to",
            starts=datetime.fromisoformat(local(day, 9)),
            ends=datetime.fromisoformat(local(day, 11)),
            participant_ids=[fw.carol],
        ),
        now=datetime.now(UTC) - timedelta(days=20),
    )
    bookings.decide_booking(context.uow(), actor, made.id, BookingDecisionIn(outcome="approved"))
    return datetime.fromisoformat(local(day, 9))


def test_an_occurrence_is_cancelled_and_another_marked_a_no_show(
    fw: FacilityWorld,  # noqa: F811
    capsys: Capsys,
) -> None:
    book(
        capsys,
        "BK-S",
        starts=local(TUESDAY, 9),
        ends=local(TUESDAY, 11),
        recurrence="FREQ=WEEKLY;COUNT=2",
    )
    code, _, err = run(
        capsys,
        "bookings",
        "cancel-occurrence",
        "BK-S",
        "--starts",
        local(TUESDAY, 10),
        "--reason",
        "model late",
    )
    assert code == 1 and "starts: no occurrence of BK-S starts at" in err
    out = ok(
        capsys,
        "bookings",
        "cancel-occurrence",
        "BK-S",
        "--starts",
        local(TUESDAY, 9),
        "--reason",
        "model late",
        "--json",
    )
    assert [o["status"] for o in json.loads(out)["occurrences"]] == ["cancelled", "scheduled"]
    code, _, err = run(
        capsys,
        "bookings",
        "cancel-occurrence",
        "BK-S",
        "--starts",
        local(TUESDAY, 9),
        "--reason",
        "model late",
    )
    assert code == 4 and "already cancelled" in err
    code, _, err = run(capsys, "bookings", "no-show", "BK-S", "--starts", local(TUESDAY, 9))
    assert code == 4 and "only an approved booking" in err

    starts = _past(fw)
    code, _, err = run(
        capsys,
        "bookings",
        "cancel-occurrence",
        "BK-PAST",
        "--starts",
        starts.isoformat(),
        "--reason",
        "too late",
    )
    assert code == 1 and "can no longer be cancelled" in err
    out = ok(
        capsys,
        "bookings",
        "no-show",
        "BK-PAST",
        "--starts",
        starts.isoformat(),
        "--note",
        "nobody came",
        "--json",
    )
    shown = json.loads(out)["occurrences"][0]
    assert (shown["status"], shown["note"]) == ("no_show", "nobody came")
    code, _, err = run(capsys, "bookings", "no-show", "NOPE", "--starts", starts.isoformat())
    assert code == 3


def test_the_utilisation_report_to_the_terminal_and_to_files(
    fw: FacilityWorld,  # noqa: F811
    capsys: Capsys,
    tmp_path: Path,
) -> None:
    starts = _past(fw)
    day = starts.date().isoformat()
    out = ok(capsys, "facilities", "utilisation", TUNNEL, "--from", day, "--to", day)
    assert out.splitlines()[0].startswith("Breakdown,Name,Open h")
    assert out.splitlines()[1] == f"facility,{TUNNEL},10.00,2.00,2.00,0.00,0.00,0.00,0.00,2.00,20.0"
    report = json.loads(
        ok(capsys, "facilities", "utilisation", TUNNEL, "--from", day, "--to", day, "--json")
    )
    assert report["nations"][0]["name"] == "USA"
    xlsx = tmp_path / "use.xlsx"
    ok(capsys, "facilities", "utilisation", TUNNEL, "--from", day, "--to", day, "-o", str(xlsx))
    sheet = load_workbook(xlsx).active
    assert sheet is not None and sheet["B2"].value == TUNNEL
    svg = tmp_path / "use.svg"
    ok(capsys, "facilities", "utilisation", TUNNEL, "--from", day, "--to", day, "-o", str(svg))
    assert "Bookings at USAPL-WT" in svg.read_text(encoding="utf-8")
    code, _, err = run(capsys, "facilities", "utilisation", TUNNEL, "--from", "soon", "--to", day)
    assert code == 1 and "from: 'soon' is not a date" in err
    code, _, err = run(
        capsys,
        "facilities",
        "utilisation",
        TUNNEL,
        "--from",
        day,
        "--to",
        day,
        "-o",
        str(tmp_path / "use.pdf"),
    )
    assert code == 1 and "output" in err
    code, _, err = run(capsys, "facilities", "utilisation", "NOPE-WT", "--from", day, "--to", day)
    assert code == 3
