"""Routes: the API's route table, as data, and the matcher that picks an endpoint for a path.

Paths are matched after one trailing slash is removed (both ``/x`` and ``/x/`` work, no redirect).
``{name:path}`` segments may contain ``/``. More specific routes come first. A path that matches no
route is a 404; a path that matches only with another HTTP method is a 405 with ``Allow``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docframe.api import actions, discovery, openapi, rpc, search, v1, v2
from docframe.http.envelopes import Reply

__all__ = ["ROUTES", "ApiRoute", "RouteMatch", "match_route"]

Endpoint = Callable[..., Reply]
ANY = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"})
#: Reads that also take newer Frappe's ``QUERY`` method (a GET whose arguments come in the body).
READ = frozenset({"GET", "HEAD", "QUERY"})


@dataclass(frozen=True)
class ApiRoute:
    """One route: a compiled path, its HTTP methods, its endpoint and its API version."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    endpoint: Endpoint
    version: int
    rpc: bool = False


def _compile(path: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name, _, kind = part[1:-1].partition(":")
            regex += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(f"^{regex}$")


def _route(
    path: str, methods: set[str] | frozenset[str], endpoint: Endpoint, version: int, rpc_: bool = False
) -> ApiRoute:
    return ApiRoute(_compile(path), frozenset(methods), endpoint, version, rpc_)


def _v1_routes(prefix: str) -> list[ApiRoute]:
    return [
        _route(f"{prefix}/method/{{method:path}}", ANY, rpc.call_v1, 1, True),
        _route(f"{prefix}/resource/{{doctype}}", {"GET", "HEAD"}, v1.list_documents, 1),
        _route(f"{prefix}/resource/{{doctype}}", {"POST"}, v1.create, 1),
        _route(f"{prefix}/resource/{{doctype}}/{{name:path}}", {"POST"}, actions.run_method_v1, 1),
        _route(f"{prefix}/resource/{{doctype}}/{{name:path}}", {"GET", "HEAD"}, actions.read_or_run_v1, 1),
        _route(f"{prefix}/resource/{{doctype}}/{{name:path}}", {"GET", "HEAD"}, v1.read, 1),
        _route(f"{prefix}/resource/{{doctype}}/{{name:path}}", {"PUT"}, v1.update, 1),
        _route(f"{prefix}/resource/{{doctype}}/{{name:path}}", {"DELETE"}, v1.delete, 1),
    ]


def _docs_routes() -> list[ApiRoute]:
    """The OpenAPI document, the docs page and Frappe develop's discovery API."""
    get = {"GET", "HEAD"}
    return [
        _route("/api/openapi.json", get, openapi.openapi_json, 1),
        _route("/api/docs", get, openapi.docs, 1),
        _route("/api/docs/assets/{asset}", get, openapi.docs_asset, 1),
        _route("/api/v2/discovery", get, discovery.root, 2),
        _route("/api/v2/discovery/search", get, discovery.search, 2),
        _route("/api/v2/discovery/method", get, discovery.methods, 2),
        _route("/api/v2/discovery/method/{method}", get, discovery.method, 2),
        _route("/api/v2/discovery/doctype/{doctype}", get, discovery.doctype_methods, 2),
        _route("/api/v2/discovery/doctype/{doctype}/method/{method}", get, discovery.doctype_method, 2),
    ]


ROUTES: tuple[ApiRoute, ...] = (
    _route("/api/v1/method/login", ANY, rpc.login_noop, 1, True),
    _route("/api/v2/method/login", ANY, rpc.login_noop, 2, True),
    _route("/api/v2/method/logout", {"POST"}, rpc.logout_v2, 2, True),
    _route("/api/v2/method/run_doc_method", READ | {"POST"}, rpc.run_doc_method_v2_endpoint, 2, True),
    _route("/api/v2/method/bulk_delete", {"POST"}, actions.bulk_delete, 2, True),
    _route("/api/v2/method/bulk_update", {"POST"}, actions.bulk_update, 2, True),
    _route("/api/v2/method/bulk_insert", {"POST"}, actions.bulk_insert, 2, True),
    _route("/api/v2/method/{doctype}/{method}", ANY, rpc.call_doctype_v2, 2, True),
    _route("/api/v2/method/{method}", ANY, rpc.call_v2, 2, True),
    _route("/api/v2/document/{doctype}/bulk_delete", {"POST"}, actions.bulk_delete_docs, 2),
    _route("/api/v2/document/{doctype}/bulk_update", {"POST"}, actions.bulk_update_docs, 2),
    _route("/api/v2/document/{doctype}/bulk_insert", {"POST"}, actions.bulk_insert_docs, 2),
    _route(
        "/api/v2/document/{doctype}/{name:path}/method/{method}",
        READ | {"POST"},
        actions.document_method,
        2,
    ),
    _route("/api/v2/document/{doctype}", READ, v2.list_documents, 2),
    _route("/api/v2/document/{doctype}", {"POST"}, v2.create, 2),
    _route("/api/v2/document/{doctype}/{name:path}/copy", {"GET", "HEAD"}, v2.copy, 2),
    _route("/api/v2/document/{doctype}/{name:path}", {"GET", "HEAD"}, v2.read, 2),
    _route("/api/v2/document/{doctype}/{name:path}", {"PUT", "PATCH"}, v2.update, 2),
    _route("/api/v2/document/{doctype}/{name:path}", {"DELETE"}, v2.delete, 2),
    # Frappe's router has no POST rule here and wraps its NotFound as DoesNotExistError (404)
    _route("/api/v2/document/{doctype}/{name:path}", {"POST"}, v2.no_such_route, 2),
    _route("/api/v2/doctype/{doctype}/meta", {"GET", "HEAD"}, v2.meta, 2),
    _route("/api/v2/doctype/{doctype}/count", READ, v2.count, 2),
    _route("/api/v2/doctype/{doctype}/search", {"GET", "HEAD"}, search.search, 2),
    *_v1_routes("/api/v1"),
    *_v1_routes("/api"),
    *_docs_routes(),
)


@dataclass(frozen=True)
class RouteMatch:
    """The outcome of matching a path: an endpoint with its arguments, or the allowed methods."""

    route: ApiRoute | None
    params: dict[str, Any]
    allowed: frozenset[str] = frozenset()


def _literal_prefix(route: ApiRoute) -> str:
    """The fixed text a route's path starts with (everything before its first parameter)."""
    return route.pattern.pattern[1:].split("(?P<", 1)[0].replace("\\", "")


@dataclass(frozen=True)
class _Index:
    """A route table indexed by literal prefix, so a path is only tried against its own few routes."""

    #: literal prefix ending in ``/`` (or a whole literal path) -> (position in the table, route)
    by_prefix: dict[str, tuple[tuple[int, ApiRoute], ...]]
    #: routes whose literal part ends inside a segment: always tried
    others: tuple[tuple[int, ApiRoute], ...]


def _build_index(routes: tuple[ApiRoute, ...]) -> _Index:
    by_prefix: dict[str, list[tuple[int, ApiRoute]]] = {}
    others: list[tuple[int, ApiRoute]] = []
    for position, route in enumerate(routes):
        prefix = _literal_prefix(route)
        if prefix.endswith("$"):  # a path without parameters
            by_prefix.setdefault(prefix[:-1], []).append((position, route))
        elif prefix.endswith("/"):
            by_prefix.setdefault(prefix, []).append((position, route))
        else:
            others.append((position, route))
    return _Index({k: tuple(v) for k, v in by_prefix.items()}, tuple(others))


_Folders = dict[str, list[tuple[int, ApiRoute]]]
#: Per route table (by id, checked by identity): its index and the candidates kept per folder.
_INDEXES: dict[int, tuple[tuple[ApiRoute, ...], _Index, _Folders]] = {}
#: Most folder parts (``path`` up to its last ``/``) whose prefix candidates are kept per table.
_KEPT_FOLDERS = 1024


def _index(routes: tuple[ApiRoute, ...]) -> tuple[_Index, _Folders]:
    held = _INDEXES.get(id(routes))
    if held is None or held[0] is not routes:
        held = _INDEXES[id(routes)] = (routes, _build_index(routes), {})
    return held[1], held[2]


def _candidates(path: str, routes: tuple[ApiRoute, ...]) -> list[ApiRoute]:
    """The routes whose literal prefix ``path`` starts with, in table order.

    Every prefix key ends in ``/``, so the prefix hits depend only on ``path`` up to its last ``/``
    (``/api/resource/ToDo/`` for any ToDo name without a slash): they are kept per such folder
    (at most :data:`_KEPT_FOLDERS`); a whole literal path is looked up each time.
    """
    index, folders = _index(routes)
    folder = path[: path.rfind("/") + 1]
    by_folder = folders.get(folder)
    if by_folder is None:
        by_folder = list(index.others)
        lookup = index.by_prefix
        slash = folder.find("/")
        while slash != -1:
            hit = lookup.get(folder[: slash + 1])
            if hit:
                by_folder.extend(hit)
            slash = folder.find("/", slash + 1)
        by_folder.sort(key=lambda item: item[0])
        if len(folders) >= _KEPT_FOLDERS:
            folders.clear()
        folders[folder] = by_folder
    exact = index.by_prefix.get(path) if path != folder else None
    if not exact:
        return [route for _position, route in by_folder]
    found = [*by_folder, *exact]
    found.sort(key=lambda item: item[0])
    return [route for _position, route in found]


def match_route(path: str, method: str, routes: tuple[ApiRoute, ...] = ROUTES) -> RouteMatch:
    """Find the endpoint for ``method path`` (only routes sharing the path's first segments are tried).

    Routes are tried in table order; a pattern several routes share (one per method) is matched
    once.
    """
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    allowed: set[str] = set()
    tried: dict[int, re.Match[str] | None] = {}  # by id: hashing a compiled pattern hashes its code
    for route in _candidates(path, routes):
        pattern = route.pattern
        key = id(pattern)
        if key in tried:
            found = tried[key]
        else:
            found = tried[key] = pattern.match(path)
        if found is None:
            continue
        if method in route.methods:
            return RouteMatch(route, found.groupdict())
        allowed |= route.methods
    return RouteMatch(None, {}, frozenset(allowed))
