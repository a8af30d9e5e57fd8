"""The decision engine's `ip_use` rule: who may use an artifact's IP, for what purpose.

Owners always may; participants may use results (and included background) for what the
agreement's IP regime grants; anyone else needs a current licence for the purpose, the
asset and their nation. Reading is never restricted. The other rules are not under test
here, so most tests read the `ip_use` result alone.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.policy.engine import RuleResult, decide
from coalition.policy.facts import (
    Action,
    Artifact,
    IpTerms,
    Licence,
    Purpose,
    Request,
    Subject,
    World,
)
from tests.unit.policy.builders import (
    AGREEMENT,
    FRA_LAB,
    TODAY,
    USA_LAB,
    WORLD,
    artifact,
    ask,
    cleared,
    person,
)

PROJECT_USE, GOVERNMENT, COMMERCIAL, SALE = (p.value for p in Purpose)
PURPOSES = (PROJECT_USE, GOVERNMENT, COMMERCIAL, SALE)
ASSET = uuid.uuid4()
#: Labs outside the project: they hold no access right, only what a licence gives.
DEU_LAB, GBR_FIRM = uuid.uuid4(), uuid.uuid4()
TERMS = IpTerms("RES-2026-07", ("US Army Lab", "Dstl"), agreement_id=AGREEMENT)

BRITON = person(clearances=(cleared("GBR", 3),))  # a researcher of a participant
GERMAN = person("DEU", organisation=DEU_LAB, role=None)
BRITISH_FIRM = person("GBR", organisation=GBR_FIRM, role=None)


def world(
    *,
    results: frozenset[str] = frozenset({PROJECT_USE}),
    background: frozenset[str] = frozenset({PROJECT_USE}),
    terms: IpTerms | None = TERMS,
    licences: tuple[Licence, ...] = (),
) -> World:
    agreement = replace(
        WORLD.agreements[AGREEMENT], result_access=results, background_access=background
    )
    return replace(
        WORLD,
        agreements={AGREEMENT: agreement},
        ip_assets={ASSET: terms} if terms else {},
        licences=licences,
    )


def carrying(owners: frozenset[uuid.UUID] = frozenset({USA_LAB})) -> Artifact:
    """The builders' artifact (a USA-owned project result), carrying the IP asset."""
    return replace(artifact(), ip_owners=owners, ip_asset=ASSET)


def use(
    subject: Subject,
    purpose: str | None,
    *,
    on: date = TODAY,
    item: Artifact | None = None,
    action: Action = Action.USE_FOR,
) -> Request:
    return ask(subject, item or carrying(), action, on=on, purpose=purpose)


def ip_use(request: Request, facts: World) -> RuleResult:
    (result,) = (r for r in decide(request, facts).rules if r.id == "ip_use")
    return result


def licence(**changes: object) -> Licence:
    granted = Licence(
        licensee=DEU_LAB,
        licensors=frozenset({USA_LAB}),
        purposes=frozenset({COMMERCIAL}),
        valid_from=date(2026, 1, 1),
        valid_until=date(2027, 1, 1),
        asset=ASSET,
        reference="LIC-DE-3",
    )
    return replace(granted, **changes)  # type: ignore[arg-type]


# --- owners ---------------------------------------------------------------------------------


@given(
    st.sampled_from([BRITON, GERMAN, person("FRA", organisation=FRA_LAB)]),
    st.none() | st.sampled_from(PURPOSES),
    st.dates(date(2020, 1, 1), date(2035, 1, 1)),
    st.frozensets(st.sampled_from(PURPOSES)),
    st.booleans(),
)
def test_an_owner_may_always_use_its_ip(
    subject: Subject,
    purpose: str | None,
    day: date,
    results: frozenset[str],
    excluded: bool,
) -> None:
    owners = frozenset({subject.organisation_id, USA_LAB})
    terms = replace(TERMS, background=excluded, excluded=excluded)
    result = ip_use(
        use(subject, purpose, on=day, item=carrying(owners)), world(results=results, terms=terms)
    )
    assert result.passed
    assert result.reason == "the subject's organisation owns the IP"


def test_an_artifact_without_ip_terms_is_free_to_use() -> None:
    item = replace(artifact(), ip_owners=frozenset())
    result = ip_use(use(GERMAN, SALE, item=item), world())
    assert result.passed and result.reason == "no IP terms attached"


# --- access rights of participants ----------------------------------------------------------


