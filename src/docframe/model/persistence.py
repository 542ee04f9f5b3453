"""Persistence: load, insert, update and delete documents (and Singles) through SQLAlchemy Core.

Every statement is built from the site's :class:`~docframe.db.tables.TableRegistry`, so only
columns that the metadata declares can appear. Statements that run on every request (load by
name, child rows by parent) are built once per table and reused. Driver errors on writes are
translated once, by :func:`docframe.db.errors.translate_write_error`.

:func:`load_doc` is also how the permission rules (a layer below) load the parent of a child row
they are asked about: this module installs it with :func:`~docframe.permissions.rules.use_parent_loader`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, StatementError

from docframe import errors
from docframe.db.dialects import postgres
from docframe.db.errors import translate_write_error
from docframe.db.prepared import Prepared, prepared
from docframe.db.repos import rows as row_repo
from docframe.meta.fieldtypes import FLOAT_TYPES, INT_TYPES
from docframe.meta.schema import Meta
from docframe.model.coerce import coerce
from docframe.model.document import Document, controller_class
from docframe.model.validation import set_defaults
from docframe.permissions.rules import use_parent_loader

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "delete_row",
    "doc_exists",
    "free_generated_name",
    "insert_doc",
    "insert_values",
    "load_doc",
    "load_single",
    "move_secrets",
    "new_document",
    "read_column",
    "snapshot",
    "table_of",
    "update_columns",
    "update_doc",
]


def table_of(ctx: Context, meta: Meta) -> Table:
    """The SQLAlchemy table of ``meta`` on the context's site."""
    return ctx.site.tables.get(meta)


def _of_parent(table: Table) -> tuple[Any, ...]:
    return (
        table.c.parent == bindparam("p_parent"),
        table.c.parenttype == bindparam("p_parenttype"),
        table.c.parentfield == bindparam("p_parentfield"),
    )


#: The statements every document read and write runs, by name (built once per table, see _prepared).
_BUILDERS: dict[str, Callable[[Table], Any]] = {
    "exists": lambda t: select(t.c.name).where(t.c.name == bindparam("pk")),
    "insert": lambda t: insert(t),
    # An INSERT that skips the row when its name is taken (row count 0): generated names.
    "insert_new:sqlite": lambda t: sqlite_insert(t).on_conflict_do_nothing(index_elements=[t.c.name]),
    "insert_new:postgresql": lambda t: postgres.insert(t).on_conflict_do_nothing(index_elements=[t.c.name]),
    "update": lambda t: update(t).where(t.c.name == bindparam("pk")),
    "update_child": lambda t: update(t).where(t.c.name == bindparam("pk"), *_of_parent(t)),
}


def _prepared(ctx: Context, table: Table, key: str, column_keys: tuple[str, ...] | None = None) -> Prepared:
    """The statement ``key`` of :data:`_BUILDERS` for ``table``, compiled once for the site's backend."""
    cache_key = (key, column_keys) if column_keys is not None else key
    return prepared(table, cache_key, lambda: _BUILDERS[key](table), ctx.site.db.engine.dialect, column_keys)


def _read_columns(meta: Meta, table: Table) -> Any:
    return select(*(table.c[c] for c in meta.read_columns))


#: The statements that read stored documents: :attr:`Meta.read_columns`, so that a row's values
#: become a document's without a lookup by column name (see :func:`_stored`).
_READERS: dict[str, Callable[[Meta, Table], Any]] = {
    "read": lambda m, t: _read_columns(m, t).where(t.c.name == bindparam("pk")),
    "read_lock": lambda m, t: _read_columns(m, t).where(t.c.name == bindparam("pk")).with_for_update(),
    "read_children": lambda m, t: _read_columns(m, t).where(*_of_parent(t)).order_by(t.c.idx),
}


def _reader(ctx: Context, meta: Meta, key: str) -> Prepared:
    """The read statement ``key`` of :data:`_READERS` for ``meta`` (its table is rebuilt, and so the
    statement, when the DocType changes), compiled once for the site's backend."""
    table = table_of(ctx, meta)
    return prepared(table, key, lambda: _READERS[key](meta, table), ctx.site.db.engine.dialect)


