"""DocType controller: validates a definition (spec 1.6) and makes its table follow it at once.

Custom DocTypes (``custom: 1``) may be created, changed and deleted through the API by anyone with
the rights on DocType; standard ones only in developer mode (and docframe never writes DocType
files, so a new DocType must be custom). On save the table is created or extended in the same
transaction (columns and indexes are only added; a removed field keeps its column and a changed
type is reported, not altered) and the shared metadata version is raised, so every process drops
its cached meta. Deleting a custom DocType drops its table (or its Single values).

The rules that need no database are in :mod:`docframe.meta.validate`; the ones here read the
current table (duplicate values under a new ``unique``, an autoincrement switch with rows) or the
DocType table (a naming-series prefix used elsewhere, Table fields that use a child DocType).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import Table

from docframe import errors
from docframe.db.repos import doctypes
from docframe.meta import validate as rules
from docframe.meta.fieldtypes import NO_VALUE_TYPES, TABLE_TYPES
from docframe.meta.loader import load_meta
from docframe.meta.schema import Meta
from docframe.migrate.apply import apply, drop_table, plan
from docframe.migrate.diff import Notice
from docframe.model import naming
from docframe.model.document import Document, controller_class

__all__ = [
    "CannotCreateStandardDoctypeError",
    "CannotIndexedError",
    "DocType",
    "DoctypeLinkError",
    "HiddenAndMandatoryWithoutDefaultError",
    "IllegalMandatoryError",
    "InvalidFieldNameError",
    "NonUniqueError",
    "UniqueFieldnameError",
    "WrongOptionsDoctypeLinkError",
]

InvalidFieldNameError = rules.InvalidFieldNameError
UniqueFieldnameError = rules.UniqueFieldnameError
IllegalMandatoryError = rules.IllegalMandatoryError
DoctypeLinkError = rules.DoctypeLinkError
WrongOptionsDoctypeLinkError = rules.WrongOptionsDoctypeLinkError
HiddenAndMandatoryWithoutDefaultError = rules.HiddenAndMandatoryWithoutDefaultError
NonUniqueError = rules.NonUniqueError
CannotIndexedError = rules.CannotIndexedError
CannotCreateStandardDoctypeError = rules.CannotCreateStandardDoctypeError

DEVELOPER_MODE_ONLY = "Not in Developer Mode! Set in site_config.json or make 'Custom' DocType."
#: Core DocTypes whose fieldnames are not checked against controller attributes (as in Frappe).
CORE_DOCTYPES = frozenset({"Custom DocPerm", "DocPerm", "Custom Field", "Customize Form Field", "DocField"})


def _attributes(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """The (properties, methods) of a controller class, as Frappe compares fieldnames with them."""
    names = [n for n in dir(cls) if not n.startswith("__")]
    props = frozenset(n for n in names if isinstance(getattr(cls, n, None), property))
    methods = frozenset(n for n in names if n not in props and callable(getattr(cls, n, None)))
    return props, methods


class DocType(Document):
    """The DocType DocType."""

    # -- validate ------------------------------------------------------------------------------------

    def validate(self) -> None:
        """Check who may save this DocType, its name, fields, naming and permission rules."""
        self._check_developer_mode()
        rules.check_name(self.name)
        name = str(self.name)
        fields = self._rows("fields")
        rules.prepare(self.field_values(), fields, [])
        if self.get("istable"):
            self.set("permissions", [])
        rules.check_fieldnames(name, fields)
        _default_in_list_view(fields)
        rules.check_autoname(self.field_values(), fields)
        self._check_series_prefix()
        self._check_table_kind_switch()
        self._check_autoincrement_switch()
        rules.check_fields(self.field_values(), fields, self._lookup)
        rules.check_properties(self.field_values(), fields)
        if not self.get("istable"):
            for note in rules.check_permissions(self.field_values(), self._rows("permissions")):
                self.ctx.msgprint(note)
        for row in rules.framework_fields(self.field_values(), fields):
            self._append_row("fields", row)
        self._check_unique_values()
        self._check_field_conflicts()

    def _rows(self, fieldname: str) -> list[MutableMapping[str, Any]]:
        return [row.field_values() for row in self.get_table(fieldname)]

    def _current_meta(self) -> Meta | None:
        """The DocType as it is stored now (None on insert)."""
        metas, name = self.ctx.site.metas, str(self.name)
        if self.is_new() or not metas.exists(name, self.ctx.conn):
            return None
        return metas.get(name, self.ctx.conn)

    def _check_developer_mode(self) -> None:
        ctx = self.ctx
        name = str(self.name or "")
        standard = ctx.site.metas.is_standard(name)
        if not self.custom and not ctx.in_install and not ctx.site.settings.developer_mode:
            raise CannotCreateStandardDoctypeError(DEVELOPER_MODE_ONLY)
        if self.get("is_virtual") and self.custom:
            raise CannotCreateStandardDoctypeError("Not allowed to create custom Virtual DocType.")
        if self.custom and standard:
            if self.is_new():
                raise errors.DuplicateEntryError(f"DocType {name} already exists", title="Duplicate Name")
            raise errors.ValidationError(f"DocType {name} is a standard DocType and cannot be made Custom")
        if not self.custom and not standard and not ctx.in_install:
            raise errors.ValidationError(
                f"docframe does not write DocType files: save {name} as a Custom DocType (custom: 1)"
            )

    def _lookup(self, doctype: str) -> Meta | None:
        """The meta of ``doctype`` (any case), for Link and Table options."""
        metas, conn = self.ctx.site.metas, self.ctx.conn
        if metas.exists(doctype, conn):
            return metas.get(doctype, conn)
        wanted = doctype.lower()
        for name in metas.all_names(conn):
            if name.lower() == wanted:
                return metas.get(name, conn)
        return None

    def _append_row(self, fieldname: str, values: MutableMapping[str, Any]) -> None:
        """Add a framework row (``amended_from``, tree fields) with its name and timestamps."""
        row = self.append(fieldname, values)
        naming.name_new_rows(self.ctx, self)
        for key in ("owner", "creation", "modified", "modified_by", "docstatus"):
            row.set(key, self.get(key))
        row.mark_new(True)

    def _check_series_prefix(self) -> None:
        prefix = rules.series_prefix(str(self.get("autoname") or ""))
        if prefix is None:
            return
        table = self.ctx.site.tables.get(self.meta)
        used = doctypes.series_user(self.ctx.conn, table, prefix, str(self.name))
        if used:
            raise errors.ValidationError(f"Series {prefix} already used in {used}")

    def _stored_table(self, meta: Meta | None) -> Table | None:
        if meta is None or not meta.has_table:
            return None
        return self.ctx.site.tables.get(meta)

    def _check_table_kind_switch(self) -> None:
        """A stored DocType stays a child table, a Single or an ordinary DocType (its table depends on it)."""
        current = self._current_meta()
        if current is None:
            return
        for key, label, was in (
            ("istable", "Is Child Table", current.istable),
            ("issingle", "Is Single", current.issingle),
        ):
            if bool(was) != (str(self.get(key) or 0) not in ("0", "", "False", "false")):
                raise errors.ValidationError(f"Cannot change {label} of the existing DocType {current.name}")

    def _check_autoincrement_switch(self) -> None:
        current = self._current_meta()
        if current is None or current.issingle:
            return
        was = current.autoname == "autoincrement"
        if was == (self.get("autoname") == "autoincrement"):
            return
        table = self._stored_table(current)
        if table is not None and doctypes.has_rows(self.ctx.conn, table):
            raise errors.ValidationError(
                "Can only change to/from Autoincrement naming rule when there is no data in the doctype"
            )
        self.flags.extra["rebuild_table"] = True

    def _check_unique_values(self) -> None:
        current = self._current_meta()
        table = self._stored_table(current)
        if current is None or table is None:
            return
        label = str(self.name)
        for row in self._rows("fields"):
            column = table.c.get(str(row.get("fieldname")))
            if not row.get("unique") or column is None:
                continue
            blank_counts = current.fields_by_name[column.name].fieldtype in ("Int", "Check")
            if doctypes.has_duplicates(self.ctx.conn, table, column.name, blank_counts=blank_counts):
                raise NonUniqueError(
                    f"{label}: Field '{row.get('label') or None}' cannot be set as Unique as it has non-unique values"
                )

    def _check_field_conflicts(self) -> None:
        if str(self.name) in CORE_DOCTYPES:
            return
        controller = controller_class(self.ctx.site, self._draft_meta())
        props, methods = _attributes(controller)
        for row in self._rows("fields"):
            fieldname = str(row.get("fieldname"))
            if row.get("fieldtype") in NO_VALUE_TYPES:
                continue
            kind = "controller method" if fieldname in methods else None
            if fieldname in props and not row.get("is_virtual"):
                kind = "class property"
            if kind:
                label = row.get("label") or fieldname
                raise errors.ValidationError(
                    f"Fieldname '{label}' conflicting with a {kind} of the name {fieldname} in {self.name}"
                )

    def _draft_meta(self) -> Meta:
        """The meta this definition describes (not cached anywhere)."""
        return load_meta(self.as_dict())

    # -- after save: the table follows ------------------------------------------------------------------

    def on_update(self) -> None:
        """Create or extend the table now (same transaction); raise the metadata version."""
        ctx = self.ctx
        if ctx.in_install or not self.custom:
            return
        meta = self._draft_meta()
        if meta.has_table:
            table = doctypes.detached_table(meta)
            if self.flags.extra.get("rebuild_table"):
                drop_table(ctx.conn, table)  # empty (checked in validate): its name column changes type
            ops = plan(ctx.conn, table)
            apply(ctx.conn, ops)
            self._report(ops)
        ctx.site.metadata_changed(ctx, str(self.name))

    def _report(self, notices: list[Any]) -> None:
        """Tell the client about columns the save left alone (a removed field, a changed type)."""
        before = self.flags.extra.get("fields_before")
        for op in notices:
            if not isinstance(op, Notice):
                continue
            if op.kind == "removed_column" and before is not None and op.column not in before:
                continue
            self.ctx.msgprint(f"{op.table}: {op.text}", title="Table kept", indicator="orange")

    def before_validate(self) -> None:
        """Remember which fields the stored definition had (for the notices after save)."""
        current = self._current_meta()
        if current is not None:
            self.flags.extra["fields_before"] = {f.fieldname for f in current.data_fields}

    # -- delete ---------------------------------------------------------------------------------------

    def on_trash(self) -> None:
        """Standard DocTypes need developer mode; a child DocType in use by a Table field stays."""
        if not self.custom and not self.ctx.site.settings.developer_mode:
            raise errors.PermissionError("Standard DocTypes can only be deleted in developer mode")
        docfield = self.ctx.site.tables.get(self.ctx.site.metas.get("DocField", self.ctx.conn))
        user = doctypes.table_field_user(self.ctx.conn, docfield, str(self.name), TABLE_TYPES)
        if user is not None:
            raise errors.LinkExistsError(
                f"Cannot delete or cancel because DocType {self.name} is linked with DocType {user}",
                title="Cannot delete or cancel",
            )

    def after_delete(self) -> None:
        """Drop the table (or the Single values) of the deleted DocType; raise the version."""
        ctx = self.ctx
        meta = self._draft_meta()
        if meta.has_table:
            drop_table(ctx.conn, doctypes.detached_table(meta))
        if meta.issingle:
            doctypes.delete_single_values(ctx.conn, ctx.site.tables.framework.singles, meta.name)
        ctx.site.metadata_changed(ctx, meta.name)


def _default_in_list_view(fields: list[MutableMapping[str, Any]]) -> None:
    """Frappe marks the first four visible mandatory fields ``in_list_view`` when none is."""
    if any(row.get("in_list_view") for row in fields):
        return
    marked = 0
    for row in fields:
        if row.get("reqd") and not row.get("hidden") and row.get("fieldtype") not in TABLE_TYPES:
            row["in_list_view"] = 1
            marked += 1
            if marked == 4:
                break
