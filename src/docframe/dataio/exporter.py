"""Export a DocType's documents with their child rows, in pages, as plain dicts.

Rows are read straight from the DocType's table in name order, :data:`PAGE` at a time, with the
child rows of each page read in one query per table; Password fields are never exported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from docframe.dataio.columns import Column, ColumnResolver, exported_fields
from docframe.db.repos import rows
from docframe.sites import Site
from docframe.users import User

__all__ = ["PAGE", "count_documents", "export_columns", "export_documents"]

PAGE = 2000


def export_columns(resolver: ColumnResolver, fieldnames: list[str] | None = None) -> list[Column]:
    """``name``, the exported fields (or ``fieldnames``), then each child table's fields."""
    meta = resolver.meta
    wanted = fieldnames if fieldnames else [f.fieldname for f in exported_fields(meta)]
    columns = [Column("name")]
    for fieldname in wanted:
        column = resolver.resolve(fieldname)
        if column is not None and column not in columns:
            columns.append(column)
    if not fieldnames:
        for table, child in resolver.child_metas.items():
            columns += [Column(f.fieldname, table) for f in exported_fields(child)]
    return columns


def count_documents(site: Site, doctype: str) -> int:
    """How many documents ``doctype`` has."""
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        table = site.tables.get(site.metas.get(doctype, ctx.conn))
        return rows.count(ctx.conn, table)


def export_documents(
    site: Site,
    resolver: ColumnResolver,
    columns: list[Column],
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every document of the resolver's DocType as ``{fieldname: value, table: [rows]}``."""
    meta = resolver.meta
    own = [c.fieldname for c in columns if c.table is None]
    tables = sorted({c.table for c in columns if c.table is not None})
    last: Any = None
    while True:
        with site.unit_of_work(User.administrator(), write=False) as ctx:
            table = site.tables.get(meta)
            page = rows.select_rows(ctx.conn, table, own, order_by="name", limit=PAGE, after=last)
            if not page:
                return
            by_name = {row["name"]: row for row in page}
            for fieldname in tables:
                child = site.tables.get(resolver.child_metas[fieldname])
                wanted = [c.fieldname for c in columns if c.table == fieldname]
                for values in rows.child_rows(ctx.conn, child, wanted, meta.name, fieldname, list(by_name)):
                    parent = by_name.get(values.pop("parent"))
                    if parent is not None:
                        parent.setdefault(fieldname, []).append(values)
        last = page[-1]["name"]
        yield from page
        if progress:
            progress(len(page))
        if len(page) < PAGE:
            return