def _stored(
    ctx: Context, meta: Meta, values: tuple[Any, ...], parent_doc: Document | None = None
) -> Document:
    """The document a row of a :data:`_READERS` statement holds."""
    data = dict(zip(meta.read_fields, values, strict=False))  # the fields come first: zip stops after them
    extra = {key: values[i] for key, i in meta.kept_aside_columns if values[i]}
    return controller_class(ctx.site, meta).from_stored(meta, data, extra, ctx=ctx, parent_doc=parent_doc)


def new_document(ctx: Context, meta: Meta, values: dict[str, Any] | None = None) -> Document:
    """A new, unsaved document of ``meta`` with its controller class (no defaults applied yet)."""
    cls = controller_class(ctx.site, meta)
    doc = cls(meta, ctx=ctx, is_new=True)
    if values:
        doc.update(values)
    return doc


def snapshot(ctx: Context, doc: Document) -> Document:
    """A detached copy of a just-loaded document (and its rows): the stored state to compare with."""
    copy = _copy(ctx, doc, None)
    for tf in doc.meta.table_fields:
        copy._data[tf.fieldname] = [_copy(ctx, row, copy) for row in doc.get_table(tf.fieldname)]
    return copy


def _copy(ctx: Context, doc: Document, parent_doc: Document | None) -> Document:
    """A document of ``doc``'s class holding a copy of its column values (tables: see :func:`snapshot`)."""
    meta = doc.meta
    copy = controller_class(ctx.site, meta)(meta, ctx=ctx, parent_doc=parent_doc)
    copy._data.update(doc._data)
    copy._extra.update(doc._extra)
    object.__setattr__(copy, "_loaded_modified", doc._loaded_modified)
    return copy


def load_doc(ctx: Context, meta: Meta, name: Any, *, for_update: bool = False) -> Document:
    """Load a document and its child rows; :class:`DoesNotExistError` (404) when missing."""
    if meta.issingle:
        return load_single(ctx, meta)
    key = _name_param(meta, name)
    found = (
        _reader(ctx, meta, "read_lock" if for_update else "read").rows(ctx.conn, {"pk": key})
        if key is not None
        else None
    )
    if not found:
        raise errors.DoesNotExistError(f"{meta.name} {name} not found", doctype=meta.name)
    doc = _stored(ctx, meta, found[0])
    if for_update:
        doc.flags.for_update = True
    if meta.table_fields:
        _load_children(ctx, doc)
    return doc


def _name_param(meta: Meta, name: Any) -> Any:
    """The primary-key value to look ``name`` up by; None when no row can have that name."""
    if isinstance(name, str) and "\x00" in name:
        return None
    if meta.naming_rule == "autoincrement":
        if isinstance(name, str) and not (name.strip().isascii() and name.strip().isdigit()):
            return None  # int() would also read Unicode digits ("١٢") and "1_0"
        try:
            return int(name)
        except (TypeError, ValueError):
            return None
    if isinstance(name, int | float) and not isinstance(name, bool):
        return str(name)
    return name if isinstance(name, str) else None


def _load_children(ctx: Context, doc: Document) -> None:
    for tf in doc.meta.table_fields:
        child_meta = ctx.meta(tf.options)
        if not child_meta.has_table:
            continue
        rows = _reader(ctx, child_meta, "read_children").rows(
            ctx.conn, {"p_parent": str(doc.name), "p_parenttype": doc.doctype, "p_parentfield": tf.fieldname}
        )
        doc._data[tf.fieldname] = [_stored(ctx, child_meta, r, parent_doc=doc) for r in rows]


def doc_exists(ctx: Context, meta: Meta, name: Any) -> bool:
    """Whether a document called ``name`` exists."""
    if meta.issingle:
        return True
    key = _name_param(meta, name)
    if key is None:
        return False
    table = table_of(ctx, meta)
    return bool(_prepared(ctx, table, "exists").rows(ctx.conn, {"pk": key}))


def _row(doc: Document, *, with_name: bool = True) -> dict[str, Any]:
    data = doc._data
    columns = doc.meta.valid_columns if with_name else doc.meta.valid_columns[1:]
    return {c: data[c] for c in columns}


