"""The facility catalogue in a real Chromium: a facility manager adds her laboratory's wind
tunnel (a misspelt time zone refused first, at its field), sees it on its page, records a
closure and finds it in the catalogue by a capability branch."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import log_in

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.registry.models import OrganisationKind
from coalition.registry.people import create_person
from coalition.registry.schemas import OrganisationIn, PersonIn
from coalition.registry.services import create_organisation
from coalition.store.uow import UnitOfWork

pytestmark = pytest.mark.browser

UowFactory = Callable[[], UnitOfWork]
OPERATOR = Principal.operator("test")
PASSWORD = "browser-test-passphrase-42"
CODE = "DSTL-HWT"


def _facility_manager(uow: UowFactory) -> uuid.UUID:
    """DSTL (GBR) and its facility manager Fiona Ashcroft (GBR), who logs in as `fiona`."""
    dstl = create_organisation(
        uow(),
        OPERATOR,
        OrganisationIn(
            name="Defence Science and Technology Laboratory",
            short_name="DSTL",
            kind=OrganisationKind.LAB,
            nation_code="GBR",
        ),
    ).id
    fiona = create_person(
        uow(),
        OPERATOR,
        PersonIn(
            given_name="Fiona",
            family_name="Ashcroft",
            email="fiona@dstl.example",
            employer_id=dstl,
            citizenships=["GBR"],
        ),
    ).id
    create_account(
        uow(),
        OPERATOR,
        AccountIn(
            username="fiona",
            display_name="Fiona Ashcroft",
            password=PASSWORD,
            person_id=fiona,
            grants=[
                GrantIn(
                    role=Role.FACILITY_MANAGER, scope_kind=ScopeKind.ORGANISATION, scope_id=dstl
                )
            ],
        ),
    )
    return dstl


def test_a_facility_manager_adds_a_facility_closes_it_and_finds_it(
    page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    _facility_manager(live_uow)
    log_in(page, "fiona", PASSWORD)
    page.get_by_role("link", name="Facilities", exact=True).click()
    expect(page.get_by_role("heading", name="Facilities")).to_be_visible()
    expect(page.get_by_text("No facility matches.")).to_be_visible()
    page.get_by_role("link", name="Add a facility").click()

    page.get_by_role("textbox", name=re.compile(r"^Code")).fill(CODE)
    page.get_by_label("Kind").select_option("wind_tunnel")
    page.get_by_label("Owner").select_option("DSTL")
    page.get_by_label("Name", exact=True).fill("Porton Hypersonic Wind Tunnel")
    page.get_by_label("Location").fill("Porton Down, Wiltshire")
    page.get_by_label("Time zone").fill("Europe/Londn")
    page.get_by_label("Capacity").fill("2")
    page.get_by_label("Capabilities").fill("aero.hypersonic, aero.thermal")
    page.get_by_label("Banner").fill("OFFICIAL-SENSITIVE//REL TO GBR, USA")
    page.get_by_label("Scheme").fill("GBR")
    page.get_by_label("Originator").fill("GBR")
    page.get_by_role("textbox", name=re.compile(r"^Rate")).fill("1800")
    page.get_by_label("Currency").fill("GBP")
    page.get_by_label("Per", exact=True).select_option("day")
    page.get_by_label("Mon", exact=True).fill("08:00-18:00")
    page.get_by_label("Tue", exact=True).fill("08:00-18:00")
    page.get_by_role("button", name="Add facility").click()

    expect(page.locator("#e-time_zone")).to_contain_text(
        "'Europe/Londn' is not an IANA time zone such as Europe/London"
    )
    expect(page.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
    # What was typed is kept.
    expect(page.get_by_role("textbox", name=re.compile(r"^Code"))).to_have_value(CODE)
    expect(page.get_by_label("Capabilities")).to_have_value("aero.hypersonic, aero.thermal")
    expect(page.get_by_label("Mon", exact=True)).to_have_value("08:00-18:00")

    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_role("button", name="Add facility").click()
    expect(page.get_by_role("status")).to_contain_text(f"Facility {CODE} added to the catalogue.")
    expect(
        page.get_by_role("heading", name=f"{CODE} · Porton Hypersonic Wind Tunnel")
    ).to_be_visible()
    expect(page.get_by_text("OFFICIAL-SENSITIVE//REL TO USA, GBR")).to_be_visible()
    expect(page.get_by_text("1,800.00 GBP per day")).to_be_visible()
    expect(page.get_by_text("Mon 08:00-18:00, Tue 08:00-18:00")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_be_visible()

    closure = page.get_by_role("region", name="Record a closure")
    closure.get_by_label("First day").fill("2027-01-11")
    closure.get_by_label("Last day").fill("2027-01-08")
    closure.get_by_label("Reason").fill("compressor overhaul")
    closure.get_by_role("button", name="Record closure").click()
    expect(page.locator("#e-last_day")).to_contain_text("is before first_day")

    closure = page.get_by_role("region", name="Record a closure")
    closure.get_by_label("Last day").fill("2027-01-15")
    closure.get_by_role("button", name="Record closure").click()
    expect(page.get_by_role("status")).to_contain_text("Closed from 2027-01-11 to 2027-01-15.")
    closures = page.get_by_role("table", name="Closures")
    expect(
        closures.get_by_role("row", name="2027-01-11 2027-01-15 compressor overhaul")
    ).to_be_visible()

    page.get_by_role("link", name="Facilities", exact=True).first.click()
    search = page.get_by_role("form", name="Search the catalogue")
    search.get_by_label("Capability").fill("radar")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No facility matches.")).to_be_visible()
    search.get_by_label("Capability").fill("aero")
    search.get_by_role("button", name="Search").click()
    row = page.get_by_role("table", name="Facilities").get_by_role("row", name=CODE)
    expect(row).to_contain_text("aero.hypersonic")
    expect(row).to_contain_text("DSTL (GBR)")
    row.get_by_role("link", name=CODE).click()
    expect(
        page.get_by_role("heading", name=f"{CODE} · Porton Hypersonic Wind Tunnel")
    ).to_be_visible()
    assert not csp_violations
