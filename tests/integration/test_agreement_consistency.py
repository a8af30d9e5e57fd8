"""An agreement in force changes only by amendment, and stays consistent with what hangs
under it: child agreements and projects."""

from __future__ import annotations

from datetime import date

import pytest

from coalition.accounts.permissions import Principal
from coalition.agreements import services as agreements
from coalition.agreements.schemas import (
    AgreementIn,
    AgreementUpdate,
    AmendmentIn,
    PartyIn,
    StatusChangeIn,
)
from coalition.errors import ValidationFailed
from coalition.projects import services as projects
from coalition.projects.schemas import ProjectIn
from tests.conftest import UowFactory
from tests.factories import World, make_world

AMENDMENT = AmendmentIn(
    title="Amendment 1", signed_on=date(2025, 1, 1), effective_from=date(2025, 2, 1)
)


@pytest.fixture
def world(uow: UowFactory, operator: Principal) -> World:
    return make_world(uow, operator)


def child_of(world: World, **changes: object) -> AgreementIn:
    values: dict[str, object] = {
        "reference": "PA-1",
        "title": "PA",
        "kind": "project_arrangement",
        "parent_id": world.mou,
        "effective_from": date(2021, 1, 1),
        "expires_on": date(2029, 1, 1),
        "classification_ceiling": 2,
        "parties": [PartyIn(organisation_id=world.usa_lab), PartyIn(organisation_id=world.gbr_lab)],
    }
    return AgreementIn.model_validate(values | changes)


def test_terms_of_an_agreement_in_force_change_only_by_amendment(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        agreements.update_agreement(
            uow(), operator, world.mou, AgreementUpdate(classification_ceiling=2)
        )
    assert caught.value.problems[0].field == "amendment"
    amended = agreements.update_agreement(
        uow(), operator, world.mou, AgreementUpdate(classification_ceiling=2, amendment=AMENDMENT)
    )
    assert amended.classification_ceiling == 2
    assert [(a.number, a.changed_fields) for a in amended.amendments] == [
        (1, ["classification_ceiling"])
    ]


def test_the_title_of_an_agreement_in_force_may_be_corrected_freely(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    fixed = agreements.update_agreement(
        uow(),
        operator,
        world.mou,
        AgreementUpdate(title="Sensors MoU (corrected)", classification_ceiling=3),
    )  # ceiling unchanged
    assert fixed.title.endswith("(corrected)") and fixed.amendments == []


def test_a_child_must_come_from_the_parents_party_nations(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    with pytest.raises(ValidationFailed, match="FRA is not a party nation of the parent"):
        agreements.create_agreement(
            uow(), operator, child_of(world, parties=[PartyIn(organisation_id=world.fra_lab)])
        )


def test_a_parent_cannot_shrink_below_its_child(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    agreements.create_agreement(uow(), operator, child_of(world))
    with pytest.raises(ValidationFailed) as caught:
        agreements.update_agreement(
            uow(),
            operator,
            world.mou,
            AgreementUpdate(
                expires_on=date(2027, 1, 1), classification_ceiling=1, amendment=AMENDMENT
            ),
        )
    assert {p.field for p in caught.value.problems} == {"expires_on", "classification_ceiling"}
    assert "PA-1" in str(caught.value)


def test_an_agreement_cannot_shrink_below_its_projects(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    projects.create_project(
        uow(),
        operator,
        ProjectIn(
            code="P1",
            title="P",
            agreement_id=world.mou,
            start_on=date(2022, 1, 1),
            end_on=date(2028, 1, 1),
            lead_organisation_id=world.usa_lab,
        ),
    )
    with pytest.raises(ValidationFailed, match="project P1"):
        agreements.update_agreement(
            uow(),
            operator,
            world.mou,
            AgreementUpdate(effective_from=date(2023, 1, 1), amendment=AMENDMENT),
        )


def test_a_parent_with_live_children_cannot_be_terminated(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    child = agreements.create_agreement(uow(), operator, child_of(world))
    agreements.change_status(
        uow(), operator, child.id, StatusChangeIn(to_status="in_force", reason="signed")
    )
    with pytest.raises(ValidationFailed, match="PA-1"):
        agreements.change_status(
            uow(), operator, world.mou, StatusChangeIn(to_status="terminated", reason="ended")
        )
    agreements.change_status(
        uow(), operator, child.id, StatusChangeIn(to_status="terminated", reason="ended first")
    )
    ended = agreements.change_status(
        uow(), operator, world.mou, StatusChangeIn(to_status="terminated", reason="ended")
    )
    assert ended.status == "terminated"


def test_an_expired_agreement_cannot_be_put_in_force(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    old = agreements.create_agreement(
        uow(),
        operator,
        AgreementIn(
            reference="NDA-OLD",
            title="Old NDA",
            kind="nda",
            effective_from=date(2010, 1, 1),
            expires_on=date(2012, 1, 1),
            parties=[PartyIn(organisation_id=world.usa_lab)],
        ),
    )
    with pytest.raises(ValidationFailed, match="expired on 2012-01-01"):
        agreements.change_status(
            uow(),
            operator,
            old.id,
            StatusChangeIn(to_status="in_force", reason="late paperwork"),
            today=date(2026, 6, 1),
        )


def test_signing_dates_are_recorded_without_an_amendment(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    signed = agreements.update_agreement(
        uow(),
        operator,
        world.mou,
        AgreementUpdate(
            parties=[
                PartyIn(organisation_id=world.usa_lab, signed_on=date(2019, 12, 1)),
                PartyIn(organisation_id=world.gbr_lab),
            ]
        ),
    )
    dates = {p.organisation.short_name: p.signed_on for p in signed.parties}
    assert dates == {"USAPL": date(2019, 12, 1), "UKSL": None}
    assert signed.amendments == []


def test_a_share_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        AgreementUpdate.model_validate({"cost_shares": {"USA": float("nan"), "GBR": 50}})
