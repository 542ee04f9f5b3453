"""Document: one record of a DocType in memory, its child rows, and the controller hooks it declares.

Values live in one dict keyed by column; fields read and write as attributes (``doc.status``), and
an attribute that is neither a field nor a real attribute raises ``AttributeError`` (no silent
``None`` for typos). Saving, naming and validation are not here: :mod:`docframe.model.lifecycle`
runs a document through the ordered steps of each action and calls the hooks declared below.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.meta.controllers import controller_class_name
from docframe.meta.schema import Meta

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = ["HOOK_NAMES", "DocFlags", "Document", "controller_class"]

#: Every controller hook, declared once. Controllers override the ones they need.
HOOK_NAMES: tuple[str, ...] = (
    "before_insert", "before_naming", "autoname", "before_validate", "validate", "before_save",
    "before_submit", "before_cancel", "before_update_after_submit", "after_insert", "on_update",
    "on_submit", "on_cancel", "on_update_after_submit", "on_change", "on_trash", "after_delete",
)  # fmt: skip

#: Keys of a request body that never become values.
_IGNORED_KEYS = frozenset({"doctype", "flags", "meta", "parent_doc", "__islocal", "__unsaved", "__onload"})


def _row_name(name: Any, meta: Meta, table_label: str) -> str | int | None:
    """A child row's name as sent: text, or a whole number for autoincrement rows; else refused."""
    if name is None or name == "":
        return None
    if meta.naming_rule == "autoincrement":
        if isinstance(name, int) and not isinstance(name, bool):
            return name
        text = name.strip() if isinstance(name, str) else ""
        if text.isascii() and text.isdigit():  # superscript and Arabic-Indic digits pass isdigit() alone
            return int(text)
        raise errors.DataError(f"Rows of {table_label}: 'name' must be a whole number")
    if isinstance(name, int | float) and not isinstance(name, bool):
        return str(name)
    if not isinstance(name, str):
        raise errors.DataError(f"Rows of {table_label}: 'name' must be a string")
    return name


