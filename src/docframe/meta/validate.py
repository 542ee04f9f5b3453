"""DocType definition checks (spec section 1.6): what Frappe refuses or normalises on DocType save.

Works on plain dicts, so it runs without a database: ``dt`` is the DocType's own values, ``fields``
and ``permissions`` its child rows (each a mutable dict with ``idx``). Checks normalise in place
(fieldnames scrubbed and lower-cased, ``unique`` clears ``search_index``, Select options trimmed,
Link options given their stored spelling) and raise the error class Frappe raises, with Frappe's
message text. Other DocTypes are looked up through a :class:`Lookup` (the site's meta registry).

Checks that need the database (duplicate values under a new ``unique``, a naming-series prefix
used elsewhere, an autoincrement switch on a table with rows) live in the DocType controller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any, ClassVar

from docframe import errors
from docframe.meta.fieldtypes import (
    CHILD_FIELDS,
    DATA_FIELD_TYPES,
    DEFAULT_FIELDS,
    NO_VALUE_TYPES,
    TABLE_TYPES,
    VARCHAR_TYPES,
)
from docframe.meta.schema import PERM_TYPES, Meta, scrub

__all__ = [
    "CannotCreateStandardDoctypeError",
    "CannotIndexedError",
    "DoctypeLinkError",
    "HiddenAndMandatoryWithoutDefaultError",
    "IllegalMandatoryError",
    "InvalidFieldNameError",
    "Lookup",
    "NonUniqueError",
    "UniqueFieldnameError",
    "WrongOptionsDoctypeLinkError",
    "bold",
    "check_autoname",
    "check_fieldnames",
    "check_fields",
    "check_name",
    "check_permissions",
    "check_properties",
    "framework_fields",
    "prepare",
    "series_prefix",
]

_WIRE = "frappe.core.doctype.doctype.doctype"


class _DocTypeError(errors.ValidationError):
    """Base of the errors below: Frappe raises them from its DocType controller module."""

    wire_module: ClassVar[str] = _WIRE


class InvalidFieldNameError(_DocTypeError):
    """A fieldname (or a property naming a field) that is not allowed."""


class UniqueFieldnameError(_DocTypeError):
    """The same fieldname appears in more than one row."""


class IllegalMandatoryError(_DocTypeError):
    """A layout field marked mandatory."""


class DoctypeLinkError(_DocTypeError):
    """A Link or Table field without options."""


class WrongOptionsDoctypeLinkError(_DocTypeError):
    """A Link or Table field whose options name no DocType."""


class HiddenAndMandatoryWithoutDefaultError(_DocTypeError):
    """A hidden mandatory field with no default (nobody could fill it)."""


class NonUniqueError(_DocTypeError):
    """``unique`` on a type that cannot be unique, or over values that are not."""


class CannotIndexedError(_DocTypeError):
    """``search_index`` on a long-text type."""


class CannotCreateStandardDoctypeError(_DocTypeError):
    """A standard (non-custom) DocType saved outside developer mode."""


#: Resolves a DocType name to its meta (exact name first, then any case), or None.
Lookup = Callable[[str], "Meta | None"]

MAX_DOCTYPE_NAME = 61
MAX_FIELDNAME = 64
MAX_COLUMN_BYTES = 63
_NAME_PATTERN = re.compile(r"^(?![\W])[^\d_\s][\w -]+$", re.ASCII)
_PADDING = re.compile(r"^[ \t\n\r]+|[ \t\n\r]+$", re.ASCII)
_ILLEGAL_FIELDNAME_CHARS = re.compile(r"['\",./%@()<>{}]")
_SPECIAL = re.compile(r"\W", re.UNICODE)
_DEPENDS_ASSIGNMENT = re.compile(r"[\w\.:_]+\s*={1}\s*[\w\.@'\"]+")
_TEMPLATE_FIELD = re.compile(r"{(.*?)}", re.UNICODE)
#: Explicit fieldnames refused outright: standard columns (Frappe's list, plus ``owner`` and ``idx``).
#: The underscore columns stay allowed: Frappe's Communication declares ``_user_tags`` itself.
RESTRICTED_FIELDNAMES = frozenset(
    {"name", "parent", "creation", "owner", "modified", "modified_by", "parentfield", "parenttype",
     "file_list", "flags", "docstatus", "idx"}
)  # fmt: skip
#: Attribute names of a document object (Frappe's ``Document._reserved_keywords``).
RESERVED_KEYWORDS = frozenset(
    {"doctype", "meta", "flags", "parent_doc", "_table_fields", "_valid_columns", "_doc_before_save",
     "_table_fieldnames", "_reserved_keywords", "permitted_fieldnames", "dont_update_if_missing"}
)  # fmt: skip
DATA_FIELD_OPTIONS = ("Email", "Name", "Phone", "URL", "Barcode")
UNIQUE_TYPES = frozenset({"Data", "Link", "Read Only", "Int"})
UNINDEXABLE_TYPES = frozenset({"Text", "Long Text", "Small Text", "Code", "Text Editor"})
DEPENDS_ON_KEYS = ("depends_on", "collapsible_depends_on", "mandatory_depends_on", "read_only_depends_on")
VALID_FIELDTYPES = DATA_FIELD_TYPES | NO_VALUE_TYPES


def bold(text: Any) -> str:
    """Frappe's ``frappe.bold``: the HTML its messages wrap names in."""
    return f"<strong>{text}</strong>"


