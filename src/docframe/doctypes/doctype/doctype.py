"""DocType controller: validates a definition and makes its table follow it at once.

Custom DocTypes (``custom: 1``) may be created and changed through the API by anyone with write
permission on DocType; standard ones only in developer mode. On save the table is created or
extended in the same transaction and every process's cached meta is dropped after commit.
"""

from __future__ import annotations

import re

from docframe import errors
from docframe.meta.fieldtypes import DATA_FIELD_TYPES, NO_VALUE_TYPES, RESERVED_FIELDNAMES
from docframe.meta.loader import load_meta
from docframe.migrate.apply import sync_table
from docframe.model.document import Document

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]*$")
_FIELDNAME_STRIP = re.compile(r"[\'\",./%@()<>{}]")
_FIELDNAME_OK = re.compile(r"^\w+$", re.UNICODE)
VALID_FIELDTYPES = DATA_FIELD_TYPES | NO_VALUE_TYPES


class DocType(Document):
    """The DocType DocType."""

    def validate(self) -> None:
        """Check the name, the fields and who may change this DocType."""
        name = str(self.name or "")
        if len(name) > 61:
            raise errors.NameError(f"Doctype name is limited to 61 characters ({name})")
        if name != name.strip():
            raise errors.NameError("DocType's name should not start or end with whitespace")
        if not _NAME.match(name):
            raise errors.NameError(
                "A DocType's name should start with a letter and can only consist of letters, numbers, "
                "spaces, underscores and hyphens"
            )
        if not self.custom and not self.ctx.in_install and not self.ctx.site.settings.developer_mode:
            raise errors.ValidationError(
                "Not in Developer Mode! Set in site_config.json or make 'Custom' DocType."
            )
        if self.custom and self.ctx.site.metas.is_standard(name):
            raise errors.ValidationError(f"DocType {name} is a standard DocType and cannot be replaced")
        if not self.module:
            self._data["module"] = "Custom"
        self._check_fields()

    def _check_fields(self) -> None:
        seen: dict[str, int] = {}
        for row in self.get_table("fields"):
            fieldtype = row.fieldtype or "Data"
            if fieldtype not in VALID_FIELDTYPES:
                raise errors.ValidationError(f"Row #{row.idx}: Invalid fieldtype {fieldtype}")
            fieldname = row.fieldname
            if not fieldname and row.label:
                fieldname = re.sub(r"\s+", "_", str(row.label).strip().lower()).rstrip("?")
            if not fieldname:
                if fieldtype in NO_VALUE_TYPES and fieldtype not in ("Table", "Table MultiSelect"):
                    fieldname = f"{fieldtype.lower().replace(' ', '_')}_{row.idx}"
                else:
                    raise errors.ValidationError(f"Row #{row.idx}: Fieldname is required")
            fieldname = _FIELDNAME_STRIP.sub("", str(fieldname)).lower()
            if not _FIELDNAME_OK.match(fieldname):
                raise errors.InvalidColumnName(f"Fieldname {fieldname} cannot have special characters")
            if fieldname in RESERVED_FIELDNAMES:
                raise errors.ValidationError(f"Fieldname {fieldname} is restricted")
            if len(fieldname) > 64:
                raise errors.ValidationError(f"Fieldname is limited to 64 characters ({fieldname})")
            if fieldname in seen:
                raise errors.ValidationError(
                    f"{self.name}: Fieldname {fieldname} appears multiple times in rows {seen[fieldname]}, {row.idx}"
                )
            seen[fieldname] = row.idx
            row._data["fieldname"] = fieldname
            row._data["fieldtype"] = fieldtype
            if fieldtype in ("Link", "Table", "Table MultiSelect") and not row.options:
                raise errors.ValidationError(
                    f"Row #{row.idx}: Options required for {fieldtype} field {fieldname}"
                )
            if fieldtype in ("Table", "Table MultiSelect"):
                metas = self.ctx.site.metas
                if (
                    not metas.exists(str(row.options), self.ctx.conn)
                    or not metas.get(str(row.options), self.ctx.conn).istable
                ):
                    raise errors.ValidationError(
                        f"Row #{row.idx}: {row.options} is not a child table DocType"
                    )

    def on_update(self) -> None:
        """Create or extend the table now; drop cached meta everywhere after commit."""
        ctx = self.ctx
        if ctx.in_install or not self.custom:
            return
        meta = load_meta(self.as_dict())
        if meta.has_table:
            sync_table(ctx.conn, ctx.site.tables.get(meta))
        name = str(self.name)

        def forget() -> None:
            ctx.site.metas.invalidate(name)
            ctx.site.tables.forget(name)

        ctx.after_commit.append(forget)

    def on_trash(self) -> None:
        """Standard DocTypes cannot be deleted through the API."""
        if not self.custom and not self.ctx.site.settings.developer_mode:
            raise errors.PermissionError("Standard DocTypes can only be deleted in developer mode")

    def after_delete(self) -> None:
        """Drop the table of a deleted custom DocType and forget its meta."""
        ctx = self.ctx
        name = str(self.name)
        meta = load_meta(self.as_dict())
        if meta.has_table:
            ctx.site.tables.get(meta).drop(ctx.conn, checkfirst=True)
        ctx.site.tables.forget(name)
        ctx.after_commit.append(lambda: ctx.site.metas.invalidate(name))
        ctx.site.metas.invalidate(name)
