"""Document: one record of a DocType in memory, its child rows, and the controller hooks it declares.

Values live in one dict keyed by column; fields read and write as attributes (``doc.status``), and
an attribute that is neither a field nor a real attribute raises ``AttributeError`` (no silent
``None`` for typos). Saving, naming and validation are not here: :mod:`docframe.model.lifecycle`
runs a document through the ordered steps of each action and calls the hooks declared below.

The public methods are Frappe's Document API (``get``, ``set``, ``append``, ``as_dict``, ``save``,
``db_set``, ``run_method``, ``check_permission``...; docs/building-apps.md lists them); no module outside
:mod:`docframe.model` reads or writes the values dict itself. The methods that reach the database
(``insert``, ``save``, ``delete``, ``reload``, ``db_set``, ``db_get``) and the permission checks act
through the document's context and the :class:`DocumentActions` that :mod:`docframe.model.lifecycle`
binds when it is imported (it imports this module, so this module cannot import it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from docframe import errors
from docframe.meta.controllers import controller_class_name
from docframe.meta.schema import Meta

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = [
    "HOOK_NAMES",
    "DocFlags",
    "Document",
    "DocumentActions",
    "FieldValues",
    "bind_actions",
    "controller_class",
]

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


class DocumentActions(Protocol):
    """What a document does through its context: database work and permission checks."""

    def insert(self, doc: Document, *, set_name: Any, ignore_permissions: bool) -> None:
        """Run the insert lifecycle."""

    def save(self, doc: Document, *, ignore_permissions: bool) -> None:
        """Run the save lifecycle (insert for a new document)."""

    def delete(self, doc: Document, *, ignore_permissions: bool) -> None:
        """Run the delete lifecycle."""

    def load(self, doc: Document) -> Document:
        """The stored state of ``doc`` (by its DocType and name), freshly read."""

    def write_values(self, doc: Document, values: dict[str, Any]) -> None:
        """Write ``values`` (columns of ``doc``) to its stored row, with no lifecycle."""

    def read_value(self, doc: Document, fieldname: str) -> Any:
        """The stored value of column ``fieldname`` of ``doc``."""

    def notify(self, doc: Document) -> None:
        """Queue the realtime ``doc_update`` of ``doc`` for after the commit."""

    def has_permission(self, doc: Document, ptype: str) -> bool:
        """Whether the context's user may ``ptype`` the document."""

    def check_permission(self, doc: Document, ptype: str) -> None:
        """Raise PermissionError unless the context's user may ``ptype`` the document."""


_actions: list[DocumentActions] = []


def bind_actions(actions: DocumentActions) -> None:
    """Install the implementation of the document actions (called once, by the lifecycle module)."""
    _actions[:] = [actions]


def _bound() -> DocumentActions:
    if not _actions:
        raise RuntimeError("docframe.model.lifecycle is not loaded: document actions are unavailable")
    return _actions[0]


