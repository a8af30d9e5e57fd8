"""Funding over the API: budgets, costs, contributions and awards recorded by those who
may and refused with problem+json naming the field; in-kind valuations decided by another
party; imports uploaded as CSV or XLSX, all or nothing or partial; and the balance and
budget reports as JSON, CSV, XLSX and SVG."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.audit.models import Event
from coalition.funding.models import BudgetLine, Contribution
from tests.api.conftest import login
from tests.api.test_techdata_api import (  # noqa: F401 - fixture used by name
    PROBLEM,
    cheap_password_hashes,
    problem_fields,
)
from tests.conftest import UowFactory
from tests.factories import World, make_account
from tests.funding_world import AGREEMENT, PROJECT, FundingWorld, make_funding_world

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def funding(uow: UowFactory, operator: Principal) -> FundingWorld:
    """The funding world with accounts: `admin` (node admin), `reader` (researcher),
    `fo-gbr` and `fo-nor` (finance officers in UKSL and in NDRE)."""
    fw = make_funding_world(uow, operator)
    make_account(uow, operator, "admin", Role.NODE_ADMIN)
    make_account(uow, operator, "reader", Role.RESEARCHER)
    make_account(uow, operator, "fo-gbr", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.gbr_lab)
    make_account(uow, operator, "fo-nor", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.nor_lab)
    return fw


@pytest.fixture
def world(funding: FundingWorld) -> World:
    """Replaces the API conftest's world: the client is built on the funding world."""
    return funding.world


def contribution(**changes: Any) -> dict[str, Any]:
    return {
        "reference": "CON-1",
        "agreement": AGREEMENT,
        "organisation": "USAPL",
        "kind": "cash",
        "made_on": "2025-01-10",
        "amount": "1000",
        "currency": "USD",
    } | changes


def in_kind(**changes: Any) -> dict[str, Any]:
    return (
        contribution(
            reference="IK-1",
            organisation="NDRE",
            kind="in_kind",
            in_kind_type="staff",
            made_on="2025-03-01",
            amount="500000",
            currency="NOK",
            valuation_method="salary scale plus overhead, 0.5 FTE-year",
            evidence="NDRE timesheets 2025",
        )
        | changes
    )


def budget_line(**changes: Any) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "work_package": "WP1",
        "category": "personnel",
        "nation": "USA",
        "fiscal_year": 2025,
        "amount": "100000",
        "currency": "USD",
    } | changes


def expenditure(**changes: Any) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "work_package": "WP1",
        "category": "personnel",
        "organisation": "USAPL",
        "incurred_on": "2024-11-01",
        "amount": "40000",
        "currency": "USD",
    } | changes


def award(**changes: Any) -> dict[str, Any]:
    return {
        "reference": "AWD-1",
        "project": PROJECT,
        "organisation": "USAPL",
        "title": "Sensor node design",
        "awarded_on": "2025-02-01",
        "value": "600000",
        "currency": "USD",
    } | changes


def decision(**changes: Any) -> dict[str, Any]:
    return {
        "outcome": "accepted",
        "decided_on": "2025-04-01",
        "decided_by": "SENSE steering committee",
    } | changes


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def count(uow: UowFactory, table: type) -> int:
    with uow() as unit:
        return unit.session.scalar(select(func.count()).select_from(table)) or 0


def tags(uow: UowFactory) -> list[str]:
    with uow() as unit:
        return list(
            unit.session.scalars(
                select(Event.tag).where(Event.tag.like("funding:%")).order_by(Event.id)
            )
        )