@pytest.mark.parametrize("purpose", PURPOSES)
def test_participants_may_use_results_for_exactly_the_purposes_the_agreement_grants(
    purpose: str,
) -> None:
    granted = frozenset({PROJECT_USE, GOVERNMENT})
    result = ip_use(use(BRITON, purpose), world(results=granted))
    assert result.passed == (purpose in granted)
    if result.passed:
        spelt = purpose.replace("_", " ")
        assert result.reason == f"the agreement's IP regime gives participants {spelt}"


def test_an_agreement_without_access_rights_gives_participants_no_use() -> None:
    assert not ip_use(use(BRITON, PROJECT_USE), world(results=frozenset())).passed


def test_a_participant_loses_its_access_right_when_it_withdraws() -> None:
    french = person("FRA", organisation=FRA_LAB)  # withdrew on 2026-01-01
    assert ip_use(use(french, PROJECT_USE, on=date(2025, 12, 31)), world()).passed
    assert not ip_use(use(french, PROJECT_USE, on=date(2026, 1, 1)), world()).passed


def test_an_organisation_outside_the_project_has_no_access_right() -> None:
    assert not ip_use(use(GERMAN, PROJECT_USE), world()).passed


def test_ip_of_another_agreement_gives_this_projects_participants_no_access_right() -> None:
    elsewhere = replace(TERMS, agreement_id=uuid.uuid4())
    assert ip_use(use(BRITON, PROJECT_USE), world(terms=TERMS)).passed
    assert not ip_use(use(BRITON, PROJECT_USE), world(terms=elsewhere)).passed


@pytest.mark.parametrize(
    ("background", "purpose", "passed"),
    [
        (frozenset({PROJECT_USE}), PROJECT_USE, True),
        (frozenset({PROJECT_USE}), GOVERNMENT, False),
        (frozenset({PROJECT_USE, GOVERNMENT}), GOVERNMENT, True),
        (frozenset(), PROJECT_USE, False),
    ],
)
def test_included_background_is_usable_only_for_the_agreements_background_access(
    background: frozenset[str], purpose: str, passed: bool
) -> None:
    # Results may be used for government purposes; that must not leak onto background.
    facts = world(
        results=frozenset({PROJECT_USE, GOVERNMENT}),
        background=background,
        terms=replace(TERMS, background=True),
    )
    assert ip_use(use(BRITON, purpose), facts).passed == passed


@pytest.mark.parametrize("purpose", PURPOSES)
def test_excluded_background_gives_participants_no_access_right(purpose: str) -> None:
    everything = frozenset(PURPOSES)
    facts = world(
        results=everything,
        background=everything,
        terms=replace(TERMS, background=True, excluded=True),
    )
    result = ip_use(use(BRITON, purpose), facts)
    assert not result.passed
    assert "RES-2026-07" in result.reason


def test_excluded_background_may_still_be_licensed() -> None:
    facts = world(
        terms=replace(TERMS, background=True, excluded=True),
        licences=(licence(licensee=BRITON.organisation_id, purposes=frozenset({PROJECT_USE})),),
    )
    result = ip_use(use(BRITON, PROJECT_USE), facts)
    assert result.passed and result.reason == "licensed under LIC-DE-3"


# --- licences -------------------------------------------------------------------------------


def test_a_licence_for_the_purpose_permits_use_and_is_named() -> None:
    result = ip_use(use(GERMAN, COMMERCIAL), world(licences=(licence(),)))
    assert result.passed
    assert result.reason == "licensed under LIC-DE-3"


def test_an_unnamed_licence_is_still_given_as_the_reason() -> None:
    result = ip_use(use(GERMAN, COMMERCIAL), world(licences=(licence(reference=""),)))
    assert result.passed and result.reason == "licensed under a licence"


def test_a_licence_covers_only_its_purposes() -> None:
    assert not ip_use(use(GERMAN, SALE), world(licences=(licence(),))).passed


@pytest.mark.parametrize(
    ("changes", "passed"),
    [
        ({"asset": None}, True),  # every asset of its licensors, this one included
        ({"asset": None, "licensors": frozenset({uuid.uuid4()})}, False),
        ({"asset": uuid.uuid4()}, False),  # another asset of the same owner
        ({"licensee": GBR_FIRM}, False),  # someone else's licence
    ],
    ids=["all-assets", "others-assets", "other-asset", "other-licensee"],
)
def test_a_licence_covers_only_its_licensee_and_asset(
    changes: dict[str, object], passed: bool
) -> None:
    assert ip_use(use(GERMAN, COMMERCIAL), world(licences=(licence(**changes),))).passed == passed


def test_a_terminated_licence_gives_no_use() -> None:
    assert ip_use(use(GERMAN, COMMERCIAL), world(licences=(licence(),))).passed
    result = ip_use(use(GERMAN, COMMERCIAL), world(licences=(licence(active=False),)))
    assert not result.passed


