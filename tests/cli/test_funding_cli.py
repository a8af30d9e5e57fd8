"""`coalition funding` against a fresh SQLite node: contributions refused with the field
at fault, in-kind valuations decided, budgets and costs, imports from CSV and XLSX (all or
nothing, or partial), and the balance printed as CSV with its alerts or written as XLSX or
SVG."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context
from tests.cli.test_cli import node, ok, run  # noqa: F401 - `node` is a fixture used by name
from tests.funding_world import AGREEMENT, PROJECT, FundingWorld, make_funding_world

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def books(node: Path, capsys: Capture) -> FundingWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_funding_world(context.uow, Principal.operator("test"))


def contribute(*options: str) -> tuple[str, ...]:
    """`funding contribute` of USD 1000 cash from USAPL, changed by ``options``."""
    given = dict(zip(options[::2], options[1::2], strict=True))
    defaults = {
        "--reference": "CON-1",
        "--agreement": AGREEMENT,
        "--organisation": "USAPL",
        "--made-on": "2025-01-10",
        "--amount": "1000",
        "--currency": "USD",
    }
    pairs = defaults | given
    return ("funding", "contribute", *(x for pair in pairs.items() for x in pair))


def contributions(capsys: Capture) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(ok(capsys, "funding", "contributions", "--json"))
    return listed


def test_contribute_refuses_a_currency_without_an_agreed_rate_naming_the_field(
    books: FundingWorld, capsys: Capture
) -> None:
    code, out, err = run(capsys, *contribute("--currency", "CHF"))
    assert code == 1 and out == ""
    assert "error: currency: PA-SENSE fixes no rate for CHF (agreed: GBP, JPY, NOK, USD)" in err
    code, _, err = run(capsys, *contribute("--agreement", "MOU-USA-GBR"))
    assert code == 1 and "error: currency: MOU-USA-GBR fixes no exchange rates yet" in err
    code, _, err = run(capsys, *contribute("--amount", "1.005"))
    assert code == 1 and "error: amount: USD has 2 decimal places; 1.005 has more" in err
    code, _, err = run(capsys, *contribute("--amount", "-5"))
    assert code == 1 and "error: amount:" in err
    code, _, err = run(capsys, *contribute("--made-on", "2029-03-15"))
    assert code == 1 and "error: made_on: is after PA-SENSE expires (2029-03-15)" in err
    assert contributions(capsys) == []
    made = json.loads(ok(capsys, *contribute(), "--json"))
    assert (made["amount"], made["status"]) == ("1000.00", "accepted")
    assert [c["reference"] for c in contributions(capsys)] == ["CON-1"]


def test_an_in_kind_contribution_is_decided_once(books: FundingWorld, capsys: Capture) -> None:
    ok(
        capsys,
        *contribute(
            *("--reference", "IK-1", "--organisation", "NDRE", "--kind", "in_kind"),
            *("--in-kind-type", "equipment", "--made-on", "2025-03-01"),
            *("--amount", "300000", "--currency", "NOK"),
            *("--valuation-method", "list price less depreciation"),
            *("--evidence", "asset register NDRE-AR-77"),
        ),
    )
    [proposed] = contributions(capsys)
    assert proposed["status"] == "proposed"
    decide = ("funding", "decide-contribution", "IK-1", "--decided-by", "SENSE committee")
    code, _, err = run(capsys, *decide, "--outcome", "accepted", "--decided-on", "2025-02-01")
    assert code == 1 and "decided_on: is before the contribution (2025-03-01)" in err
    decided = json.loads(
        ok(capsys, *decide, "--outcome", "accepted", "--decided-on", "2025-03-20", "--json")
    )
    assert (decided["status"], decided["decided_by"]) == ("accepted", "SENSE committee")
    code, _, err = run(capsys, *decide, "--outcome", "rejected", "--decided-on", "2025-03-21")
    assert code != 0 and "already accepted" in err
    code, _, err = run(capsys, *decide, "--outcome", "maybe", "--decided-on", "2025-03-21")
    assert code == 1 and "outcome" in err
    code, _, err = run(
        capsys,
        *("funding", "decide-contribution", "NOPE", "--decided-by", "SENSE committee"),
        *("--outcome", "accepted", "--decided-on", "2025-03-21"),
    )
    assert code == 3 and "no contribution 'NOPE'" in err


def _books(capsys: Capture) -> None:
    for reference, organisation, amount, currency in (
        ("CON-USA", "USAPL", "500000", "USD"),
        ("CON-GBR", "UKSL", "240000", "GBP"),
        ("CON-NOR", "NDRE", "2000000", "NOK"),
    ):
        ok(
            capsys,
            *contribute(
                *("--reference", reference, "--organisation", organisation),
                *("--amount", amount, "--currency", currency),
            ),
        )
    for reference, organisation, value, currency in (
        ("AWD-USA", "USAPL", "600000", "USD"),
        ("AWD-GBR", "UKSL", "240000", "GBP"),
        ("AWD-NOR", "NDRE", "1000000", "NOK"),
    ):
        ok(
            capsys,
            *("funding", "award", "--reference", reference, "--project", PROJECT),
            *("--organisation", organisation, "--title", f"Work at {organisation}"),
            *("--awarded-on", "2025-02-01", "--value", value, "--currency", currency),
        )


def test_balance_prints_csv_and_the_alerts(books: FundingWorld, capsys: Capture) -> None:
    _books(capsys)
    out = ok(capsys, "funding", "balance", AGREEMENT)
    alerts = [line for line in out.splitlines() if line.startswith("ALERT: ")]
    assert alerts == [
        "ALERT: NOR is out of balance: coefficient 0.500 is below the band 0.95 to 1.05",
        "ALERT: USA is out of balance: coefficient 1.200 is above the band 0.95 to 1.05",
    ]
    table = list(csv.reader(io.StringIO(out.split("ALERT: ")[0])))
    assert table[0][0] == "Nation" and table[0][4] == "Contributed (USD)"
    rows = {row[0]: row for row in table[1:]}
    assert set(rows) == {"GBR", "NOR", "USA", "Total"}
    assert (rows["NOR"][8], rows["NOR"][9]) == ("0.500", "below")
    assert rows["Total"][4] == "1000000.00"
    assert sum(Decimal(rows[n][4]) for n in ("GBR", "NOR", "USA")) == Decimal(rows["Total"][4])

    in_pounds = ok(capsys, "funding", "balance", AGREEMENT, "--currency", "gbp")
    assert "Contributed (GBP)" in in_pounds and ",800000.00," in in_pounds
    code, _, err = run(capsys, "funding", "balance", AGREEMENT, "--currency", "CHF")
    assert code == 1 and "error: currency: PA-SENSE fixes no rate for CHF" in err
    report = json.loads(
        ok(capsys, "funding", "balance", AGREEMENT, "--fiscal-nation", "usa", "--json")
    )
    assert report["fiscal_calendar"] == "USA fiscal years" and report["periods"] == ["FY2025"]
    code, _, err = run(capsys, "funding", "balance", "NOPE")
    assert code == 3 and "no agreement 'NOPE'" in err


def test_balance_is_written_as_xlsx_or_svg(
    books: FundingWorld, capsys: Capture, tmp_path: Path
) -> None:
    _books(capsys)
    workbook_path = tmp_path / "balance.xlsx"
    out = ok(capsys, "funding", "balance", AGREEMENT, "-o", str(workbook_path))
    assert out == ""
    sheet = openpyxl.load_workbook(workbook_path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Nation"
    by_nation = {row[0]: row for row in rows[1:]}
    assert Decimal(str(by_nation["USA"][8])) == Decimal("1.2")
    assert Decimal(str(by_nation["Total"][4])) == Decimal("1000000")
    chart = tmp_path / "balance.svg"
    ok(capsys, "funding", "balance", AGREEMENT, "--output", str(chart))
    assert "<svg" in chart.read_text(encoding="utf-8")
    code, _, err = run(capsys, "funding", "balance", AGREEMENT, "-o", str(tmp_path / "b.txt"))
    assert code == 1 and "output" in err
    assert not (tmp_path / "b.txt").exists()


def test_budgets_and_costs_with_a_correction_make_the_budget_report(
    books: FundingWorld, capsys: Capture, tmp_path: Path
) -> None:
    budget = (
        *("funding", "set-budget", "--project", PROJECT, "--work-package", "WP1"),
        *("--category", "personnel", "--nation", "USA", "--currency", "USD"),
    )
    ok(capsys, *budget, "--fiscal-year", "2025", "--amount", "100000")
    code, _, err = run(capsys, *budget, "--fiscal-year", "2023", "--amount", "100000")
    assert code == 1 and "error: fiscal_year: USA FY2023" in err
    code, _, err = run(capsys, *budget, "--fiscal-year", "2026", "--amount", "-1")
    assert code == 1 and "error: amount:" in err
    book = (
        *("funding", "book-cost", "--project", PROJECT, "--work-package", "WP1"),
        *("--category", "personnel", "--organisation", "USAPL", "--currency", "USD"),
    )
    ok(capsys, *book, "--incurred-on", "2024-11-01", "--amount", "40000")
    correction = json.loads(
        ok(capsys, *book, "--incurred-on", "2024-12-01", "--amount", "-2500", "--json")
    )
    assert correction["amount"] == "-2500.00"
    out = ok(capsys, "funding", "budget-report", PROJECT)
    table = list(csv.reader(io.StringIO(out)))
    assert table[0][0] == "Work package"
    assert table[1] == ["WP1", "personnel", "100000.00", "0.00", "0.00", "37500.00", "62500.00"]
    assert table[-1][0] == "Total" and table[-1][6] == "62500.00"
    target = tmp_path / "budget.xlsx"
    ok(capsys, "funding", "budget-report", PROJECT, "-o", str(target))
    cells = list(openpyxl.load_workbook(target).worksheets[0].iter_rows(values_only=True))
    assert cells[-1][0] == "Total"
    lines = json.loads(ok(capsys, "funding", "budget", "--project", PROJECT, "--json"))
    assert [(b["fiscal_year"], b["amount"]) for b in lines] == [(2025, "100000.00")]


BUDGET_CSV = (
    "project,work_package,category,nation,fiscal_year,amount,currency\n"
    f"{PROJECT},WP1,personnel,USA,2025,100000,USD\n"
    f"{PROJECT},WP2,travel,GBR,2023,5000,GBP\n"
    f"{PROJECT},WP3,equipment,NOR,2025,300000,CHF\n"
    f"{PROJECT},WP2,travel,GBR,2025,5000,GBP\n"
)


def test_import_is_all_or_nothing_unless_partial(
    books: FundingWorld, capsys: Capture, tmp_path: Path
) -> None:
    source = tmp_path / "budget.csv"
    source.write_text(BUDGET_CSV, encoding="utf-8")
    code, out, err = run(capsys, "funding", "import", "budget", str(source))
    assert code == 1 and out == ""
    assert "error: rows[3].fiscal_year: GBR FY2023" in err
    assert "error: rows[4].currency: PA-SENSE fixes no rate for CHF" in err
    assert json.loads(ok(capsys, "funding", "budget", "--json")) == []
    out = ok(capsys, "funding", "import", "budget", str(source), "--partial")
    assert out.splitlines()[0] == "imported 2 rows"
    assert out.splitlines()[1].startswith("skipped row 3: fiscal_year: GBR FY2023")
    assert out.splitlines()[2].startswith("skipped row 4: currency: PA-SENSE fixes no rate")
    assert len(json.loads(ok(capsys, "funding", "budget", "--json"))) == 2
    code, _, err = run(capsys, "funding", "import", "awards", str(source))
    assert code == 1 and "error: kind: is budget or contributions" in err


def test_import_contributions_from_xlsx(
    books: FundingWorld, capsys: Capture, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["Reference", "Agreement", "Organisation", "Kind", "Made on", "Amount", "Currency"]
    )
    sheet.append(["CON-1", AGREEMENT, "USAPL", "cash", date(2025, 1, 10), 1000, "USD"])
    sheet.append(["CON-2", AGREEMENT, "UKSL", "cash", date(2025, 2, 10), 800.25, "GBP"])
    sheet.append(["CON-1", AGREEMENT, "NDRE", "cash", date(2025, 3, 10), 5, "NOK"])
    source = tmp_path / "contributions.xlsx"
    workbook.save(source)
    code, _, err = run(capsys, "funding", "import", "contributions", str(source))
    assert code == 1 and "error: rows[4].reference: appears on an earlier row too" in err
    assert contributions(capsys) == []
    result = json.loads(
        ok(capsys, "funding", "import", "contributions", str(source), "--partial", "--json")
    )
    assert result["imported"] == 2
    assert [(s["row"], s["field"]) for s in result["skipped"]] == [(4, "reference")]
    assert {c["reference"]: c["amount"] for c in contributions(capsys)} == {
        "CON-1": "1000.00",
        "CON-2": "800.25",
    }


def test_a_contribution_and_an_award_are_withdrawn_with_a_reason(
    books: FundingWorld, capsys: Capture
) -> None:
    ok(capsys, *contribute())
    withdraw = ("funding", "withdraw-contribution", "CON-1")
    code, _, err = run(capsys, *withdraw, "--reason", "no", "--withdrawn-on", "2025-02-01")
    assert code == 1 and "reason:" in err
    code, _, err = run(capsys, *withdraw, "--reason", "twice", "--withdrawn-on", "2025-01-01")
    assert code == 1 and "withdrawn_on: is before the contribution (2025-01-10)" in err
    done = json.loads(
        ok(capsys, *withdraw, "--reason", "entered twice", "--withdrawn-on", "2025-02-01", "--json")
    )
    assert (done["status"], done["withdrawal_reason"]) == ("withdrawn", "entered twice")
    code, _, err = run(capsys, *withdraw, "--reason", "entered twice")
    assert code != 0 and "already withdrawn" in err
    ok(
        capsys,
        *("funding", "award", "--reference", "AWD-1", "--project", PROJECT),
        *("--organisation", "UKSL", "--title", "Node housings", "--awarded-on", "2025-02-01"),
        *("--value", "20000", "--currency", "GBP"),
    )
    award = json.loads(
        ok(capsys, "funding", "withdraw-award", "AWD-1", "--reason", "never signed", "--json")
    )
    assert award["withdrawn_on"] == str(date.today())
    code, _, err = run(capsys, "funding", "withdraw-award", "AWD-9", "--reason", "never signed")
    assert code == 3 and "no workshare award 'AWD-9'" in err
