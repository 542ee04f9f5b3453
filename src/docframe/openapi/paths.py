"""Paths: the operations of one DocType and of one whitelisted method, as OpenAPI path items.

Each DocType the caller can read gets concrete paths (``/api/resource/ToDo``, not a template) with
only the operations its rights allow: list, read, count, search, meta and copy need ``read``; create
and ``bulk_insert`` need ``create``; update and ``bulk_update`` need ``write``; delete and
``bulk_delete`` need ``delete``; document methods run on GET with ``read`` and on POST with ``write``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from docframe.meta.schema import Meta
from docframe.openapi.components import READ_STATUSES, SECURITY, WRITE_STATUSES, error_responses, success
from docframe.openapi.methods import MethodInfo, ParamInfo, docstring_parts, parameter_schemas, return_schema
from docframe.openapi.schemas import ref
from docframe.query.operators import OPERATOR_TABLE

__all__ = ["doctype_paths", "login_paths", "method_paths"]

Schema = dict[str, Any]
PathItems = dict[str, dict[str, Any]]
_HTTP = ("get", "post", "put", "patch", "delete")


@functools.lru_cache(maxsize=8192)
def _id_part(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", part).strip("_")


def _op_id(*parts: str) -> str:
    return "_".join(_id_part(p) for p in parts if p)


def _json_param(name: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _param(name: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _filters_schema(columns: list[str]) -> Schema:
    ops = sorted(OPERATOR_TABLE)
    condition: Schema = {
        "type": "array",
        "minItems": 3,
        "maxItems": 3,
        "prefixItems": [{"enum": columns}, {"enum": ops}, {}],
    }
    return {
        "anyOf": [
            {"type": "object", "propertyNames": {"enum": columns}},
            {"type": "array", "items": condition},
        ]
    }


def _list_params(meta: Meta, version: int, filters_ref: Schema) -> list[Schema]:
    columns = meta_columns(meta)
    params = [
        _json_param(
            "fields",
            {"type": "array", "items": {"type": "string"}},
            "Fields to return: field names, `*`, `child_field.field`, or aggregates like `count(name) as n`.",
        ),
        _json_param(
            "filters",
            filters_ref,
            "Conditions: `{field: value}`, `{field: [op, value]}` or `[[field, op, value], ...]`.",
        ),
        _json_param(
            "or_filters",
            filters_ref,
            "Conditions of which at least one must hold (same shapes as `filters`).",
        ),
        _param(
            "order_by",
            {"type": "string"},
            f"`field [asc|desc]`, comma separated (e.g. `modified desc`). Columns: {', '.join(columns[:20])}",
        ),
        _param("group_by", {"type": "string"}, "A field to group by."),
        _json_param(
            "expand",
            {"type": "array", "items": {"type": "string"}},
            'Link fields whose documents replace their values (`["*"]`: all).',
        ),
    ]
    if version == 1:
        params += [
            _param("limit_start", {"type": "integer", "minimum": 0}, "Rows to skip."),
            _param(
                "limit_page_length", {"type": "integer", "minimum": 0}, "Page size (0: all rows; default 20)."
            ),
            _param(
                "limit", {"type": "integer", "minimum": 0}, "Page size when `limit_page_length` is absent."
            ),
        ]
    else:
        params += [
            _param("start", {"type": "integer", "minimum": 0}, "Rows to skip (`limit_start` also works)."),
            _param("limit", {"type": "integer", "minimum": 0}, "Page size (default 20)."),
            _param(
                "include", {"type": "string", "enum": ["count"]}, "`count` adds `count` and `count_capped`."
            ),
        ]
    return params


def meta_columns(meta: Meta) -> tuple[str, ...]:
    """The columns of ``meta`` clients may name in filters and ordering (computed once per Meta)."""
    return meta.query_columns


_ROW: Schema = {"type": "object", "description": "The requested fields of one document"}


def _name_param(doctype: str) -> Schema:
    return {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": f"The {doctype} name",
    }


def _body(schema: Schema, description: str = "") -> Schema:
    out: Schema = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        out["description"] = description
    return out


def _operation(
    op_id: str,
    summary: str,
    tag: str,
    responses: Schema,
    version: int,
    statuses: tuple[int, ...],
    **more: Any,
) -> Schema:
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": [tag],
        **more,
        "responses": {**responses, **error_responses(version, statuses)},
    }


def _v1_resource(meta: Meta, rights: frozenset[str], component: str, filters_ref: Schema) -> PathItems:
    dt = meta.name
    doc = ref(component)
    base = f"/api/resource/{dt}"
    one = f"{base}/{{name}}"
    items: PathItems = {base: {}, one: {"parameters": [_name_param(dt)]}}
    items[base]["get"] = _operation(
        _op_id("list", component, "v1"), f"List {dt}", dt,
        {"200": success(1, {"type": "array", "items": _ROW})}, 1, READ_STATUSES,
        parameters=_list_params(meta, 1, filters_ref),
    )  # fmt: skip
    items[one]["get"] = _operation(
        _op_id("read", component, "v1"), f"Read a {dt}", dt, {"200": success(1, doc)}, 1, READ_STATUSES
    )
    if "create" in rights:
        items[base]["post"] = _operation(
            _op_id("create", component, "v1"), f"Create a {dt}", dt, {"200": success(1, doc)}, 1,
            WRITE_STATUSES, requestBody=_body(doc),
        )  # fmt: skip
    if "write" in rights:
        items[one]["put"] = _operation(
            _op_id("update", component, "v1"), f"Update a {dt}", dt, {"200": success(1, doc)}, 1,
            WRITE_STATUSES, requestBody=_body(ref(component + "Patch")),
        )  # fmt: skip
    if "delete" in rights:
        items[one]["delete"] = _operation(
            _op_id("delete", component, "v1"), f"Delete a {dt}", dt,
            {"202": success(1, {"const": "ok"}, description="Deleted")}, 1, WRITE_STATUSES,
        )  # fmt: skip
    return items


def _v2_resource(meta: Meta, rights: frozenset[str], component: str, filters_ref: Schema) -> PathItems:
    dt = meta.name
    doc = ref(component)
    base = f"/api/v2/document/{dt}"
    one = f"{base}/{{name}}"
    items: PathItems = {base: {}, one: {"parameters": [_name_param(dt)]}}
    list_extra = {
        "has_next_page": {"type": "boolean"},
        "count": {"type": "integer"},
        "count_capped": {"type": "boolean"},
    }
    items[base]["get"] = _operation(
        _op_id("list", component), f"List {dt}", dt,
        {"200": success(2, {"type": "array", "items": _ROW}, extra=list_extra)}, 2, READ_STATUSES,
        parameters=_list_params(meta, 2, filters_ref),
    )  # fmt: skip
    items[one]["get"] = _operation(
        _op_id("read", component), f"Read a {dt}", dt, {"200": success(2, doc)}, 2, READ_STATUSES
    )
    items[f"{one}/copy"] = {
        "parameters": [_name_param(dt)],
        "get": _operation(
            _op_id("copy", component), f"A copy of a {dt}, ready to post as a new one", dt,
            {"200": success(2, {"type": "object"})}, 2, READ_STATUSES,
        ),
    }  # fmt: skip
    if "create" in rights:
        items[base]["post"] = _operation(
            _op_id("create", component), f"Create a {dt}", dt, {"200": success(2, doc)}, 2, WRITE_STATUSES,
            requestBody=_body(doc),
        )  # fmt: skip
        items[f"{base}/bulk_insert"] = {"post": _bulk(dt, component, "insert", "docs", ref(component))}
    if "write" in rights:
        for verb in ("put", "patch"):
            items[one][verb] = _operation(
                _op_id("update", component, verb), f"Update a {dt}", dt, {"200": success(2, doc)}, 2,
                WRITE_STATUSES, requestBody=_body(ref(component + "Patch")),
            )  # fmt: skip
        row = {
            "allOf": [
                ref(component + "Patch"),
                {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
            ]
        }
        items[f"{base}/bulk_update"] = {"post": _bulk(dt, component, "update", "docs", row)}
    if "delete" in rights:
        items[one]["delete"] = _operation(
            _op_id("delete", component), f"Delete a {dt}", dt,
            {"202": success(2, {"const": "ok"}, description="Deleted")}, 2, WRITE_STATUSES,
        )  # fmt: skip
        items[f"{base}/bulk_delete"] = {"post": _bulk(dt, component, "delete", "names", {"type": "string"})}
    return items


def _bulk(dt: str, component: str, action: str, key: str, item: Schema) -> Schema:
    body = {"type": "object", "required": [key], "properties": {key: {"type": "array", "items": item}}}
    responses = {
        "200": success(2, {"type": "object"}, extra={"docs": {"type": "array", "items": {"type": "object"}}}),
        "202": success(2, {"type": "object", "properties": {"job_id": {"type": "string"}}}, description="Queued as a background job"),
    }  # fmt: skip
    return _operation(
        _op_id("bulk", action, component), f"Bulk {action} {dt}", dt, responses, 2, WRITE_STATUSES,
        requestBody=_body(body),
    )  # fmt: skip


def _doctype_routes(meta: Meta, component: str, filters_ref: Schema) -> PathItems:
    dt = meta.name
    count_params = [
        _json_param("filters", filters_ref, "Conditions (as for lists)."),
        _json_param("or_filters", filters_ref, "Alternative conditions."),
        _param("limit", {"type": "integer", "minimum": 0}, "Count at most this many."),
    ]
    search_params = [
        _param("txt", {"type": "string"}, "Text to search for."),
        _json_param("filters", filters_ref, "Extra conditions."),
        _param("searchfield", {"type": "string"}, "The field to search in."),
        _param("start", {"type": "integer", "minimum": 0}, "Rows to skip."),
        _param("limit", {"type": "integer", "minimum": 1}, "Page size (default 10)."),
    ]
    hit = {
        "type": "object",
        "properties": {"value": {}, "label": {}, "description": {}},
    }
    return {
        f"/api/v2/doctype/{dt}/meta": {
            "get": _operation(_op_id("meta", component), f"The definition of {dt}", dt,
                              {"200": success(2, {"type": "object"})}, 2, READ_STATUSES)
        },
        f"/api/v2/doctype/{dt}/count": {
            "get": _operation(_op_id("count", component), f"Count {dt}", dt,
                              {"200": success(2, {"type": "integer", "minimum": 0})}, 2, READ_STATUSES,
                              parameters=count_params)
        },
        f"/api/v2/doctype/{dt}/search": {
            "get": _operation(_op_id("search", component), f"Link search in {dt}", dt,
                              {"200": success(2, {"type": "array", "items": hit})}, 2, READ_STATUSES,
                              parameters=search_params)
        },
    }  # fmt: skip


def _doc_method_paths(
    meta: Meta, rights: frozenset[str], component: str, methods: list[tuple[str, Callable[..., Any], bool]]
) -> PathItems:
    out: PathItems = {}
    dt = meta.name
    for name, func, standard in methods:
        if name in ("submit", "cancel") and standard and name not in rights:
            continue
        first, text = docstring_parts(func)
        params = parameter_schemas(func, standard)
        path = f"/api/v2/document/{dt}/{{name}}/method/{name}"
        item: dict[str, Any] = {"parameters": [_name_param(dt)]}
        result = success(
            2, return_schema(func), required=False, extra={"docs": {"type": "array", "items": ref(component)}}
        )
        if "read" in rights and not (standard and name in ("submit", "cancel", "rename")):
            item["get"] = _operation(
                _op_id("method", component, name, "get"), first or f"{name} of a {dt}", dt, {"200": result}, 2,
                READ_STATUSES, parameters=_query_params(params), description=text or "",
            )  # fmt: skip
        if "write" in rights or (standard and name in rights):
            item["post"] = _operation(
                _op_id("method", component, name, "post"), first or f"{name} of a {dt}", dt, {"200": result}, 2,
                WRITE_STATUSES, requestBody=_args_body(params), description=text or "",
            )  # fmt: skip
        if len(item) > 1:
            out[path] = item
    return out


def doctype_paths(
    meta: Meta,
    rights: frozenset[str],
    component: str,
    filters_component: str,
    methods: list[tuple[str, Callable[..., Any], bool]],
) -> PathItems:
    """Every path of one (non-child) DocType for a caller with DocType-level ``rights``."""
    filters_ref = ref(filters_component)
    out: PathItems = {}
    out.update(_v1_resource(meta, rights, component, filters_ref))
    out.update(_v2_resource(meta, rights, component, filters_ref))
    out.update(_doctype_routes(meta, component, filters_ref))
    out.update(_doc_method_paths(meta, rights, component, methods))
    return out


def filters_schema(meta: Meta) -> Schema:
    """The filters component of ``meta``: its columns and Frappe's operators."""
    return _filters_schema(list(meta_columns(meta)))


