"""World files and query lines: documented formats, same engine, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coalition.policy.schemes import LabelError, SchemeCatalogue
from coalition.policy.worldfile import evaluate_lines, load_world, schemas

DOCS = Path(__file__).resolve().parents[3] / "docs"
WORLD = json.loads((DOCS / "examples" / "policy-world.json").read_text())
QUERIES = (DOCS / "examples" / "policy-queries.jsonl").read_text().splitlines()


@pytest.mark.parametrize("name", ["world.schema.json", "query.schema.json"])
def test_published_schemas_match_the_code(name: str) -> None:
    published = json.loads((DOCS / "schemas" / name).read_text())
    assert published == schemas()[name], f"regenerate with `coalition policy schema` ({name})"


def test_the_documented_example_answers_as_documented(catalogue: SchemeCatalogue) -> None:
    answers = list(evaluate_lines(load_world(WORLD, catalogue), QUERIES))
    assert [(a["id"], a["permit"]) for a in answers] == [
        ("fiona-reads", True),
        ("julien-reads", False),
        ("fiona-after-licence", False),
    ]
    julien = {r["id"]: r for r in answers[1]["rules"]}
    assert "recognised by USA up to CONFIDENTIAL" in julien["clearance"]["reason"]
    assert answers[0]["rules"][0]["id"] == "account" and len(answers[0]["rules"]) == 9


def test_a_bad_query_line_answers_with_its_error_in_place(catalogue: SchemeCatalogue) -> None:
    lines = [
        QUERIES[0],
        '{"id": "x", "subject": "nobody", "artifact": '
        '"00000000-0000-4000-8000-00000000c001", "action": "read", "on": "2026-06-01"}',
        '{"id": "y", "action": "fly"}',
        "",
        QUERIES[1],
    ]
    answers = list(evaluate_lines(load_world(WORLD, catalogue), lines))
    assert [a.get("id") for a in answers] == ["fiona-reads", "x", None, "julien-reads"]
    assert answers[1]["error"] == "subject: not in the world file"
    assert answers[2]["line"] == 3 and "error" in answers[2]


def test_a_label_that_leaves_out_its_originator_is_refused(catalogue: SchemeCatalogue) -> None:
    world = json.loads(json.dumps(WORLD))
    world["artifacts"][0]["label"]["releasable_to"] = ["GBR", "CAN"]
    with pytest.raises(LabelError, match=r"artifacts\.0\.label\.releasable_to"):
        load_world(world, catalogue)


def test_an_unknown_field_in_the_world_is_refused(catalogue: SchemeCatalogue) -> None:
    with pytest.raises(LabelError, match=r"world\.subjects\.0\.clearance"):
        load_world(
            {
                "subjects": [
                    {
                        "id": "a",
                        "organisation_id": "00000000-0000-4000-8000-0000000000a1",
                        "organisation_nation": "USA",
                        "clearance": [],
                    }
                ]
            },
            catalogue,
        )
