"""Typed metadata: the DocType, DocField and DocPerm records every stage consults.

A :class:`Meta` is immutable once built (by :mod:`docframe.meta.loader`) and carries the derived
sets the model and query layers need (valid columns, table fields, link fields), computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from docframe.meta.fieldtypes import (
    CHILD_FIELDS,
    DATA_FIELD_TYPES,
    DEFAULT_FIELDS,
    DISPLAY_TYPES,
    EMAIL_TEXT_TYPES,
    OPTIONAL_FIELDS,
    SIZED_TYPES,
    TABLE_TYPES,
    XSS_SKIPPED_TYPES,
)

__all__ = ["PERM_TYPES", "DocFieldDef", "DocPermDef", "Meta", "scrub", "table_name"]

PERM_TYPES: tuple[str, ...] = (
    "select", "read", "write", "create", "delete", "submit", "cancel", "amend", "report", "export",
    "import", "share", "print", "email",
)  # fmt: skip


def scrub(text: str) -> str:
    """Frappe's ``scrub``: lower-case with spaces and hyphens as underscores."""
    return text.replace(" ", "_").replace("-", "_").lower()


def table_name(doctype: str) -> str:
    """The table that stores rows of ``doctype``."""
    return "tab" + doctype


@dataclass(frozen=True, slots=True)
class DocFieldDef:
    """One field of a DocType, with falsy defaults for every key a JSON file may omit."""

    fieldname: str
    fieldtype: str = "Data"
    label: str = ""
    options: str = ""
    reqd: bool = False
    unique: bool = False
    default: str | None = None
    permlevel: int = 0
    search_index: bool = False
    length: int = 0
    precision: str = ""
    non_negative: bool = False
    set_only_once: bool = False
    allow_on_submit: bool = False
    no_copy: bool = False
    fetch_from: str = ""
    fetch_if_empty: bool = False
    ignore_user_permissions: bool = False
    ignore_xss_filter: bool = False
    is_virtual: bool = False
    read_only: bool = False
    hidden: bool = False
    in_list_view: bool = False
    not_nullable: bool = False
    idx: int = 0
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def display_label(self) -> str:
        """The label shown in messages (the fieldname when there is no label)."""
        return self.label or self.fieldname

    @property
    def has_column(self) -> bool:
        """Whether the field is stored in a column of its DocType's table."""
        return self.fieldtype in DATA_FIELD_TYPES and not self.is_virtual

    @property
    def is_table(self) -> bool:
        """Whether the field holds child rows."""
        return self.fieldtype in TABLE_TYPES

    @property
    def select_options(self) -> tuple[str, ...]:
        """The choices of a Select field (one per line)."""
        return _option_lines(self.options or "")


@dataclass(frozen=True, slots=True)
class DocPermDef:
    """One permission rule: a role, a level, an owner switch and the rights it grants."""

    role: str
    permlevel: int = 0
    if_owner: bool = False
    rights: frozenset[str] = frozenset()

    def grants(self, ptype: str) -> bool:
        """Whether this rule grants ``ptype`` (read, write, create, ...)."""
        return ptype in self.rights


