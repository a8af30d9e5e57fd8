"""What every command needs: settings, a unit of work, the acting operator, output."""

from __future__ import annotations

import getpass
import json
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from coalition.accounts.permissions import Principal
from coalition.errors import ValidationFailed
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.uow import UnitOfWork, uow_factory
from coalition.web.problems import located

M = TypeVar("M", bound=BaseModel)
console = Console()


@cache
def settings() -> Settings:
    return Settings()


@cache
def _factory() -> Callable[[], UnitOfWork]:
    return uow_factory(make_engine(settings().effective_database_url))


def uow() -> UnitOfWork:
    return _factory()()


def uow_maker() -> Callable[[], UnitOfWork]:
    """For a command that runs several use cases, each in its own unit of work."""
    return _factory()


def operator() -> Principal:
    """Whoever runs the CLI on the node already holds its database and keys."""
    return Principal.operator(getpass.getuser())


def build(model: type[M], **values: Any) -> M:
    """A command from options; unset options stay unset, errors name the option."""
    given = {k: v for k, v in values.items() if v is not None and v != [] and v != ()}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise ValidationFailed.of_many(
            [(field.replace("_", "-"), message) for field, message in located(exc.errors())]
        ) from exc


def parse_uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValidationFailed.of(option, f"'{value}' is not an id") from exc


def emit(
    result: BaseModel | Sequence[BaseModel], as_json: bool, columns: Iterable[str] = ()
) -> None:
    """Print JSON for scripts, or a table / a list of facts for people."""
    if as_json:
        if isinstance(result, BaseModel):
            sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        else:
            sys.stdout.write(
                json.dumps([r.model_dump(mode="json") for r in result], indent=2) + "\n"
            )
        return
    if isinstance(result, BaseModel):
        data = result.model_dump(mode="json")
        if "items" in data and "total" in data:
            _table(data["items"], list(columns))
            first = data["offset"] + 1 if data["total"] else 0
            last = data["offset"] + len(data["items"])
            console.print(f"{first}-{last} of {data['total']}")
            return
        for key, value in data.items():
            console.print(f"[bold]{key}[/bold]: {_cell(value)}", highlight=False)
        return
    _table([r.model_dump(mode="json") for r in result], list(columns))


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    columns = columns or (list(rows[0]) if rows else [])
    table = Table(*columns)
    for row in rows:
        table.add_row(*(_cell(_dig(row, c)) for c in columns))
    console.print(table)


def _dig(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
