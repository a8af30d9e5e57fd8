"""Reports as tables: one shape shown as a page and downloaded as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook

Format = Literal["csv", "xlsx"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


#: A cell starting with one of these is a formula to a spreadsheet: it is quoted so that
#: opening a report never runs what someone typed into a title (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def as_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_safe(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def as_xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.title[:31])
    sheet.append(list(table.columns))
    for row in table.rows:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: Format) -> bytes:
    return as_csv(table) if fmt == "csv" else as_xlsx(table)