def _write(ctx: Context, meta: Meta, name: Any, stmt: Prepared, params: Any) -> int:
    """Run a prepared INSERT/UPDATE (one parameter dict or a list of them); the row count."""
    try:
        if isinstance(params, list):
            return stmt.execute_many(ctx.conn, params)
        return stmt.execute(ctx.conn, params)
    except StatementError as exc:
        translated = translate_write_error(ctx.site.db, exc, meta, name)
        if translated is exc:
            raise
        raise translated from exc


#: How many more names an insert tries when its generated name is taken (Frappe retries a hash 5 times).
NAME_RETRIES = 5


def insert_doc(ctx: Context, doc: Document, *, new_name: Callable[[], Any] | None = None) -> None:
    """INSERT the document's row and every child row.

    With ``new_name``, a name the naming rule generated (``flags.name_generated``: a random hash),
    never one a user chose, that a row already has is replaced by ``new_name()`` (a document's rows
    follow it) and the INSERT tried again, up to :data:`NAME_RETRIES` times, inside the same
    transaction (see :func:`_insert_unless_taken`). Otherwise a taken name is a 409.
    """
    meta = doc.meta
    if meta.issingle:
        _save_single(ctx, doc)
    elif new_name is None or not doc.flags.name_generated:
        _write(
            ctx, meta, doc.name, _prepared(ctx, table_of(ctx, meta), "insert", meta.valid_columns), _row(doc)
        )
    else:
        name = _insert_generated(ctx, meta, _row(doc), new_name)
        if name != doc.name:
            doc._data["name"] = name
            for row in doc.all_children():
                row._data["parent"] = name
    _insert_children(ctx, doc, doc.all_children(), new_name)


def insert_values(
    ctx: Context, meta: Meta, values: dict[str, Any], *, new_name: Callable[[], Any] | None = None
) -> Any:
    """INSERT one row of ``meta`` from ``values`` (other columns NULL, ``docstatus``/``idx`` 0),
    with no Document and no lifecycle (a framework record such as a Version); returns its name,
    which, with ``new_name``, may be a new one (see :func:`insert_doc`)."""
    row = dict.fromkeys(meta.valid_columns)
    row["docstatus"] = row["idx"] = 0
    row.update(values)
    if new_name is not None:
        return _insert_generated(ctx, meta, row, new_name)
    _write(ctx, meta, row["name"], _prepared(ctx, table_of(ctx, meta), "insert", meta.valid_columns), row)
    return row["name"]


def free_generated_name(ctx: Context, doc: Document, new_name: Callable[[], Any]) -> None:
    """Replace the generated name of new document ``doc`` by ``new_name()`` while a row has it."""
    for _ in range(NAME_RETRIES):
        if not doc_exists(ctx, doc.meta, doc.name):
            return
        doc._data["name"] = new_name()
        for row in doc.all_children():
            row._data["parent"] = doc.name


def move_secrets(ctx: Context, meta: Meta, old: Any, new: Any) -> None:
    """Re-key the Password-field secrets stored for document ``old`` of ``meta`` to ``new``."""
    if any(f.fieldtype == "Password" for f in meta.data_fields):
        auth = ctx.site.tables.framework.auth
        row_repo.update_rows(ctx.conn, auth, {"doctype": meta.name, "name": str(old)}, {"name": str(new)})


def _insert_generated(ctx: Context, meta: Meta, row: dict[str, Any], new_name: Callable[[], Any]) -> Any:
    """INSERT ``row``, renaming it with ``new_name()`` while its name is taken; the name it got."""
    table = table_of(ctx, meta)
    for _ in range(NAME_RETRIES):
        if _insert_unless_taken(ctx, meta, table, row):
            return row["name"]
        row["name"] = new_name()
    _write(ctx, meta, row["name"], _prepared(ctx, table, "insert", meta.valid_columns), row)
    return row["name"]


