"""Funding in a real Chromium: an administrator opens the balance of an agreement whose
partners are out of balance, records a contribution (a currency the agreement fixes no
rate for refused first) and sees the balance table, the chart and the dashboard's alert
come back within the band."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import log_in
from tests.browser.test_techdata_flows import OPERATOR, TODAY, UowFactory, _programme

from coalition.agreements.schemas import AgreementUpdate, AmendmentIn
from coalition.agreements.services import update_agreement
from coalition.funding import services
from coalition.funding.schemas import ContributionIn, WorkshareAwardIn

pytestmark = pytest.mark.browser


def _books(uow: UowFactory) -> None:
    """USA pays 60% and GBR 40%, while each receives half the work: out of balance."""
    agreement = services.agreement_id_for(uow(), OPERATOR, "MOU-HYP")
    update_agreement(
        uow(),
        OPERATOR,
        agreement,
        AgreementUpdate(
            accounting_currency="USD",
            exchange_rates={"GBP": Decimal("1.27")},
            amendment=AmendmentIn(
                title="Cost-share accounting",
                signed_on=TODAY - timedelta(days=300),
                effective_from=TODAY - timedelta(days=300),
            ),
        ),
    )
    for reference, org, amount, currency in (
        ("CON-USA-1", "AFRL", "600000", "USD"),
        ("CON-GBR-1", "DSTL", "314960.63", "GBP"),
    ):
        services.record_contribution(
            uow(),
            OPERATOR,
            ContributionIn(
                reference=reference,
                agreement="MOU-HYP",
                organisation=org,
                kind="cash",
                made_on=TODAY - timedelta(days=200),
                amount=Decimal(amount),
                currency=currency,
            ),
        )
    for reference, org in (("AWD-1", "AFRL"), ("AWD-2", "DSTL")):
        services.award_workshare(
            uow(),
            OPERATOR,
            WorkshareAwardIn(
                reference=reference,
                project="HYP",
                organisation=org,
                title=f"Inlet work at {org}",
                awarded_on=TODAY - timedelta(days=100),
                value=Decimal(500000),
                currency="USD",
            ),
        )


def test_a_contribution_brings_a_nation_back_into_balance(
    page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    _programme(live_uow)
    _books(live_uow)
    log_in(page)
    page.goto("/")
    alerts = page.get_by_role("table", name="Workshare balance outside the agreed band")
    expect(alerts).to_contain_text("GBR is out of balance: coefficient 1.250")
    page.get_by_role("link", name="Funding", exact=True).click()
    page.get_by_label("Agreement", exact=True).select_option("MOU-HYP")
    page.get_by_role("button", name="Show").click()
    balance = page.get_by_role("table", name=re.compile("Balance per nation"))
    expect(balance.get_by_role("row", name=re.compile("^GBR"))).to_contain_text("1.250")
    expect(page.get_by_role("alert").first).to_contain_text("GBR is out of balance")
    chart = page.locator("#balance-chart")
    expect(chart).to_have_attribute("alt", re.compile(r"GBR 1\.250 \(above\)"))
    before = page.request.get(chart.get_attribute("src") or "").text()
    assert "1.250" in before

    page.get_by_role("link", name="Record a contribution").click()
    page.get_by_role("textbox", name=re.compile(r"^Reference")).fill("CON-GBR-2")
    page.get_by_label("Organisation").select_option("DSTL")
    page.get_by_label("Made on").fill(str(TODAY - timedelta(days=10)))
    page.get_by_role("textbox", name=re.compile(r"^Amount")).fill("157480.31")
    page.get_by_role("textbox", name=re.compile(r"^Currency")).fill("EUR")
    page.get_by_role("button", name="Record contribution").click()
    expect(page.locator("#e-currency")).to_contain_text("MOU-HYP fixes no rate for EUR")

    page.get_by_role("textbox", name=re.compile(r"^Currency")).fill("GBP")
    page.get_by_role("button", name="Record contribution").click()
    expect(page.get_by_role("status")).to_contain_text("Contribution CON-GBR-2 recorded")
    balance = page.get_by_role("table", name=re.compile("Balance per nation"))
    expect(balance.get_by_role("row", name=re.compile("^GBR"))).to_contain_text("1.000")
    expect(balance.get_by_role("row", name=re.compile("^USA"))).to_contain_text("1.000")
    expect(page.locator("#balance-chart")).to_have_attribute(
        "alt", re.compile(r"GBR 1\.000 \(within\)")
    )
    after = page.request.get(page.locator("#balance-chart").get_attribute("src") or "").text()
    assert after != before and "1.000" in after
    assert page.locator("#balance-chart").evaluate("img => img.naturalWidth") > 0
    expect(page.get_by_role("table", name="Contributions", exact=True)).to_contain_text("CON-GBR-2")
    page.goto("/")
    expect(alerts).to_contain_text("Every nation is within its agreement's balance band")
    assert not csp_violations
