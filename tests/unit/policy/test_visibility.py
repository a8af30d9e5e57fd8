"""The visibility plan (label classes x projects) agrees with `decide`, artifact by
artifact, for every subject of generated worlds: listing never shows more, or less, than
one-by-one decisions would."""

from __future__ import annotations

import pytest

from coalition.policy.engine import decide
from coalition.policy.facts import Action, Request
from coalition.policy.labels import SecurityLabel
from coalition.policy.visibility import SubjectView, plan
from tests.unit.policy.generate import Generated, day


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("action", [Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD])
def test_plan_agrees_with_decide_for_every_artifact(seed: int, action: Action) -> None:
    generated = Generated(seed, artifacts=300, subjects=80)
    label_ids: dict[SecurityLabel, int] = {}
    for artifact in generated.artifacts:
        label_ids.setdefault(artifact.label, len(label_ids) + 1)
    labels = {label_id: label for label, label_id in label_ids.items()}
    by_id = {a.id: a for a in generated.artifacts}
    mismatches = []
    permits = 0
    for subject in generated.subjects:
        on = day(generated.rng)
        view = SubjectView(subject, generated.world, on)
        granted = [by_id[g.artifact_id] for g in subject.grants if g.artifact_id in by_id]
        subject_plan = plan(view, labels, action, granted=granted)
        for artifact in generated.artifacts:
            expected = decide(Request(subject, artifact, action, on), generated.world).permit
            planned = subject_plan.matches(
                artifact.id,
                label_ids[artifact.label],
                artifact.project_id,
                artifact.owner_organisation_id,
            )
            permits += expected
            if expected != planned:
                mismatches.append((subject, artifact, expected))
    assert not mismatches, f"{len(mismatches)} mismatches; first {mismatches[0]}"
    assert permits > 10  # the generated worlds give permits to compare, not only denials


def test_release_to_is_not_planned() -> None:
    generated = Generated(1, artifacts=5, subjects=2)
    view = SubjectView(generated.subjects[0], generated.world, day(generated.rng))
    with pytest.raises(ValueError, match="artifact by artifact"):
        plan(view, {}, Action.RELEASE_TO)
