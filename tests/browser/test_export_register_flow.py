"""The export register in a real Chromium: a CSV import refused row by row and then
accepted, a draw-down refused past the limit and accepted within it, an amendment, and
the dashboard's expiry warning."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HEADER = (
    "reference,kind,issuing_nation,regime,recipient_nations,quantity_limit,valid_from,valid_until\n"
)


def test_an_export_officer_imports_draws_down_and_amends(
    admin_page: Page, csp_violations: list[str], tmp_path: Path
) -> None:
    page = admin_page
    today = date.today()
    soon, later = today + timedelta(days=20), today + timedelta(days=400)
    csv_file = tmp_path / "licences.csv"
    csv_file.write_text(
        HEADER
        + f"TAA 7-1,taa,USA,ITAR,GBR,3,{today},{soon}\n"
        + f"TAA 7-2,taa,USA,ITAR,XYZ,3,{today},{later}\n"
    )
    page.get_by_role("link", name="Export register").click()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("row 3.recipient_nations")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")

    csv_file.write_text(csv_file.read_text().replace("XYZ", "GBR"))
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("2 authorisation(s) imported")
    row = page.get_by_role("row").filter(has_text="TAA 7-1")
    expect(row).to_contain_text("3 of 3")
    expect(row).to_contain_text("within 30 days")

    page.get_by_role("link", name="TAA 7-1").click()
    page.get_by_label("Quantity", exact=True).fill("4")
    page.get_by_label("Shipment or release").fill("shipment 1")
    page.get_by_role("button", name="Draw down").click()
    expect(page.get_by_role("alert")).to_contain_text("quantity 4 exceeds what remains (3)")
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Draw down").click()
    expect(page.get_by_role("status")).to_contain_text("Draw-down recorded")
    expect(page.get_by_text("1 left")).to_be_visible()

    page.get_by_label("New quantity limit").fill("10")
    page.get_by_label("Reason").fill("Amendment 1: more units")
    page.get_by_role("button", name="Amend").click()
    expect(page.get_by_role("table", name="Amendments")).to_contain_text("quantity_limit: 3 → 10")

    page.get_by_role("link", name="Dashboard").click()
    warnings = page.get_by_role("table", name="Export authorisations lapsing within 90 days")
    expect(warnings).to_contain_text("TAA 7-1")
    expect(warnings).not_to_contain_text("TAA 7-2")
    assert not csp_violations