def _query_params(params: tuple[ParamInfo, ...]) -> list[Schema]:
    out = []
    for p in params:
        kind = p.schema.get("type")
        simple = isinstance(kind, str | list) and not (
            {"object", "array"} & set([kind] if isinstance(kind, str) else kind)
        )
        if simple:
            out.append(_param(p.name, p.schema, p.annotation or "", p.required))
        else:
            out.append(_json_param(p.name, p.schema, f"JSON ({p.annotation or 'any value'})", p.required))
    return out


def _args_body(params: tuple[ParamInfo, ...]) -> Schema:
    schema: Schema = {"type": "object", "properties": {p.name: p.schema for p in params}}
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    out: Schema = {"required": bool(required), "content": {"application/json": {"schema": schema}}}
    return out


def method_paths(info: MethodInfo) -> PathItems:
    """``/api/method/<path>`` and ``/api/v2/method/<path>`` with the function's allowed HTTP methods."""
    params = parameter_schemas(info.func)
    first, text = docstring_parts(info.func)
    result = return_schema(info.func)
    description = text or ""
    if info.aliases:
        description += (
            ("\n\n" if description else "") + "Also served as: " + ", ".join(f"`{a}`" for a in info.aliases)
        )
    out: PathItems = {}
    for version, prefix, key in ((1, "/api/method/", "message"), (2, "/api/v2/method/", "data")):
        item: dict[str, Any] = {}
        allowed = set(info.methods)
        if version == 2 and info.path == "logout":
            allowed = {"POST"}
        for method in ("GET", "POST", "PUT", "DELETE"):
            if method not in allowed:
                continue
            extra: dict[str, Any] = {"description": description}
            if method in ("GET", "DELETE"):
                extra["parameters"] = _query_params(params)
            elif info.path == "upload_file":
                extra["requestBody"] = _upload_body(params)
            else:
                extra["requestBody"] = _args_body(params)
            statuses = READ_STATUSES if method == "GET" else WRITE_STATUSES
            item[method.lower()] = _operation(
                _op_id(info.path, method.lower(), "v1" if version == 1 else ""), first or info.path,
                "Methods", {"200": success(version, result, key=key, required=False)}, version, statuses, **extra,
            )  # fmt: skip
            if info.allow_guest:
                item[method.lower()]["security"] = [{}, *SECURITY]  # anonymous, or any scheme
        if item:
            out[prefix + info.path] = item
    return out


def _upload_body(params: tuple[ParamInfo, ...]) -> Schema:
    props: Schema = {"file": {"type": "string", "contentMediaType": "application/octet-stream"}}
    props.update({p.name: {"type": "string"} for p in params})
    return {
        "required": True,
        "content": {"multipart/form-data": {"schema": {"type": "object", "properties": props}}},
    }


def login_paths() -> PathItems:
    """``POST /api/method/login`` (sets the ``sid`` cookie) — open to everyone."""
    body = {
        "type": "object",
        "required": ["usr", "pwd"],
        "properties": {
            "usr": {"type": "string", "description": "User name or email"},
            "pwd": {"type": "string", "format": "password"},
        },
    }
    ok = {
        "description": "Logged in; the response sets the `sid` cookie",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "home_page": {"type": "string"},
                        "full_name": {"type": "string"},
                    },
                }
            }
        },
    }
    return {
        "/api/method/login": {
            "post": {
                "operationId": "login",
                "summary": "Log in with a user name and password",
                "tags": ["Auth"],
                "security": [{}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": body},
                        "application/x-www-form-urlencoded": {"schema": body},
                    },
                },
                "responses": {"200": ok, **error_responses(1, (401, 417, 429))},
            }
        }
    }