class FieldValues(MutableMapping[str, Any]):
    """A live view of a document's fields (columns and tables) as a mapping.

    Reading gives the stored value (``None`` included, no default); writing a field sets it
    directly, without :meth:`Document.set`'s checks; a key that is not a field raises ``KeyError``
    and no key can be deleted. For code that edits many values as a dict (the DocType rules).
    """

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._values:
            raise KeyError(key)
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("fields of a document cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


#: Row columns a save always rewrites: a table "changed" only when other values did.
_SAVE_STAMPS = frozenset({"modified", "modified_by"})


def _row_values(rows: list[Document]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.values().items() if k not in _SAVE_STAMPS} for row in rows]


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
    #: The name is a random hash chosen by the naming rule (an insert may replace it if it is taken).
    name_generated: bool = False
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
    _doc_before_save: Document | None

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
        object.__setattr__(self, "_doc_before_save", None)
        self._data["docstatus"] = 0
        self._data["idx"] = 0
        for tf in meta.table_fields:
            self._data[tf.fieldname] = []
        if values:
            self.update(values, with_name=True)

    @classmethod
    def from_stored(
        cls,
        meta: Meta,
        data: dict[str, Any],
        extra: dict[str, Any],
        *,
        ctx: Context | None,
        parent_doc: Document | None = None,
    ) -> Document:
        """A document read from the database: ``data`` holds every column of :attr:`Meta.read_fields`
        (taken as it is, not copied), ``extra`` the underscore values kept beside them; each table
        field starts as an empty list. The same document ``__init__`` would give, set in one step,
        unless the controller has its own ``__init__`` (which then runs)."""
        if cls.__init__ is not Document.__init__:
            doc = cls(meta, ctx=ctx, parent_doc=parent_doc)
            doc._data.update(data)
            doc._extra.update(extra)
            object.__setattr__(doc, "_loaded_modified", data.get("modified"))
        else:
            doc = cls.__new__(cls)
            for tf in meta.table_fields:
                data[tf.fieldname] = []
            vars(doc).update(
                meta=meta,
                _ctx=ctx,
                parent_doc=parent_doc,
                flags=DocFlags(),
                _data=data,
                _new=False,
                _loaded_modified=data.get("modified"),
                _extra=extra,
                _doc_before_save=None,
            )
        return doc

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

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is a field of the document (a column or a table): ``"status" in doc``."""
        return key in self._data

    def field_values(self) -> FieldValues:
        """A live mapping of the document's fields (see :class:`FieldValues`)."""
        return FieldValues(self._data)

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

    def extend(self, fieldname: str, rows: list[Mapping[str, Any] | Document]) -> None:
        """Append every row of ``rows`` to table ``fieldname``."""
        for row in rows:
            self.append(fieldname, row)

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
        value_of = self._data.get
        for key in self.meta.read_fields:
            value = value_of(key)
            if value is None and no_nulls:
                continue
            out[key] = value
        out["doctype"] = self.meta.name
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

    def get_valid_dict(self) -> dict[str, Any]:
        """Frappe's name for :meth:`values`: a copy of the column values (no tables, no ``doctype``)."""
        return self.values()

    def get_value(self, fieldname: str) -> Any:
        """The value of ``fieldname`` as held (``None`` when unset; no default)."""
        return self.get(fieldname)

    def get_title(self) -> Any:
        """The document's title: its ``title_field``, else ``title``, else its name."""
        return self.get(self.meta.title_fieldname) or self.name

    def is_child_table(self) -> bool:
        """Whether this is a row of a child table (its DocType is a table)."""
        return bool(self.meta.istable)

    def get_doc_before_save(self) -> Document | None:
        """The document as stored when the running save started (``None`` on insert or outside a save)."""
        return self._doc_before_save

    def has_value_changed(self, fieldname: str) -> bool:
        """Whether ``fieldname`` differs from the stored state at the start of the save (True on insert).

        A table changed when a row was added, removed, reordered or edited (save timestamps aside).
        """
        before = self._doc_before_save
        if before is None:
            return True
        if fieldname in self.meta.fields_by_name and self.meta.fields_by_name[fieldname].is_table:
            return _row_values(before.get_table(fieldname)) != _row_values(self.get_table(fieldname))
        return bool(before.get(fieldname) != self.get(fieldname))

    def refresh_from(self, other: Document) -> None:
        """Take the values, rows and stored timestamp of ``other`` (a freshly loaded copy)."""
        object.__setattr__(self, "_data", other._data)
        object.__setattr__(self, "_extra", other._extra)
        object.__setattr__(self, "_loaded_modified", other._loaded_modified)
        for child in self.all_children():
            object.__setattr__(child, "parent_doc", self)

    def remember_stored(self, stored: Document | None) -> None:
        """Keep ``stored`` as the state before the running save (see :meth:`get_doc_before_save`)."""
        object.__setattr__(self, "_doc_before_save", stored)

    # -- actions (Frappe's Document API; through the document's context) -----------------------------

    def insert(self, *, ignore_permissions: bool = False, set_name: Any = None) -> Document:
        """Insert this new document (the whole insert lifecycle); returns it, named."""
        _bound().insert(self, set_name=set_name, ignore_permissions=ignore_permissions)
        return self

    def save(self, *, ignore_permissions: bool = False) -> Document:
        """Save the document (the save lifecycle; a new document is inserted); returns it."""
        _bound().save(self, ignore_permissions=ignore_permissions)
        return self

    def submit(self) -> Document:
        """Submit the document: ``docstatus`` 1, then :meth:`save`."""
        self.set("docstatus", 1)
        return self.save()

    def cancel(self) -> Document:
        """Cancel the submitted document: ``docstatus`` 2, then :meth:`save`."""
        self.set("docstatus", 2)
        return self.save()

    def delete(self, *, ignore_permissions: bool = False) -> None:
        """Delete the stored document (the delete lifecycle)."""
        _bound().delete(self, ignore_permissions=ignore_permissions)

    def reload(self) -> Document:
        """Replace the values and rows by the stored ones (Frappe's ``reload``/``load_from_db``)."""
        self.refresh_from(_bound().load(self))
        return self

    def db_set(
        self,
        fieldname: str | Mapping[str, Any],
        value: Any = None,
        *,
        update_modified: bool = True,
        notify: bool = False,
    ) -> None:
        """Set one field (or a mapping of fields) and write it to the stored row at once.

        No validation and no save hooks (Frappe's ``db_set``): ``modified``/``modified_by`` move on
        unless ``update_modified`` is false, ``before_change`` and ``on_change`` run through
        :meth:`run_method`, and ``notify`` queues the realtime ``doc_update``. Only columns can be
        set; the transaction is the unit of work's (committed when it ends).
        """
        values = dict(fieldname) if isinstance(fieldname, Mapping) else {fieldname: value}
        for key in values:
            field_def = self.meta.fields_by_name.get(key)
            if key not in self._data or (field_def is not None and field_def.is_table):
                raise errors.DataError(f"{key} is not a column of {self.doctype}")
        for key, item in values.items():
            self.set(key, item)
        if update_modified:
            values["modified"] = self._data["modified"] = self.ctx.now()
            values["modified_by"] = self._data["modified_by"] = self.ctx.user.name
        self.run_method("before_change")
        if self.name is None:
            return
        _bound().write_values(self, values)
        object.__setattr__(self, "_loaded_modified", self._data.get("modified"))
        self.run_method("on_change")
        if notify:
            _bound().notify(self)

    def db_get(self, fieldname: str) -> Any:
        """The value of column ``fieldname`` as stored now (not the value held in memory)."""
        field_def = self.meta.fields_by_name.get(fieldname)
        if fieldname not in self._data or (field_def is not None and field_def.is_table):
            raise errors.DataError(f"{fieldname} is not a column of {self.doctype}")
        return _bound().read_value(self, fieldname)

    def run_method(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call the controller method ``method`` (if any), then the apps' ``doc_events`` for it.

        Returns what the controller method returned (``None`` when there is none).
        """
        func = getattr(self, method, None)
        result = func(*args, **kwargs) if callable(func) else None
        if self._ctx is not None:
            hooks = self._ctx.site.hooks
            for handler in hooks.doc_event_handlers(self.doctype, method):
                handler(self, method)
            for listener in hooks.framework_listeners:  # docframe's own (webhooks, ...)
                listener(self, method)
        return result

    def has_permission(self, ptype: str = "read") -> bool:
        """Whether the context's user may ``ptype`` this document (roles, owner, shares, User
        Permissions, the controller's rule); a document without a context is refused (False)."""
        if self._ctx is None:
            return False
        return _bound().has_permission(self, ptype)

    def check_permission(self, ptype: str = "read") -> None:
        """Raise PermissionError (403) unless the context's user may ``ptype`` this document."""
        if self._ctx is None:
            raise errors.PermissionError(
                f"No permission for {self.doctype}: the document has no context", title="Not Permitted"
            )
        _bound().check_permission(self, ptype)

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
