"""Field types: every DocField ``fieldtype`` and the classes the model sorts them into."""

from __future__ import annotations

__all__ = [
    "ATTACH_TYPES",
    "CHILD_FIELDS",
    "DATA_FIELD_TYPES",
    "DATETIME_TYPES",
    "DEFAULT_FIELDS",
    "DISPLAY_TYPES",
    "EMAIL_TEXT_TYPES",
    "FLOAT_TYPES",
    "INT_TYPES",
    "LONG_TEXT_TYPES",
    "NO_VALUE_TYPES",
    "NUMERIC_TYPES",
    "OPTIONAL_FIELDS",
    "RESERVED_FIELDNAMES",
    "SIZED_TYPES",
    "STANDARD_FIELDS",
    "TABLE_TYPES",
    "TEXT_TYPES",
    "VARCHAR_TYPES",
    "XSS_SKIPPED_TYPES",
]

#: Types that get a column and are persisted.
DATA_FIELD_TYPES: frozenset[str] = frozenset(
    {
        "Currency", "Int", "Long Int", "Float", "Percent", "Check", "Small Text", "Long Text", "Code",
        "Text Editor", "Markdown Editor", "HTML Editor", "Date", "Datetime", "Time", "Text", "Data",
        "Link", "Dynamic Link", "Password", "Select", "Rating", "Read Only", "Attach", "Attach Image",
        "Signature", "Color", "Barcode", "Geolocation", "Duration", "Icon", "Phone", "Autocomplete",
        "JSON",
    }
)  # fmt: skip
TABLE_TYPES: frozenset[str] = frozenset({"Table", "Table MultiSelect"})
NO_VALUE_TYPES: frozenset[str] = frozenset(
    {"Section Break", "Column Break", "Tab Break", "HTML", "Table", "Table MultiSelect", "Button",
     "Image", "Fold", "Heading"}
)  # fmt: skip
DISPLAY_TYPES: frozenset[str] = NO_VALUE_TYPES - TABLE_TYPES
INT_TYPES: frozenset[str] = frozenset({"Int", "Long Int", "Check"})
FLOAT_TYPES: frozenset[str] = frozenset({"Float", "Currency", "Percent", "Duration", "Rating"})
NUMERIC_TYPES: frozenset[str] = INT_TYPES | FLOAT_TYPES
DATETIME_TYPES: frozenset[str] = frozenset({"Date", "Datetime", "Time"})
ATTACH_TYPES: frozenset[str] = frozenset({"Attach", "Attach Image"})
VARCHAR_TYPES: frozenset[str] = frozenset(
    {"Data", "Link", "Dynamic Link", "Select", "Read Only", "Color", "Icon", "Phone", "Autocomplete"}
)
#: Types whose column bounds a value (varchar length, integer width, decimal(21,9)).
SIZED_TYPES: frozenset[str] = VARCHAR_TYPES | {"Int", "Long Int", "Float", "Currency", "Percent", "Duration"}
#: Types whose text is never HTML-sanitised on save.
XSS_SKIPPED_TYPES: frozenset[str] = frozenset(
    {"Attach", "Attach Image", "Barcode", "Code", "Password", "JSON"}
)
#: Text types that hold e-mail addresses (not sanitised) when their options say ``Email``.
EMAIL_TEXT_TYPES: frozenset[str] = frozenset({"Data", "Small Text", "Text"})
TEXT_TYPES: frozenset[str] = frozenset({"Small Text", "Text", "Password", "Attach", "Attach Image"})
LONG_TEXT_TYPES: frozenset[str] = frozenset(
    {"Long Text", "Code", "Text Editor", "Markdown Editor", "HTML Editor", "Signature", "Barcode",
     "Geolocation", "JSON"}
)  # fmt: skip

#: Columns every document has, in table order.
DEFAULT_FIELDS: tuple[str, ...] = (
    "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx",
)  # fmt: skip
#: Extra standard columns of child-table rows.
CHILD_FIELDS: tuple[str, ...] = ("parent", "parentfield", "parenttype")
#: Underscore columns added to every non-child table.
OPTIONAL_FIELDS: tuple[str, ...] = ("_user_tags", "_comments", "_assign", "_liked_by")
STANDARD_FIELDS: frozenset[str] = frozenset(DEFAULT_FIELDS + CHILD_FIELDS + OPTIONAL_FIELDS + ("_seen",))

#: Fieldnames a DocType may not declare.
RESERVED_FIELDNAMES: frozenset[str] = frozenset(
    {"name", "parent", "creation", "owner", "modified", "modified_by", "parentfield", "parenttype",
     "file_list", "flags", "docstatus", "doctype", "meta", "parent_doc", "idx"}
)  # fmt: skip
