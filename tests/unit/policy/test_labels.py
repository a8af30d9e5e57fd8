"""Security labels, CAPCO banners, equivalence between schemes, and aggregation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.policy import banners
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel, aggregate
from coalition.policy.schemes import LabelError, SchemeCatalogue
from tests.unit.policy.conftest import group_members, load_catalogue

CATALOGUE = load_catalogue()
GROUPS = group_members(date(2026, 6, 1))


def members(code: str) -> frozenset[str]:
    return GROUPS[code]


def label(**changes: object) -> SecurityLabel:
    values: dict[str, object] = {"scheme": "USA", "classification": "SECRET", "originator": "USA"}
    return SecurityLabel(**(values | changes))  # type: ignore[arg-type]


def test_banner_lists_usa_first_then_trigraphs_then_groups() -> None:
    rel = frozenset({"NATO", "GBR", "FVEY", "AUS", "USA"})
    assert banners.render(label(releasable_to=rel)) == "SECRET//REL TO USA, AUS, GBR, FVEY, NATO"


def test_banner_puts_compartments_before_dissemination_controls() -> None:
    marked = label(classification="TOP SECRET", caveats=frozenset({"ORCON", "AURORA"}), noforn=True)
    assert banners.render(marked) == "TOP SECRET//AURORA//ORCON/NOFORN"


@pytest.mark.parametrize(
    "banner",
    [
        "SECRET//REL TO USA, GBR, FVEY",
        "SECRET//NOFORN",
        "TOP SECRET//AURORA/ZEPHYR//ORCON/REL TO USA, CAN",
        "CONFIDENTIAL",
        "UNCLASSIFIED",
    ],
)
def test_banners_parse_and_render_the_same(catalogue: SchemeCatalogue, banner: str) -> None:
    parsed = banners.parse(banner, scheme="USA", originator="USA", catalogue=catalogue)
    assert banners.render(parsed) == banner


def test_parsing_is_forgiving_about_case_and_spaces(catalogue: SchemeCatalogue) -> None:
    parsed = banners.parse(
        " secret // rel to  gbr,usa ", scheme="usa", originator="USA", catalogue=catalogue
    )
    assert parsed.releasable_to == {"GBR", "USA"} and parsed.classification == "SECRET"


@pytest.mark.parametrize(
    ("banner", "problem"),
    [
        ("", "empty"),
        ("SEKRET", "not a marking of scheme USA"),
        ("RESTRICTED", "not a marking of scheme USA"),  # the USA has no RESTRICTED level
        ("SECRET//NOFORN/REL TO USA, GBR", "contradict"),
        ("SECRET///NOFORN", "empty"),
        ("SECRET//REL TO USA, , GBR", "empty entry"),
        ("SECRET//REL TO USA, G", "neither a trigraph nor a group"),
        ("SECRET//AURORA/REL TO USA", "not a dissemination control"),
    ],
)
def test_malformed_banners_are_refused_with_the_reason(
    catalogue: SchemeCatalogue, banner: str, problem: str
) -> None:
    with pytest.raises(LabelError, match=problem):
        banners.parse(banner, scheme="USA", originator="USA", catalogue=catalogue)


def test_unknown_scheme_is_refused(catalogue: SchemeCatalogue) -> None:
    with pytest.raises(LabelError, match="'XYZ' is not a known scheme"):
        banners.parse("SECRET", scheme="XYZ", originator="USA", catalogue=catalogue)


def test_releasable_to_must_name_the_originator(catalogue: SchemeCatalogue) -> None:
    with pytest.raises(LabelError, match="not the originator USA"):
        label(releasable_to=frozenset({"GBR", "CAN"})).validate(catalogue, GROUPS.__contains__)
    label(releasable_to=frozenset({"FVEY"})).validate(catalogue, GROUPS.__contains__)


def test_unknown_group_is_refused(catalogue: SchemeCatalogue) -> None:
    with pytest.raises(LabelError, match="'ANZUK' is not a known group"):
        label(releasable_to=frozenset({"USA", "ANZUK"})).validate(catalogue, GROUPS.__contains__)


def test_noforn_with_a_releasable_list_is_refused() -> None:
    with pytest.raises(LabelError, match="NOFORN"):
        label(noforn=True, releasable_to=frozenset({"USA", "GBR"}))


def test_noforn_is_not_a_caveat() -> None:
    with pytest.raises(LabelError, match="not a caveat"):
        label(caveats=frozenset({"NOFORN"}))


@pytest.mark.parametrize(
    ("scheme", "marking", "target", "shown"),
    [
        ("USA", "CONFIDENTIAL", "GBR", "SECRET"),  # no UK CONFIDENTIAL: protected at SECRET
        ("NATO", "NATO SECRET", "DEU", "GEHEIM"),
        ("GBR", "OFFICIAL-SENSITIVE", "FRA", "DIFFUSION RESTREINTE"),
        ("FRA", "SECRET", "NATO", "NATO SECRET"),
        ("DEU", "STRENG GEHEIM", "USA", "TOP SECRET"),
    ],
)
def test_a_label_is_shown_in_a_partners_scheme(
    catalogue: SchemeCatalogue, scheme: str, marking: str, target: str, shown: str
) -> None:
    origin = scheme if len(scheme) == 3 else "GBR"
    converted = label(scheme=scheme, classification=marking, originator=origin).in_scheme(
        catalogue, target
    )
    assert (converted.scheme, converted.classification) == (target, shown)
    assert converted.common_level(catalogue) >= label(
        scheme=scheme, classification=marking, originator=origin
    ).common_level(catalogue)


def test_aggregate_takes_the_highest_level_the_common_audience_and_every_caveat(
    catalogue: SchemeCatalogue,
) -> None:
    a = label(
        classification="CONFIDENTIAL",
        releasable_to=frozenset({"USA", "FVEY"}),
        caveats=frozenset({"ORCON"}),
    )
    b = label(
        classification="SECRET",
        releasable_to=frozenset({"USA", "GBR", "FRA"}),
        caveats=frozenset({"AURORA"}),
        export=frozenset({ExportMarking(ExportRegime.ITAR, "USML XI(d)", "USA")}),
    )
    combined = aggregate([a, b], catalogue, members)
    assert combined.classification == "SECRET"
    assert combined.releasable_to == {"USA", "GBR"}
    assert combined.caveats == {"ORCON", "AURORA"}
    assert len(combined.export) == 1


def test_aggregate_with_a_noforn_item_is_noforn(catalogue: SchemeCatalogue) -> None:
    combined = aggregate(
        [label(noforn=True), label(releasable_to=frozenset({"USA", "GBR"}))], catalogue, members
    )
    assert combined.noforn and not combined.releasable_to


def test_items_no_single_nation_may_hold_cannot_be_aggregated(catalogue: SchemeCatalogue) -> None:
    us_only = label(noforn=True)
    uk_only = label(scheme="GBR", originator="GBR", noforn=True)
    with pytest.raises(LabelError, match="no nation may hold"):
        aggregate([us_only, uk_only], catalogue, members)


# --- properties -----------------------------------------------------------------------------

NATIONS = ["USA", "GBR", "FRA", "DEU", "CAN", "AUS", "NOR", "NZL"]
markings = st.sampled_from(["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"])
rel_sets = st.frozensets(st.sampled_from([*NATIONS, "FVEY", "NATO", "AUKUS"]), max_size=5)
caveat_sets = st.frozensets(st.sampled_from(["ORCON", "AURORA", "ZEPHYR", "CRYPTO"]), max_size=3)


@st.composite
def us_labels(draw: st.DrawFn) -> SecurityLabel:
    noforn = draw(st.booleans())
    rel = frozenset() if noforn else draw(rel_sets)
    return label(
        classification=draw(markings),
        releasable_to=rel | ({"USA"} if rel else set()),
        noforn=noforn,
        caveats=draw(caveat_sets),
    )


@given(us_labels())
def test_every_label_survives_a_banner_round_trip(original: SecurityLabel) -> None:
    rendered = banners.render(original)
    parsed = banners.parse(rendered, scheme="USA", originator="USA", catalogue=CATALOGUE)
    assert parsed == original


@given(st.lists(us_labels(), min_size=1, max_size=5))
def test_aggregate_never_widens_the_audience(items: list[SecurityLabel]) -> None:
    combined = aggregate(items, CATALOGUE, members)
    reach = combined.releasable_to | {combined.originator}
    for item in items:
        allowed = {item.originator}
        if not item.noforn:
            for code in item.releasable_to:
                allowed |= GROUPS.get(code, {code})
        assert reach <= allowed
    assert combined.common_level(CATALOGUE) == max(i.common_level(CATALOGUE) for i in items)
    assert combined.caveats == frozenset().union(*(i.caveats for i in items))


@given(st.lists(us_labels(), min_size=2, max_size=4))
def test_aggregate_does_not_depend_on_order(items: list[SecurityLabel]) -> None:
    forward = aggregate(items, CATALOGUE, members)
    backward = aggregate(list(reversed(items)), CATALOGUE, members)
    assert (forward.releasable_to, forward.noforn, forward.caveats) == (
        backward.releasable_to,
        backward.noforn,
        backward.caveats,
    )
    assert forward.common_level(CATALOGUE) == backward.common_level(CATALOGUE)
