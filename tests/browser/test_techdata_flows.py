"""Technical data in a real Chromium: a researcher lists only what she may see and records
an artifact; a security officer asks why, who can see, and what if."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from tests.browser.conftest import log_in

from coalition.accounts.permissions import Principal, Role
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn
from coalition.projects.services import add_member, add_participant, create_project
from coalition.registry.models import OrganisationKind
from coalition.registry.people import create_person
from coalition.registry.schemas import OrganisationIn, PersonIn
from coalition.registry.services import create_organisation
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.techdata.services import create_artifact

pytestmark = pytest.mark.browser

UowFactory = Callable[[], UnitOfWork]
OPERATOR = Principal.operator("test")
PASSWORD = "browser-test-passphrase-42"
TODAY = date.today()


@dataclass(frozen=True)
class Programme:
    project: uuid.UUID
    afrl: uuid.UUID
    priya: uuid.UUID
    seen: str  # reference of an artifact Priya may see
    hidden: str  # reference of one she may not


def _programme(uow: UowFactory) -> Programme:
    dstl, afrl = (
        create_organisation(
            uow(),
            OPERATOR,
            OrganisationIn(name=name, short_name=short, kind=OrganisationKind.LAB, nation_code=n),
        )
        for short, name, n in (
            ("DSTL", "Defence Science and Technology Laboratory", "GBR"),
            ("AFRL", "Air Force Research Laboratory", "USA"),
        )
    )
    agreement = create_agreement(
        uow(),
        OPERATOR,
        AgreementIn(
            reference="MOU-HYP",
            title="Hypersonics MoU",
            kind="mou",
            effective_from=TODAY - timedelta(days=700),
            classification_ceiling=3,
            parties=[PartyIn(organisation_id=dstl.id), PartyIn(organisation_id=afrl.id)],
        ),
    )
    change_status(
        uow(), OPERATOR, agreement.id, StatusChangeIn(to_status="in_force", reason="signed")
    )
    project = create_project(
        uow(),
        OPERATOR,
        ProjectIn(
            code="HYP",
            title="Hypersonic inlets",
            agreement_id=agreement.id,
            start_on=TODAY - timedelta(days=600),
            lead_organisation_id=afrl.id,
            classification_ceiling=3,
        ),
    )
    add_participant(
        uow(),
        OPERATOR,
        project.id,
        ParticipantIn(
            organisation_id=dstl.id, role="partner", joined_on=TODAY - timedelta(days=500)
        ),
    )
    people = {}
    for given, family, org, nation in (
        ("Priya", "Raman", dstl.id, "GBR"),
        ("Oliver", "Pennington", dstl.id, "GBR"),
    ):
        people[given] = create_person(
            uow(),
            OPERATOR,
            PersonIn(
                given_name=given,
                family_name=family,
                email=f"{given.lower()}@dstl.example",
                employer_id=org,
                citizenships=[nation],
            ),
        ).id
    add_member(
        uow(),
        OPERATOR,
        project.id,
        MemberIn(
            person_id=people["Priya"], role="researcher", joined_on=TODAY - timedelta(days=400)
        ),
    )
    create_account(
        uow(),
        OPERATOR,
        AccountIn(
            username="priya",
            display_name="Priya Raman",
            password=PASSWORD,
            person_id=people["Priya"],
            grants=[GrantIn(role=Role.RESEARCHER)],
        ),
    )
    create_account(
        uow(),
        OPERATOR,
        AccountIn(
            username="oliver",
            display_name="Oliver Pennington",
            password=PASSWORD,
            person_id=people["Oliver"],
            grants=[GrantIn(role=Role.SECURITY_OFFICER)],
        ),
    )
    for reference, title, banner in (
        ("HYP-0001", "Inlet pressure survey", "UNCLASSIFIED//REL TO USA, GBR"),
        ("HYP-0002", "Combustor stability model", "UNCLASSIFIED//NOFORN"),
    ):
        create_artifact(
            uow(),
            OPERATOR,
            ArtifactIn(
                reference=reference,
                title=title,
                kind="report",
                project_id=project.id,
                owner_organisation_id=afrl.id,
                label=LabelIn(scheme="USA", originator="USA", banner=banner),
            ),
        )
    return Programme(project.id, afrl.id, people["Priya"], "HYP-0001", "HYP-0002")


def test_a_researcher_sees_only_what_she_may_and_records_an_artifact(
    page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    programme = _programme(live_uow)
    log_in(page, "priya", PASSWORD)
    page.get_by_role("link", name="Technical data").click()
    expect(page.get_by_role("link", name=programme.seen)).to_be_visible()
    expect(page.get_by_text(programme.hidden)).to_have_count(0)
    expect(page.get_by_text("1\u20131 of 1")).to_be_visible()

    page.get_by_role("link", name=programme.seen).click()
    expect(page.get_by_label("Classification banner")).to_contain_text(
        "UNCLASSIFIED//REL TO USA, GBR"
    )
    expect(page.get_by_role("cell", name="permit").first).to_be_visible()

    page.goto("/artifacts")
    page.get_by_role("link", name="Record an artifact").click()
    page.get_by_label("Reference").fill("HYP-0100")
    page.get_by_label("Title").fill("Wind tunnel calibration")
    page.get_by_label("Owner organisation").select_option(
        label="DSTL · Defence Science and Technology Laboratory (GBR)"
    )
    page.get_by_label("Project").select_option(label="HYP · Hypersonic inlets")
    page.get_by_label("Scheme").fill("GBR")
    page.get_by_label("Originating nation").fill("GBR")
    page.get_by_label("Banner").fill("OFFICIAL-SENSITIVE//REL TO GBR, XYZ")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#e-label")).to_contain_text("unknown nation(s): XYZ")

    page.get_by_label("Banner").fill("OFFICIAL-SENSITIVE//REL TO GBR, USA")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_contain_text("HYP-0100 recorded")
    expect(page.get_by_label("Classification banner")).to_contain_text(
        "OFFICIAL-SENSITIVE//REL TO USA, GBR"
    )
    assert not csp_violations


def test_a_security_officer_asks_why_who_and_what_if(
    page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    programme = _programme(live_uow)
    log_in(page, "oliver", PASSWORD)
    page.goto("/artifacts")
    # Oliver is not on the team: need-to-know hides the project's artifacts from him too.
    expect(page.get_by_text("No artifact you may see matches.")).to_be_visible()

    page.get_by_role("link", name="What-if").click()
    page.get_by_label("Change").select_option("add_participant")
    page.get_by_label("Project").select_option(label="HYP · Hypersonic inlets")
    page.get_by_label("Organisation").select_option(
        label="AFRL · Air Force Research Laboratory (USA)"
    )
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("#what-if-result")).to_contain_text("AFRL joins HYP")

    page.goto(f"/artifacts/{_artifact_id(live_uow, programme.seen)}/audience")
    expect(page.get_by_role("cell", name="Priya Raman")).to_be_visible()
    expect(page.get_by_text("1 of 2 people")).to_be_visible()

    page.goto(
        f"/artifacts/{_artifact_id(live_uow, programme.hidden)}/why?person_id={programme.priya}"
    )
    row = page.get_by_role("row", name=re.compile("releasability"))
    expect(row).to_contain_text("fail")
    expect(row).to_contain_text("NOFORN")
    page.get_by_role("link", name="Back to the artifact").click()
    # The security officer may explain, but may not see the NOFORN artifact himself.
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert not csp_violations


def _artifact_id(uow: UowFactory, reference: str) -> uuid.UUID:
    with uow() as unit:
        found = unit.session.scalar(select(Artifact.id).where(Artifact.reference == reference))
    assert found is not None
    return found
