"""Turning HTML form posts into commands, and errors back into messages per field."""

from __future__ import annotations

import re
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError
from starlette.datastructures import FormData

from coalition.errors import CoalitionError, Conflict, ValidationFailed
from coalition.web.problems import located

M = TypeVar("M", bound=BaseModel)


def form_values(form: FormData, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form fields as a dict; blank fields are left out so optional fields stay unset."""
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        if key in lists:
            items = [str(v).strip() for v in form.getlist(key) if str(v).strip()]
            # One text box may hold a comma-separated list ("USA, GBR").
            values[key] = [
                part.strip() for item in items for part in item.split(",") if part.strip()
            ]
            continue
        value = form.get(key)
        if isinstance(value, str) and value.strip() != "":
            values[key] = value.strip()
    return values


def parse(model: type[M], values: dict[str, Any]) -> M:
    """Build a command; a pydantic error becomes :class:`ValidationFailed` naming the field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ValidationFailed.of_many(located(exc.errors())) from exc


def errors_by_field(exc: CoalitionError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        return {p.field: p.message for p in exc.problems}
    return {"_form": exc.detail}


#: An "Any" choice in a filter form submits an empty value, which means "no filter".
AnyChoice = BeforeValidator(lambda value: value or None)

_FIELD_PREFIX = re.compile(r"^([a-z_]+): (.+)$", re.DOTALL)
_SUB_FIELD = re.compile(r"[\[.]")


def form_errors(exc: CoalitionError) -> dict[str, str]:
    """Errors keyed by the form field that shows them.

    'parties[0].organisation_id' is shown at the 'parties' field; a conflict reported as
    'email: another person already uses this address' at the 'email' field; 'body' (the
    command as a whole) at the top of the form.
    """
    errors: dict[str, str] = {}
    for name, message in errors_by_field(exc).items():
        if isinstance(exc, Conflict) and (match := _FIELD_PREFIX.match(message)):
            name, message = match.group(1), match.group(2)
        field = _SUB_FIELD.split(name, maxsplit=1)[0]
        field = "_form" if field == "body" else field
        errors[field] = f"{errors[field]}; {message}" if field in errors else message
    return errors


def shown(values: dict[str, Any]) -> dict[str, Any]:
    """A view's fields as form values: None shows as an empty field, not as 'None'."""
    return {name: "" if value is None else value for name, value in values.items()}


def as_text(values: dict[str, Any], *names: str) -> dict[str, Any]:
    """List fields typed as comma-separated text go back into their text box the same way."""
    return {**values, **{n: ", ".join(values[n]) for n in names if isinstance(values.get(n), list)}}


def uuid_or_none(text: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None
