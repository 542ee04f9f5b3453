"""Versions: the change record Frappe keeps for DocTypes with ``track_changes``.

:func:`record_version` is the last step of every save (:data:`~docframe.model.lifecycle.SAVE_STEPS`):
it compares the stored copy with the saved document and, when something changed, writes a
``Version`` row whose ``data`` is Frappe's compact JSON
``{"changed": [[field, old, new]], "added": [[table, row]], "removed": [[table, row]],
"row_changed": [[table, idx, row name, [[field, old, new]]]], "data_import": null,
"updater_reference": null}``. Nothing is written for the Version DocType itself, with
``flags.ignore_version``, during install, or when nothing changed. The row is written directly
(no hooks, no permission check), as Frappe inserts it with ``ignore_permissions``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from docframe.model import naming, persistence
from docframe.model.document import Document

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.model.lifecycle import Run

__all__ = ["diff", "record_version"]

#: Standard columns (``modified``, ``owner``, ``idx``, ``parent``...) are never reported:
#: :attr:`Meta.versioned_columns` holds data fields only.


def _plain(value: Any) -> Any:
    """A JSON-friendly, comparable form of a stored value (None and "" are the same)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date | time | timedelta):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _changed_fields(old: Document, new: Document) -> list[list[Any]]:
    out: list[list[Any]] = []
    old_data, new_data = old._data, new._data
    for key in ("name", "docstatus"):
        stored, current = old_data.get(key), new_data.get(key)
        if stored == current and type(stored) is type(current):
            continue
        if _plain(stored) != _plain(current):
            out.append([key, _plain(stored), _plain(current)])
    for fieldname in new.meta.versioned_columns:
        stored, current = old_data.get(fieldname), new_data.get(fieldname)
        if stored is current or (stored == current and type(stored) is type(current)):
            continue  # equal values of one type have equal plain forms
        before, after = _plain(stored), _plain(current)
        if before != after:
            out.append([fieldname, before, after])
    return out


def _row_dict(row: Document) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row.as_dict(no_nulls=True, no_private=True).items()}


def diff(old: Document, new: Document) -> dict[str, Any] | None:
    """Frappe's version data for ``old`` -> ``new``; None when nothing changed."""
    data: dict[str, Any] = {"changed": _changed_fields(old, new), "added": [], "removed": [],
                            "row_changed": []}  # fmt: skip
    for tf in new.meta.table_fields:
        before = {row.name: row for row in old.get_table(tf.fieldname)}
        after = {row.name: row for row in new.get_table(tf.fieldname)}
        for name, row in after.items():
            if name not in before:
                data["added"].append([tf.fieldname, _row_dict(row)])
            else:
                changes = _changed_fields(before[name], row)
                changes = [c for c in changes if c[0] not in ("name", "docstatus")]
                if changes:
                    data["row_changed"].append([tf.fieldname, row._data.get("idx"), name, changes])
        for name, row in before.items():
            if name not in after:
                data["removed"].append([tf.fieldname, _row_dict(row)])
    if not any(data[k] for k in ("changed", "added", "removed", "row_changed")):
        return None
    data["data_import"] = None
    data["updater_reference"] = None
    return data


def _write(ctx: Context, doc: Document, data: dict[str, Any]) -> None:
    now = ctx.now()
    user = ctx.user.name
    persistence.insert_values(
        ctx,
        ctx.meta("Version"),
        {
            "name": naming.make_hash(),
            "owner": user,
            "modified_by": user,
            "creation": now,
            "modified": now,
            "ref_doctype": doc.doctype,
            "docname": str(doc.name),
            "data": orjson.dumps(data, default=str).decode(),
        },
        new_name=naming.make_hash,
    )


def record_version(run: Run) -> None:
    """Lifecycle step: write a Version row for a tracked DocType when the save changed something."""
    ctx, doc, stored = run.ctx, run.doc, run.stored
    if stored is None or not doc.meta.track_changes or doc.doctype == "Version":
        return
    if doc.flags.ignore_version or ctx.in_install:
        return
    data = diff(stored, doc)
    if data is not None and ctx.meta_exists("Version"):
        _write(ctx, doc, data)
