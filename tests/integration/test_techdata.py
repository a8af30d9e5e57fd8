"""Artifacts and authorised listing on both databases: the list is exactly what one-by-one
decisions would show, bad labels are refused whole, and what-if predicts what a change
then does."""

from __future__ import annotations

import dataclasses
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Grant, Principal, Role, ScopeKind
from coalition.common.paging import PageRequest
from coalition.errors import NotFound, PermissionDenied, ValidationFailed
from coalition.exportcontrol.schemas import AuthorisationIn
from coalition.exportcontrol.services import create_authorisation
from coalition.policy.engine import decide
from coalition.policy.facts import Action, Request
from coalition.policy.models import LabelClass
from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn
from coalition.projects.services import add_member, add_participant, create_project
from coalition.registry.people import add_clearance, create_person
from coalition.registry.schemas import (
    ClearanceIn,
    OrganisationIn,
    PersonIn,
    SecurityAgreementIn,
)
from coalition.registry.services import create_organisation, create_security_agreement
from coalition.techdata import facts as loaders
from coalition.techdata import services
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import ArtifactFilters, ArtifactIn, GrantIn, LabelIn, RelabelIn
from coalition.techdata.whatif import WhatIfIn, what_if
from tests.conftest import UowFactory
from tests.factories import World, make_world

TODAY = date.today()
MARKINGS = {"USA": ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"], "GBR": ["OFFICIAL", "SECRET"]}


@dataclass
class Lab:
    world: World
    project: uuid.UUID
    carol: uuid.UUID  # GBR lab, GBR citizen, not on the team
    artifacts: list[uuid.UUID]


def _label(rng: random.Random, n: int) -> LabelIn:
    originator = rng.choice(["USA", "GBR"])
    rel = rng.choice([[], [originator, "USA", "GBR"], [originator, "FRA"], [originator, "NATO"]])
    export = []
    if originator == "USA" and rng.random() < 0.3:
        export = [
            {"regime": "ITAR", "category": f"USML XI({'abcd'[n % 4]})", "exporting_nation": "USA"}
        ]
    return LabelIn.model_validate(
        {
            "scheme": originator,
            "originator": originator,
            "classification": rng.choice(MARKINGS[originator]),
            "releasable_to": sorted(set(rel)),
            "noforn": not rel and originator == "USA" and rng.random() < 0.5,
            "caveats": ["NEPTUNE"] if rng.random() < 0.2 else [],
            "export": export,
            # Distinct review dates make many label classes, as a large programme has.
            "review_on": (TODAY + timedelta(days=n % 260)).isoformat(),
        }
    )


@pytest.fixture
def lab(uow: UowFactory, operator: Principal) -> Lab:
    """More label classes than one inline SQL list holds, so the plan travels as one
    JSON / array parameter and, for the larger side, as its complement."""
    return _build_lab(uow, operator, 260)


@pytest.fixture
def small_lab(uow: UowFactory, operator: Principal) -> Lab:
    return _build_lab(uow, operator, 30)


def _build_lab(uow: UowFactory, operator: Principal, artifacts_wanted: int) -> Lab:
    world = make_world(uow, operator)
    project = create_project(
        uow(),
        operator,
        ProjectIn(
            code="SONAR",
            title="Sonar",
            agreement_id=world.mou,
            start_on=TODAY - timedelta(days=400),
            end_on=date(2029, 12, 31),
            lead_organisation_id=world.usa_lab,
            classification_ceiling=3,
        ),
    )
    add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(
            organisation_id=world.gbr_lab, role="partner", joined_on=TODAY - timedelta(days=300)
        ),
    )
    for person, role in ((world.alice, "project_manager"), (world.bob, "researcher")):
        add_member(
            uow(),
            operator,
            project.id,
            MemberIn(person_id=person, role=role, joined_on=TODAY - timedelta(days=200)),
        )
    carol = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Carol",
            family_name="Cole",
            email="carol@uksl.example",
            employer_id=world.gbr_lab,
            citizenships=["GBR"],
        ),
    ).id
    create_security_agreement(
        uow(),
        operator,
        SecurityAgreementIn(
            reference="GSA-GBR-USA",
            title="GBR-USA general security agreement",
            parties=["GBR", "USA"],
            max_level=3,
            in_force_from=date(2000, 1, 1),
        ),
    )
    for person, issuer in ((world.alice, "USA"), (world.bob, "GBR"), (carol, "GBR")):
        add_clearance(
            uow(),
            operator,
            person,
            ClearanceIn(
                issuer=issuer,
                level_name="SECRET" if issuer == "USA" else "SC",
                valid_from=TODAY - timedelta(days=100),
                valid_until=TODAY + timedelta(days=1000),
            ),
        )
    rng = random.Random(7)
    artifacts = []
    for n in range(artifacts_wanted):
        owner = rng.choice([world.usa_lab, world.gbr_lab])
        label = _label(rng, n)
        artifacts.append(
            services.create_artifact(
                uow(),
                operator,
                ArtifactIn(
                    reference=f"SONAR-{n:04d}",
                    title=f"Sonar trial {rng.randrange(1000)}",
                    kind="report",
                    project_id=project.id if rng.random() < 0.9 else None,
                    owner_organisation_id=owner,
                    label=label,
                ),
            ).id
        )
    return Lab(world, project.id, carol, artifacts)


