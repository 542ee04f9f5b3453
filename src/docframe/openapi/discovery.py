"""Discovery: the native discovery documents of Frappe's develop branch (``/api/v2/discovery``).

Shapes follow Frappe's: a root document with counts and links, a search over methods (at most 50
results, every query word must match), an index of methods (``kind`` ``rpc`` for whitelisted
functions, ``doctype`` for controller methods), and one document per method. Only System Managers
(and the Administrator) may read them. Method source code is never exposed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.methods.registry import whitelist_mark
from docframe.model.document import controller_class
from docframe.openapi.methods import (
    MethodInfo,
    docstring_parts,
    doctype_methods,
    parameter_schemas,
    whitelisted_methods,
)

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.meta.schema import Meta

__all__ = ["doctype_method", "doctype_method_index", "method", "methods", "root", "search"]

_STANDARD_CLASS = "docframe.model.document.Document"


def _only_system_manager(ctx: Context) -> None:
    if not ctx.user.is_admin and "System Manager" not in ctx.user.roles:
        raise errors.PermissionError("This action is only allowed for System Manager", title="Not Permitted")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _rpc_summary(info: MethodInfo) -> dict[str, Any]:
    return _clean({"kind": "rpc", "path": info.path, "description": docstring_parts(info.func)[0]})


def _doctype_summary(doctype: str, name: str, func: Callable[..., Any]) -> dict[str, Any]:
    return _clean(
        {
            "type": "method",
            "kind": "doctype",
            "doctype": doctype,
            "method": name,
            "description": docstring_parts(func)[0],
        }
    )


def _params(func: Callable[..., Any], standard: bool = False) -> list[dict[str, Any]]:
    return [
        _clean({"name": p.name, "required": p.required, "default": p.default, "type": p.annotation})
        for p in parameter_schemas(func, standard)
    ]


def _doctype_entries(ctx: Context, meta: Meta) -> list[tuple[str, Callable[..., Any], bool]]:
    if meta.istable:
        raise errors.DoesNotExistError(f"DocType {meta.name} is not available for discovery")
    return doctype_methods(controller_class(ctx.site, meta), meta)


def _all_doctype_methods(ctx: Context) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for doctype in ctx.site.metas.all_names(ctx.conn):
        try:
            meta = ctx.meta(doctype)
            if meta.istable:
                continue
            entries = _doctype_entries(ctx, meta)
        except Exception:  # like Frappe: a DocType whose controller fails is skipped
            continue
        out.extend(_doctype_summary(doctype, name, func) for name, func, standard in entries if not standard)
    return out


def _sort_key(item: dict[str, Any]) -> tuple[str, str, str]:
    return (item.get("path") or "", item.get("doctype") or "", item.get("method") or "")


def root(ctx: Context) -> dict[str, Any]:
    """``GET /api/v2/discovery``."""
    _only_system_manager(ctx)
    return {
        "type": "discovery",
        "resources": {
            "methods": len(whitelisted_methods()),
            "doctype_methods": len(_all_doctype_methods(ctx)),
        },
        "links": {
            "self": "/api/v2/discovery",
            "search": "/api/v2/discovery/search?q={query}",
            "methods": "/api/v2/discovery/method",
            "method": "/api/v2/discovery/method/{method}",
            "doctype_methods": "/api/v2/discovery/doctype/{doctype}",
            "doctype_method": "/api/v2/discovery/doctype/{doctype}/method/{method}",
        },
    }


def methods(ctx: Context) -> dict[str, Any]:
    """``GET /api/v2/discovery/method``: every method, RPC and DocType."""
    _only_system_manager(ctx)
    items = [_rpc_summary(info) for info in whitelisted_methods()]
    items.extend({**item, "kind": "doctype"} for item in _all_doctype_methods(ctx))
    return {"type": "method_index", "methods": sorted(items, key=_sort_key)}


def _haystack(entry: dict[str, Any], docstring: str | None) -> str:
    keys = ("type", "kind", "path", "doctype", "method", "description")
    return " ".join(str(entry.get(k) or "") for k in keys).lower() + " " + (docstring or "").lower()


def search(ctx: Context, q: Any = None) -> dict[str, Any]:
    """``GET /api/v2/discovery/search?q=``: up to 50 methods matching every word of ``q``."""
    _only_system_manager(ctx)
    query = q if isinstance(q, str) else ""
    index: list[tuple[dict[str, Any], str]] = []
    for info in whitelisted_methods():
        entry = {"type": "method", **_rpc_summary(info)}
        index.append(
            (entry, _haystack(entry, docstring_parts(info.func)[1]) + " " + " ".join(info.aliases).lower())
        )
    for item in _all_doctype_methods(ctx):
        index.append((item, _haystack(item, None)))
    index.sort(key=lambda pair: _sort_key(pair[0]))
    words = [w for w in query.strip().lower().split() if w]
    results = [entry for entry, hay in index if all(w in hay for w in words)]
    return {"query": query, "results": results[:50]}


def _find(path: str, ctx: Context) -> MethodInfo | None:
    path = ctx.site.hooks.method_overrides.get(path, path) if ctx.site.hooks.method_overrides else path
    for info in whitelisted_methods():
        if path == info.path or path == info.target or path in info.aliases:
            return info
    return None


def method(ctx: Context, path: str) -> dict[str, Any]:
    """``GET /api/v2/discovery/method/{method}``: one whitelisted function."""
    _only_system_manager(ctx)
    info = _find(path, ctx)
    if info is None:
        raise errors.DoesNotExistError(f"Method {path} is not available for discovery")
    return _clean(
        {
            "type": "method",
            "kind": "rpc",
            "path": path,
            "name": getattr(info.func, "__name__", path.rsplit(".", 1)[-1]),
            "http_methods": sorted(info.methods),
            "allow_guest": info.allow_guest,
            "params": _params(info.func),
            "endpoint": f"/api/v2/method/{path}",
            "docstring": inspect.getdoc(info.func),
        }
    )


def doctype_method_index(ctx: Context, doctype: str) -> dict[str, Any]:
    """``GET /api/v2/discovery/doctype/{doctype}``: the whitelisted methods of its documents."""
    _only_system_manager(ctx)
    entries = _doctype_entries(ctx, ctx.meta(doctype))
    return {
        "type": "method_index",
        "doctype": doctype,
        "methods": [_doctype_summary(doctype, name, func) for name, func, _standard in entries],
    }


def doctype_method(ctx: Context, doctype: str, name: str) -> dict[str, Any]:
    """``GET /api/v2/discovery/doctype/{doctype}/method/{method}``."""
    _only_system_manager(ctx)
    meta = ctx.meta(doctype)
    for found, func, standard in _doctype_entries(ctx, meta):
        if found != name:
            continue
        mark = whitelist_mark(func)
        mark_methods = mark.methods if mark else frozenset()
        cls = controller_class(ctx.site, meta)
        owner = next((k for k in inspect.getmro(cls) if name in vars(k)), cls)
        return _clean(
            {
                "type": "method",
                "kind": "doctype",
                "doctype": doctype,
                "method": name,
                "defined_in": _STANDARD_CLASS if standard else f"{owner.__module__}.{owner.__qualname__}",
                "endpoint": f"/api/v2/document/{doctype}/{{name}}/method/{name}",
                "http_methods": [m for m in ("GET", "POST") if m in mark_methods],
                "permission": {"GET": "read", "POST": "write"},
                "params": _params(func, standard),
                "docstring": inspect.getdoc(func),
            }
        )
    raise errors.DoesNotExistError(f"Method {name} is not available for discovery on DocType {doctype}")