@dataclass(frozen=True)
class Meta:
    """The effective definition of one DocType."""

    name: str
    module: str = "Custom"
    custom: bool = False
    istable: bool = False
    issingle: bool = False
    is_submittable: bool = False
    is_tree: bool = False
    is_virtual: bool = False
    autoname: str = ""
    title_field: str = ""
    search_fields: str = ""
    sort_field: str = "creation"
    sort_order: str = "DESC"
    track_changes: bool = False
    track_seen: bool = False
    allow_rename: bool = False
    nsm_parent_field: str = ""
    fields: tuple[DocFieldDef, ...] = ()
    permissions: tuple[DocPermDef, ...] = ()
    modified: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def table(self) -> str:
        """Name of the table holding this DocType's rows."""
        return table_name(self.name)

    @property
    def has_table(self) -> bool:
        """Whether rows live in a table of their own (not Single, not virtual)."""
        return not self.issingle and not self.is_virtual

    @cached_property
    def fields_by_name(self) -> dict[str, DocFieldDef]:
        """Fields keyed by fieldname."""
        return {f.fieldname: f for f in self.fields if f.fieldname}

    @cached_property
    def data_fields(self) -> tuple[DocFieldDef, ...]:
        """Fields that are stored in a column."""
        return tuple(f for f in self.fields if f.has_column and f.fieldname not in DEFAULT_FIELDS)

    @cached_property
    def table_fields(self) -> tuple[DocFieldDef, ...]:
        """Fields that hold child rows."""
        return tuple(f for f in self.fields if f.is_table)

    @cached_property
    def link_fields(self) -> tuple[DocFieldDef, ...]:
        """Link and Dynamic Link fields."""
        return tuple(f for f in self.data_fields if f.fieldtype in ("Link", "Dynamic Link"))

    # -- the fields each check of a save looks at (so a save never walks fields a check skips) ------

    @cached_property
    def mandatory_fields(self) -> tuple[DocFieldDef, ...]:
        """``reqd`` fields that hold a value or rows (the mandatory check)."""
        return tuple(f for f in self.fields if f.reqd and (f.has_column or f.is_table))

    @cached_property
    def select_fields(self) -> tuple[DocFieldDef, ...]:
        """Select fields with options, ``naming_series`` aside (the options check)."""
        return tuple(
            f
            for f in self.data_fields
            if f.fieldtype == "Select" and f.fieldname != "naming_series" and any(f.select_options)
        )

    @cached_property
    def data_option_fields(self) -> tuple[tuple[DocFieldDef, str], ...]:
        """``(field, option)`` of Data fields with options (Email, Name, Phone, URL...)."""
        return tuple((f, f.options.strip()) for f in self.data_fields if f.fieldtype == "Data" and f.options)

    @cached_property
    def non_negative_fields(self) -> tuple[DocFieldDef, ...]:
        """``non_negative`` Int, Float and Currency fields."""
        return tuple(
            f for f in self.data_fields if f.non_negative and f.fieldtype in ("Int", "Float", "Currency")
        )

    @cached_property
    def sized_fields(self) -> tuple[DocFieldDef, ...]:
        """Fields whose column bounds the value: varchar text, integers and decimals."""
        return tuple(f for f in self.data_fields if f.fieldtype in SIZED_TYPES)

    @cached_property
    def set_only_once_fields(self) -> tuple[DocFieldDef, ...]:
        """``set_only_once`` fields that hold a value or rows."""
        return tuple(f for f in self.fields if f.set_only_once and (f.has_column or f.is_table))

    @cached_property
    def html_checked_fields(self) -> tuple[DocFieldDef, ...]:
        """Data fields whose text is HTML-sanitised on save (the docstatus rules apply on top)."""
        return tuple(
            f
            for f in self.data_fields
            if not f.ignore_xss_filter
            and f.fieldtype not in XSS_SKIPPED_TYPES
            and not (f.fieldtype in EMAIL_TEXT_TYPES and (f.options or "").strip() == "Email")
        )

    @cached_property
    def password_fields(self) -> tuple[DocFieldDef, ...]:
        """Password fields (their values live in ``__Auth``, the column keeps asterisks)."""
        return tuple(f for f in self.data_fields if f.fieldtype == "Password")

    @cached_property
    def versioned_columns(self) -> tuple[str, ...]:
        """Columns of data fields a Version records (every one but passwords)."""
        return tuple(
            f.fieldname
            for f in self.data_fields
            if f.fieldtype != "Password" and f.fieldname not in CHILD_FIELDS
        )

    @cached_property
    def standard_columns(self) -> tuple[str, ...]:
        """Standard columns of the table, in order."""
        cols = DEFAULT_FIELDS
        if self.istable:
            cols = cols + CHILD_FIELDS
        else:
            cols = cols + OPTIONAL_FIELDS + (("_seen",) if self.track_seen else ())
        return cols

    @cached_property
    def valid_columns(self) -> tuple[str, ...]:
        """Columns a document carries: default fields (+ child fields) and data fields."""
        base = DEFAULT_FIELDS + (CHILD_FIELDS if self.istable else ())
        return base + tuple(f.fieldname for f in self.data_fields)

    @cached_property
    def all_columns(self) -> frozenset[str]:
        """Every column of the table, including the underscore columns."""
        return frozenset(self.standard_columns) | {f.fieldname for f in self.data_fields}

    @cached_property
    def high_permlevel_fields(self) -> tuple[DocFieldDef, ...]:
        """Fields above permlevel 0 that hold a value or rows (field-level permissions use them)."""
        return tuple(
            f for f in self.fields if f.permlevel > 0 and f.fieldname and f.fieldtype not in DISPLAY_TYPES
        )

    @cached_property
    def fetch_from_map(self) -> dict[str, tuple[tuple[DocFieldDef, str], ...]]:
        """``link fieldname -> ((field, source column), ...)`` of the ``fetch_from`` fields."""
        found: dict[str, list[tuple[DocFieldDef, str]]] = {}
        for f in self.data_fields:
            source, dot, column = (f.fetch_from or "").partition(".")
            if dot and source and column:
                found.setdefault(source, []).append((f, column))
        return {link: tuple(pairs) for link, pairs in found.items()}

    @cached_property
    def query_columns(self) -> tuple[str, ...]:
        """Columns clients may name in filters and ordering: default fields, then fields with a column."""
        return tuple(dict.fromkeys((*DEFAULT_FIELDS, *(f.fieldname for f in self.fields if f.has_column))))

    @cached_property
    def default_sort(self) -> tuple[tuple[str, str], ...]:
        """The DocType's default ordering as (column, direction) pairs."""
        spec = (self.sort_field or "creation").strip()
        order = (self.sort_order or "DESC").strip().upper()
        pairs: list[tuple[str, str]] = []
        for part in spec.split(","):
            words = part.split()
            if not words:
                continue
            direction = words[1].upper() if len(words) > 1 else order
            pairs.append((words[0].strip("`"), "ASC" if direction == "ASC" else "DESC"))
        return tuple(pairs) or (("creation", "DESC"),)

    @property
    def title_fieldname(self) -> str:
        """The field used as title: ``title_field``, else ``title`` if present, else ``name``."""
        if self.title_field and self.title_field in self.fields_by_name:
            return self.title_field
        return "title" if "title" in self.fields_by_name else "name"

    def get_field(self, fieldname: str) -> DocFieldDef | None:
        """The field called ``fieldname``, or ``None``."""
        return self.fields_by_name.get(fieldname)

    @cached_property
    def naming_rule(self) -> str:
        """The normalised autoname kind: hash, autoincrement, field, naming_series, format, prompt, uuid, series."""
        auto = (self.autoname or "").strip()
        low = auto.lower()
        if not auto or low == "hash":
            return "naming_series" if "naming_series" in self.fields_by_name and not auto else "hash"
        if low == "autoincrement":
            return "autoincrement"
        if low == "prompt":
            return "prompt"
        if low == "uuid":
            return "uuid"
        if low.startswith("field:"):
            return "field"
        if low.startswith("naming_series:"):
            return "naming_series"
        if low.startswith("format:"):
            return "format"
        if "#" in auto:
            return "series"
        return "hash"

    # -- reading one stored row (docframe.model.persistence): worked out once per Meta ------------

    @cached_property
    def read_fields(self) -> tuple[str, ...]:
        """:attr:`valid_columns` without repeats: the keys of a loaded document's values, in order."""
        return tuple(dict.fromkeys(self.valid_columns))

    @cached_property
    def read_columns(self) -> tuple[str, ...]:
        """The columns a stored document is read with: :attr:`read_fields`, then the table's
        underscore columns that are not among them (``_user_tags``, ``_assign``, ``_seen``...), so
        that a row's first ``len(read_fields)`` values are the document's fields."""
        fields = self.read_fields
        return fields + tuple(c for c in dict.fromkeys(self.standard_columns) if c not in fields)

    @cached_property
    def kept_aside_columns(self) -> tuple[tuple[str, int], ...]:
        """``(column, position in read_columns)`` of the underscore columns a loaded document keeps
        beside its fields when they hold a value (tags, likes, comments, assignments, seen-by)."""
        positions = {c: i for i, c in enumerate(self.read_columns)}
        kept = ("_user_tags", "_liked_by", "_comments", "_assign", "_seen")
        return tuple((c, positions[c]) for c in kept if c in positions)


@lru_cache(maxsize=4096)
def _option_lines(options: str) -> tuple[str, ...]:
    """The stripped lines of a Select field's options (validation reads them on every save)."""
    return tuple(line.strip() for line in options.split("\n"))