def _expected(uow: UowFactory, person: uuid.UUID, action: Action) -> set[uuid.UUID]:
    """One decision per artifact: what the list must show."""
    with uow() as unit:
        session = unit.session
        world = loaders.load_world(session)
        subject = loaders.load_subjects(session, [person], TODAY)[person]
        subject = dataclasses.replace(subject, grants=loaders.load_grants(session, person))
        rows = session.scalars(select(Artifact)).all()
        facts = loaders.artifact_facts(session, rows)
    return {
        a.id for a in facts.values() if decide(Request(subject, a, action, TODAY), world).permit
    }


def _listed(
    uow: UowFactory, operator: Principal, person: uuid.UUID, action: Action, **filters: object
) -> tuple[set[uuid.UUID], int]:
    seen: set[uuid.UUID] = set()
    offset, total = 0, 0
    while True:
        page = services.list_artifacts(
            uow(),
            operator,
            PageRequest(limit=200, offset=offset),
            ArtifactFilters.model_validate(filters),
            as_person=person,
            action=action,
        )
        seen |= {a.id for a in page.items}
        total = page.total
        if not page.has_next:
            return seen, total
        offset += 200


@pytest.mark.parametrize("action", [Action.VIEW_METADATA, Action.READ])
def test_the_list_is_exactly_what_one_by_one_decisions_show(
    uow: UowFactory, operator: Principal, lab: Lab, action: Action
) -> None:
    with uow() as unit:
        classes = unit.session.scalar(select(func.count()).select_from(LabelClass))
        assert classes is not None and classes > 200
    for person in (lab.world.alice, lab.world.bob, lab.carol):
        expected = _expected(uow, person, action)
        listed, total = _listed(uow, operator, person, action)
        assert listed == expected
        assert total == len(expected)
    # Someone sees some, not all: the comparison means something.
    assert 0 < len(_expected(uow, lab.world.bob, action)) < len(lab.artifacts)


def test_filters_sort_and_count_within_what_may_be_seen(
    uow: UowFactory, operator: Principal, lab: Lab
) -> None:
    expected = _expected(uow, lab.world.bob, Action.VIEW_METADATA)
    listed, total = _listed(uow, operator, lab.world.bob, Action.VIEW_METADATA, label="NEPTUNE")
    assert listed <= expected and total == len(listed)
    with uow() as unit:
        neptune = {
            a.id
            for a in unit.session.scalars(select(Artifact))
            if "NEPTUNE" in a.label.caveats and a.id in expected
        }
    assert listed == neptune
    # Words are searched in the artifacts themselves, not in their classes.
    worded, worded_total = _listed(uow, operator, lab.world.bob, Action.VIEW_METADATA, q="trial 1")
    assert worded_total == len(worded) and worded <= expected
    page = services.list_artifacts(
        uow(),
        operator,
        PageRequest(limit=20),
        ArtifactFilters(sort="-level"),
        as_person=lab.world.bob,
    )
    levels = [a.common_level for a in page.items]
    assert levels == sorted(levels, reverse=True)