def errors(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


# --- recording --------------------------------------------------------------------------------


def test_an_administrator_records_the_books_and_every_change_is_an_event(
    client: TestClient, uow: UowFactory, funding: FundingWorld
) -> None:
    headers = login(client)
    line = ok(client.put("/api/v1/funding/budget-lines", headers=headers, json=budget_line()))
    assert (line["amount"], line["nation"], line["fiscal_year"]) == ("100000.00", "USA", 2025)
    spent = ok(
        client.post("/api/v1/funding/expenditures", headers=headers, json=expenditure()), 201
    )
    correction = ok(
        client.post(
            "/api/v1/funding/expenditures",
            headers=headers,
            json=expenditure(amount="-1500.25", reference="CORR-1"),
        ),
        201,
    )
    assert (spent["amount"], correction["amount"]) == ("40000.00", "-1500.25")
    cash = ok(
        client.post("/api/v1/funding/contributions", headers=headers, json=contribution()), 201
    )
    assert (cash["status"], cash["amount"], cash["nation"]) == ("accepted", "1000.00", "USA")
    awarded = ok(client.post("/api/v1/funding/workshare", headers=headers, json=award()), 201)
    assert awarded["value"] == "600000.00" and awarded["agreement"] == AGREEMENT
    proposed = ok(
        client.post("/api/v1/funding/contributions", headers=headers, json=in_kind()), 201
    )
    ok(
        client.post(
            f"/api/v1/funding/contributions/{proposed['id']}/decision",
            headers=headers,
            json=decision(),
        )
    )
    assert tags(uow) == [
        "funding:budget:set",
        "funding:expenditure:record",
        "funding:expenditure:record",
        "funding:contribution:record",
        "funding:workshare:award",
        "funding:contribution:record",
        "funding:contribution:accepted",
    ]
    listed = ok(client.get("/api/v1/funding/contributions", params={"agreement": AGREEMENT}))
    assert [c["reference"] for c in listed] == ["IK-1", "CON-1"]
    assert [c["reference"] for c in ok(client.get("/api/v1/funding/workshare"))] == ["AWD-1"]
    costs = ok(client.get("/api/v1/funding/expenditures", params={"project": PROJECT}))
    assert sorted(c["amount"] for c in costs) == ["-1500.25", "40000.00"]
    lines = ok(client.get("/api/v1/funding/budget-lines", params={"project": PROJECT}))
    assert [b["id"] for b in lines] == [line["id"]]


@pytest.mark.parametrize(
    ("path", "method", "body", "field", "message"),
    [
        pytest.param(
            "/api/v1/funding/contributions",
            "post",
            contribution(currency="CHF"),
            "currency",
            "PA-SENSE fixes no rate for CHF (agreed: GBP, JPY, NOK, USD)",
            id="currency_without_rate",
        ),
        pytest.param(
            "/api/v1/funding/contributions",
            "post",
            contribution(agreement="MOU-USA-GBR"),
            "currency",
            "MOU-USA-GBR fixes no exchange rates yet: amend it to name its accounting "
            "currency and rates",
            id="agreement_without_accounting_currency",
        ),
        pytest.param(
            "/api/v1/funding/contributions",
            "post",
            contribution(amount="-5"),
            "amount",
            None,
            id="negative_contribution",
        ),
        pytest.param(
            "/api/v1/funding/contributions",
            "post",
            contribution(amount="1.005"),
            "amount",
            "USD has 2 decimal places; 1.005 has more",
            id="usd_thousandths",
        ),
        pytest.param(
            "/api/v1/funding/contributions",
            "post",
            contribution(amount="100.5", currency="JPY"),
            "amount",
            "JPY has 0 decimal places; 100.5 has more",
            id="yen_decimals",
        ),
        pytest.param(
            "/api/v1/funding/contributions",
            "post",
            contribution(made_on="2024-03-14"),
            "made_on",
            "is before PA-SENSE takes effect (2024-03-15)",
            id="day_before_agreement",
        ),
        pytest.param(
            "/api/v1/funding/budget-lines",
            "put",
            budget_line(amount="-1"),
            "amount",
            None,
            id="negative_budget",
        ),
        pytest.param(
            "/api/v1/funding/budget-lines",
            "put",
            budget_line(nation="GBR", fiscal_year=2023),
            "fiscal_year",
            "GBR FY2023 (2022-04-01 to 2023-03-31) lies outside PA-SENSE "
            "(2024-03-15 to 2029-03-15)",
            id="fiscal_year_before_agreement",
        ),
        pytest.param(
            "/api/v1/funding/workshare",
            "post",
            award(value="-100"),
            "value",
            None,
            id="negative_award",
        ),
        pytest.param(
            "/api/v1/funding/workshare",
            "post",
            award(awarded_on="2029-03-15"),
            "awarded_on",
            "is after PA-SENSE expires (2029-03-15)",
            id="day_after_agreement",
        ),
        pytest.param(
            "/api/v1/funding/expenditures",
            "post",
            expenditure(amount="0"),
            "amount",
            "a cost of zero records nothing",
            id="cost_of_zero",
        ),
    ],
)
def test_bad_input_is_a_problem_naming_its_field_and_changes_nothing(
    client: TestClient,
    uow: UowFactory,
    path: str,
    method: str,
    body: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    headers = login(client)
    response = client.request(method.upper(), path, headers=headers, json=body)
    problems = errors(response)
    assert field in problem_fields(response)
    if message is not None:
        assert (field, message) in problems
    assert response.json()["status"] == 422
    assert field in response.json()["detail"]
    assert tags(uow) == []


def test_a_researcher_reads_but_may_not_record(
    client: TestClient, uow: UowFactory, funding: FundingWorld
) -> None:
    admin = login(client)
    ok(client.post("/api/v1/funding/contributions", headers=admin, json=contribution()), 201)
    client.post("/api/v1/auth/logout", headers=admin)
    headers = login(client, "reader")
    for method, path, body in (
        ("POST", "/api/v1/funding/contributions", contribution(reference="CON-2")),
        ("PUT", "/api/v1/funding/budget-lines", budget_line()),
        ("POST", "/api/v1/funding/expenditures", expenditure()),
        ("POST", "/api/v1/funding/workshare", award()),
    ):
        response = client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert "funding:manage" in response.json()["detail"]
    upload = client.post(
        "/api/v1/funding/imports/contributions",
        headers=headers,
        files={"file": ("c.csv", _csv([contribution(reference="CON-3")]), "text/csv")},
    )
    # Whoever may record funding nowhere is refused the whole import, as a single record.
    assert upload.status_code == 403, upload.text
    assert "funding:manage" in upload.json()["detail"]
    assert count(uow, Contribution) == 1
    assert tags(uow) == ["funding:contribution:record"]
    for path, params in (
        ("/api/v1/funding/contributions", {}),
        ("/api/v1/funding/budget-lines", {}),
        ("/api/v1/funding/expenditures", {}),
        ("/api/v1/funding/workshare", {}),
        ("/api/v1/funding/reports/balance", {"agreement": AGREEMENT}),
        ("/api/v1/funding/reports/budget", {"project": PROJECT}),
    ):
        assert client.get(path, params=params).status_code == 200, path
    report = ok(client.get("/api/v1/funding/reports/balance", params={"agreement": AGREEMENT}))
    assert report["total_contributed"] == "1000.00"


def test_reading_needs_a_login(client: TestClient) -> None:
    response = client.get("/api/v1/funding/contributions")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_a_finance_officer_records_for_their_own_organisation_only(
    client: TestClient, uow: UowFactory
) -> None:
    headers = login(client, "fo-gbr")
    ok(
        client.post(
            "/api/v1/funding/contributions",
            headers=headers,
            json=contribution(organisation="UKSL", currency="GBP"),
        ),
        201,
    )
    ok(
        client.put(
            "/api/v1/funding/budget-lines",
            headers=headers,
            json=budget_line(nation="GBR", work_package="WP2"),
        )
    )
    denied = client.post(
        "/api/v1/funding/contributions",
        headers=headers,
        json=contribution(reference="CON-2", organisation="USAPL"),
    )
    assert denied.status_code == 403
    assert (
        client.put("/api/v1/funding/budget-lines", headers=headers, json=budget_line()).status_code
        == 403
    )
    assert count(uow, Contribution) == 1 and count(uow, BudgetLine) == 1


# --- in kind ----------------------------------------------------------------------------------


def test_an_in_kind_valuation_is_decided_by_another_party_once(
    client: TestClient, uow: UowFactory
) -> None:
    headers = login(client, "fo-nor")
    proposed = ok(
        client.post("/api/v1/funding/contributions", headers=headers, json=in_kind()), 201
    )
    assert proposed["status"] == "proposed"
    path = f"/api/v1/funding/contributions/{proposed['id']}/decision"
    own = client.post(path, headers=headers, json=decision())
    assert own.status_code == 403 and own.headers["content-type"] == PROBLEM
    balance = ok(client.get("/api/v1/funding/reports/balance", params={"agreement": AGREEMENT}))
    assert balance["total_contributed"] == "0.00"
    client.post("/api/v1/auth/logout", headers=headers)

    headers = login(client, "fo-gbr")
    early = client.post(path, headers=headers, json=decision(decided_on="2025-02-01"))
    assert errors(early) == [("decided_on", "is before the contribution (2025-03-01)")]
    assert ok(client.get(f"/api/v1/funding/contributions/{proposed['id']}"))["status"] == (
        "proposed"
    )
    accepted = ok(client.post(path, headers=headers, json=decision()))
    assert (accepted["status"], accepted["decided_on"]) == ("accepted", "2025-04-01")
    again = client.post(path, headers=headers, json=decision(outcome="rejected"))
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    balance = ok(client.get("/api/v1/funding/reports/balance", params={"agreement": AGREEMENT}))
    nor = {n["nation"]: n for n in balance["nations"]}["NOR"]
    assert (nor["in_kind"], nor["contributed"]) == ("50000.00", "50000.00")
    assert tags(uow) == [
        "funding:contribution:record",
        "funding:contribution:accepted",
    ]
    pending = ok(client.get("/api/v1/funding/contributions", params={"status": "proposed"}))
    assert pending == []


# --- imports ----------------------------------------------------------------------------------


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    columns = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(buffer, columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _xlsx(rows: list[dict[str, Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    columns = list(dict.fromkeys(k for row in rows for k in row))
    sheet.append([c.replace("_", " ").title() for c in columns])
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BUDGET_ROWS = [
    budget_line(),
    budget_line(category="travel", nation="GBR", fiscal_year=2023),  # row 3: before
    budget_line(category="equipment", currency="CHF"),  # row 4: no rate
    budget_line(category="indirect", amount="-20"),  # row 5: negative
    budget_line(work_package="WP2", category="travel", nation="GBR", currency="GBP"),
]


def upload(
    client: TestClient,
    headers: dict[str, str],
    kind: str,
    name: str,
    content: bytes,
    **params: str,
) -> Any:
    return client.post(
        f"/api/v1/funding/imports/{kind}",
        headers=headers,
        params=params,
        files={"file": (name, content, "application/octet-stream")},
    )


def test_an_uploaded_csv_with_bad_rows_changes_nothing_and_lists_every_bad_row(
    client: TestClient, uow: UowFactory
) -> None:
    headers = login(client)
    response = upload(client, headers, "budget", "budget.csv", _csv(BUDGET_ROWS))
    assert [f for f, _ in errors(response)] == [
        "rows[3].fiscal_year",
        "rows[4].currency",
        "rows[5].amount",
    ]
    assert count(uow, BudgetLine) == 0 and tags(uow) == []

    partial = ok(upload(client, headers, "budget", "budget.csv", _csv(BUDGET_ROWS), partial="true"))
    assert partial["imported"] == 2
    assert [(s["row"], s["field"]) for s in partial["skipped"]] == [
        (3, "fiscal_year"),
        (4, "currency"),
        (5, "amount"),
    ]
    assert count(uow, BudgetLine) == 2
    assert tags(uow) == ["funding:budget:set", "funding:budget:set"]


def test_an_uploaded_xlsx_is_imported_and_duplicates_within_it_are_refused(
    client: TestClient, uow: UowFactory
) -> None:
    headers = login(client)
    rows = [
        contribution(),
        contribution(reference="CON-2", organisation="UKSL", amount=800.5, currency="GBP"),
        contribution(reference="CON-1", organisation="NDRE", currency="NOK"),
    ]
    for row in rows:
        row["made_on"] = date.fromisoformat(row["made_on"])
    response = upload(client, headers, "contributions", "contributions.xlsx", _xlsx(rows))
    assert errors(response) == [("rows[4].reference", "appears on an earlier row too")]
    assert count(uow, Contribution) == 0

    imported = ok(upload(client, headers, "contributions", "c.xlsx", _xlsx(rows[:2])))
    assert imported == {"imported": 2, "skipped": []}
    listed = ok(client.get("/api/v1/funding/contributions"))
    assert {c["reference"]: c["amount"] for c in listed} == {
        "CON-1": "1000.00",
        "CON-2": "800.50",
    }
    again = upload(client, headers, "contributions", "c.xlsx", _xlsx(rows[:1]))
    assert errors(again) == [("rows[2].reference", "a contribution 'CON-1' already exists")]


def test_an_upload_that_is_no_spreadsheet_is_refused(client: TestClient) -> None:
    headers = login(client)
    assert [f for f, _ in errors(upload(client, headers, "budget", "b.txt", b"x"))] == ["file"]
    assert [f for f, _ in errors(upload(client, headers, "budget", "b.xlsx", b"x"))] == ["file"]
    assert [f for f, _ in errors(upload(client, headers, "budget", "b.csv", b"project\n"))] == [
        "file"
    ]
    assert upload(client, headers, "awards", "b.csv", b"a\n1\n").status_code == 422


# --- reports ----------------------------------------------------------------------------------


def _books(client: TestClient, headers: dict[str, str]) -> None:
    """USA pays 500,000 and receives 600,000 of work; GBR 300,000 and 300,000 (in GBP);
    NOR 200,000 and 100,000 (in NOK): coefficients 1.2, 1.0 and 0.5."""
    for reference, organisation, amount, currency in (
        ("CON-USA", "USAPL", "500000", "USD"),
        ("CON-GBR", "UKSL", "240000", "GBP"),
        ("CON-NOR", "NDRE", "2000000", "NOK"),
    ):
        ok(
            client.post(
                "/api/v1/funding/contributions",
                headers=headers,
                json=contribution(
                    reference=reference,
                    organisation=organisation,
                    amount=amount,
                    currency=currency,
                ),
            ),
            201,
        )
    for reference, organisation, value, currency in (
        ("AWD-USA", "USAPL", "600000", "USD"),
        ("AWD-GBR", "UKSL", "240000", "GBP"),
        ("AWD-NOR", "NDRE", "1000000", "NOK"),
    ):
        ok(
            client.post(
                "/api/v1/funding/workshare",
                headers=headers,
                json=award(
                    reference=reference, organisation=organisation, value=value, currency=currency
                ),
            ),
            201,
        )


def test_the_balance_report_as_json_csv_xlsx_and_svg(client: TestClient) -> None:
    headers = login(client)
    _books(client, headers)
    params = {"agreement": AGREEMENT}
    report = ok(client.get("/api/v1/funding/reports/balance", params=params))
    coefficients = {n["nation"]: n["coefficient"] for n in report["nations"]}
    assert coefficients == {"GBR": "1.000", "NOR": "0.500", "USA": "1.200"}
    assert [a.split(" ")[0] for a in report["alerts"]] == ["NOR", "USA"]
    assert sum(Decimal(n["contributed"]) for n in report["nations"]) == Decimal(
        report["total_contributed"]
    )

    response = client.get("/api/v1/funding/reports/balance", params=params | {"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0][:5] == [
        "Nation",
        "Agreed share %",
        "Cash (USD)",
        "In kind (USD)",
        "Contributed (USD)",
    ]
    by_nation = {row[0]: row for row in table[1:]}
    assert by_nation["NOR"][8:] == ["0.500", "below"]
    assert by_nation["USA"][4] == "500000.00"
    assert by_nation["Total"][4] == "1000000.00"
    assert sum(Decimal(row[4]) for row in table[1:-1]) == Decimal(by_nation["Total"][4])

    response = client.get(
        "/api/v1/funding/reports/balance", params=params | {"format": "xlsx", "currency": "GBP"}
    )
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4] == "Contributed (GBP)"
    sheet_rows = {row[0]: row for row in rows[1:]}
    assert Decimal(str(sheet_rows["USA"][4])) == Decimal("400000")
    assert Decimal(str(sheet_rows["Total"][4])) == Decimal("800000")

    svg = client.get("/api/v1/funding/reports/balance", params=params | {"format": "svg"})
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text

    by_year = ok(
        client.get("/api/v1/funding/reports/balance", params=params | {"fiscal_nation": "GBR"})
    )
    assert by_year["periods"] == ["FY2025"] and by_year["fiscal_calendar"] == "GBR fiscal years"

    refused = client.get("/api/v1/funding/reports/balance", params=params | {"currency": "CHF"})
    assert errors(refused) == [("currency", "PA-SENSE fixes no rate for CHF")]
    unknown = client.get("/api/v1/funding/reports/balance", params={"agreement": "NOPE"})
    assert unknown.status_code == 404


def test_the_budget_report_as_json_csv_xlsx_and_svg(client: TestClient) -> None:
    headers = login(client)
    for body in (
        budget_line(),
        budget_line(
            work_package="WP2", category="travel", nation="GBR", amount="8000", currency="GBP"
        ),
    ):
        ok(client.put("/api/v1/funding/budget-lines", headers=headers, json=body))
    for body in (
        expenditure(),
        expenditure(amount="-2500", incurred_on="2024-12-01"),
        expenditure(
            work_package="WP2",
            category="travel",
            organisation="UKSL",
            kind="commitment",
            amount="2000",
            currency="GBP",
        ),
    ):
        ok(client.post("/api/v1/funding/expenditures", headers=headers, json=body), 201)
    params = {"project": PROJECT}
    report = ok(client.get("/api/v1/funding/reports/budget", params=params))
    rows = {(r["work_package"], r["category"]): r for r in report["rows"]}
    assert rows["WP1", "personnel"]["actual"] == "37500.00"
    assert rows["WP1", "personnel"]["remaining"] == "62500.00"
    assert rows["WP2", "travel"]["budget"] == "10000.00"
    assert rows["WP2", "travel"]["committed"] == "2500.00"
    assert report["totals"]["remaining"] == "72500.00"
    assert {(y["nation"], y["fiscal_year"]) for y in report["by_fiscal_year"]} == {
        ("USA", "FY2025"),
        ("GBR", "FY2025"),
    }

    response = client.get("/api/v1/funding/reports/budget", params=params | {"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == [
        "Work package",
        "Cost category",
        "Budget",
        "Forecast",
        "Committed",
        "Actual",
        "Remaining",
    ]
    assert table[1] == ["WP1", "personnel", "100000.00", "0.00", "0.00", "37500.00", "62500.00"]
    assert table[-1] == ["Total", "", "110000.00", "0.00", "2500.00", "37500.00", "72500.00"]
    for column in range(2, 7):
        assert sum(Decimal(row[column]) for row in table[1:-1]) == Decimal(table[-1][column])

    response = client.get("/api/v1/funding/reports/budget", params=params | {"format": "xlsx"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][0] == "Work package" and cells[-1][0] == "Total"
    assert Decimal(str(cells[-1][6])) == Decimal("72500")

    svg = client.get("/api/v1/funding/reports/budget", params=params | {"format": "svg"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text
    refused = client.get("/api/v1/funding/reports/budget", params=params | {"currency": "CHF"})
    assert [f for f, _ in errors(refused)] == ["currency"]


def test_pages_offer_funding_forms_to_whoever_may_record_funding_somewhere(
    client: TestClient,
) -> None:
    """A finance officer holds funding:manage in an organisation, not on the node; the
    pages still offer the forms. A researcher holds it nowhere and is offered none."""
    from tests.api.test_web_pages import web_login

    web_login(client, "fo-gbr")
    page = client.get("/funding", params={"agreement": AGREEMENT})
    assert page.status_code == 200
    assert "Record a contribution" in page.text and "Import a file" in page.text
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": ""})
    client.cookies.clear()
    web_login(client, "reader")
    page = client.get("/funding", params={"agreement": AGREEMENT})
    assert page.status_code == 200
    assert "Record a contribution" not in page.text


def test_the_budget_page_sets_a_budget_books_a_cost_and_shows_both(client: TestClient) -> None:
    from tests.api.test_web_pages import form_token, web_login

    web_login(client)
    page = client.get("/funding/budget", params={"project": PROJECT})
    token = form_token(page.text)
    line = {
        "csrf_token": token,
        "project": PROJECT,
        "work_package": "WP1",
        "category": "personnel",
        "kind": "budget",
        "nation": "GBR",
        "fiscal_year": "2019",
        "amount": "125000.00",
        "currency": "GBP",
    }
    refused = client.post("/funding/budget/lines", data=line)
    assert refused.status_code == 422
    assert "FY2019" in refused.text and "lies outside PA-SENSE" in refused.text
    done = client.post("/funding/budget/lines", data={**line, "fiscal_year": "2026"})
    assert done.status_code == 200 and "Budget of WP1 personnel FY2026 set." in done.text
    cost = {
        "csrf_token": token,
        "project": PROJECT,
        "work_package": "WP1",
        "category": "personnel",
        "kind": "actual",
        "organisation": "UKSL",
        "incurred_on": "2025-06-30",
        "amount": "25000.00",
        "currency": "GBP",
        "reference": "INV-77",
    }
    booked = client.post("/funding/budget/costs", data=cost)
    assert booked.status_code == 200, booked.text
    # 125,000 GBP budget and 25,000 GBP actual at 1.25 USD: 156,250 and 31,250 USD.
    assert "156,250.00" in booked.text and "31,250.00" in booked.text
    assert "INV-77" in booked.text
    chart = client.get("/funding/budget/chart.svg", params={"project": PROJECT})
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert "WP1" in chart.text


def test_withdrawals_through_the_api_and_the_pages(client: TestClient) -> None:
    from tests.api.test_web_pages import form_token, web_login

    headers = login(client)
    made = ok(
        client.post("/api/v1/funding/contributions", headers=headers, json=contribution()), 201
    )
    awarded = ok(client.post("/api/v1/funding/workshare", headers=headers, json=award()), 201)
    bad = client.post(
        f"/api/v1/funding/contributions/{made['id']}/withdraw",
        headers=headers,
        json={"withdrawn_on": "2025-02-01"},
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["reason"]
    withdrawn = ok(
        client.post(
            f"/api/v1/funding/contributions/{made['id']}/withdraw",
            headers=headers,
            json={"withdrawn_on": "2025-02-01", "reason": "entered twice"},
        )
    )
    assert withdrawn["status"] == "withdrawn"
    again = client.post(
        f"/api/v1/funding/contributions/{made['id']}/withdraw",
        headers=headers,
        json={"withdrawn_on": "2025-02-02", "reason": "entered twice"},
    )
    assert again.status_code == 409

    web_login(client)
    page = client.get(f"/funding/workshare/{awarded['id']}")
    assert page.status_code == 200 and "Withdraw award" in page.text
    done = client.post(
        f"/funding/workshare/{awarded['id']}/withdraw",
        data={"csrf_token": form_token(page.text), "withdrawn_on": "2025-03-01", "reason": "void"},
    )
    assert done.status_code == 200, done.text
    assert "Award AWD-1 withdrawn." in done.text and "Withdraw award" not in done.text
    page = client.get(f"/funding/contributions/{made['id']}")
    assert "entered twice" in page.text and "Withdraw contribution" not in page.text
    shown = ok(client.get(f"/api/v1/funding/workshare/{awarded['id']}"))
    assert shown["withdrawal_reason"] == "void"