def _insert_unless_taken(ctx: Context, meta: Meta, table: Table, row: dict[str, Any]) -> bool:
    """INSERT ``row`` unless its name is taken (False then); the transaction stays usable.

    SQLite and PostgreSQL skip the row with ``ON CONFLICT (name) DO NOTHING`` (a clash on another
    unique column still fails the statement); PostgreSQL would otherwise abort the whole transaction
    on the error. MariaDB rolls back only the failed statement, so its duplicate-key error on the
    primary key is the signal.
    """
    backend = ctx.site.db.dialect.name
    if backend in ("sqlite", "postgresql"):
        stmt = _prepared(ctx, table, f"insert_new:{backend}", meta.valid_columns)
        return _write(ctx, meta, row["name"], stmt, row) > 0
    try:
        _prepared(ctx, table, "insert", meta.valid_columns).execute(ctx.conn, row)
    except IntegrityError as exc:
        if ctx.site.db.dialect.decode_integrity_error(str(exc.orig), exc.orig).kind == "primary":
            return False
        translated = translate_write_error(ctx.site.db, exc, meta, row["name"])
        raise translated from exc
    except StatementError as exc:
        translated = translate_write_error(ctx.site.db, exc, meta, row["name"])
        if translated is exc:
            raise
        raise translated from exc
    return True


def _insert_children(
    ctx: Context, doc: Document, rows: Iterable[Document], new_name: Callable[[], Any] | None = None
) -> None:
    grouped: dict[str, list[Document]] = {}
    for row in rows:
        grouped.setdefault(row.doctype, []).append(row)
    for rows_of_type in grouped.values():
        meta = rows_of_type[0].meta
        if not meta.has_table:
            continue
        table = table_of(ctx, meta)
        if new_name is not None and any(r.flags.name_generated for r in rows_of_type):
            _insert_rows_renaming(ctx, doc, meta, table, rows_of_type, new_name)
        else:
            stmt = _prepared(ctx, table, "insert", meta.valid_columns)
            _write(ctx, meta, doc.name, stmt, [_row(r) for r in rows_of_type])
        for r in rows_of_type:
            r.mark_new(False)


def _insert_rows_renaming(
    ctx: Context, doc: Document, meta: Meta, table: Table, rows: list[Document], new_name: Callable[[], Any]
) -> None:
    """INSERT child ``rows`` of ``doc`` in one batch; rows whose generated name another row already
    has take ``new_name()`` and are inserted again (a name a user gave is a 409)."""
    pending = rows
    for attempt in range(NAME_RETRIES + 1):
        taken, retry = _insert_rows_unless_taken(ctx, doc, meta, table, pending)
        if not taken and not retry:
            return
        for r in taken:
            if not r.flags.name_generated or attempt == NAME_RETRIES:
                raise errors.DuplicateEntryError(
                    f"{meta.name} {r.name} already exists", title="Duplicate Name", doctype=meta.name
                )
            r._data["name"] = new_name()
        pending = taken + retry


def _insert_rows_unless_taken(
    ctx: Context, doc: Document, meta: Meta, table: Table, rows: list[Document]
) -> tuple[list[Document], list[Document]]:
    """INSERT ``rows`` unless their names are taken: (rows whose name is taken, rows to insert again).

    A batch whose row count matches was inserted whole. Otherwise the rows' names are looked up:
    a row stored under another parent (or named twice in the batch) holds a taken name; a row not
    stored at all (MariaDB rolls back the whole failed batch) is inserted again as it is.
    """
    seen: set[Any] = set()
    first: list[Document] = []
    twice: list[Document] = []
    for r in rows:
        (twice if r.name in seen else first).append(r)
        seen.add(r.name)
    if twice:  # the batch itself names a row twice: the later rows hold a taken name
        return twice, first
    params = [_row(r) for r in rows]
    backend = ctx.site.db.dialect.name
    if backend in ("sqlite", "postgresql"):
        stmt = _prepared(ctx, table, f"insert_new:{backend}", meta.valid_columns)
        if _write(ctx, meta, doc.name, stmt, params) == len(rows):
            return [], []
    else:
        try:
            _prepared(ctx, table, "insert", meta.valid_columns).execute_many(ctx.conn, params)
            return [], []
        except IntegrityError as exc:
            if ctx.site.db.dialect.decode_integrity_error(str(exc.orig), exc.orig).kind != "primary":
                raise translate_write_error(ctx.site.db, exc, meta, doc.name) from exc
    stored = {
        r["name"]: (r["parent"], r["parenttype"])
        for r in row_repo.select_rows(
            ctx.conn, table, ("name", "parent", "parenttype"), {"name": [r.name for r in rows]}
        )
    }
    ours = (str(doc.name), doc.doctype)
    taken = [r for r in rows if r.name in stored and stored[r.name] != ours]
    retry = [r for r in rows if r.name not in stored]
    return taken, retry


