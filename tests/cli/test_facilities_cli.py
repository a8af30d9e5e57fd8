"""`coalition facilities` against a fresh SQLite node: a facility added with every option,
refusals naming the option and exiting 1, a code already taken exiting 4 and an unknown one
3; listing and searching (the operator knows of every facility, whatever its label);
changes, retirement and closures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context
from tests.cli.test_cli import node, ok, run  # noqa: F401 - `node` is a fixture used by name
from tests.integration.test_facilities import CODE, FacilityWorld, make_facility_world

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def site(node: Path, capsys: Capture) -> FacilityWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_facility_world(context.uow, Principal.operator("test"))


def add_args(*options: str) -> tuple[str, ...]:
    """`facilities add` of USAPL's wind tunnel with every option, changed by ``options``
    (an option given as "" is left out)."""
    given = dict(zip(options[::2], options[1::2], strict=True))
    defaults = {
        "--code": CODE,
        "--name": "USAPL Hypersonic Wind Tunnel",
        "--kind": "wind_tunnel",
        "--organisation": "USAPL",
        "--location": "Laurel, Maryland",
        "--time-zone": "America/New_York",
        "--banner": "SECRET//REL TO USA, GBR",
        "--scheme": "USA",
        "--originator": "USA",
        "--description": "Mach 5 to 8 blow-down tunnel.",
        "--capacity": "2",
        "--rate": "1250.50",
        "--rate-currency": "USD",
        "--rate-unit": "hour",
    }
    pairs = {k: v for k, v in (defaults | given).items() if v != ""}
    return (
        "facilities",
        "add",
        *(x for pair in pairs.items() for x in pair),
        *("--capability", "aero.hypersonic", "--capability", "aero.thermal"),
        *("--hours", "mon=08:00-18:00", "--hours", "tue=08:00-18:00"),
        "--tcp",
    )


def listed(capsys: Capture, *options: str) -> list[str]:
    found: list[dict[str, Any]] = json.loads(ok(capsys, "facilities", "list", *options, "--json"))
    return [f["code"] for f in found]


def refused(capsys: Capture, *args: str, code: int = 1) -> str:
    exit_code, out, err = run(capsys, *args)
    assert exit_code == code, (exit_code, out, err)
    assert out == ""
    return err


def test_add_with_every_option_then_show_and_list(
    site: FacilityWorld, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = json.loads(ok(capsys, *add_args(), "--json"))
    assert (created["code"], created["organisation"], created["nation"]) == (CODE, "USAPL", "USA")
    assert created["label"]["banner"] == "SECRET//REL TO USA, GBR"
    assert (created["rate"], created["rate_currency"], created["rate_unit"]) == (
        "1250.50",
        "USD",
        "hour",
    )
    assert created["opening_hours"] == {"mon": "08:00-18:00", "tue": "08:00-18:00"}
    assert created["capabilities"] == ["aero.hypersonic", "aero.thermal"]
    assert (created["tcp_applies"], created["capacity"]) == (True, 2)
    shown = json.loads(ok(capsys, "facilities", "show", CODE.lower(), "--json"))
    assert shown == created
    assert listed(capsys) == [CODE]
    monkeypatch.setattr(context.console, "width", 200)  # one table row per facility
    table = ok(capsys, "facilities", "list")
    assert CODE in table and "wind_tunnel" in table and "aero.hypersonic, aero.thermal" in table
    facts = ok(capsys, "facilities", "show", CODE)
    assert "SECRET//REL TO USA, GBR" in facts and "America/New_York" in facts


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(("--organisation", "NOPE"), "error: organisation: no organisation 'NOPE'"),
        pytest.param(
            ("--time-zone", "Mars/Olympus"),
            "error: time-zone: 'Mars/Olympus' is not an IANA time zone such as Europe/London",
        ),
        pytest.param(
            ("--rate", "12.345"), "error: rate: USD has 2 decimal places; 12.345 has more"
        ),
        pytest.param(
            ("--rate-currency", "", "--rate-unit", ""),
            "error: rate: give the rate, its currency and its unit together",
        ),
        pytest.param(("--scheme", "XYZ"), "error: label.scheme:"),
        pytest.param(
            ("--banner", "SECRET//REL TO USA, XYZ"),
            "error: label.releasable_to: unknown nation(s): XYZ",
        ),
        pytest.param(("--code", "lower-case"), "error: code:"),
    ],
)
def test_a_bad_option_is_named_and_exits_1(
    site: FacilityWorld, capsys: Capture, options: tuple[str, ...], message: str
) -> None:
    err = refused(capsys, *add_args(*options))
    assert message in err
    assert listed(capsys, "--include-retired") == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(
            ("--capability", "aero hypersonic"),
            "error: capabilities[2]: "
            "'aero hypersonic' is not a capability code such as aero.hypersonic",
            id="capability",
        ),
        pytest.param(
            ("--hours", "wed=18:00-08:00"),
            "error: opening-hours: wed: 18:00-08:00 is not a time span within a day",
            id="hours_backwards",
        ),
        pytest.param(
            ("--hours", "xyz=08:00-18:00"),
            "error: opening-hours: 'xyz' is not a weekday (mon ... sun)",
            id="day",
        ),
        pytest.param(
            ("--hours", "thu"),
            "error: opening-hours: thu: write HH:MM-HH:MM, e.g. 08:00-18:00",
            id="hours_without_span",
        ),
    ],
)
def test_bad_capabilities_and_hours_exit_1(
    site: FacilityWorld, capsys: Capture, extra: tuple[str, ...], message: str
) -> None:
    err = refused(capsys, *add_args(), *extra)
    assert err.splitlines() == [message]
    assert listed(capsys) == []


def test_a_code_taken_exits_4_and_an_unknown_code_3(site: FacilityWorld, capsys: Capture) -> None:
    ok(capsys, *add_args())
    err = refused(capsys, *add_args("--organisation", "UKSL"), code=4)
    assert f"error: code: a facility '{CODE}' already exists" in err
    assert "error: no facility 'NOPE-1'" in refused(capsys, "facilities", "show", "NOPE-1", code=3)
    refused(capsys, "facilities", "update", "NOPE-1", "--capacity", "3", code=3)
    refused(
        capsys,
        "facilities",
        "close",
        "NOPE-1",
        *("--first-day", "2026-08-01", "--last-day", "2026-08-02", "--reason", "none"),
        code=3,
    )


def test_the_operator_knows_of_every_facility_and_searches_the_catalogue(
    site: FacilityWorld, capsys: Capture
) -> None:
    ok(capsys, *add_args())
    ok(
        capsys,
        *add_args(
            *("--code", "USAPL-NF", "--name", "Scramjet test bed", "--kind", "test_bed"),
            *("--banner", "SECRET//NOFORN"),
        ),
    )
    ok(
        capsys,
        *add_args(
            *("--code", "LOPT-OPT", "--name", "Optics laboratory", "--kind", "laboratory"),
            *("--organisation", "LOPT", "--location", "Palaiseau", "--time-zone", "Europe/Paris"),
            *("--scheme", "FRA", "--originator", "FRA", "--banner", "DIFFUSION RESTREINTE"),
            *("--rate", "", "--rate-currency", "", "--rate-unit", ""),
        ),
    )
    assert listed(capsys) == ["LOPT-OPT", CODE, "USAPL-NF"]
    assert listed(capsys, "--nation", "usa") == [CODE, "USAPL-NF"]
    assert listed(capsys, "--kind", "wind_tunnel") == [CODE]
    assert listed(capsys, "--capability", "aero") == ["LOPT-OPT", CODE, "USAPL-NF"]
    assert listed(capsys, "--capability", "aero.hypersonic") == ["LOPT-OPT", CODE, "USAPL-NF"]
    assert listed(capsys, "--capability", "aer") == []
    assert listed(capsys, "--q", "optics") == ["LOPT-OPT"]
    assert listed(capsys, "--q", "palaiseau", "--nation", "USA") == []
    noforn = json.loads(ok(capsys, "facilities", "show", "USAPL-NF", "--json"))
    assert noforn["label"]["banner"] == "SECRET//NOFORN"


def test_update_retire_and_close_from_the_command_line(
    site: FacilityWorld, capsys: Capture
) -> None:
    ok(capsys, *add_args())
    changed = json.loads(
        ok(
            capsys,
            *("facilities", "update", CODE, "--capability", "propulsion.scramjet"),
            *("--hours", "wed=07:00-19:00", "--no-tcp", "--capacity", "3"),
            *("--banner", "SECRET//REL TO USA, FRA", "--scheme", "USA", "--originator", "USA"),
            "--json",
        )
    )
    assert changed["capabilities"] == ["propulsion.scramjet"]
    assert changed["opening_hours"] == {"wed": "07:00-19:00"}
    assert (changed["tcp_applies"], changed["capacity"]) == (False, 3)
    assert changed["label"]["banner"] == "SECRET//REL TO USA, FRA"
    assert "error: body: changes nothing" in refused(capsys, "facilities", "update", CODE)
    assert "error: body: changes nothing" in refused(
        capsys, "facilities", "update", CODE, "--capacity", "3"
    )
    assert "error: time-zone:" in refused(
        capsys, "facilities", "update", CODE, "--time-zone", "Nowhere/Land"
    )

    closed = json.loads(
        ok(
            capsys,
            *("facilities", "close", CODE, "--first-day", "2026-08-10", "--last-day"),
            *("2026-08-14", "--reason", "compressor overhaul", "--json"),
        )
    )
    assert closed["closures"] == [
        {"first_day": "2026-08-10", "last_day": "2026-08-14", "reason": "compressor overhaul"}
    ]
    err = refused(
        capsys,
        *("facilities", "close", CODE, "--first-day", "2026-08-14", "--last-day", "2026-08-20"),
        *("--reason", "again"),
    )
    assert "error: first_day: overlaps the closure 2026-08-10 to 2026-08-14" in err
    err = refused(
        capsys,
        *("facilities", "close", CODE, "--first-day", "2026-09-02", "--last-day", "2026-09-01"),
        *("--reason", "backwards"),
    )
    assert "error: last-day: is before first_day" in err
    err = refused(
        capsys,
        *("facilities", "close", CODE, "--first-day", "2026-02-30", "--last-day", "2026-03-01"),
        *("--reason", "no such day"),
    )
    assert "error: first-day:" in err

    ok(capsys, "facilities", "update", CODE, "--status", "retired")
    assert listed(capsys) == []
    assert listed(capsys, "--include-retired") == [CODE]
    shown = json.loads(ok(capsys, "facilities", "show", CODE, "--json"))
    assert shown["status"] == "retired" and len(shown["closures"]) == 1