@dataclass
class DocFlags:
    """Switches that change how the lifecycle treats one document (Frappe's ``doc.flags``)."""

    ignore_permissions: bool = False
    ignore_links: bool = False
    ignore_mandatory: bool = False
    ignore_validate: bool = False
    ignore_validate_update_after_submit: bool = False
    ignore_version: bool = False
    name_set: bool = False
    in_insert: bool = False
    in_delete: bool = False
    for_update: bool = False
    notify_update: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class Document:
    """A document (or a child row) of one DocType.

    Controllers subclass this and override hooks; every hook takes no argument and reaches the
    unit of work through ``self.ctx``.
    """

    # Set in __init__ with object.__setattr__ (fields live in _data, see __getattr__/__setattr__).
    meta: Meta
    _ctx: Context | None
    parent_doc: Document | None
    flags: DocFlags
    _data: dict[str, Any]
    _new: bool
    _loaded_modified: Any
    _extra: dict[str, Any]

    def __init__(
        self,
        meta: Meta,
        values: Mapping[str, Any] | None = None,
        *,
        ctx: Context | None = None,
        parent_doc: Document | None = None,
        is_new: bool = False,
    ) -> None:
        object.__setattr__(self, "meta", meta)
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "parent_doc", parent_doc)
        object.__setattr__(self, "flags", DocFlags())
        object.__setattr__(self, "_data", dict.fromkeys(meta.valid_columns))
        object.__setattr__(self, "_new", is_new)
        object.__setattr__(self, "_loaded_modified", None)
        object.__setattr__(self, "_extra", {})
        self._data["docstatus"] = 0
        self._data["idx"] = 0
        for tf in meta.table_fields:
            self._data[tf.fieldname] = []
        if values:
            self.update(values, with_name=True)

    # -- attribute access -------------------------------------------------------------------------

    def __getattr__(self, key: str) -> Any:
        data = self.__dict__.get("_data")
        if data is not None and key in data:
            return data[key]
        raise AttributeError(f"{type(self).__name__} has no attribute or field {key!r}")

    def __setattr__(self, key: str, value: Any) -> None:
        if key in self._data:
            self.set(key, value)
        else:
            object.__setattr__(self, key, value)

    @property
    def doctype(self) -> str:
        """The DocType name."""
        return self.meta.name

    @property
    def ctx(self) -> Context:
        """The unit of work this document belongs to."""
        if self._ctx is None:
            raise RuntimeError(f"{self.doctype} {self.name} is not attached to a context")
        return self._ctx

    def attach(self, ctx: Context) -> None:
        """Attach the document (and its child rows) to ``ctx``."""
        object.__setattr__(self, "_ctx", ctx)
        for child in self.all_children():
            object.__setattr__(child, "_ctx", ctx)

    @property
    def name(self) -> Any:
        """The document name (primary key)."""
        return self._data["name"]

    def is_new(self) -> bool:
        """Whether the document has not been inserted yet."""
        return bool(self._new)

    def mark_new(self, value: bool = True) -> None:
        """Flag the document (and its rows) as not yet in the database."""
        object.__setattr__(self, "_new", value)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (``default`` when absent or ``None``)."""
        value = self._data.get(key)
        if value is None:
            value = self._extra.get(key)
        return default if value is None else value

    def set(self, key: str, value: Any) -> None:
        """Set a field; a table field takes a list of row dicts or documents."""
        field_def = self.meta.get_field(key)
        if field_def is not None and field_def.is_table:
            self._set_table(key, value)
        elif key in self._data:
            if isinstance(value, list):
                label = field_def.display_label if field_def else key
                raise errors.DataError(f"Value for {label} cannot be a list")
            self._data[key] = value
        else:
            self._extra[key] = value

    def update(self, values: Mapping[str, Any], *, with_name: bool = False) -> list[str]:
        """Apply ``values`` (a request body); return the keys that are not fields of the DocType."""
        unknown: list[str] = []
        for key, value in values.items():
            if key in _IGNORED_KEYS or (key == "name" and not with_name):
                continue
            if key in self._data:
                self.set(key, value)
            elif key.startswith("_"):
                self._extra[key] = value
            else:
                unknown.append(key)
        return unknown

    # -- child rows --------------------------------------------------------------------------------

    def _set_table(self, fieldname: str, rows: Any) -> None:
        if rows is None:
            rows = []
        if not isinstance(rows, list | tuple):
            label = self.meta.fields_by_name[fieldname].display_label
            raise errors.DataError(f"Value for {label} must be a list of rows")
        self._data[fieldname] = []
        for row in rows:
            self.append(fieldname, row)

    def append(self, fieldname: str, row: Mapping[str, Any] | Document | None = None) -> Document:
        """Add a row to table ``fieldname``; ``idx`` is kept if given, else the next number."""
        field_def = self.meta.get_field(fieldname)
        if field_def is None or not field_def.is_table:
            raise errors.DataError(f"{fieldname} is not a table field of {self.doctype}")
        rows: list[Document] = self._data[fieldname]
        if isinstance(row, Document):
            child = row
            object.__setattr__(child, "parent_doc", self)
        else:
            if row is not None and not isinstance(row, Mapping):
                raise errors.DataError(f"Rows of {field_def.display_label} must be objects")
            child_meta = self._child_meta(field_def.options)
            child = type(self).child_class(self, child_meta)(child_meta, ctx=self._ctx, parent_doc=self)
            if row:
                child.update(row, with_name=True)
                child._data["name"] = _row_name(child.name, child.meta, field_def.display_label)
            child.mark_new(not child.name)
        child._data["parentfield"] = fieldname
        child._data["parenttype"] = self.doctype
        if self.name is not None:
            child._data["parent"] = self.name
        if not child.get("idx"):
            child._data["idx"] = len(rows) + 1
        rows.append(child)
        return child

    def _child_meta(self, doctype: str) -> Meta:
        if self._ctx is None:
            raise RuntimeError("child rows need a context to resolve their DocType")
        meta: Meta = self._ctx.meta(doctype)
        return meta

    @staticmethod
    def child_class(parent: Document, meta: Meta) -> type[Document]:
        """The controller class for rows of ``meta`` (resolved through the parent's site)."""
        if parent._ctx is None:
            return Document
        return controller_class(parent._ctx.site, meta)

    def get_table(self, fieldname: str) -> list[Document]:
        """The rows of table ``fieldname``."""
        rows: list[Document] = self._data.get(fieldname) or []
        return rows

    def all_children(self) -> Iterator[Document]:
        """Every child row of every table field."""
        for tf in self.meta.table_fields:
            yield from self._data.get(tf.fieldname) or []

    # -- output ------------------------------------------------------------------------------------

    def as_dict(self, *, no_nulls: bool = False, no_private: bool = False) -> dict[str, Any]:
        """The wire form: valid columns, ``doctype``, tables as lists of row dicts."""
        out: dict[str, Any] = {}
        for key in self.meta.valid_columns:
            value = self._data.get(key)
            if value is None and no_nulls:
                continue
            out[key] = value
        out["doctype"] = self.doctype
        for tf in self.meta.table_fields:
            out[tf.fieldname] = [
                row.as_dict(no_nulls=no_nulls, no_private=no_private) for row in self._data[tf.fieldname]
            ]
        if not no_private:
            for key in ("_user_tags", "_liked_by"):
                if self._extra.get(key):
                    out[key] = self._extra[key]
            if self._new:
                out["__islocal"] = 1
        return out

    def values(self) -> dict[str, Any]:
        """The column values (no tables), as stored."""
        return {k: self._data[k] for k in self.meta.valid_columns}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.doctype} {self.name!r}>"

    # -- controller hooks (declared; no-ops by default) -------------------------------------------

    def before_insert(self) -> None:
        """Runs before naming, on insert only."""

    def before_naming(self) -> None:
        """Runs just before a name is chosen."""

    def autoname(self) -> None:
        """Set ``self.name`` to name the document in code ("By script" naming)."""

    def before_validate(self) -> None:
        """Runs first among the validation hooks (even with ``ignore_validate``)."""

    def validate(self) -> None:
        """Check the document; raise a ValidationError to refuse it."""

    def before_save(self) -> None:
        """Runs after ``validate`` on draft saves."""

    def before_submit(self) -> None:
        """Runs after ``validate`` when the document is being submitted."""

    def before_cancel(self) -> None:
        """Runs before a submitted document is cancelled."""

    def before_update_after_submit(self) -> None:
        """Runs before allow-on-submit changes are saved."""

    def after_insert(self) -> None:
        """Runs after the row is inserted."""

    def on_update(self) -> None:
        """Runs after every save (insert or update) of a draft or on submit."""

    def on_submit(self) -> None:
        """Runs after the document was submitted."""

    def on_cancel(self) -> None:
        """Runs after the document was cancelled."""

    def on_update_after_submit(self) -> None:
        """Runs after allow-on-submit changes were saved."""

    def on_change(self) -> None:
        """Runs after any change was written."""

    def on_trash(self) -> None:
        """Runs before the document is deleted."""

    def after_delete(self) -> None:
        """Runs after the document was deleted."""


def controller_class(site: Site, meta: Meta) -> type[Document]:
    """The class that runs ``meta``'s hooks on ``site``: its controller, else ``Document`` itself.

    The site's :class:`~docframe.meta.controllers.ControllerRegistry` finds the class named after
    the DocType beside its JSON file; it must subclass ``Document``.
    """
    cls = site.controllers.get(meta)
    if cls is None:
        return Document
    if not issubclass(cls, Document):
        raise TypeError(
            f"{site.metas.module_of.get(meta.name)}.{controller_class_name(meta.name)} "
            "must subclass docframe Document"
        )
    return cls