def update_doc(ctx: Context, doc: Document, *, new_name: Callable[[], Any] | None = None) -> None:
    """UPDATE the document's row (never ``name``), then sync its child tables (new rows with a
    generated name that is taken get ``new_name()``, see :func:`insert_doc`).

    Only the columns whose values differ from the row as loaded at the start of the save (the
    locked stored copy, :meth:`Document.get_doc_before_save`) are written, with ``modified`` and
    ``modified_by`` always; see :func:`_changed_columns`.
    """
    meta = doc.meta
    if meta.issingle:
        _save_single(ctx, doc)
    else:
        table = table_of(ctx, meta)
        columns = _changed_columns(ctx, table, doc, doc.get_doc_before_save(), meta.valid_columns[1:])
        stmt = _prepared(ctx, table, "update", columns)
        data = doc._data
        params = {c: data[c] for c in columns}
        params["pk"] = doc.name
        _write(ctx, meta, doc.name, stmt, params)
    _sync_children(ctx, doc, new_name)


#: How many UPDATE statements narrowed to one set of changed columns a table keeps compiled; once
#: a table has that many, other sets are written with the statement that names every column.
UPDATE_VARIANTS = 32
#: Value types compared by value to decide that a column is unchanged; any other value (a dict or
#: list of a JSON field, which may have been changed in place) is always written.
_COMPARABLE = frozenset({str, int, float, bool, Decimal, datetime, date, time, timedelta, type(None)})
#: Written on every save even when equal to the stored value (Frappe's save touches the row).
_ALWAYS = frozenset({"modified", "modified_by"})
#: ``ctx.state`` key: (doctype, name) of rows written column by column in this unit of work.
_COLUMN_WRITES = "persistence.column_writes"
_MISSING = object()


def _changed_columns(
    ctx: Context, table: Table, doc: Document, stored: Document | None, columns: tuple[str, ...]
) -> tuple[str, ...]:
    """The ``columns`` of ``doc`` to write: those that differ from ``stored``, in column order.

    ``stored`` is the row as this transaction loaded (and locked) it when the save started, so a
    column equal to it already holds the document's value. Every column is written when there is
    no stored copy, when it is of another document, or when this unit of work wrote the row column
    by column (``db_set`` on another instance, which the stored copy does not show). The set of
    narrowed statements per table is bounded by :data:`UPDATE_VARIANTS`.
    """
    if stored is None or stored.name != doc.name or stored.doctype != doc.doctype:
        return columns
    written: set[tuple[str, str]] | None = ctx.state.get(_COLUMN_WRITES)
    if written is not None and (doc.doctype, str(doc.name)) in written:
        return columns
    new, old = doc._data, stored._data
    changed_list: list[str] = []
    for c in columns:
        value, before = new[c], old.get(c, _MISSING)
        kind = type(value)
        # Unchanged: one immutable type and equal (identical objects skip the comparison).
        if (value is before and kind in _COMPARABLE) and c not in _ALWAYS:
            continue
        if c in _ALWAYS or kind is not type(before) or kind not in _COMPARABLE or value != before:
            changed_list.append(c)
    changed = tuple(changed_list)
    if len(changed) == len(columns):
        return columns
    variants: set[tuple[str, ...]] = table.info.setdefault("docframe_update_variants", set())
    if changed not in variants:
        if len(variants) >= UPDATE_VARIANTS:
            return columns
        variants.add(changed)
    return changed


