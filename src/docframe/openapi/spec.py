"""Spec: the OpenAPI 3.1 document of the API as one caller may use it, cached per role set.

:func:`build_document` assembles it from the site's metadata and the caller's rights: the DocTypes
the caller may read (with only the operations their rights allow), the whitelisted methods they may
call (a Guest: only guest methods and login), one schema per DocType without the fields the caller may
not read, and the security schemes. The result is cached per (site, metadata version, role set): a
DocType created or changed at run time raises the metadata version, so the next fetch has it.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import TYPE_CHECKING, Any

import orjson

from docframe import __version__
from docframe.db.versions import read_version
from docframe.model.document import controller_class
from docframe.openapi.components import SECURITY, shared_components
from docframe.openapi.methods import doctype_methods, whitelisted_methods
from docframe.openapi.paths import doctype_paths, filters_schema, login_paths, method_paths
from docframe.openapi.schemas import SchemaNames, doctype_schemas
from docframe.permissions.docperms import custom_perm_cache
from docframe.permissions.fields import level_access
from docframe.permissions.rules import role_rights
from docframe.services import SlotKey

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.meta.schema import Meta
    from docframe.sites import Site
    from docframe.users import User

__all__ = ["SpecCache", "build_document", "openapi_bytes", "spec_cache"]

#: The site's cache of generated OpenAPI documents.
SPEC_CACHE: SlotKey[SpecCache] = SlotKey("openapi")


log = logging.getLogger("docframe.openapi")
Document = dict[str, Any]
_RIGHTS = ("read", "write", "create", "delete", "submit", "cancel")


def _rights(ctx: Context, meta: Meta, user: User) -> frozenset[str]:
    granted = role_rights(ctx, meta, user).doctype_level
    rights = {r for r in _RIGHTS if r in granted}
    if not meta.is_submittable:
        rights -= {"submit", "cancel"}
    if "select" in granted:
        rights.add("read")
    return frozenset(rights)


def _readable_levels(ctx: Context, meta: Meta, user: User) -> frozenset[int] | None:
    if user.is_admin:
        return None
    return level_access(ctx, meta, user).read | {0}


def _add_doctype(ctx: Context, meta: Meta, user: User, names: SchemaNames, doc: Document) -> None:
    if meta.istable:
        return  # described only as part of a readable parent
    rights = _rights(ctx, meta, user)
    if "read" not in rights:
        return  # nothing about a DocType the caller cannot read, not even its child tables
    schemas = doc["components"]["schemas"]
    readable = _readable_levels(ctx, meta, user)
    for field in meta.fields:
        if not field.is_table or not field.options or names(field.options) in schemas:
            continue
        if readable is None or field.permlevel in readable:
            # Child rows are read with their parent's levels (as permissions.fields masks them).
            schemas.update(doctype_schemas(ctx.meta(field.options), names, readable))
    component = names(meta.name)
    schemas.update(doctype_schemas(meta, names, _readable_levels(ctx, meta, user)))
    filters = component + "Filters"
    schemas[filters] = filters_schema(meta)
    try:
        methods = doctype_methods(controller_class(ctx.site, meta), meta)
    except Exception:  # a controller that fails to import: its methods are left out, the rest stays
        log.warning("openapi: controller of %s could not be loaded", meta.name, exc_info=True)
        methods = []
    doc["paths"].update(doctype_paths(meta, rights, component, filters, methods))
    doc["tags"].append({"name": meta.name, "description": f"{meta.name} documents ({meta.module})"})


def build_document(ctx: Context, server_url: str = "/") -> Document:
    """The OpenAPI document for ``ctx.user`` (not cached; see :func:`openapi_bytes`)."""
    user = ctx.user
    doc: Document = {
        "openapi": "3.1.0",
        "info": {
            "title": f"{ctx.site.name} API",
            "version": __version__,
            "description": "The Frappe-compatible REST API of this site, as the requesting user may use it "
            "(generated from the DocType metadata and the whitelisted methods).",
        },
        "servers": [{"url": server_url}],
        "security": SECURITY,
        "tags": [{"name": "Auth", "description": "Logging in"}],
        "paths": {},
        "components": shared_components(),
    }
    doc["paths"].update(login_paths())
    names = SchemaNames()
    collecting = gc.isenabled()
    gc.disable()  # thousands of small dicts, none of them garbage: the collector would only slow this
    try:
        for doctype in ctx.site.metas.all_names(ctx.conn):
            try:
                _add_doctype(ctx, ctx.meta(doctype), user, names, doc)
            except Exception:  # one odd DocType never breaks the document
                log.warning("openapi: DocType %s left out of the document", doctype, exc_info=True)
    finally:
        if collecting:
            gc.enable()
    doc["tags"].append({"name": "Methods", "description": "Whitelisted methods"})
    for info in whitelisted_methods():
        if user.is_guest and not info.allow_guest:
            continue
        doc["paths"].update(method_paths(info))
    return doc


class SpecCache:
    """Encoded documents by (metadata version, permission rows, role set) for one site.

    Only the JSON is kept (a large site's document is megabytes; its Python objects would be ten times
    that), and only the most recent ``size`` role sets.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: dict[tuple[Any, ...], bytes] = {}
        self._lock = threading.Lock()
        #: Raised whenever this process forgets cached metadata.
        self.local_generation = 0

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        """The cached document of ``key``, as JSON."""
        return self._items.get(key)

    def put(self, key: tuple[Any, ...], value: bytes) -> None:
        """Remember ``value`` (the oldest entry goes when full)."""
        with self._lock:
            if len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = value

    def forget(self, _doctype: str | None = None) -> None:
        """Drop everything (metadata changed in this process)."""
        with self._lock:
            self._items.clear()
            self.local_generation += 1


def spec_cache(site: Site) -> SpecCache:
    """The site's document cache (built on first use; cleared whenever metadata is forgotten)."""

    def make() -> SpecCache:
        cache = SpecCache()
        site.on_metadata_forgotten(cache.forget)
        return cache

    return site.services.slot(SPEC_CACHE).get(make)


def _key(ctx: Context, cache: SpecCache, server_url: str) -> tuple[Any, ...]:
    site, user = ctx.site, ctx.user
    version = read_version(ctx.conn, site.tables.framework.versions)
    perms = custom_perm_cache(site)
    perms.rows(lambda: ctx.conn, "")  # reloads Custom DocPerm rows when they are stale
    # The rows are replaced (a new dict) whenever they are reloaded: their identity is their version.
    perm_rows = id(getattr(perms, "_rows", None))
    return (
        version,
        cache.local_generation,
        site.metas.version,
        perm_rows,
        user.is_admin,
        user.roles,
        server_url,
    )


def openapi_bytes(ctx: Context, server_url: str = "/") -> bytes:
    """The caller's OpenAPI document as JSON, from the cache when metadata and roles are unchanged."""
    cache = spec_cache(ctx.site)
    key = _key(ctx, cache, server_url)
    found = cache.get(key)
    if found is None:
        found = orjson.dumps(build_document(ctx, server_url))
        cache.put(key, found)
    return found
