"""Which assertions of a nation's identity provider are believed (the pure rules)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from coalition.identity.rules import (
    ASSERTED_CLEARANCE_DAYS,
    LONGEST_ASSERTED_DAYS,
    AcceptedClearance,
    ProviderTrust,
    assess,
)

TODAY = date(2026, 6, 1)
GBR_LEVELS = {"BPSS": 0, "SC": 3, "eSC": 3, "DV": 4}
TRUSTED = ProviderTrust("gbr", "GBR", frozenset({"citizenship", "clearance"}))
CLEARANCES_ONLY = ProviderTrust("gbr", "GBR", frozenset({"clearance"}))
NOTHING = ProviderTrust("gbr", "GBR", frozenset())


def judge(
    claims: dict[str, Any],
    trust: ProviderTrust = TRUSTED,
    recorded: frozenset[str] = frozenset({"GBR"}),
) -> Any:
    return assess(trust, claims, recorded, GBR_LEVELS, TODAY)


def test_a_national_s_clearance_of_the_provider_s_nation_is_accepted_for_thirty_days() -> None:
    found = judge({"clearance": "SC"})
    assert found.clearances == (
        AcceptedClearance("GBR", "SC", 3, TODAY + timedelta(days=ASSERTED_CLEARANCE_DAYS)),
    )
    assert found.refused == () and found.ignored == ()


def test_a_clearance_with_its_own_end_keeps_it() -> None:
    found = judge({"clearance": {"level": "DV", "valid_until": "2028-03-31"}})
    assert found.clearances == (AcceptedClearance("GBR", "DV", 4, date(2028, 3, 31)),)


def test_an_end_decades_away_is_cut_to_the_longest_believed() -> None:
    found = judge({"clearance": {"level": "DV", "valid_until": "2099-01-01"}})
    assert found.clearances[0].valid_until == TODAY + timedelta(days=LONGEST_ASSERTED_DAYS)


def test_a_clearance_of_someone_not_a_national_is_refused() -> None:
    found = judge({"clearance": "SC"}, recorded=frozenset({"USA"}))
    assert found.clearances == ()
    assert [r.attribute for r in found.refused] == ["clearance"]
    assert "not a national of GBR" in found.refused[0].reason


def test_an_asserted_citizenship_not_on_record_is_refused_and_vouches_for_nothing() -> None:
    found = judge({"nationality": "GBR", "clearance": "SC"}, recorded=frozenset({"CAN"}))
    assert found.citizenship is None and not found.national
    assert found.clearances == ()
    assert [(r.attribute, r.value) for r in found.refused] == [
        ("citizenship", "GBR"),
        ("clearance", "SC"),
    ]
    assert found.refused[0].reason == (
        "not on record: a sign-in never adds a citizenship, a security officer records it"
    )


def test_citizenship_on_record_is_confirmed() -> None:
    found = judge({"nationality": "gb"})
    assert found.citizenship == "GBR" and found.national and found.refused == ()


def test_citizenship_the_provider_may_not_assert_does_not_count() -> None:
    found = judge({"nationality": "GBR", "clearance": "SC"}, CLEARANCES_ONLY, frozenset())
    assert found.citizenship is None and not found.national
    assert found.ignored == ("nationality",)
    assert found.clearances == ()


def test_another_nation_s_citizenship_is_refused() -> None:
    found = judge({"nationality": ["USA", "GB"]}, recorded=frozenset({"GBR", "USA"}))
    assert found.citizenship == "GBR"  # alpha-2 is understood
    assert [(r.value, r.reason) for r in found.refused] == [
        ("USA", "gbr may assert citizenship of GBR only")
    ]


def test_a_level_name_the_nation_does_not_issue_is_refused() -> None:
    found = judge({"clearance": "SECRET"})
    assert found.clearances == ()
    assert "GBR issues no clearance named 'SECRET'" in found.refused[0].reason


def test_an_ended_or_malformed_clearance_is_refused() -> None:
    found = judge(
        {
            "clearance": [
                {"level": "SC", "valid_until": "2020-01-01"},
                {"level": "SC", "valid_until": "soon"},
                42,
            ]
        }
    )
    assert found.clearances == ()
    assert [r.reason for r in found.refused] == [
        "ended on 2020-01-01",
        "'valid_until' is not a date (YYYY-MM-DD)",
        "neither a level name nor an object with a 'level'",
    ]


def test_one_clearance_per_issuer_the_highest_stands() -> None:
    found = judge({"clearance": ["SC", "DV"]})
    assert [c.level_name for c in found.clearances] == ["DV"]
    assert [r.value for r in found.refused] == ["SC"]


def test_attributes_the_provider_is_not_configured_for_are_ignored() -> None:
    found = judge({"nationality": "GBR", "clearance": "SC"}, NOTHING)
    assert found.ignored == ("nationality", "clearance")
    assert found.clearances == () and found.citizenship is None and found.refused == ()


def test_claim_names_are_the_provider_s_own() -> None:
    trust = ProviderTrust("gbr", "GBR", frozenset({"clearance"}), clearance_claim="vetting")
    assert judge({"vetting": "SC", "clearance": "DV"}, trust).clearances[0].level_name == "SC"


# --- properties ----------------------------------------------------------------------------

NATIONS = st.sampled_from(["GBR", "USA", "FRA", "CAN", "DEU", "GB", "US", "XXX", ""])
LEVEL = st.sampled_from(["BPSS", "SC", "eSC", "DV", "SECRET", "TOP SECRET", ""])
CLEARANCE_CLAIM = st.one_of(
    LEVEL,
    st.fixed_dictionaries(
        {"level": LEVEL},
        optional={"valid_until": st.dates(date(2020, 1, 1), date(2040, 1, 1)).map(str)},
    ),
    st.integers(),
    st.none(),
)
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "nationality": st.one_of(NATIONS, st.lists(NATIONS, max_size=3), st.integers()),
        "clearance": st.one_of(CLEARANCE_CLAIM, st.lists(CLEARANCE_CLAIM, max_size=3)),
        "preferred_username": st.text(max_size=10),
    },
)
TRUSTS = st.builds(
    ProviderTrust,
    key=st.just("p"),
    nation_code=st.sampled_from(["GBR", "USA"]),
    may_assert=st.frozensets(st.sampled_from(["citizenship", "clearance"])),
)
RECORDED = st.frozensets(st.sampled_from(["GBR", "USA", "FRA", "CAN"]), max_size=3)


@given(TRUSTS, CLAIMS, RECORDED)
def test_a_provider_never_vouches_for_a_clearance_of_someone_not_its_national(
    trust: ProviderTrust, claims: dict[str, Any], recorded: frozenset[str]
) -> None:
    found = assess(trust, claims, recorded, GBR_LEVELS, TODAY)
    if found.clearances:
        assert trust.nation_code in recorded  # on record: never by the provider's say-so
        assert "clearance" in trust.may_assert
    for clearance in found.clearances:
        assert clearance.issuer == trust.nation_code
        assert clearance.level_name in GBR_LEVELS
        assert clearance.valid_until > TODAY
    assert len(found.clearances) <= 1


@given(TRUSTS, CLAIMS, RECORDED)
def test_a_provider_never_asserts_another_nation_s_citizenship(
    trust: ProviderTrust, claims: dict[str, Any], recorded: frozenset[str]
) -> None:
    found = assess(trust, claims, recorded, GBR_LEVELS, TODAY)
    assert found.citizenship in (None, trust.nation_code)
    if "citizenship" not in trust.may_assert:
        assert found.citizenship is None
    assert found.national == (trust.nation_code in recorded)


@given(TRUSTS, CLAIMS, RECORDED)
def test_a_sign_in_only_confirms_a_citizenship_on_record(
    trust: ProviderTrust, claims: dict[str, Any], recorded: frozenset[str]
) -> None:
    """A citizenship a security officer removed is never added back by an assertion."""
    found = assess(trust, claims, recorded, GBR_LEVELS, TODAY)
    assert found.citizenship is None or found.citizenship in recorded