def test_an_artifact_one_may_not_see_is_not_found_like_a_missing_one(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    lab = small_lab
    hidden = set(lab.artifacts) - _expected(uow, lab.carol, Action.VIEW_METADATA)
    assert hidden
    with pytest.raises(NotFound) as unseen:
        services.get_artifact(uow(), operator, next(iter(hidden)), lab.carol)
    with pytest.raises(NotFound) as missing:
        services.get_artifact(uow(), operator, uuid.uuid4(), lab.carol)
    assert unseen.value.detail == missing.value.detail


def test_a_grant_opens_one_artifact_and_the_cache_follows(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    lab = small_lab
    before = _listed(uow, operator, lab.carol, Action.READ)[0]
    candidates = [
        a
        for a in set(lab.artifacts) - before
        if a in _expected_with_membership(uow, operator, lab, a)
    ]
    assert candidates, "some artifact needs only need-to-know for Carol"
    target = sorted(candidates)[0]
    services.grant_need_to_know(
        uow(), operator, target, GrantIn(person_id=lab.carol, reason="reviews the trial")
    )
    after = _listed(uow, operator, lab.carol, Action.READ)[0]
    assert after == before | {target}
    assert after == _expected(uow, lab.carol, Action.READ)


def _expected_with_membership(
    uow: UowFactory, operator: Principal, lab: Lab, artifact: uuid.UUID
) -> set[uuid.UUID]:
    explanation = services.explain(uow(), operator, artifact, lab.carol, Action.READ)
    failing = {r.id for r in explanation.rules if not r.passed}
    return {artifact} if failing == {"need_to_know"} else set()


def test_relabelling_changes_what_is_listed(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    lab = small_lab
    visible = _listed(uow, operator, lab.world.bob, Action.VIEW_METADATA)[0]
    target = sorted(visible)[0]
    services.relabel_artifact(
        uow(),
        operator,
        target,
        RelabelIn(
            label=LabelIn(scheme="USA", originator="USA", banner="SECRET//NOFORN"),
            reason="contains US-only sensor data",
        ),
    )
    listed, total = _listed(uow, operator, lab.world.bob, Action.VIEW_METADATA)
    assert target not in listed
    assert listed == _expected(uow, lab.world.bob, Action.VIEW_METADATA)
    assert total == len(listed)  # the class counts moved with the relabel


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ({"scheme": "XXX", "originator": "USA", "classification": "SECRET"}, "label.scheme"),
        (
            {"scheme": "USA", "originator": "USA", "classification": "SEKRIT"},
            "label.classification",
        ),
        (
            {
                "scheme": "USA",
                "originator": "USA",
                "classification": "SECRET",
                "releasable_to": ["USA", "XYZ"],
            },
            "label.releasable_to",
        ),
        (
            {
                "scheme": "USA",
                "originator": "USA",
                "classification": "SECRET",
                "releasable_to": ["GBR"],
            },
            "label.releasable_to",
        ),
        ({"scheme": "USA", "originator": "USA", "banner": "SECRET///REL TO GBR"}, "label.banner"),
        ({"scheme": "USA", "originator": "ZZZ", "classification": "SECRET"}, "label.originator"),
    ],
)
def test_a_bad_label_is_refused_naming_the_field_and_nothing_is_stored(
    uow: UowFactory, operator: Principal, small_lab: Lab, label: dict[str, object], field: str
) -> None:
    lab = small_lab
    with uow() as unit:
        before = unit.session.scalar(select(func.count()).select_from(Artifact))
        labels = unit.session.scalar(select(func.count()).select_from(LabelClass))
    with pytest.raises(ValidationFailed) as caught:
        services.create_artifact(
            uow(),
            operator,
            ArtifactIn(
                reference="BAD-1",
                title="Bad",
                kind="report",
                owner_organisation_id=lab.world.usa_lab,
                label=LabelIn.model_validate(label),
            ),
        )
    assert caught.value.problems[0].field == field
    with uow() as unit:
        assert unit.session.scalar(select(func.count()).select_from(Artifact)) == before
        assert unit.session.scalar(select(func.count()).select_from(LabelClass)) == labels


def test_a_label_above_the_project_ceiling_is_refused(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    lab = small_lab
    with pytest.raises(ValidationFailed, match="ceiling"):
        services.create_artifact(
            uow(),
            operator,
            ArtifactIn(
                reference="TOO-HIGH",
                title="Too high",
                kind="report",
                project_id=lab.project,
                owner_organisation_id=lab.world.usa_lab,
                label=LabelIn(scheme="USA", originator="USA", classification="TOP SECRET"),
            ),
        )


def test_what_if_predicts_what_the_change_then_does(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    lab = small_lab
    # A second UK lab joining the project is the change.
    optics = create_organisation(
        uow(),
        operator,
        OrganisationIn(name="UK Optics Lab", short_name="UKOL", kind="lab", nation_code="GBR"),
    ).id
    newcomer = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Denis",
            family_name="Dupont",
            email="denis@ukol.example",
            employer_id=optics,
            citizenships=["GBR"],
        ),
    ).id
    before = _expected(uow, newcomer, Action.VIEW_METADATA)
    predicted = what_if(
        uow(),
        operator,
        WhatIfIn.model_validate(
            {
                "changes": [
                    {
                        "kind": "add_participant",
                        "project_id": str(lab.project),
                        "organisation_id": str(optics),
                        "staff_role": "observer",
                    }
                ],
                "action": "view_metadata",
            }
        ),
    )
    add_participant(
        uow(),
        operator,
        lab.project,
        ParticipantIn(organisation_id=optics, role="partner", joined_on=TODAY),
    )
    add_member(
        uow(), operator, lab.project, MemberIn(person_id=newcomer, role="observer", joined_on=TODAY)
    )
    after = _expected(uow, newcomer, Action.VIEW_METADATA)
    assert after > before
    assert predicted.gained == len(after - before)
    assert predicted.lost == 0
    assert [(n.nation, n.gained) for n in predicted.by_nation] == [("GBR", len(after - before))]


def test_what_if_an_authorisation_expires(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    lab = small_lab
    authorisation = create_authorisation(
        uow(),
        operator,
        AuthorisationIn(
            reference="DSP-5 TEST",
            kind="licence",
            issuing_nation="USA",
            regime="ITAR",
            recipient_nations=["GBR"],
            valid_from=TODAY - timedelta(days=10),
            valid_until=TODAY + timedelta(days=100),
        ),
    )
    readable = _expected(uow, lab.carol, Action.READ)
    result = what_if(
        uow(),
        operator,
        WhatIfIn.model_validate(
            {
                "changes": [
                    {"kind": "expire_authorisation", "authorisation_id": str(authorisation.id)}
                ]
            }
        ),
    )
    with uow() as unit:
        itar = {
            a.id
            for a in unit.session.scalars(select(Artifact))
            if a.label.export and a.id in readable
        }
    # Carol (GBR) reads her lab's copies of ITAR data under the authorisation; Bob, also a
    # Canadian national, never could.
    assert itar
    carol = next(p for p in result.people if p.person_id == lab.carol)
    assert carol.lost == len(itar)
    assert lab.world.bob not in {p.person_id for p in result.people}
    assert result.gained == 0


def _researcher(person: uuid.UUID, role: Role = Role.RESEARCHER) -> Principal:
    return Principal(
        name=str(role),
        account_id=uuid.uuid4(),
        active=True,
        grants=(Grant(role, ScopeKind.NODE),),
        person_id=person,
    )


def test_a_refusal_on_an_artifact_one_may_not_see_says_not_found(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    lab = small_lab
    carol = _researcher(lab.carol)
    visible = _expected(uow, lab.carol, Action.VIEW_METADATA)
    hidden = sorted(set(lab.artifacts) - visible)[0]
    relabel = RelabelIn(
        label=LabelIn(scheme="USA", originator="USA", banner="SECRET//NOFORN"), reason="testing"
    )
    with pytest.raises(NotFound):
        services.relabel_artifact(uow(), carol, hidden, relabel)
    with pytest.raises(NotFound):
        services.who_can_see(uow(), carol, hidden)
    with pytest.raises(PermissionDenied):
        services.relabel_artifact(uow(), carol, sorted(visible)[0], relabel)
    with pytest.raises(ValidationFailed) as caught:
        # A security officer may ask what-if, but only about artifacts she may see.
        what_if(
            uow(),
            _researcher(lab.carol, Role.SECURITY_OFFICER),
            WhatIfIn.model_validate(
                {
                    "changes": [
                        {
                            "kind": "relabel",
                            "artifact_ids": [str(hidden)],
                            "label": {"scheme": "USA", "originator": "USA", "banner": "SECRET"},
                        }
                    ]
                }
            ),
        )
    assert "unknown id" in caught.value.problems[0].message


def test_lists_are_decided_for_seeing_reading_and_downloading_only(
    uow: UowFactory, operator: Principal, small_lab: Lab
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.list_artifacts(
            uow(),
            operator,
            PageRequest(),
            ArtifactFilters(),
            as_person=small_lab.carol,
            action=Action.RELEASE_TO,
        )
    assert caught.value.problems[0].field == "action"
