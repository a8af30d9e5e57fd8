"""The release decision, rule by rule, including the hard cases."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest

from coalition.policy.engine import RULE_IDS, Decision, decide
from coalition.policy.facts import (
    Action,
    Clearance,
    Exemption,
    ExportAuthorisation,
    GroupMember,
    Licence,
)
from coalition.policy.labels import ExportMarking, ExportRegime
from tests.unit.policy.builders import (
    CAN_LAB,
    FRA_LAB,
    GBR_LAB,
    PROJECT,
    TODAY,
    USA_LAB,
    WORLD,
    artifact,
    ask,
    cleared,
    person,
)

ITAR = ExportMarking(ExportRegime.ITAR, "USML XI(d)", "USA")


def failing(decision: Decision) -> list[str]:
    return [r.id for r in decision.failed]


def test_every_rule_is_reported_in_the_stable_order() -> None:
    decision = decide(ask(person(clearances=(cleared("GBR", 3),))), WORLD)
    assert decision.permit
    assert [r.id for r in decision.rules] == list(RULE_IDS)
    assert decision.obligations[0].startswith("mark every view")


def test_a_suspended_account_is_refused() -> None:
    decision = decide(ask(person(clearances=(cleared("GBR", 3),), active=False)), WORLD)
    assert failing(decision) == ["account"]


def test_a_withdrawn_participant_loses_access_from_the_withdrawal() -> None:
    french = person("FRA", organisation=FRA_LAB, clearances=(cleared("FRA", 3),))
    item = artifact(classification="CONFIDENTIAL", releasable_to=frozenset({"USA", "FRA"}))
    assert decide(ask(french, item, on=date(2025, 12, 31)), WORLD).permit
    assert "agreement" in failing(decide(ask(french, item, on=date(2026, 1, 1)), WORLD))


def test_the_owner_organisation_needs_no_agreement() -> None:
    american = person("USA", organisation=USA_LAB, clearances=(cleared("USA", 3),), role=None)
    assert decide(ask(american), WORLD).permit


def test_an_observer_may_read_but_not_download() -> None:
    observer = person(clearances=(cleared("GBR", 3),), role="observer")
    assert decide(ask(observer), WORLD).permit
    refused = decide(ask(observer, action=Action.DOWNLOAD), WORLD)
    assert failing(refused) == ["need_to_know"]
    assert "observer" in refused.failed[0].reason


def test_a_clearance_below_the_label_is_refused_with_a_remedy() -> None:
    decision = decide(ask(person(clearances=(cleared("GBR", 2),))), WORLD)
    assert failing(decision) == ["clearance"]
    assert "needs a SECRET-level clearance recognised by USA" in decision.failed[0].reason
    assert decision.failed[0].remedy


def test_a_clearance_recognised_only_up_to_a_lower_level_is_refused() -> None:
    # The USA-FRA agreement covers CONFIDENTIAL only, and the NATO one does not cover FRA's
    # national clearance (NATO clearances are issued as NATO).
    french = person("FRA", organisation=CAN_LAB, clearances=(cleared("FRA", 4),))
    item = artifact(releasable_to=frozenset({"USA", "FRA"}))
    decision = decide(ask(french, item), WORLD)
    assert failing(decision) == ["clearance"]
    assert "recognised by USA up to CONFIDENTIAL" in decision.failed[0].reason


def test_a_nato_clearance_is_recognised_through_the_nato_agreement() -> None:
    french = person("FRA", organisation=CAN_LAB, clearances=(cleared("NATO", 3),))
    item = artifact(releasable_to=frozenset({"USA", "FRA"}))
    assert decide(ask(french, item), WORLD).permit


@pytest.mark.parametrize(
    "clearance",
    [
        cleared("GBR", 3, valid_until=TODAY),  # expired today
        cleared("GBR", 3, active=False),  # suspended
        cleared("GBR", 3, valid_from=date(2027, 1, 1)),  # not yet valid
    ],
    ids=["expired", "suspended", "future"],
)
def test_a_clearance_that_is_not_current_grants_nothing(clearance: Clearance) -> None:
    assert failing(decide(ask(person(clearances=(clearance,))), WORLD)) == ["clearance"]


def test_unclassified_needs_no_clearance() -> None:
    assert decide(ask(person(), artifact(classification="UNCLASSIFIED")), WORLD).permit


def test_noforn_refuses_every_foreign_national() -> None:
    decision = decide(
        ask(
            person(clearances=(cleared("GBR", 4),)),
            artifact(noforn=True, releasable_to=frozenset()),
        ),
        WORLD,
    )
    assert failing(decision) == ["releasability"]
    assert "NOFORN" in decision.failed[0].reason


def test_a_dual_national_needs_every_citizenship_released_unless_exempted() -> None:
    dual = person(citizenships=("GBR", "FRA"), clearances=(cleared("GBR", 3),))
    decision = decide(ask(dual), WORLD)
    assert failing(decision) == ["releasability"] and "FRA" in decision.failed[0].reason
    exempted = replace(dual, dual_national_exemption=True)
    assert decide(ask(exempted), WORLD).permit


def test_group_membership_is_read_on_the_decision_date() -> None:
    australian = person("AUS", organisation=GBR_LAB, clearances=(cleared("USA", 3),))
    item = artifact(releasable_to=frozenset({"USA", "AUKUS"}))
    assert decide(ask(australian, item), WORLD).permit
    before = decide(ask(australian, item, on=date(2021, 9, 14)), WORLD)
    assert "releasability" in failing(before)


def test_a_pinned_label_reads_membership_on_its_own_date() -> None:
    australian = person("AUS", organisation=GBR_LAB, clearances=(cleared("USA", 3),))
    item = artifact(releasable_to=frozenset({"USA", "AUKUS"}), pinned_on=date(2020, 1, 1))
    assert "releasability" in failing(decide(ask(australian, item), WORLD))


def test_a_caveat_needs_a_current_briefing() -> None:
    item = artifact(caveats=frozenset({"AURORA"}))
    without = decide(ask(person(clearances=(cleared("GBR", 3),)), item), WORLD)
    assert failing(without) == ["caveats"] and "AURORA" in without.failed[0].reason
    briefed = person(clearances=(cleared("GBR", 3),), briefings=("AURORA",))
    assert decide(ask(briefed, item), WORLD).permit


def _auth(**changes: object) -> ExportAuthorisation:
    auth = ExportAuthorisation(
        "DSP-5 0001",
        "USA",
        ExportRegime.ITAR,
        date(2025, 1, 1),
        date(2027, 1, 1),
        categories=frozenset({"USML XI(d)"}),
        recipient_nations=frozenset({"GBR"}),
        end_users=frozenset({GBR_LAB}),
        projects=frozenset({PROJECT}),
    )
    return replace(auth, **changes)  # type: ignore[arg-type]


def test_export_controlled_data_needs_an_authorisation_for_foreign_nationals() -> None:
    item = artifact(export=frozenset({ITAR}))
    briton = person(clearances=(cleared("GBR", 3),))
    refused = decide(ask(briton, item), WORLD)
    assert failing(refused) == ["export"] and "GBR national" in refused.failed[0].reason
    licensed = replace(WORLD, authorisations=(_auth(),))
    permitted = decide(ask(briton, item), licensed)
    assert permitted.permit and "DSP-5 0001" in permitted.rules[6].reason


def test_an_expired_authorisation_grants_nothing() -> None:
    world = replace(WORLD, authorisations=(_auth(valid_until=TODAY),))
    item = artifact(export=frozenset({ITAR}))
    assert failing(decide(ask(person(clearances=(cleared("GBR", 3),)), item), world)) == ["export"]


def test_a_release_beyond_the_remaining_value_is_refused() -> None:
    world = replace(WORLD, authorisations=(_auth(remaining_value=1000.0),))
    item = artifact(export=frozenset({ITAR}))
    recipient = replace(person(clearances=()), person_id=None, citizenships=frozenset())
    small = decide(ask(recipient, item, Action.RELEASE_TO, value=500.0), world)
    large = decide(ask(recipient, item, Action.RELEASE_TO, value=5000.0), world)
    assert small.permit and failing(large) == ["export"]
    assert any("export-control officer" in o for o in small.obligations)


def test_an_exemption_applies_only_when_every_condition_holds() -> None:
    canadian_exemption = Exemption(
        "ITAR Canadian (126.5)",
        ExportRegime.ITAR,
        "USA",
        recipient_nations=frozenset({"CAN"}),
        excluded_categories=frozenset({"USML IV"}),
    )
    world = replace(WORLD, exemptions=(canadian_exemption,))
    canadian = person("CAN", organisation=CAN_LAB, clearances=(cleared("CAN", 3),))
    assert decide(ask(canadian, artifact(export=frozenset({ITAR}))), world).permit
    missile = ExportMarking(ExportRegime.ITAR, "USML IV", "USA")
    refused = decide(ask(canadian, artifact(export=frozenset({missile}))), world)
    assert failing(refused) == ["export"]


def test_deemed_export_a_foreign_national_inside_the_originating_lab_needs_a_licence() -> None:
    # A Briton working at the US laboratory that owns the data: viewing it is an export.
    insider = person("GBR", organisation=USA_LAB, clearances=(cleared("GBR", 3),))
    item = artifact(export=frozenset({ITAR}))
    for action in (Action.READ, Action.DOWNLOAD):
        refused = decide(ask(insider, item, action), WORLD)
        assert failing(refused) == ["export"] and "GBR national" in refused.failed[0].reason
    licensed = replace(WORLD, authorisations=(_auth(end_users=frozenset({USA_LAB})),))
    assert decide(ask(insider, item), licensed).permit


def test_a_us_national_needs_no_us_export_authorisation() -> None:
    american = person("USA", organisation=GBR_LAB, clearances=(cleared("USA", 3),))
    decision = decide(ask(american, artifact(export=frozenset({ITAR}))), WORLD)
    assert decision.permit and "no citizenship is foreign" in decision.rules[6].reason


def test_use_for_other_purposes_needs_a_licence() -> None:
    item = replace(artifact(), ip_owners=frozenset({USA_LAB}))
    briton = person(clearances=(cleared("GBR", 3),))
    project_use = ask(briton, item, Action.USE_FOR, purpose="carrying_out_the_project")
    assert decide(project_use, WORLD).permit
    commercial = ask(briton, item, Action.USE_FOR, purpose="commercial_exploitation")
    refused = decide(commercial, WORLD)
    assert failing(refused) == ["ip_use"] and "licence" in (refused.failed[0].remedy or "")
    licence = Licence(
        GBR_LAB,
        frozenset({USA_LAB}),
        frozenset({"commercial_exploitation"}),
        date(2025, 1, 1),
        reference="LIC-7",
    )
    assert decide(commercial, replace(WORLD, licences=(licence,))).permit


def test_reading_is_never_restricted_by_ip_terms() -> None:
    item = replace(artifact(), ip_owners=frozenset({uuid.uuid4()}))
    assert decide(ask(person(clearances=(cleared("GBR", 3),)), item), WORLD).permit


def test_an_embargo_holds_until_its_date_and_a_passed_review_date_only_warns() -> None:
    item = artifact(embargo_until=date(2026, 7, 1), review_on=date(2026, 1, 1))
    briton = person(clearances=(cleared("GBR", 3),))
    assert failing(decide(ask(briton, item), WORLD)) == ["embargo"]
    later = decide(ask(briton, item, on=date(2026, 7, 1)), WORLD)
    assert later.permit and any("review date" in o for o in later.obligations)


def test_view_metadata_applies_only_agreement_need_to_know_and_releasability() -> None:
    uncleared = person()
    assert decide(ask(uncleared, action=Action.VIEW_METADATA), WORLD).permit
    french_only = person("FRA", organisation=CAN_LAB)
    assert failing(decide(ask(french_only, action=Action.VIEW_METADATA), WORLD)) == [
        "releasability"
    ]


def test_a_release_of_orcon_needs_the_originators_approval() -> None:
    recipient = replace(person(), person_id=None, citizenships=frozenset())
    decision = decide(ask(recipient, artifact(caveats=frozenset()), Action.RELEASE_TO), WORLD)
    assert decision.permit
    orcon = artifact(caveats=frozenset({"ORCON"}))
    briefed = replace(recipient, briefings=())
    refused = decide(ask(briefed, orcon, Action.RELEASE_TO), WORLD)
    assert failing(refused) == ["caveats"]


def test_several_failures_are_all_reported() -> None:
    stranger = person("FRA", organisation=uuid.uuid4(), role=None, active=False)
    decision = decide(
        ask(
            stranger,
            artifact(noforn=True, releasable_to=frozenset(), embargo_until=date(2030, 1, 1)),
        ),
        WORLD,
    )
    assert failing(decision) == [
        "account",
        "agreement",
        "need_to_know",
        "clearance",
        "releasability",
        "embargo",
    ]


def test_group_members_that_left_are_not_released_to() -> None:
    world = replace(
        WORLD,
        groups={**WORLD.groups, "EU": (GroupMember("GBR", date(1973, 1, 1), date(2020, 1, 31)),)},
    )
    item = artifact(releasable_to=frozenset({"USA", "EU"}))
    assert "releasability" in failing(
        decide(ask(person(clearances=(cleared("GBR", 3),)), item), world)
    )


def test_releasing_restricted_information_still_needs_the_originators_security_officer() -> None:
    recipient = replace(person(), person_id=None, citizenships=frozenset())
    restricted = artifact(
        scheme="NATO", classification="NATO RESTRICTED", releasable_to=frozenset({"USA", "FVEY"})
    )
    decision = decide(ask(recipient, restricted, Action.RELEASE_TO), WORLD)
    assert decision.permit
    assert any("security officer of USA" in o for o in decision.obligations)
    unclassified = artifact(classification="UNCLASSIFIED")
    plain = decide(ask(recipient, unclassified, Action.RELEASE_TO), WORLD)
    assert not any("security officer" in o for o in plain.obligations)