def _sync_children(ctx: Context, doc: Document, new_name: Callable[[], Any] | None = None) -> None:
    """Frappe's replace semantics: rows missing from the list are deleted, others updated or inserted.

    An existing row is updated in the columns that differ from the same row in the stored copy
    (every column when the stored copy does not have it under this table field).
    """
    stored_doc = doc.get_doc_before_save()
    for tf in doc.meta.table_fields:
        child_meta = ctx.meta(tf.options)
        if not child_meta.has_table:
            continue
        table = table_of(ctx, child_meta)
        rows = doc.get_table(tf.fieldname)
        keep = [r.name for r in rows if not r.is_new() and r.name is not None]
        cond = [
            table.c.parent == str(doc.name),
            table.c.parenttype == doc.doctype,
            table.c.parentfield == tf.fieldname,
        ]
        removal = delete(table).where(*cond)
        if keep:
            removal = removal.where(table.c.name.not_in(keep))
        ctx.conn.execute(removal)
        stored_rows = (
            {r.name: r for r in stored_doc.get_table(tf.fieldname)}
            if stored_doc is not None and stored_doc.name == doc.name
            else {}
        )
        new_rows = [r for r in rows if r.is_new()]
        all_columns = child_meta.valid_columns[1:]
        for r in rows:
            if r.is_new():
                continue
            columns = _changed_columns(ctx, table, r, stored_rows.get(r.name), all_columns)
            data = r._data
            params = {c: data[c] for c in columns}
            params.update(
                pk=r.name, p_parent=str(doc.name), p_parenttype=doc.doctype, p_parentfield=tf.fieldname
            )
            stmt = _prepared(ctx, table, "update_child", columns)
            # A name that is not a row of this table of this document is a new row: it is inserted
            # (a clash with another document's row is a 409), never an update of someone else's row.
            if _write(ctx, child_meta, doc.name, stmt, params) == 0:
                new_rows.append(r)
        if new_rows:
            _insert_children(ctx, doc, new_rows, new_name)


def delete_row(ctx: Context, doc: Document) -> None:
    """DELETE the document's row (or Single values) and every child row."""
    meta = doc.meta
    if meta.issingle:
        singles = ctx.site.tables.framework.singles
        ctx.conn.execute(delete(singles).where(singles.c.doctype == meta.name))
    else:
        table = table_of(ctx, meta)
        ctx.conn.execute(delete(table).where(table.c.name == doc.name))
    for tf in meta.table_fields:
        child_meta = ctx.meta(tf.options)
        if child_meta.has_table:
            t = table_of(ctx, child_meta)
            ctx.conn.execute(delete(t).where(t.c.parent == str(doc.name), t.c.parenttype == meta.name))


def update_columns(ctx: Context, doc: Document, values: dict[str, Any]) -> None:
    """UPDATE only ``values`` (columns of ``doc``) in its stored row or Single (``Document.db_set``)."""
    meta = doc.meta
    if meta.issingle:
        singles = ctx.site.tables.framework.singles
        ctx.conn.execute(
            delete(singles).where(singles.c.doctype == meta.name, singles.c.field.in_(list(values)))
        )
        rows = [
            {"doctype": meta.name, "field": key, "value": _single_text(value)}
            for key, value in values.items()
            if value is not None
        ]
        if rows:
            ctx.conn.execute(insert(singles), rows)
        return
    table = table_of(ctx, meta)
    # A save later in this unit of work must not trust its stored copy for this row's columns.
    ctx.state.setdefault(_COLUMN_WRITES, set()).add((doc.doctype, str(doc.name)))
    try:
        ctx.conn.execute(update(table).where(table.c.name == doc.name).values(values))
    except StatementError as exc:
        translated = translate_write_error(ctx.site.db, exc, meta, doc.name)
        if translated is exc:
            raise
        raise translated from exc


def read_column(ctx: Context, doc: Document, fieldname: str) -> Any:
    """The stored value of column ``fieldname`` of ``doc`` (``None`` when the row is missing)."""
    meta = doc.meta
    if meta.issingle:
        singles = ctx.site.tables.framework.singles
        text = ctx.conn.execute(
            select(singles.c.value).where(singles.c.doctype == meta.name, singles.c.field == fieldname)
        ).scalar()
        return _single_value(meta, fieldname, text)
    table = table_of(ctx, meta)
    return ctx.conn.execute(select(table.c[fieldname]).where(table.c.name == doc.name)).scalar()


