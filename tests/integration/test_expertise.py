"""Expertise profiles and their search through the use cases, on SQLite (FTS5) and
PostgreSQL (tsvector): relevance ranking, prefixes and stemming, filters, what a reader may
see (never named, never counted), profiles kept by their person or their organisation's
managers, the index following every change, and the partner finder.

The world is tests/facility_world.py (USAPL and UKSL under the USA-GBR MoU, LOPT of France
outside it; the tunnel and range of USAPL labelled SECRET//REL TO USA, GBR)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.expertise import services
from coalition.expertise.models import ExpertiseProfile, ProfileKind
from coalition.expertise.schemas import ProfileIn, ProfileUpdate
from coalition.techdata.schemas import LabelIn
from tests.conftest import UowFactory
from tests.facility_world import FacilityWorld, actor_of, make_facility_world

SECRET_USA_GBR = LabelIn(scheme="USA", originator="USA", banner="SECRET//REL TO USA, GBR")
OPEN_USA = LabelIn(
    scheme="USA",
    originator="USA",
    classification="UNCLASSIFIED",
    releasable_to=["USA", "GBR", "FRA"],
)
OPEN_GBR = LabelIn(
    scheme="GBR", originator="GBR", classification="OFFICIAL", releasable_to=["GBR", "USA", "FRA"]
)
NOFORN = LabelIn(scheme="USA", originator="USA", banner="SECRET//NOFORN")


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FacilityWorld:
    return make_facility_world(uow, operator)


def profile(
    uow: UowFactory, actor: Principal, organisation: str = "USAPL", **changes: Any
) -> uuid.UUID:
    values: dict[str, Any] = {
        "organisation": organisation,
        "headline": "Transonic aerodynamics",
        "summary": "Wind-tunnel testing of inlets and control surfaces.",
        "capabilities": ["aero.transonic"],
        "keywords": ["inlets", "buffet"],
        "trl": 5,
        "label": OPEN_USA,
    } | changes
    return services.create_profile(uow(), actor, ProfileIn.model_validate(values)).id


def found(uow: UowFactory, actor: Principal, **query: Any) -> list[str]:
    return [hit.headline for hit in services.search(uow(), actor, **query).items]


def problems(error: ValidationFailed) -> dict[str, str]:
    return {p.field: p.message for p in error.problems}


def test_ranked_by_relevance_with_prefixes_and_stemming(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    profile(uow, operator, headline="Hypersonic propulsion", capabilities=["propulsion.scramjet"])
    profile(
        uow,
        operator,
        "UKSL",
        headline="Acoustic sensing",
        summary="Some work on hypersonic vehicles' acoustic signatures.",
        label=OPEN_GBR,
    )
    profile(uow, operator, headline="Structures", keywords=["hypersonic", "thermal"])
    for other in ("Radar cross-section", "Sonar domes", "Battery chemistry", "Optical coatings"):
        profile(uow, operator, headline=other, summary="Unrelated work.")
    # The headline outranks a keyword, which outranks the summary.
    assert found(uow, operator, q="hypersonic") == [
        "Hypersonic propulsion",
        "Structures",
        "Acoustic sensing",
    ]
    out = services.search(uow(), operator, q="hypersonic")
    assert out.total == 3 and out.items[0].score > out.items[1].score > out.items[2].score > 0
    assert found(uow, operator, q="hyperson") == found(uow, operator, q="hypersonic")
    assert found(uow, operator, q="scramjet") == ["Hypersonic propulsion"]  # capability words
    assert found(uow, operator, q="signatures") == ["Acoustic sensing"]  # stemmed
    assert found(uow, operator, q="hypersonic acoustic") == ["Acoustic sensing"]  # every word
    assert found(uow, operator, q="USAPL structures") == ["Structures"]  # the owner's name
    assert found(uow, operator, q="nothing-like-this") == []


def test_search_words_cannot_change_the_query(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    profile(uow, operator)
    for hostile in (
        '"transonic" OR *',
        "transonic' OR 1=1 --",
        "transonic & !x | (y",
        "NEAR(transonic inlets)",
        "transonic:* <-> x",
        "\\x00 transonic",
    ):
        result = services.search(uow(), operator, q=hostile)
        assert result.total == len(result.items) <= 1, hostile
    assert services.search(uow(), operator, q="   ").total == 1  # no words: filters only


def test_filters_by_capability_branch_nation_kind_and_readiness(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    profile(uow, operator, headline="Alpha", capabilities=["aero.transonic"], trl=4)
    profile(uow, operator, headline="Bravo", capabilities=["aero.hypersonic.inlets"], trl=7)
    profile(uow, operator, "UKSL", headline="Charlie", capabilities=["aerospace.x"], label=OPEN_GBR)
    profile(
        uow,
        operator,
        "UKSL",
        headline="Delta",
        person_id=fw.carol,
        capabilities=["aero.transonic"],
        label=OPEN_GBR,
        trl=None,
    )
    assert found(uow, operator, capability="aero") == ["Alpha", "Bravo", "Delta"]  # not aerospace
    assert found(uow, operator, capability="aero.hypersonic") == ["Bravo"]
    assert found(uow, operator, capability="aero_") == []  # no wildcard
    assert found(uow, operator, nation="gbr") == ["Charlie", "Delta"]
    assert found(uow, operator, kind=ProfileKind.PERSON) == ["Delta"]
    assert found(uow, operator, trl_min=6) == ["Bravo"]
    page = services.search(uow(), operator, limit=2, offset=2)
    assert page.total == 4 and [h.headline for h in page.items] == ["Charlie", "Delta"]


def test_a_profile_the_reader_may_not_see_is_never_named_or_counted(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    shown = profile(uow, operator, headline="Open hypersonics")
    hidden = profile(uow, operator, headline="Secret hypersonics", label=SECRET_USA_GBR)
    noforn = profile(uow, operator, headline="NOFORN hypersonics", label=NOFORN)
    fabien = actor_of(uow, fw, "fabien")  # FRA
    out = services.search(uow(), fabien, q="hypersonics")
    assert (out.total, [h.id for h in out.items]) == (1, [shown])
    assert services.search(uow(), fabien).total == 1
    for secret in (hidden, noforn):
        with pytest.raises(NotFound, match="no profile with this id"):
            services.get_profile(uow(), fabien, secret)
    carol = actor_of(uow, fw, "carol")  # GBR: sees REL TO USA, GBR, not NOFORN
    assert {h.id for h in services.search(uow(), carol, q="hypersonics").items} == {
        shown,
        hidden,
    }
    alice = actor_of(uow, fw, "alice")  # USA, and her organisation owns them all
    assert services.search(uow(), alice, q="hypersonics").total == 3


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from([OPEN_USA, OPEN_GBR, SECRET_USA_GBR, NOFORN]), max_size=8))
def test_search_shows_and_counts_exactly_what_the_engine_lets_one_know(
    uow: UowFactory, fw: FacilityWorld, operator: Principal, labels: list[LabelIn]
) -> None:
    made = [
        (profile(uow, operator, headline=f"Probe {uuid.uuid4().hex[:6]}", label=label), label)
        for label in labels
    ]
    for reader, may in (
        ("fabien", {OPEN_USA.model_dump_json(), OPEN_GBR.model_dump_json()}),
        ("carol", {x.model_dump_json() for x in (OPEN_USA, OPEN_GBR, SECRET_USA_GBR)}),
    ):
        actor = actor_of(uow, fw, reader)
        out = services.search(uow(), actor, q="probe", limit=100)
        expected = {i for i, label in made if label.model_dump_json() in may}
        assert {h.id for h in out.items} >= expected
        assert {h.id for h in out.items} - expected == {
            h.id for h in out.items if h.id not in {i for i, _ in made}
        }
        assert out.total == len(out.items)


def test_people_keep_their_own_profile_and_managers_their_organisations(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    carol = actor_of(uow, fw, "carol")
    own = profile(
        uow, carol, "UKSL", person_id=fw.carol, headline="Sonar signal processing", label=OPEN_GBR
    )
    with pytest.raises(Conflict, match="already has a profile"):
        profile(uow, operator, "UKSL", person_id=fw.carol, label=OPEN_GBR)
    with pytest.raises(PermissionDenied):  # a researcher keeps no organisation profile
        profile(uow, carol, "UKSL", label=OPEN_GBR)
    with pytest.raises(PermissionDenied):  # nor a colleague's
        profile(uow, carol, "UKSL", person_id=fw.dan, label=OPEN_GBR)
    alice = actor_of(uow, fw, "alice")  # programme manager of USAPL
    profile(uow, alice, "USAPL", headline="Inlet design")
    with pytest.raises(PermissionDenied):
        profile(uow, alice, "UKSL", label=OPEN_GBR)
    updated = services.update_profile(
        uow(), carol, own, ProfileUpdate(headline="Sonar beamforming", keywords=["arrays"])
    )
    assert updated.headline == "Sonar beamforming"
    # The index follows: the old word is gone, the new ones are found.
    assert found(uow, operator, q="processing") == []
    assert found(uow, operator, q="beamforming arrays") == ["Sonar beamforming"]
    services.update_profile(uow(), carol, own, ProfileUpdate(status="withdrawn"))
    assert found(uow, operator, q="beamforming") == []
    with uow() as unit:
        tags = list(
            unit.session.scalars(
                select(Event.tag).where(Event.object_id == str(own)).order_by(Event.id)
            )
        )
    assert tags == [
        "expertise:profile:create",
        "expertise:profile:update",
        "expertise:profile:update",
    ]


def test_bad_profiles_are_refused_with_the_field_and_leave_nothing(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    def count() -> int:
        with uow() as unit:
            return unit.session.scalar(select(func.count()).select_from(ExpertiseProfile)) or 0

    with pytest.raises(ValidationFailed) as nobody:
        profile(uow, operator, "NOPE")
    assert problems(nobody.value) == {"organisation": "no organisation 'NOPE'"}
    with pytest.raises(ValidationFailed) as elsewhere:
        profile(uow, operator, "USAPL", person_id=fw.carol)
    assert problems(elsewhere.value) == {"person_id": "Carol Cole does not work for USAPL"}
    with pytest.raises(ValidationFailed) as artifact:
        profile(uow, operator, artifact_ids=[str(uuid.uuid4())])
    assert problems(artifact.value) == {"artifact_ids[0]": "no artifact with this id"}
    fabien_manager = actor_of(uow, fw, "carol")
    with pytest.raises(ValidationFailed) as sight:
        profile(uow, fabien_manager, "UKSL", person_id=fw.carol, label=NOFORN)
    assert "is not releasable to you" in problems(sight.value)["label"]
    for bad, field in (
        ({"trl": 10}, "trl"),
        ({"capabilities": ["Not A Code"]}, "capabilities"),
        ({"keywords": [" "]}, "keywords"),
        ({"headline": "x"}, "headline"),
    ):
        with pytest.raises(ValueError, match=field):
            ProfileIn.model_validate(
                {"organisation": "USAPL", "headline": "Fine", "label": OPEN_USA} | bad
            )
    assert count() == 0
    with uow() as unit:
        assert unit.session.execute(text("SELECT count(*) FROM expertise_search")).scalar() == 0


def test_the_partner_finder(uow: UowFactory, fw: FacilityWorld, operator: Principal) -> None:
    profile(uow, operator, "USAPL", headline="Transonic testing", trl=6)
    profile(uow, operator, "UKSL", headline="Transonic CFD", label=OPEN_GBR, trl=4)
    profile(
        uow,
        operator,
        "LOPT",
        headline="Transonic optics",
        label=LabelIn(scheme="FRA", originator="FRA", classification="DIFFUSION RESTREINTE"),
    )
    everyone = services.find_partners(uow(), operator, capability="aero")
    assert [p.organisation for p in everyone] == ["USAPL", "LOPT", "UKSL"]  # by readiness
    assert everyone[0].best_trl == 6 and [f.code for f in everyone[0].facilities] == ["USAPL-WT"]
    under_mou = services.find_partners(
        uow(), operator, capability="aero.transonic", agreement="MOU-USA-GBR"
    )
    assert [p.organisation for p in under_mou] == ["USAPL", "UKSL"]
    cleared = services.find_partners(
        uow(), operator, capability="aero", agreement="MOU-USA-GBR", level="SECRET"
    )
    assert [(p.organisation, [f.code for f in p.facilities]) for p in cleared] == [
        ("USAPL", ["USAPL-RNG", "USAPL-WT"])
    ]
    assert cleared[0].facilities[0].level == "SECRET"
    assert services.find_partners(uow(), operator, capability="aero", level="TOP SECRET") == []
    # fabien may not know the SECRET facilities: no partner is cleared, as far as he knows.
    fabien = actor_of(uow, fw, "fabien")
    assert services.find_partners(uow(), fabien, capability="aero", level="3") == []
    with pytest.raises(ValidationFailed) as level:
        services.find_partners(uow(), operator, capability="aero", level="COSMIC")
    assert "is not a level" in problems(level.value)["level"]
    with pytest.raises(ValidationFailed) as agreement:
        services.find_partners(uow(), operator, capability="aero", agreement="NOPE")
    assert problems(agreement.value) == {"agreement": "no agreement 'NOPE'"}


# --- the semantic extra (installed with the dev dependencies) ------------------------------


def _meaning_world(uow: UowFactory, operator: Principal) -> dict[str, uuid.UUID]:
    return {
        "acoustics": profile(
            uow,
            operator,
            headline="Ocean acoustics",
            capabilities=["acoustics.underwater"],
            keywords=["hydrophones", "calibration"],
            summary="Hydrophone array calibration in coastal waters.",
        ),
        "battery": profile(
            uow,
            operator,
            headline="Battery chemistry",
            capabilities=["energy.storage"],
            keywords=["lithium cells"],
            summary="Energy storage for drones.",
        ),
        "propulsion": profile(
            uow,
            operator,
            headline="Hypersonic propulsion",
            capabilities=["propulsion.scramjet"],
            keywords=["combustor"],
            summary="Combustor testing at Mach 8.",
            label=SECRET_USA_GBR,
        ),
    }


def test_semantic_search_ranks_by_meaning_and_keeps_to_what_one_may_see(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    made = _meaning_world(uow, operator)
    # No word in common with the acoustics profile, yet it comes first.
    sound = services.search(uow(), operator, q="underwater sound sensors", mode="semantic")
    assert sound.mode == "semantic" and sound.items[0].id == made["acoustics"]
    assert services.search(uow(), operator, q="underwater sound sensors").total == 0
    engines = services.search(
        uow(), operator, q="air-breathing engines for high speed flight", mode="semantic"
    )
    assert engines.items[0].id == made["propulsion"]
    assert all(h.score >= 0.1 for h in engines.items)
    fabien = actor_of(uow, fw, "fabien")
    seen = services.search(
        uow(), fabien, q="air-breathing engines for high speed flight", mode="semantic"
    )
    assert made["propulsion"] not in {h.id for h in seen.items}
    assert seen.total == len(seen.items)
    filtered = services.search(
        uow(), operator, q="underwater sound sensors", mode="semantic", capability="energy"
    )
    assert {h.id for h in filtered.items} <= {made["battery"]}


def test_semantic_search_refusals(
    uow: UowFactory, fw: FacilityWorld, operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationFailed) as empty:
        services.search(uow(), operator, q="  ", mode="semantic")
    assert "needs words" in problems(empty.value)["q"]
    with pytest.raises(ValidationFailed) as unknown:
        services.search(uow(), operator, q="x", mode="vector")
    assert "is not text or semantic" in problems(unknown.value)["mode"]
    monkeypatch.setattr("coalition.expertise.semantic.available", lambda: False)
    with pytest.raises(ValidationFailed) as missing:
        services.search(uow(), operator, q="sound", mode="semantic")
    assert "not installed" in problems(missing.value)["mode"]
    # Without the extra, profiles are still made and found by their words.
    profile(uow, operator, headline="Sonar domes")
    assert found(uow, operator, q="sonar") == ["Sonar domes"]


def test_reindex_rebuilds_the_index_and_the_embeddings(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    made = _meaning_world(uow, operator)
    with uow() as unit:
        unit.session.execute(text("DELETE FROM expertise_search"))
        unit.session.execute(text("DELETE FROM expertise_vectors"))
        unit.commit()
    assert found(uow, operator, q="battery") == []
    assert services.reindex_all(uow(), operator) == 3
    assert found(uow, operator, q="battery") == ["Battery chemistry"]
    sound = services.search(uow(), operator, q="underwater sound sensors", mode="semantic")
    assert sound.items[0].id == made["acoustics"]
    with pytest.raises(PermissionDenied):
        services.reindex_all(uow(), actor_of(uow, fw, "alice"))


# --- found in review ------------------------------------------------------------------------


def test_a_score_never_depends_on_profiles_the_reader_may_not_see(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    fabien = actor_of(uow, fw, "fabien")
    profile(uow, operator, headline="Zephyr wind tunnels", keywords=["zephyr"])
    before = services.search(uow(), fabien, q="zephyr").items[0].score
    for n in range(5):
        profile(uow, operator, headline=f"Zephyr hidden {n}", label=SECRET_USA_GBR)
    after = services.search(uow(), fabien, q="zephyr")
    assert (after.total, after.items[0].score) == (1, before)


def test_no_exemption_for_ones_own_organisation(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    # A profile of UKSL that only USA citizens may see: carol works for UKSL, but is British.
    hidden = profile(uow, operator, "UKSL", headline="Exchange programme", label=NOFORN)
    carol = actor_of(uow, fw, "carol")
    assert services.search(uow(), carol, q="exchange").total == 0
    with pytest.raises(NotFound):
        services.get_profile(uow(), carol, hidden)


def test_capabilities_change_while_keeping_some(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    made = profile(uow, operator, capabilities=["aero.transonic", "aero.thermal"])
    changed = services.update_profile(
        uow(),
        operator,
        made,
        ProfileUpdate(capabilities=["aero.transonic", "aero.hypersonic"]),
    )
    assert changed.capabilities == ["aero.hypersonic", "aero.transonic"]
    assert found(uow, operator, capability="aero.thermal") == []
    assert found(uow, operator, capability="aero.hypersonic") == ["Transonic aerodynamics"]


def test_counts_stop_at_the_cap_and_bad_paging_is_refused(
    uow: UowFactory, fw: FacilityWorld, operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        profile(uow, operator, headline=f"Wake survey {n}")
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    capped = services.search(uow(), operator, q="wake", limit=10)
    assert (capped.total, capped.total_capped, len(capped.items)) == (3, True, 4)
    exact = services.search(uow(), operator, q="wake survey 2")
    assert (exact.total, exact.total_capped) == (1, False)
    with pytest.raises(ValidationFailed) as deep:
        services.search(uow(), operator, offset=services.MAX_OFFSET + 1)
    assert "offset" in problems(deep.value)
    with pytest.raises(ValidationFailed) as level:
        services.find_partners(uow(), operator, capability="aero", level="²")
    assert "is not a level" in problems(level.value)["level"]


def test_a_relabelled_profile_leaves_the_search_of_those_who_may_no_longer_see_it(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    made = profile(uow, operator, headline="Vortex generators")
    fabien = actor_of(uow, fw, "fabien")
    assert services.search(uow(), fabien, q="vortex").total == 1
    services.update_profile(uow(), operator, made, ProfileUpdate(label=SECRET_USA_GBR))
    assert services.search(uow(), fabien, q="vortex").total == 0
    assert services.search(uow(), actor_of(uow, fw, "carol"), q="vortex").total == 1


def test_pages_across_the_ranking_tiers_follow_one_ranking(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    for n in range(2):
        profile(uow, operator, headline=f"Gimbal design {n}", keywords=["gimbal"])
        profile(uow, operator, headline=f"Mounts {n}", keywords=["gimbal", "vibration"])
        profile(uow, operator, headline=f"Optics {n}", keywords=["lenses"], summary="A gimbal too.")
    whole = [h.headline for h in services.search(uow(), operator, q="gimbal", limit=100).items]
    assert whole[:2] == ["Gimbal design 0", "Gimbal design 1"] or whole[:2] == [
        "Gimbal design 1",
        "Gimbal design 0",
    ]
    assert {w.split()[0] for w in whole[2:4]} == {"Mounts"}
    assert {w.split()[0] for w in whole[4:]} == {"Optics"}
    one_by_one = [
        services.search(uow(), operator, q="gimbal", limit=1, offset=k).items[0].headline
        for k in range(6)
    ]
    assert one_by_one == whole
    assert [
        h.headline for h in services.search(uow(), operator, q="gimbal", limit=3, offset=1).items
    ] == whole[1:4]
