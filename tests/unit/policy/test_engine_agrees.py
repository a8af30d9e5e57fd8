"""The engine agrees with the naive reference on 100,000 generated requests, and keeps
the promises a security officer relies on (Hypothesis)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.policy.engine import decide, level_of
from coalition.policy.facts import Action, Purpose, Request
from tests.unit.policy.generate import NATIONS, Generated
from tests.unit.policy.reference import failing_rules

REQUESTS = 100_000


def test_engine_and_reference_agree_on_100000_generated_requests() -> None:
    disagreements: list[tuple[Request, set[str], set[str]]] = []
    outcomes: Counter[str] = Counter()
    for seed in range(10):
        generated = Generated(seed)
        for request in generated.requests(REQUESTS // 10):
            decision = decide(request, generated.world)
            engine = {r.id for r in decision.failed}
            reference = failing_rules(request, generated.world)
            if engine != reference:
                disagreements.append((request, engine, reference))
            outcomes["permit" if decision.permit else "deny"] += 1
            for rule in engine:
                outcomes[rule] += 1
    assert not disagreements, (
        f"{len(disagreements)} disagreements; first: engine {disagreements[0][1]}, "
        f"reference {disagreements[0][2]}, request {disagreements[0][0]}"
    )
    # The generator exercises permits and every rule's denials.
    assert outcomes["permit"] > 1000
    for rule in (
        "account",
        "agreement",
        "need_to_know",
        "clearance",
        "releasability",
        "caveats",
        "export",
        "ip_use",
        "embargo",
    ):
        assert outcomes[rule] > 100, rule


WORLDS = [Generated(seed, artifacts=120, subjects=80) for seed in (101, 102)]


@st.composite
def requests(draw: st.DrawFn) -> tuple[Generated, Request]:
    """A generated request with a subject and artifact chosen by Hypothesis (so it shrinks)."""
    generated = draw(st.sampled_from(WORLDS))
    return generated, Request(
        draw(st.sampled_from(generated.subjects)),
        draw(st.sampled_from(generated.artifacts)),
        draw(st.sampled_from(list(Action))),
        draw(st.dates(date(2019, 1, 1), date(2031, 1, 1))),
        purpose=draw(st.none() | st.sampled_from([p.value for p in Purpose])),
        value=draw(st.none() | st.sampled_from([10.0, 20000.0])),
    )


@settings(max_examples=300, deadline=None)
@given(requests(), st.integers(0, 4))
def test_a_higher_clearance_never_removes_access(
    case: tuple[Generated, Request], extra_level: int
) -> None:
    generated, request = case
    before = decide(request, generated.world).permit
    stronger = tuple(
        replace(c, level=max(c.level, extra_level)) for c in request.subject.clearances
    )
    boosted = replace(request, subject=replace(request.subject, clearances=stronger))
    assert decide(boosted, generated.world).permit or not before


@settings(max_examples=300, deadline=None)
@given(requests(), st.sampled_from(NATIONS))
def test_adding_a_nation_to_releasable_to_never_removes_access(
    case: tuple[Generated, Request], nation: str
) -> None:
    generated, request = case
    label = request.artifact.label
    if label.noforn:
        return
    before = decide(request, generated.world).permit
    wider = replace(label, releasable_to=label.releasable_to | {nation, label.originator})
    widened = replace(request, artifact=replace(request.artifact, label=wider))
    assert decide(widened, generated.world).permit or not before


@settings(max_examples=300, deadline=None)
@given(requests())
def test_noforn_never_permits_a_foreign_national(case: tuple[Generated, Request]) -> None:
    generated, request = case
    label = replace(request.artifact.label, noforn=True, releasable_to=frozenset())
    noforn = replace(
        request,
        artifact=replace(request.artifact, label=label),
        subject=replace(request.subject, dual_national_exemption=False),
    )
    decision = decide(noforn, generated.world)
    nations = (
        noforn.subject.citizenships
        if noforn.subject.person_id
        else {noforn.subject.organisation_nation}
    )
    if decision.permit and str(noforn.action) != "view_metadata":
        assert nations <= {label.originator}


@settings(max_examples=300, deadline=None)
@given(requests())
def test_nothing_expired_ever_grants(case: tuple[Generated, Request]) -> None:
    generated, request = case
    day = request.on
    subject = replace(
        request.subject,
        clearances=tuple(
            replace(c, valid_until=min(c.valid_until, day))
            for c in request.subject.clearances
            if c.valid_from < day
        ),
        briefings=tuple(
            replace(b, expires_on=min(b.expires_on or day, day))
            for b in request.subject.briefings
            if b.given_on < day
        ),
    )
    expired = replace(request, subject=subject)
    decision = {r.id: r for r in decide(expired, generated.world).rules}
    applies = str(expired.action) != "view_metadata"
    if applies and subject.person_id is not None and decision["clearance"].passed:
        assert not level_of(expired, generated.world)[1]
    if applies and decision["caveats"].passed:
        assert not expired.artifact.label.caveats