def _cint(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


def _label(row: MutableMapping[str, Any]) -> Any:
    """What Frappe prints for ``d.label`` (``None`` when the row has no label)."""
    return row.get("label") or None


# -- the DocType itself ------------------------------------------------------------------------------


def check_name(name: Any) -> None:
    """The DocType name rules: length, no padding, letters first (``NameError``, 409)."""
    text = str(name or "")
    if len(text) > MAX_DOCTYPE_NAME:
        raise errors.NameError(f"Doctype name is limited to {MAX_DOCTYPE_NAME} characters ({text})")
    if _PADDING.search(text):
        raise errors.NameError("DocType's name should not start or end with whitespace")
    if not _NAME_PATTERN.match(text):
        raise errors.NameError(
            "A DocType's name should start with a letter and can only consist of letters, numbers, "
            "spaces, underscores and hyphens",
            title="Invalid Name",
        )


def prepare(
    dt: MutableMapping[str, Any],
    fields: list[MutableMapping[str, Any]],
    permissions: list[MutableMapping[str, Any]],
) -> None:
    """Flags Frappe forces: Singles are not submittable/child/importable, child tables have no
    permissions, autoincrement DocTypes cannot be renamed."""
    if _cint(dt.get("issingle")):
        dt.update(allow_import=0, is_submittable=0, istable=0)
    elif _cint(dt.get("istable")):
        dt["allow_import"] = 0
        permissions.clear()
    if (dt.get("autoname") or "") == "autoincrement":
        dt["allow_rename"] = 0


# -- fieldnames --------------------------------------------------------------------------------------


def _derive_fieldname(row: MutableMapping[str, Any]) -> str:
    fieldtype = str(row.get("fieldtype") or "Data")
    label = str(row.get("label") or "")
    if not label:
        if fieldtype in NO_VALUE_TYPES - TABLE_TYPES:
            return f"{fieldtype.lower().replace(' ', '_')}_{row.get('idx')}"
        raise errors.ValidationError(f"Row #{row.get('idx')}: Fieldname is required")
    name = label.strip().lower().replace(" ", "_").strip("?")
    if name in RESTRICTED_FIELDNAMES:
        name += "1"
    suffix = {"Section Break": "_section", "Column Break": "_column", "Tab Break": "_tab"}
    return name + suffix.get(fieldtype, "")


def check_fieldnames(dt_name: str, fields: list[MutableMapping[str, Any]]) -> None:
    """Derive missing fieldnames, scrub and lower-case them, then refuse bad or repeated ones."""
    for row in fields:
        row["fieldtype"] = row.get("fieldtype") or "Data"
        given = str(row.get("fieldname") or "")
        if given and given in RESTRICTED_FIELDNAMES:
            raise InvalidFieldNameError(f"Fieldname {given} is restricted")
        name = _ILLEGAL_FIELDNAME_CHARS.sub("", given or _derive_fieldname(row)).lower()
        if given and name in RESTRICTED_FIELDNAMES:  # "Name" or "own.er" would still clash
            raise InvalidFieldNameError(f"Fieldname {name} is restricted")
        row["fieldname"] = name
        if _cint(row.get("unique")):
            row["search_index"] = 0
    for row in fields:
        _check_one_fieldname(dt_name, row["fieldname"], fields)


def _check_one_fieldname(dt_name: str, name: str, fields: list[MutableMapping[str, Any]]) -> None:
    special = _SPECIAL.findall(name)
    if special or not name:
        shown = ", ".join(f'"{c}"' for c in special)
        raise errors.InvalidColumnName(f"Fieldname {bold(name)} cannot have special characters like {shown}")
    if name in RESERVED_KEYWORDS:
        raise errors.ValidationError(
            f"{bold(dt_name)}: fieldname cannot be set to reserved keyword {bold(name)}",
            title="Invalid Fieldname",
        )
    rows = [str(f.get("idx")) for f in fields if f.get("fieldname") == name]
    if len(rows) > 1:
        raise UniqueFieldnameError(
            f"{dt_name}: Fieldname {name} appears multiple times in rows {', '.join(rows)}"
        )
    if len(name) > MAX_FIELDNAME:
        raise errors.ValidationError(f"Fieldname is limited to {MAX_FIELDNAME} characters ({name})")
    if len(name.encode()) > MAX_COLUMN_BYTES:
        raise errors.ValidationError(f"Fieldname is limited to {MAX_COLUMN_BYTES} bytes ({name})")


# -- one field ---------------------------------------------------------------------------------------


def _check_mandatory_and_hidden(dt_name: str, row: MutableMapping[str, Any]) -> None:
    fieldtype = row["fieldtype"]
    if fieldtype in NO_VALUE_TYPES - TABLE_TYPES and _cint(row.get("reqd")):
        raise IllegalMandatoryError(f"{dt_name}: Field {_label(row)} of type {fieldtype} cannot be mandatory")
    if _cint(row.get("hidden")) and _cint(row.get("reqd")) and not row.get("default"):
        raise HiddenAndMandatoryWithoutDefaultError(
            f"{dt_name}: Field {_label(row)} in row {row.get('idx')} cannot be hidden and mandatory without default"
        )


def _check_link_options(dt_name: str, row: MutableMapping[str, Any], lookup: Lookup) -> None:
    if row["fieldtype"] not in ("Link", *TABLE_TYPES):
        return
    options = str(row.get("options") or "").strip()
    if not options:
        raise DoctypeLinkError(
            f"{dt_name}: Options required for Link or Table type field {_label(row)} in row {row.get('idx')}"
        )
    row["options"] = options
    if options in ("[Select]", dt_name):
        return
    target = lookup(options)
    if target is None:
        raise WrongOptionsDoctypeLinkError(
            f"{dt_name}: Options must be a valid DocType for field {_label(row)} in row {row.get('idx')}"
        )
    row["options"] = target.name  # the stored spelling
    if row["fieldtype"] in TABLE_TYPES:
        _check_child_table(row, target)


def _check_child_table(row: MutableMapping[str, Any], target: Meta) -> None:
    if not target.istable:
        raise errors.ValidationError(
            f"Option {bold(target.name)} for field {bold(row['fieldname'])} is not a child table",
            title="Invalid Option",
        )
    if row["fieldtype"] == "Table MultiSelect" and not any(f.fieldtype == "Link" for f in target.fields):
        raise errors.ValidationError(
            f"DocType <b>{target.name}</b> provided for the field <b>{row['fieldname']}</b> "
            "must have atleast one Link field"
        )


def _check_dynamic_link(row: MutableMapping[str, Any], fields: list[MutableMapping[str, Any]]) -> None:
    if row["fieldtype"] != "Dynamic Link":
        return
    pointer = next((f for f in fields if f.get("fieldname") == row.get("options")), None)
    if (
        pointer is None
        or pointer.get("fieldtype") not in ("Link", "Select")
        or (pointer.get("fieldtype") == "Link" and pointer.get("options") != "DocType")
    ):
        raise errors.ValidationError(
            "Options 'Dynamic Link' type of field must point to another Link Field with options as 'DocType'"
        )


def _check_list_and_search_flags(row: MutableMapping[str, Any], istable: bool) -> None:
    fieldtype = row["fieldtype"]
    not_in_list = (NO_VALUE_TYPES | {"Attach Image"}) - ({"Button"} if istable else set())
    if _cint(row.get("in_list_view")) and fieldtype in not_in_list:
        prop = "In Grid View" if istable else "In List View"
        raise errors.ValidationError(f"'{prop}' not allowed for type {fieldtype} in row {row.get('idx')}")
    if _cint(row.get("in_global_search")) and fieldtype in NO_VALUE_TYPES:
        raise errors.ValidationError(
            f"'In Global Search' not allowed for type {fieldtype} in row {row.get('idx')}"
        )


def _check_default(row: MutableMapping[str, Any]) -> None:
    fieldtype, default = row["fieldtype"], row.get("default")
    if fieldtype == "Check":
        if default in (None, ""):
            row["default"] = "0"
        elif str(default).strip() not in ("0", "1"):
            raise errors.ValidationError(
                f"Default for 'Check' type of field {bold(row['fieldname'])} must be either '0' or '1'"
            )
    if fieldtype == "Select" and default not in (None, ""):
        if not row.get("options"):
            raise errors.ValidationError(
                f"Options for {bold(row['fieldname'])} must be set before setting the default value."
            )
        if str(default) not in str(row["options"]).split("\n"):
            raise errors.ValidationError(
                f"Default value for {bold(row['fieldname'])} must be in the list of options."
            )


def _check_numbers(row: MutableMapping[str, Any]) -> None:
    fieldtype = row["fieldtype"]
    precision = row.get("precision")
    limited = fieldtype in ("Currency", "Float", "Percent") and precision not in (None, "")
    if limited and not 1 <= _cint(precision) <= 6:
        raise errors.ValidationError("Precision should be between 1 and 6")
    if fieldtype == "Rating" and row.get("options") not in (None, ""):
        stars = str(row["options"]).strip()
        if not stars.isdigit() or not 3 <= int(stars) <= 10:
            raise errors.ValidationError("Options for Rating field can range from 3 to 10")
    length = _cint(row.get("length"))
    if fieldtype in VARCHAR_TYPES and row.get("length") not in (None, "", 0) and not 1 <= length <= 1000:
        raise errors.ValidationError(f"Length of {row['fieldname']} should be between 1 and 1000")


def _check_unique_and_index(dt_name: str, row: MutableMapping[str, Any], issingle: bool) -> None:
    if issingle:
        row["unique"] = 0
        row["search_index"] = 0
    if _cint(row.get("unique")) and row["fieldtype"] not in UNIQUE_TYPES:
        raise NonUniqueError(f"{dt_name}: Fieldtype {row['fieldtype']} for {_label(row)} cannot be unique")
    if _cint(row.get("search_index")) and row["fieldtype"] in UNINDEXABLE_TYPES:
        raise CannotIndexedError(
            f"{dt_name}:Fieldtype {row['fieldtype']} for {_label(row)} cannot be indexed"
        )


def _check_depends_on(row: MutableMapping[str, Any]) -> None:
    for key in DEPENDS_ON_KEYS:
        expression = row.get(key)
        if expression and "=" in str(expression) and _DEPENDS_ASSIGNMENT.match(str(expression)):
            raise errors.ValidationError(f"Invalid {key.replace('_', ' ').title()} condition")


def _scrub_options(row: MutableMapping[str, Any]) -> None:
    if row["fieldtype"] == "Select" and row.get("options") is not None:
        lines = str(row["options"]).split("\n")
        row["options"] = "\n".join(o.strip() for i, o in enumerate(lines) if i == 0 or o.strip())
    if row.get("fetch_from"):
        row["fetch_from"] = str(row["fetch_from"]).strip("\n").strip()


def _check_data_options(row: MutableMapping[str, Any]) -> None:
    if row["fieldtype"] != "Data" or _cint(row.get("is_virtual")):
        return
    if row.get("oldfieldtype") and row.get("oldfieldtype") != "Data":
        return
    if row.get("options") and row["options"] not in DATA_FIELD_OPTIONS:
        allowed = "".join(f"<li>{o}</li>" for o in DATA_FIELD_OPTIONS)
        raise errors.ValidationError(
            f"{bold(row.get('label'))} is an invalid Data field.<br><br>"
            f"Only Options allowed for Data field are:<br><ul>{allowed}</ul>",
            title="Invalid Data Field",
        )


def _check_max_height(row: MutableMapping[str, Any]) -> None:
    height = str(row.get("max_height") or "")
    if height and height[-2:] not in ("px", "em"):
        raise errors.ValidationError(f"Max for {bold(row['fieldname'])} height must be in px, em, rem")


def check_fields(
    dt: MutableMapping[str, Any], fields: list[MutableMapping[str, Any]], lookup: Lookup
) -> None:
    """Every per-field rule of Frappe's ``validate_fields`` (after :func:`check_fieldnames`)."""
    name = str(dt.get("name") or "")
    istable, issingle = bool(_cint(dt.get("istable"))), bool(_cint(dt.get("issingle")))
    for row in fields:
        row["permlevel"] = _cint(row.get("permlevel"))
        if row["fieldtype"] not in VALID_FIELDTYPES:
            continue  # DocField's Select check names the allowed types
        _check_mandatory_and_hidden(name, row)
        _check_link_options(name, row, lookup)
        _check_dynamic_link(row, fields)
        _check_list_and_search_flags(row, istable)
        _check_default(row)
        _check_unique_and_index(name, row, issingle)
        _check_depends_on(row)
        _scrub_options(row)
        _check_data_options(row)
        _check_max_height(row)
        _check_numbers(row)
    _check_fold(fields)


def _check_fold(fields: list[MutableMapping[str, Any]]) -> None:
    folds = [i for i, f in enumerate(fields) if f.get("fieldtype") == "Fold"]
    if len(folds) > 1:
        raise errors.ValidationError("There can be only one Fold in a form")
    for i in folds:
        if i == len(fields) - 1:
            raise errors.ValidationError("Fold can not be at the end of the form")
        if fields[i + 1].get("fieldtype") != "Section Break":
            raise errors.ValidationError("Fold must come before a Section Break")


# -- properties that name fields -----------------------------------------------------------------------


def _field_named(fields: list[MutableMapping[str, Any]], fieldname: str) -> MutableMapping[str, Any] | None:
    return next((f for f in fields if f.get("fieldname") == fieldname), None)


def check_properties(dt: MutableMapping[str, Any], fields: list[MutableMapping[str, Any]]) -> None:
    """``search_fields``, ``title_field``, ``sort_field``, ``image_field``, ``timeline_field`` and
    ``is_published_field`` must name real fields of the right kind."""
    names = [str(f.get("fieldname")) for f in fields]
    for fieldname in [s.strip() for s in str(dt.get("search_fields") or "").split(",") if s.strip()]:
        target = _field_named(fields, fieldname)
        if target is None or target.get("fieldtype") in NO_VALUE_TYPES:
            raise errors.ValidationError(f"Search field {fieldname} is not valid")
    _check_title_field(dt, fields, names)
    sort_field = str(dt.get("sort_field") or "")
    for part in [p.split()[0] for p in sort_field.split(",") if p.split()]:
        if part not in names + list(DEFAULT_FIELDS) + list(CHILD_FIELDS):
            raise InvalidFieldNameError(f"Sort field {part} must be a valid fieldname")
    image = dt.get("image_field")
    if image:
        target = _field_named(fields, str(image))
        if target is None:
            raise InvalidFieldNameError("Image field must be a valid fieldname")
        if target.get("fieldtype") != "Attach Image":
            raise InvalidFieldNameError("Image field must be of type Attach Image")
    timeline = dt.get("timeline_field")
    if timeline:
        target = _field_named(fields, str(timeline))
        if target is None:
            raise InvalidFieldNameError("Timeline field must be a valid fieldname")
        if target.get("fieldtype") not in ("Link", "Dynamic Link"):
            raise InvalidFieldNameError("Timeline field must be a Link or Dynamic Link")
    if dt.get("is_published_field") and dt["is_published_field"] not in names:
        raise InvalidFieldNameError("Is Published Field must be a valid fieldname")
    if _cint(dt.get("has_web_view")) and "route" not in names:
        raise errors.ValidationError('Field "route" is mandatory for Web Views', title="Missing Field")


def _check_title_field(
    dt: MutableMapping[str, Any], fields: list[MutableMapping[str, Any]], names: list[str]
) -> None:
    title = dt.get("title_field")
    if not title:
        return
    if title not in names:
        raise InvalidFieldNameError("Title field must be a valid fieldname")
    target = _field_named(fields, str(title)) or {}
    for pattern in (target.get("options"), target.get("default")):
        for fieldname in _TEMPLATE_FIELD.findall(str(pattern or "")):
            if not fieldname.startswith("{") and fieldname not in names:
                raise InvalidFieldNameError(
                    f"{{{fieldname}}} is not a valid fieldname pattern. It should be {{field_name}}."
                )


# -- naming and framework fields ---------------------------------------------------------------------


def check_autoname(dt: MutableMapping[str, Any], fields: list[MutableMapping[str, Any]]) -> None:
    """``naming_series`` implies ``naming_series:``; ``field:X`` needs X and makes it unique."""
    autoname = str(dt.get("autoname") or "")
    names = [f.get("fieldname") for f in fields]
    if not autoname and "naming_series" in names:
        dt["autoname"] = autoname = "naming_series:"
    elif autoname.startswith("naming_series:"):
        fieldname = autoname.split("naming_series:")[0] or "naming_series"
        if fieldname not in names:
            raise errors.ValidationError(
                f"Fieldname called {bold(fieldname)} must exist to enable autonaming", title="Field Missing"
            )
    if autoname.startswith("field:"):
        fieldname = autoname.split(":")[1]
        target = _field_named(fields, fieldname) if fieldname else None
        if target is None:
            raise errors.ValidationError(f"Invalid fieldname '{fieldname}' in autoname")
        target["unique"] = 1
        target["search_index"] = 0


def series_prefix(autoname: str) -> str | None:
    """The dot-series prefix of an ``ABC-.####`` autoname (None for the other naming rules)."""
    low = autoname.lower()
    if not autoname or low in ("prompt", "hash", "autoincrement", "uuid"):
        return None
    if autoname.startswith(("field:", "eval:", "naming_series:", "format:")):
        return None
    return autoname.split(".")[0]


def framework_fields(
    dt: MutableMapping[str, Any], fields: list[MutableMapping[str, Any]]
) -> list[MutableMapping[str, Any]]:
    """Rows Frappe adds to the definition itself: ``amended_from`` (submittable) and the nested-set
    fields (tree). Returns the rows to append; sets ``nsm_parent_field``."""
    name = str(dt.get("name") or "")
    names = {f.get("fieldname") for f in fields}
    extra: list[MutableMapping[str, Any]] = []
    if _cint(dt.get("is_submittable")) and "amended_from" not in names:
        extra.append({"label": "Amended From", "fieldtype": "Link", "fieldname": "amended_from",
                      "options": name, "read_only": 1, "print_hide": 1, "no_copy": 1, "search_index": 1})  # fmt: skip
    if _cint(dt.get("is_tree")):
        if "lft" not in names:
            parent_field = scrub(f"Parent {name}")
            extra += [
                {"label": "Left", "fieldtype": "Int", "fieldname": "lft", "read_only": 1, "hidden": 1, "no_copy": 1,
                 "search_index": 1},
                {"label": "Right", "fieldtype": "Int", "fieldname": "rgt", "read_only": 1, "hidden": 1, "no_copy": 1,
                 "search_index": 1},
                {"label": "Is Group", "fieldtype": "Check", "fieldname": "is_group"},
                {"label": "Old Parent", "fieldtype": "Link", "options": name, "fieldname": "old_parent"},
                {"label": f"Parent {name}", "fieldtype": "Link", "options": name, "fieldname": parent_field,
                 "ignore_user_permissions": 1},
            ]  # fmt: skip
            dt["nsm_parent_field"] = parent_field
        known = names | {f["fieldname"] for f in extra}
        if not dt.get("nsm_parent_field"):
            raise errors.MandatoryError(f"{bold('Parent Field (Tree)')} is a mandatory field")
        if dt["nsm_parent_field"] not in known:
            raise InvalidFieldNameError("Parent Field must be a valid fieldname")
    return extra


# -- permission rules --------------------------------------------------------------------------------


def check_permissions(dt: MutableMapping[str, Any], permissions: list[MutableMapping[str, Any]]) -> list[str]:
    """Frappe's ``validate_permissions``; returns the notes it would show (rights it cleared)."""
    issingle = bool(_cint(dt.get("issingle")))
    submittable = bool(_cint(dt.get("is_submittable")))
    importable = bool(_cint(dt.get("allow_import")))
    notes: list[str] = []
    for row in permissions:
        row["permlevel"] = _cint(row.get("permlevel"))
        where = (
            f"For {row.get('role')} at level {row['permlevel']} in {dt.get('name')} in row {row.get('idx')}"
        )
        _check_rule(row, where, permissions, submittable, importable, dt)
        notes += _clear_single_rights(row, issingle)
    return notes


def _check_rule(
    row: MutableMapping[str, Any],
    where: str,
    permissions: list[MutableMapping[str, Any]],
    submittable: bool,
    importable: bool,
    dt: MutableMapping[str, Any],
) -> None:
    has = {p: bool(_cint(row.get(p))) for p in PERM_TYPES}
    if not any(has[p] for p in ("select", "read", "write", "submit", "cancel", "create")):
        raise errors.ValidationError(f"{where}: No basic permissions set")
    for other in permissions:
        if (
            other is not row
            and other.get("role") == row.get("role")
            and _cint(other.get("permlevel")) == row["permlevel"]
            and _cint(other.get("if_owner")) == _cint(row.get("if_owner"))
        ):
            raise errors.ValidationError(
                f"{where}: Only one rule allowed with the same Role, Level and If Owner"
            )
    if has["cancel"] and not has["submit"]:
        raise errors.ValidationError(f"{where}: Cannot set Cancel without Submit")
    if (has["submit"] or has["cancel"] or has["amend"]) and not has["write"]:
        raise errors.ValidationError(f"{where}: Cannot set Submit, Cancel, Amend without Write")
    if has["import"] and not has["create"]:
        raise errors.ValidationError(f"{where}: Cannot set Import without Create")
    if has["submit"] and not submittable:
        raise errors.ValidationError(f"{where}: Cannot set Assign Submit if not Submittable")
    if has["amend"] and not submittable:
        raise errors.ValidationError(f"{where}: Cannot set Assign Amend if not Submittable")
    if has["import"] and not importable:
        raise errors.ValidationError(f"{where}: Cannot set import as {dt.get('name')} is not importable")
    _check_level_zero(row, where, permissions)


def _check_level_zero(
    row: MutableMapping[str, Any], where: str, permissions: list[MutableMapping[str, Any]]
) -> None:
    if row["permlevel"] <= 0 or row.get("role") in ("All", "Desk User"):
        return
    if not any(
        p is not row and p.get("role") == row.get("role") and not _cint(p.get("permlevel"))
        for p in permissions
    ):
        raise errors.ValidationError(
            f"{where}: Permission at level 0 must be set before higher levels are set"
        )
    for right in ("create", "submit", "cancel", "amend"):
        row[right] = 0


def _clear_single_rights(row: MutableMapping[str, Any], issingle: bool) -> list[str]:
    if not issingle or not _cint(row.get("report")):
        return []
    row.update(report=0, export=0)
    row["import"] = 0
    return ["Report cannot be set for Single types"]
