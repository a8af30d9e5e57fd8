"""Reading budget and contribution files: CSV (UTF-8, header row) or XLSX (first sheet,
header row). Each row becomes a dict of the command's fields, numbered as a spreadsheet
numbers it (the header is row 1), for coalition.funding.services.import_rows."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from coalition.common.tables import Table
from coalition.errors import ValidationFailed

#: A file larger than this, or with more rows, is refused before it is read.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000


def read_rows(content: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    if len(content) > MAX_BYTES:
        raise ValidationFailed.of("file", f"is larger than {MAX_BYTES // (1024 * 1024)} MB")
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx(content)
    elif name.endswith(".csv"):
        table = _csv(content)
    else:
        raise ValidationFailed.of("file", "name a .csv or .xlsx file")
    if not table:
        raise ValidationFailed.of("file", "is empty: the first row names the columns")
    header = [_column(h) for h in table[0]]
    if not any(header):
        raise ValidationFailed.of("file", "the first row names no columns")
    if len(table) - 1 > MAX_ROWS:
        raise ValidationFailed.of("file", f"has more than {MAX_ROWS} rows")
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(table[1:], start=2):
        values = {
            column: _value(cell)
            for column, cell in zip(header, cells, strict=False)
            if column and _value(cell) is not None
        }
        if values:
            rows.append((number, values))
    return rows


def _column(heading: Any) -> str:
    return str(heading or "").strip().lower().replace(" ", "_")


def _value(cell: Any) -> Any:
    if cell is None:
        return None
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, float):
        # A spreadsheet keeps numbers as binary floats; their shortest decimal spelling is
        # what the user typed (0.1, not 0.1000000000000000055...).
        return Decimal(repr(cell))
    return cell


def _csv(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed.of("file", "is not UTF-8 text") from None
    # Blank rows are kept here (and skipped later) so that row numbers match the file.
    return list(csv.reader(io.StringIO(text)))


def _xlsx(content: bytes) -> list[list[Any]]:
    try:
        # read_only streams the sheet; openpyxl parses the XML with defusedxml when it is
        # installed (it is a dependency), so entity tricks are refused.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationFailed.of("file", "is not a readable XLSX workbook") from None
    try:
        sheet = workbook.worksheets[0]
        out: list[list[Any]] = []
        for row in sheet.iter_rows(values_only=True):
            if len(out) > MAX_ROWS + 1:
                break
            out.append(list(row))
        return out
    finally:
        workbook.close()


#: An example row per kind of file: the template users fill in.
EXAMPLES: dict[str, dict[str, Any]] = {
    "budget": {
        "project": "CSAR-MAS",
        "work_package": "WP1",
        "category": "personnel",
        "nation": "USA",
        "fiscal_year": 2027,
        "kind": "budget",
        "amount": "1250000.00",
        "currency": "USD",
        "note": "",
    },
    "contributions": {
        "reference": "CON-USA-2027-01",
        "agreement": "CSAR-PA-01",
        "organisation": "ODRE",
        "kind": "cash",
        "in_kind_type": "",
        "made_on": "2027-01-15",
        "amount": "4000000.00",
        "currency": "USD",
        "project": "",
        "work_package": "",
        "description": "",
        "valuation_method": "",
        "evidence": "",
    },
}


def template(kind: str) -> Table:
    """The columns a file of ``kind`` may have, with one example row."""
    example = EXAMPLES[kind]
    return Table(f"{kind} import", tuple(example), [tuple(example.values())])