# -- Singles ----------------------------------------------------------------------------------------


def _single_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date | time):
        return str(value)
    return str(value)


def _save_single(ctx: Context, doc: Document) -> None:
    singles = ctx.site.tables.framework.singles
    ctx.conn.execute(delete(singles).where(singles.c.doctype == doc.doctype))
    rows = [
        {"doctype": doc.doctype, "field": key, "value": _single_text(value)}
        for key, value in _row(doc).items()
        if value is not None
    ]
    if rows:
        ctx.conn.execute(insert(singles), rows)


def load_single(ctx: Context, meta: Meta) -> Document:
    """Load a Single DocType's values; one never saved reads as a new document's defaults.

    Like Frappe, the never-saved Single is not flagged new: it has the DocType's name and the
    defaults, and its first save writes them.
    """
    singles = ctx.site.tables.framework.singles
    stored = {
        r[0]: r[1]
        for r in ctx.conn.execute(
            select(singles.c.field, singles.c.value).where(singles.c.doctype == meta.name)
        )
    }
    cls = controller_class(ctx.site, meta)
    doc = cls(meta, ctx=ctx)
    table_fields = {tf.fieldname for tf in meta.table_fields}
    for key, value in stored.items():
        if key in doc._data and key not in table_fields:
            doc._data[key] = _single_value(meta, key, value)
    doc._data["name"] = meta.name
    object.__setattr__(doc, "_loaded_modified", doc._data.get("modified"))
    _load_children(ctx, doc)
    if not stored:
        set_defaults(ctx, doc)
    return doc


def _single_value(meta: Meta, key: str, value: str | None) -> Any:
    """A value read back from ``tabSingles`` text as its field's Python type."""
    if key in ("docstatus", "idx"):
        return int(value or 0)
    if key in ("creation", "modified"):
        return _parse_stored_datetime(value)
    f = meta.get_field(key)
    typed = ("Date", "Datetime", "Time")
    if f is not None and (f.fieldtype in INT_TYPES or f.fieldtype in FLOAT_TYPES or f.fieldtype in typed):
        try:
            return coerce(f, value)
        except errors.ValidationError:
            return None
    return value


def _parse_stored_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def docstatus_of(ctx: Context, meta: Meta, name: Any) -> int | None:
    """The stored ``docstatus`` of the document ``name`` (None when there is none)."""
    table = table_of(ctx, meta)
    value = ctx.conn.execute(select(table.c.docstatus).where(table.c.name == name)).scalar()
    return None if value is None else int(value)


def linking_row(
    ctx: Context,
    meta: Meta,
    fieldname: str,
    target: Document,
    *,
    dynamic_field: str = "",
    min_docstatus: int = 0,
) -> tuple[str, Any] | None:
    """A row of ``meta`` whose ``fieldname`` links to ``target``: (doctype, name) of its document.

    ``dynamic_field`` names the Dynamic Link's DocType column; ``min_docstatus`` 1 looks for
    submitted rows only (0: cancelled rows of a Dynamic Link are left out). A child row answers
    with its parent.
    """
    table = table_of(ctx, meta)
    cols = [table.c.name, table.c.docstatus] + ([table.c.parent, table.c.parenttype] if meta.istable else [])
    stmt = select(*cols).where(table.c[fieldname] == str(target.name))
    if dynamic_field:
        stmt = stmt.where(table.c[dynamic_field] == target.doctype)
        if min_docstatus == 0:
            stmt = stmt.where(table.c.docstatus != 2)
    if min_docstatus:
        stmt = stmt.where(table.c.docstatus >= min_docstatus, table.c.docstatus < 2)
    if meta.name == target.doctype and not meta.istable:
        stmt = stmt.where(table.c.name != target.name)
    if meta.istable:
        stmt = stmt.where(table.c.parenttype.is_not(None))
    row = ctx.conn.execute(stmt.limit(1)).first()
    if row is None:
        return None
    if meta.istable:
        return (str(row.parenttype), row.parent)
    return (meta.name, row.name)


__all__ += ["docstatus_of", "linking_row"]


# The permission rules (below the model) judge a child row through its parent: they load it here.
use_parent_loader(load_doc)
