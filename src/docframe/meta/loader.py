"""Loader: DocType definitions in Frappe's JSON format -> :class:`~docframe.meta.schema.Meta`.

Accepts Frappe's exported files unchanged: an absent key means 0 / empty (Frappe's exporter drops
falsy keys), ``field_order`` reorders ``fields``, and unknown keys are kept in ``raw`` but ignored.
Adds what the framework adds at runtime: ``amended_from`` on submittable DocTypes and the nested-set
fields of tree DocTypes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from docframe.errors import ValidationError
from docframe.meta.schema import PERM_TYPES, DocFieldDef, DocPermDef, Meta, scrub

__all__ = ["find_doctype_files", "load_meta", "normalise_definition", "read_definition"]


def _cint(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def read_definition(path: Path) -> dict[str, Any]:
    """Read one DocType JSON file."""
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, dict) or not data.get("name"):
        raise ValidationError(f"{path} is not a DocType definition")
    return data


def find_doctype_files(root: Path) -> list[Path]:
    """Every ``<...>/doctype/<name>/<name>.json`` (or flat ``<name>/<name>.json``) below ``root``."""
    found = []
    for path in sorted(root.rglob("*.json")):
        if path.parent.name == path.stem:
            found.append(path)
    return found


def normalise_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy with ``fields`` ordered by ``field_order`` and framework fields added."""
    data = copy.deepcopy(dict(definition))
    fields: list[dict[str, Any]] = [dict(f) for f in data.get("fields") or [] if isinstance(f, dict)]
    order = data.pop("field_order", None)
    if order:
        position = {name: i for i, name in enumerate(order)}
        fields.sort(key=lambda f: position.get(f.get("fieldname", ""), len(position)))
    names = {f.get("fieldname") for f in fields}
    if _cint(data.get("is_submittable")) and "amended_from" not in names:
        fields.append(
            {"fieldname": "amended_from", "fieldtype": "Link", "label": "Amended From",
             "options": data["name"], "read_only": 1, "no_copy": 1, "print_hide": 1,
             "search_index": 1}
        )  # fmt: skip
    if _cint(data.get("is_tree")):
        parent_field = data.get("nsm_parent_field") or f"parent_{scrub(data['name'])}"
        data["nsm_parent_field"] = parent_field
        extra: list[dict[str, Any]] = [
            {"fieldname": "lft", "fieldtype": "Int", "label": "Left", "hidden": 1, "read_only": 1,
             "no_copy": 1, "search_index": 1},
            {"fieldname": "rgt", "fieldtype": "Int", "label": "Right", "hidden": 1, "read_only": 1,
             "no_copy": 1, "search_index": 1},
            {"fieldname": "is_group", "fieldtype": "Check", "label": "Is Group"},
            {"fieldname": "old_parent", "fieldtype": "Link", "label": "Old Parent",
             "options": data["name"], "hidden": 1},
            {"fieldname": parent_field, "fieldtype": "Link", "label": f"Parent {data['name']}",
             "options": data["name"], "ignore_user_permissions": 1},
        ]  # fmt: skip
        fields.extend(f for f in extra if f["fieldname"] not in names)
    for i, f in enumerate(fields, start=1):
        f["idx"] = i
    data["fields"] = fields
    return data


def _field(raw: dict[str, Any]) -> DocFieldDef:
    default = raw.get("default")
    return DocFieldDef(
        fieldname=_str(raw.get("fieldname")),
        fieldtype=_str(raw.get("fieldtype")) or "Data",
        label=_str(raw.get("label")),
        options=_str(raw.get("options")),
        reqd=bool(_cint(raw.get("reqd"))),
        unique=bool(_cint(raw.get("unique"))),
        default=None if default in (None, "") else str(default),
        permlevel=_cint(raw.get("permlevel")),
        search_index=bool(_cint(raw.get("search_index"))),
        length=_cint(raw.get("length")),
        precision=_str(raw.get("precision")),
        non_negative=bool(_cint(raw.get("non_negative"))),
        set_only_once=bool(_cint(raw.get("set_only_once"))),
        allow_on_submit=bool(_cint(raw.get("allow_on_submit"))),
        no_copy=bool(_cint(raw.get("no_copy"))),
        fetch_from=_str(raw.get("fetch_from")),
        fetch_if_empty=bool(_cint(raw.get("fetch_if_empty"))),
        ignore_user_permissions=bool(_cint(raw.get("ignore_user_permissions"))),
        ignore_xss_filter=bool(_cint(raw.get("ignore_xss_filter"))),
        is_virtual=bool(_cint(raw.get("is_virtual"))),
        read_only=bool(_cint(raw.get("read_only"))),
        hidden=bool(_cint(raw.get("hidden"))),
        in_list_view=bool(_cint(raw.get("in_list_view"))),
        not_nullable=bool(_cint(raw.get("not_nullable"))),
        idx=_cint(raw.get("idx")),
        raw=raw,
    )


def _perm(raw: Mapping[str, Any]) -> DocPermDef:
    return DocPermDef(
        role=_str(raw.get("role")),
        permlevel=_cint(raw.get("permlevel")),
        if_owner=bool(_cint(raw.get("if_owner"))),
        rights=frozenset(p for p in PERM_TYPES if _cint(raw.get(p))),
    )


def load_meta(definition: Mapping[str, Any]) -> Meta:
    """Build the :class:`Meta` of one DocType definition (a parsed JSON object)."""
    data = normalise_definition(definition)
    istable = bool(_cint(data.get("istable")))
    return Meta(
        name=_str(data["name"]),
        module=_str(data.get("module")) or "Custom",
        custom=bool(_cint(data.get("custom"))),
        istable=istable,
        issingle=bool(_cint(data.get("issingle"))),
        is_submittable=bool(_cint(data.get("is_submittable"))),
        is_tree=bool(_cint(data.get("is_tree"))),
        is_virtual=bool(_cint(data.get("is_virtual"))),
        autoname=_str(data.get("autoname")),
        title_field=_str(data.get("title_field")),
        search_fields=_str(data.get("search_fields")),
        sort_field=_str(data.get("sort_field")) or "creation",
        sort_order=_str(data.get("sort_order")) or "DESC",
        track_changes=bool(_cint(data.get("track_changes"))),
        track_seen=bool(_cint(data.get("track_seen"))),
        allow_rename=bool(_cint(data.get("allow_rename"))),
        nsm_parent_field=_str(data.get("nsm_parent_field")),
        fields=tuple(_field(f) for f in data["fields"]),
        permissions=() if istable else tuple(_perm(p) for p in data.get("permissions") or []),
        modified=_str(data.get("modified")),
        raw=data,
    )