@pytest.mark.parametrize(
    ("territory", "subject", "passed"),
    [
        (frozenset({"GBR"}), BRITISH_FIRM, True),
        (frozenset({"GBR"}), GERMAN, False),
        (frozenset({"GBR", "DEU"}), GERMAN, True),
        (frozenset(), GERMAN, True),  # worldwide
    ],
)
def test_a_licence_covers_only_its_territory(
    territory: frozenset[str], subject: Subject, passed: bool
) -> None:
    granted = licence(licensee=subject.organisation_id, territory=territory)
    assert ip_use(use(subject, COMMERCIAL), world(licences=(granted,))).passed == passed


@st.composite
def licensed_uses(draw: st.DrawFn) -> tuple[Licence, str, date, date, date]:
    """A licence to the German lab that ends, a purpose it covers, and a day inside its
    validity, a day on or after its end and a day before its start."""
    valid_from = draw(st.dates(date(2015, 1, 1), date(2035, 1, 1)))
    length = draw(st.integers(1, 3000))
    purposes = draw(st.frozensets(st.sampled_from(PURPOSES), min_size=1))
    granted = Licence(
        licensee=DEU_LAB,
        licensors=frozenset({USA_LAB, *draw(st.sets(st.just(uuid.uuid4()), max_size=1))}),
        purposes=purposes,
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=length),
        territory=draw(st.just(frozenset()) | st.just(frozenset({"DEU", "FRA"}))),
        asset=draw(st.sampled_from([ASSET, None])),
        reference="LIC-X",
    )
    assert granted.valid_until is not None
    return (
        granted,
        draw(st.sampled_from(sorted(purposes))),
        valid_from + timedelta(days=draw(st.integers(0, length - 1))),
        granted.valid_until + timedelta(days=draw(st.integers(0, 4000))),
        valid_from - timedelta(days=draw(st.integers(1, 4000))),
    )


@given(licensed_uses())
def test_expiry_removes_use(case: tuple[Licence, str, date, date, date]) -> None:
    granted, purpose, inside, after, before = case
    facts = world(licences=(granted,))
    assert ip_use(use(GERMAN, purpose, on=inside), facts).passed
    assert not ip_use(use(GERMAN, purpose, on=after), facts).passed
    assert not ip_use(use(GERMAN, purpose, on=before), facts).passed


def test_a_licence_ends_on_its_end_date() -> None:
    facts = world(licences=(licence(),))
    assert ip_use(use(GERMAN, COMMERCIAL, on=date(2026, 12, 31)), facts).passed
    assert not ip_use(use(GERMAN, COMMERCIAL, on=date(2027, 1, 1)), facts).passed


# --- denials --------------------------------------------------------------------------------


def test_a_denial_names_the_asset_its_owners_and_the_purpose() -> None:
    result = ip_use(use(GERMAN, COMMERCIAL), world())
    assert not result.passed
    assert result.reason == "no right to use RES-2026-07 for commercial exploitation"
    assert result.remedy == (
        "a licence or access right on RES-2026-07 from US Army Lab or Dstl "
        "for commercial exploitation"
    )


def test_a_denial_without_recorded_terms_still_says_what_is_needed() -> None:
    result = ip_use(use(GERMAN, None), world(terms=None))
    assert not result.passed
    assert result.reason == "no right to use the IP for an unstated purpose"
    assert (
        result.remedy == "a licence or access right on the IP from the owners for a stated purpose"
    )


def test_a_use_refused_only_for_want_of_a_licence_is_permitted_once_licensed() -> None:
    # Everything but IP passes for the cleared British researcher.
    request = use(BRITON, COMMERCIAL)
    refused = decide(request, world())
    assert [r.id for r in refused.failed] == ["ip_use"]
    licensed = world(licences=(licence(licensee=BRITON.organisation_id),))
    assert decide(request, licensed).permit


# --- reading ----------------------------------------------------------------------------------


@given(
    st.sampled_from([Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD]),
    st.sampled_from([BRITON, GERMAN, BRITISH_FIRM]),
    st.none() | st.sampled_from(PURPOSES),
    st.booleans(),
)
def test_reading_is_never_restricted_by_ip_use(
    action: Action, subject: Subject, purpose: str | None, excluded: bool
) -> None:
    facts = world(
        results=frozenset(),
        background=frozenset(),
        terms=replace(TERMS, background=excluded, excluded=excluded),
    )
    assert ip_use(use(subject, purpose, action=action), facts).passed
