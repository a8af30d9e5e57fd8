"""Commands accept only what their columns can hold, and updates refuse stray nulls."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import String

from coalition.accounts import schemas as account_schemas
from coalition.accounts.models import Account
from coalition.agreements import schemas as agreement_schemas
from coalition.agreements.models import Agreement, Amendment
from coalition.projects import schemas as project_schemas
from coalition.projects.models import Deliverable, Milestone, Project, WorkPackage
from coalition.registry import schemas as registry_schemas
from coalition.registry.models import (
    Briefing,
    Clearance,
    Nation,
    Organisation,
    Person,
    SecurityAgreement,
)
from coalition.store.base import Base

PAIRS: list[tuple[type[BaseModel], type[Base]]] = [
    (registry_schemas.NationIn, Nation),
    (registry_schemas.NationUpdate, Nation),
    (registry_schemas.OrganisationIn, Organisation),
    (registry_schemas.OrganisationUpdate, Organisation),
    (registry_schemas.PersonIn, Person),
    (registry_schemas.PersonUpdate, Person),
    (registry_schemas.ClearanceIn, Clearance),
    (registry_schemas.ClearanceUpdate, Clearance),
    (registry_schemas.BriefingIn, Briefing),
    (registry_schemas.SecurityAgreementIn, SecurityAgreement),
    (agreement_schemas.AgreementIn, Agreement),
    (agreement_schemas.AgreementUpdate, Agreement),
    (agreement_schemas.AmendmentIn, Amendment),
    (project_schemas.ProjectIn, Project),
    (project_schemas.ProjectUpdate, Project),
    (project_schemas.WorkPackageIn, WorkPackage),
    (project_schemas.WorkPackageUpdate, WorkPackage),
    (project_schemas.DeliverableIn, Deliverable),
    (project_schemas.MilestoneIn, Milestone),
    (account_schemas.AccountIn, Account),
]


# Checked by a validator rather than a length: ISO codes, e-mail addresses (RFC 5321: 254).
VALIDATED_ELSEWHERE = {"code", "nation_code", "currency", "accounting_currency", "email"}


def _max_length(schema: dict[str, Any]) -> int | None:
    if "maxLength" in schema:
        return int(schema["maxLength"])
    for option in schema.get("anyOf", []):
        if "maxLength" in option:
            return int(option["maxLength"])
    return None


def _is_free_text(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(o.get("type") == "string" and "enum" not in o and "$ref" not in o for o in options)


@pytest.mark.parametrize(("command", "table"), PAIRS, ids=lambda c: c.__name__)
def test_text_limits_fit_their_columns(command: type[BaseModel], table: type[Base]) -> None:
    columns = table.__table__.columns
    properties = command.model_json_schema()["properties"]
    for field, schema in properties.items():
        if field not in columns or not isinstance(columns[field].type, String):
            continue
        if field in VALIDATED_ELSEWHERE or not _is_free_text(schema):
            continue
        limit, column_length = _max_length(schema), columns[field].type.length
        if column_length is None:  # TEXT: no limit in the database
            continue
        assert limit is not None and limit <= column_length, (
            f"{command.__name__}.{field} allows {limit}, the column holds {column_length}"
        )


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (registry_schemas.OrganisationUpdate, "name"),
        (registry_schemas.PersonUpdate, "email"),
        (agreement_schemas.AgreementUpdate, "parties"),
        (agreement_schemas.AgreementUpdate, "effective_from"),
        (project_schemas.ProjectUpdate, "start_on"),
        (project_schemas.MilestoneUpdate, "due_on"),
    ],
)
def test_updates_refuse_null_for_required_fields(command: type[BaseModel], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        command.model_validate({field: None})
    assert caught.value.errors()[0]["loc"] == (field,)
    assert "may not be null" in caught.value.errors()[0]["msg"]


def test_updates_may_clear_optional_fields() -> None:
    update = registry_schemas.OrganisationUpdate.model_validate({"city": None, "parent_id": None})
    assert update.model_dump(exclude_unset=True) == {"city": None, "parent_id": None}
