"""Reading and writing documents as CSV, JSON and JSON Lines.

Reading gives :class:`Record` s: the values of one document (fieldnames as keys, child tables as
lists of row dicts) and the row of the file it starts on, for error reports.

* CSV (Frappe's Data Import layout): one header row of column names (see
  :mod:`docframe.dataio.columns`); a row whose document columns are all empty adds child rows to
  the document above it. Empty cells are left out, so defaults apply.
* JSON: a list of objects (or ``{"data": [...]}``); child tables are lists of objects.
* JSON Lines: one object per line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from docframe.dataio.columns import Column, ColumnResolver
from docframe.errors import ValidationError

__all__ = ["FORMATS", "BadFileError", "Record", "format_of", "read_records", "write_records"]

FORMATS = ("csv", "json", "jsonl")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class BadFileError(ValidationError):
    """The file cannot be read as the format it claims to be."""


@dataclass(slots=True)
class Record:
    """One document read from a file."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)


def format_of(path: Path | None, given: str | None) -> str:
    """The format named by ``--format``, else by the file's extension (CSV for stdout)."""
    if given:
        return given
    if path is None:
        return "csv"
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise BadFileError(
            f"Cannot tell the format of {path.name} from its extension: use .csv, .json or .jsonl, "
            "or pass --format"
        )
    return found


# -- reading ---------------------------------------------------------------------------------------


def _csv_records(text: str, resolver: ColumnResolver) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise BadFileError("The CSV file is empty: its first row must name the columns")
    columns = resolver.resolve_all(header)
    own = [(i, c) for i, c in enumerate(columns) if c is not None and c.table is None]
    tables: dict[str, list[tuple[int, Column]]] = {}
    for i, c in enumerate(columns):
        if c is not None and c.table is not None:
            tables.setdefault(c.table, []).append((i, c))
    current: Record | None = None
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        values = {c.fieldname: cells[i] for i, c in own if cells[i] != ""}
        if current is None or values:
            if current is not None:
                yield current
            current = Record(line, values)
        for table, table_columns in tables.items():
            row = {c.fieldname: cells[i] for i, c in table_columns if cells[i] != ""}
            row.pop("name", None)
            if row:
                current.values.setdefault(table, []).append(row)
    if current is not None:
        yield current


def _mapped(resolver: ColumnResolver, item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BadFileError(f"{where} is not a JSON object")
    columns = resolver.resolve_all([str(k) for k in item if not isinstance(item[k], list)])
    values: dict[str, Any] = {}
    plain = [k for k in item if not isinstance(item[k], list)]
    for key, column in zip(plain, columns, strict=True):
        if column is not None and column.table is None:
            values[column.fieldname] = item[key]
    for key, rows in item.items():
        if not isinstance(rows, list):
            continue
        table = resolver._table(str(key))
        if table is None:
            raise BadFileError(f"{where}: {key!r} is a list but not a table field of {resolver.meta.name}")
        child = ColumnResolver(resolver.child_metas[table], {})
        mapped_rows = []
        for row in rows:
            mapped = _mapped(child, row, f"{where}, {key}")
            mapped.pop("name", None)
            mapped_rows.append(mapped)
        values[table] = mapped_rows
    return values


def _json_records(text: str, resolver: ColumnResolver) -> Iterator[Record]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadFileError(f"The file is not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise BadFileError("A JSON import file holds a list of documents (objects)")
    for number, item in enumerate(data, start=1):
        yield Record(number, _mapped(resolver, item, f"item {number}"))


def _jsonl_records(text: str, resolver: ColumnResolver) -> Iterator[Record]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise BadFileError(f"Line {number} is not valid JSON ({exc})") from None
        yield Record(number, _mapped(resolver, item, f"line {number}"))


def read_records(path: Path, kind: str, resolver: ColumnResolver) -> list[Record]:
    """Every document of the file; :class:`BadFileError` (nothing imported) when it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadFileError(f"{path.name} is not UTF-8 text") from None
    reader = {"csv": _csv_records, "json": _json_records, "jsonl": _jsonl_records}[kind]
    try:
        return list(reader(text, resolver))
    except csv.Error as exc:
        raise BadFileError(f"{path.name} is not valid CSV ({exc})") from None


# -- writing ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as it is written: dates and times in ISO form, decimals as floats."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    return "" if value is None else str(value)


def _write_csv(
    out: Any, documents: Iterable[dict[str, Any]], columns: list[Column], headers: list[str]
) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    tables = sorted({c.table for c in columns if c.table is not None})
    count = 0
    for doc in documents:
        count += 1
        lines = max([len(doc.get(t) or []) for t in tables] + [1])
        for index in range(lines):
            cells = []
            for c in columns:
                if c.table is None:
                    cells.append(_cell(doc.get(c.fieldname)) if index == 0 else "")
                    continue
                rows = doc.get(c.table) or []
                cells.append(_cell(rows[index].get(c.fieldname)) if index < len(rows) else "")
            writer.writerow(cells)
    return count


def write_records(
    out: Any,
    kind: str,
    documents: Iterable[dict[str, Any]],
    columns: list[Column],
    resolver: ColumnResolver,
    *,
    labels: bool,
) -> int:
    """Write ``documents`` (fieldnames as keys, child rows as lists) to ``out``; returns how many.

    ``labels`` writes Frappe's headings (``Due Date``, ``Role (Roles)``) instead of fieldnames.
    """
    if kind == "csv":
        return _write_csv(out, documents, columns, [resolver.header(c, labels=labels) for c in columns])
    own = [(resolver.header(c, labels=labels), c.fieldname) for c in columns if c.table is None]
    tables: dict[str, tuple[str, list[str]]] = {}
    for c in columns:
        if c.table is not None:
            key = resolver.header(Column(c.table), labels=labels) if labels else c.table
            tables.setdefault(c.table, (key, []))[1].append(c.fieldname)
    count = 0
    if kind == "json":
        out.write("[")
    for doc in documents:
        item = {key: _plain(doc.get(fieldname)) for key, fieldname in own}
        for table, (key, fieldnames) in tables.items():
            item[key] = [{f: _plain(row.get(f)) for f in fieldnames} for row in doc.get(table) or []]
        text = orjson.dumps(item).decode()
        if kind == "json":
            out.write(("\n " if count == 0 else ",\n ") + text)
        else:
            out.write(text + "\n")
        count += 1
    if kind == "json":
        out.write("\n]\n" if count else "]\n")
    return count
