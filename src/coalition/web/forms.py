"""Turning HTML form posts into commands, and errors back into messages per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from coalition.errors import CoalitionError, ValidationFailed
from coalition.web.problems import field_name

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
        raise ValidationFailed.of_many(
            [
                (field_name(tuple(e["loc"])), str(e["msg"]).removeprefix("Value error, "))
                for e in exc.errors()
            ]
        ) from exc


def errors_by_field(exc: CoalitionError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        return {p.field: p.message for p in exc.problems}
    return {"_form": exc.detail}
