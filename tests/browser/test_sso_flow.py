"""Sign in with a nation's identity provider in a real Chromium: the log-in page's button,
the provider's own login and consent pages (oidc-provider, tests/oidc); refused while the
subject is not linked, then linked by the node administrator on the provider's page, then
back on the dashboard. Then the node administrator's page of providers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import LiveServer, log_in
from tests.oidc_provider import (  # noqa: F401  (a fixture, used by name)
    ProviderFactory,
    oidc_provider_factory,
)

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.identity import services
from coalition.identity.schemas import ProviderIn
from coalition.registry.people import create_person
from coalition.registry.schemas import OrganisationIn, PersonIn
from coalition.registry.services import create_organisation
from coalition.settings import Settings

pytestmark = pytest.mark.browser
OPERATOR = Principal.operator("test")


def _through_the_provider(page: Page, issuer: str, subject: str) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Sign in with UK MOD Identity").click()
    # The provider's own development login form, then its consent form.
    expect(page).to_have_url(re.compile(re.escape(issuer) + "/interaction/"))
    page.locator("input[name=login]").fill(subject)
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_a_british_researcher_signs_in_with_the_uk_provider_once_linked(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    live_settings: Settings,
    oidc_provider_factory: ProviderFactory,  # noqa: F811
    csp_violations: list[str],
) -> None:
    # The redirect URI comes from COALITION_PUBLIC_URL (the served app holds this object).
    live_settings.public_url = live_server.url
    provider = oidc_provider_factory(
        [f"{live_server.url}/login/sso/gbr/callback"],
        [{"sub": "uk-7", "preferred_username": "hannah", "nationality": "GBR", "clearance": "SC"}],
    )
    uow = live_server.uow
    lab = create_organisation(
        uow(),
        OPERATOR,
        OrganisationIn(name="UK Sensors Lab", short_name="UKSL", kind="lab", nation_code="GBR"),
    )
    hannah = create_person(
        uow(),
        OPERATOR,
        PersonIn(
            given_name="Hannah",
            family_name="Hale",
            email="hannah@uksl.example",
            employer_id=lab.id,
            citizenships=["GBR"],
        ),
    )
    create_account(
        uow(),
        OPERATOR,
        AccountIn(
            username="hannah",
            display_name="Hannah Hale",
            password="a-password-she-never-needs",
            person_id=hannah.id,
            grants=[
                GrantIn(role=Role.RESEARCHER, scope_kind=ScopeKind.ORGANISATION, scope_id=lab.id)
            ],
        ),
    )
    secrets_dir = live_settings.effective_sso_secrets_dir
    secrets_dir.mkdir(parents=True, exist_ok=True)
    (secrets_dir / "gbr.secret").write_text(provider.client_secret)
    (secrets_dir / "gbr.secret").chmod(0o600)
    services.create_provider(
        uow(),
        OPERATOR,
        ProviderIn(
            key="gbr",
            nation_code="GBR",
            display_name="UK MOD Identity",
            issuer=provider.issuer,
            client_id=provider.client_id,
            client_secret_file="gbr.secret",
            scopes=["openid", "profile", "coalition"],
            may_assert=["citizenship", "clearance"],
        ),
        live_settings,
    )

    # Not linked yet: refused, told the subject to give the administrator.
    _through_the_provider(page, provider.issuer, "uk-7")
    expect(page.get_by_text("(subject uk-7) is not linked to an account")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    # The node administrator links it, on the provider's page (a browser of their own).
    admin = browser.new_context(base_url=live_server.url).new_page()
    try:
        log_in(admin)
        admin.goto("/identity-providers/gbr")
        admin.get_by_role("textbox", name=re.compile(r"^Subject")).fill("uk-7")
        admin.get_by_role("textbox", name=re.compile(r"^Account")).fill("hannah")
        admin.get_by_role("button", name="Link", exact=True).click()
        expect(admin.get_by_text("Subject uk-7 linked to hannah.")).to_be_visible()
        expect(admin.get_by_role("button", name="Unlink hannah")).to_be_visible()
    finally:
        admin.context.close()

    # Hannah again, in a fresh browser (the provider would remember her in this one).
    hannah_page = browser.new_context(base_url=live_server.url).new_page()
    try:
        _through_the_provider(hannah_page, provider.issuer, "uk-7")
        expect(hannah_page).to_have_url(f"{live_server.url}/")
        expect(hannah_page.get_by_role("button", name="Log out")).to_be_visible()
        expect(hannah_page.get_by_role("link", name="hannah")).to_be_visible()
        expect(
            hannah_page.get_by_text("UK MOD Identity confirmed your GBR SC clearance.")
        ).to_be_visible()
    finally:
        hannah_page.context.close()
    assert csp_violations == []


def test_the_administrator_adds_a_provider_from_the_accounts_page(
    admin_page: Page, live_settings: Settings, csp_violations: list[str]
) -> None:
    secrets_dir = live_settings.effective_sso_secrets_dir
    secrets_dir.mkdir(parents=True, exist_ok=True)
    (secrets_dir / "usa.secret").write_text("s3cret")
    (secrets_dir / "usa.secret").chmod(0o600)
    page = admin_page
    page.goto("/accounts")
    page.get_by_role("link", name="Identity providers (single sign-on)").click()
    page.get_by_label("Key").fill("usa")
    page.get_by_label("Nation code").fill("USA")
    page.get_by_label("Display name").fill("US DoD Login")
    page.get_by_label("Issuer URL").fill("http://id.example.mil")
    page.get_by_label("Client id").fill("coalition")
    page.get_by_label("Client secret file").fill("usa.secret")
    page.get_by_role("button", name="Add provider").click()
    expect(page.get_by_text("must use https")).to_be_visible()

    page.get_by_label("Issuer URL").fill("https://id.example.mil")
    page.get_by_label("Clearances of its own nationals").check()
    page.get_by_role("button", name="Add provider").click()
    expect(page.get_by_role("heading", name=re.compile("US DoD Login"))).to_be_visible()
    expect(page.get_by_text("/login/sso/usa/callback")).to_be_visible()
    page.get_by_role("button", name="Disable provider").click()
    expect(page.get_by_text("nobody signs in through it now")).to_be_visible()
    assert csp_violations == []
