"""Click through the main flows in a real Chromium, finding fields by their labels.

Finding every field with get_by_label and every button with get_by_role also proves that the
forms are labelled for screen readers and reachable without a mouse.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from coalition.accounts.permissions import Principal
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.registry.models import OrganisationKind
from coalition.registry.schemas import OrganisationIn, OrganisationOut
from coalition.registry.services import create_organisation
from coalition.store.uow import UnitOfWork

pytestmark = pytest.mark.browser

UowFactory = Callable[[], UnitOfWork]
OPERATOR = Principal.operator("test")


def _organisation(uow: UowFactory, short_name: str, name: str, nation: str) -> OrganisationOut:
    return create_organisation(
        uow(),
        OPERATOR,
        OrganisationIn(
            name=name,
            short_name=short_name,
            kind=OrganisationKind.LAB,
            nation_code=nation,
        ),
    )


def _two_labs(uow: UowFactory) -> tuple[OrganisationOut, OrganisationOut]:
    return (
        _organisation(uow, "DSTL", "Defence Science and Technology Laboratory", "GBR"),
        _organisation(uow, "AFRL", "Air Force Research Laboratory", "USA"),
    )


def _agreement_in_force(uow: UowFactory) -> uuid.UUID:
    dstl, afrl = _two_labs(uow)
    agreement = create_agreement(
        uow(),
        OPERATOR,
        AgreementIn(
            reference="MOU-HYP",
            title="Hypersonics MoU",
            kind="mou",
            effective_from=date(2024, 1, 1),
            classification_ceiling=3,
            parties=[PartyIn(organisation_id=dstl.id), PartyIn(organisation_id=afrl.id)],
        ),
    )
    change_status(
        uow(), OPERATOR, agreement.id, StatusChangeIn(to_status="in_force", reason="signed by both")
    )
    return agreement.id


def test_logs_in_through_the_login_page(page: Page, admin_credentials: tuple[str, str]) -> None:
    username, password = admin_credentials
    page.goto("/people")
    expect(page).to_have_url(re.compile(r"/login\?next=/people$"))

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.get_by_role("heading", name="People")).to_be_visible()


def test_refuses_a_wrong_password(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_creates_an_organisation_and_lists_it(admin_page: Page) -> None:
    page = admin_page
    page.goto("/organisations")
    page.get_by_role("link", name="New organisation").click()
    page.get_by_label("Name", exact=True).fill("Defence Science and Technology Laboratory")
    page.get_by_label("Short name").fill("DSTL")
    page.get_by_label("Kind").select_option("lab")
    page.get_by_label("Nation").select_option("GBR")
    page.get_by_label("City").fill("Porton Down")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Organisation DSTL created.")
    page.get_by_role("link", name="Organisations").click()
    expect(page.get_by_role("link", name="DSTL", exact=True)).to_be_visible()


def test_records_a_person_with_a_clearance(
    admin_page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    page = admin_page
    _organisation(live_uow, "DSTL", "Defence Science and Technology Laboratory", "GBR")
    page.goto("/people")
    page.get_by_role("link", name="New person").click()
    page.get_by_label("Given name").fill("Ada")
    page.get_by_label("Family name").fill("Lovelace")
    page.get_by_label("E-mail").fill("ada.lovelace@dstl.example")
    page.get_by_label("Employer").select_option(
        label="DSTL · Defence Science and Technology Laboratory"
    )
    page.get_by_label("Citizenships").fill("GBR")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()

    page.get_by_text("Add a clearance").click()
    form = page.get_by_role("form", name="Add a clearance")
    form.get_by_label("Issuer").select_option("GBR")
    form.get_by_label("Clearance").select_option(label="SC (SECRET)")
    form.get_by_label("Valid from").fill("2024-01-01")
    form.get_by_label("Valid until").fill("2099-01-01")
    form.get_by_label("Reference").fill("UKSV-1234")
    form.get_by_role("button", name="Add clearance").click()

    expect(page.get_by_role("status")).to_have_text("Clearance GBR SC recorded.")
    clearances = page.get_by_role("table", name="Clearances")
    row = clearances.get_by_role("row").filter(
        has=page.get_by_role("cell", name="UKSV-1234", exact=True)
    )
    expect(row).to_contain_text("3 · SECRET")
    expect(row).to_contain_text("current")
    assert csp_violations == []


def test_puts_an_agreement_with_two_parties_in_force(
    admin_page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    page = admin_page
    _two_labs(live_uow)
    page.goto("/agreements")
    page.get_by_role("link", name="New agreement").click()
    page.get_by_label("Reference").fill("MOU-HYP")
    page.get_by_label("Kind").select_option(label="MoU")
    page.get_by_label("Title").fill("Hypersonics MoU")
    page.get_by_label("Effective from").fill("2024-01-01")
    page.get_by_label("Parties").select_option(
        label=[
            "DSTL · Defence Science and Technology Laboratory (GBR)",
            "AFRL · Air Force Research Laboratory (USA)",
        ]
    )
    page.get_by_label("Classification ceiling").select_option(label="3 · SECRET")
    page.get_by_label("Default releasability").fill("USA, GBR")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="MOU-HYP · Hypersonics MoU")).to_be_visible()
    parties = page.get_by_role("table", name="Parties")
    expect(parties.get_by_role("link", name="DSTL")).to_be_visible()
    expect(parties.get_by_role("link", name="AFRL")).to_be_visible()

    page.get_by_text("Change the status").click()
    form = page.get_by_role("form", name="Change the status")
    form.get_by_label("New status").select_option(label="In force")
    form.get_by_label("Reason").fill("Signed by both nations on 1 January")
    form.get_by_role("button", name="Change status").click()

    expect(page.get_by_role("status")).to_have_text("Agreement MOU-HYP is now in force.")
    history = page.get_by_role("table", name="Status history")
    expect(history).to_contain_text("Signed by both nations on 1 January")
    assert csp_violations == []


def test_plans_a_project_under_an_agreement_in_force(
    admin_page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    page = admin_page
    agreement_id = _agreement_in_force(live_uow)
    page.goto(f"/agreements/{agreement_id}")
    page.get_by_role("link", name="New project under MOU-HYP").click()
    page.get_by_label("Code").fill("HYP-1")
    page.get_by_label("Title").fill("Hypersonic flow")
    page.get_by_label("Lead organisation").select_option(
        label="DSTL · Defence Science and Technology Laboratory (GBR)"
    )
    page.get_by_label("Starts on").fill("2025-01-01")
    page.get_by_label("Ends on").fill("2027-12-31")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="HYP-1 · Hypersonic flow")).to_be_visible()

    page.get_by_text("Add a work package").click()
    form = page.get_by_role("form", name="Add a work package")
    form.get_by_label("Code").fill("WP1")
    form.get_by_label("Lead organisation").select_option(label="DSTL")
    form.get_by_label("Title").fill("Wind-tunnel campaign")
    form.get_by_role("button", name="Add work package").click()
    expect(page.get_by_role("heading", name="WP1 · Wind-tunnel campaign")).to_be_visible()

    page.get_by_text("Add a milestone").click()
    form = page.get_by_role("form", name="Add a milestone")
    form.get_by_label("Code").fill("M1")
    form.get_by_label("Due on").fill("2025-06-30")
    form.get_by_label("Title").fill("First test article")
    form.get_by_role("button", name="Add milestone").click()

    expect(page.get_by_role("status")).to_have_text("Milestone M1 added.")
    expect(page.get_by_role("table", name="Milestones")).to_contain_text("M1 · First test article")
    assert csp_violations == []


def test_shows_the_field_error_when_an_agreement_expires_before_it_starts(
    admin_page: Page, live_uow: UowFactory
) -> None:
    page = admin_page
    _two_labs(live_uow)
    page.goto("/agreements/new")
    page.get_by_label("Reference").fill("MOU-BAD")
    page.get_by_label("Kind").select_option(label="MoU")
    page.get_by_label("Title").fill("Backwards MoU")
    page.get_by_label("Effective from").fill("2025-01-01")
    page.get_by_label("Expires on").fill("2024-01-01")
    page.get_by_label("Parties").select_option(label="AFRL · Air Force Research Laboratory (USA)")
    page.get_by_role("button", name="Save").click()

    expires = page.get_by_label("Expires on")
    expect(expires).to_have_attribute("aria-invalid", "true")
    expect(expires).to_have_accessible_description("must be after effective_from")
    # What was typed is kept, so only the wrong field needs fixing.
    expect(page.get_by_label("Title")).to_have_value("Backwards MoU")
