"""Import documents into a site, validated exactly like API inserts, with a report per row.

Each record is inserted through :func:`docframe.model.operations.create_document` (the path of
``POST /api/resource``: defaults, naming, every validation, controller hooks and ``doc_events``).
Records go in batches of :data:`BATCH` inside one savepoint; when one fails, its batch is rolled
back and replayed record by record, each in its own savepoint, so a bad row is rolled back alone
and reported while the others are kept. A name given in the file (``ID`` / ``name``) is kept.

Batches are committed as they go (a long import keeps what it has done); ``dry_run`` runs every
batch in one transaction and rolls it back, so it reports every error an import would, including
duplicates between rows of the file, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from docframe import errors
from docframe.context import Context
from docframe.dataio.columns import ColumnResolver
from docframe.dataio.formats import Record
from docframe.model import operations
from docframe.sites import Site
from docframe.users import User

__all__ = ["BATCH", "ImportReport", "RowError", "import_records", "resolver_for"]

#: Records inserted in one savepoint (and, outside a dry run, one transaction).
BATCH = 500


@dataclass(frozen=True, slots=True)
class RowError:
    """Why the record starting on ``row`` was not imported."""

    row: int
    message: str
    values: dict[str, Any]


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    doctype: str
    total: int = 0
    inserted: int = 0
    names: list[str] = field(default_factory=list)
    failed: list[RowError] = field(default_factory=list)
    dry_run: bool = False


class _DryRun(Exception):
    """Rolls the dry run's transaction back."""


def resolver_for(site: Site, doctype: str) -> ColumnResolver:
    """The column resolver of ``doctype`` (404 when there is no such DocType; 417 for a child table)."""
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        meta = operations.read_meta(ctx, doctype)
        if meta.istable or meta.issingle:
            kind = "a child table" if meta.istable else "a Single"
            raise errors.ValidationError(
                f"{doctype} is {kind}: import its parent DocType's documents instead"
                if meta.istable
                else f"{doctype} is {kind} DocType: it has one document, set its values instead"
            )
        children = {f.fieldname: site.metas.get(f.options, ctx.conn) for f in meta.table_fields}
    return ColumnResolver(meta, children)


def _message(exc: Exception) -> str:
    if isinstance(exc, errors.FrappeError) and exc.messages:
        return " ".join(m.message.strip() for m in exc.messages)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _insert(ctx: Context, doctype: str, record: Record) -> str:
    return str(operations.create_document(ctx, doctype, dict(record.values), keep_name=True).name)


def _one_by_one(ctx: Context, doctype: str, batch: Sequence[Record], report: ImportReport) -> None:
    for record in batch:
        try:
            with ctx.conn.begin_nested():
                name = _insert(ctx, doctype, record)
        except Exception as exc:  # each record fails alone; its savepoint was rolled back
            report.failed.append(RowError(record.row, _message(exc), record.values))
            continue
        report.inserted += 1
        report.names.append(name)


def _batch(ctx: Context, doctype: str, batch: Sequence[Record], report: ImportReport) -> None:
    names: list[str] = []
    try:
        with ctx.conn.begin_nested():
            for record in batch:
                names.append(_insert(ctx, doctype, record))
    except Exception:  # some record is bad: replay the batch one record at a time
        _one_by_one(ctx, doctype, batch, report)
        return
    report.inserted += len(names)
    report.names.extend(names)


def import_records(
    site: Site,
    doctype: str,
    records: Sequence[Record],
    *,
    dry_run: bool = False,
    user: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Insert ``records`` as ``doctype`` documents (as ``user``, default Administrator).

    ``progress(n)`` is called after each batch with the number of records it held.
    """
    report = ImportReport(doctype, total=len(records), dry_run=dry_run)
    who = user or User.administrator()
    batches = [records[i : i + BATCH] for i in range(0, len(records), BATCH)]
    if dry_run:
        try:
            with site.unit_of_work(who) as ctx:
                for batch in batches:
                    _batch(ctx, doctype, batch, report)
                    if progress:
                        progress(len(batch))
                raise _DryRun
        except _DryRun:
            pass
        return report
    for batch in batches:
        with site.unit_of_work(who) as ctx:
            _batch(ctx, doctype, batch, report)
        if progress:
            progress(len(batch))
    return report
