"""MetaRegistry: the cached, per-site source of every DocType's :class:`~docframe.meta.schema.Meta`.

Standard DocTypes (docframe's built-ins and each installed app's) are read from their JSON files
once. Custom DocTypes (``custom: 1``, created through the API) live in the database
(``tabDocType`` + ``tabDocField`` + ``tabDocPerm``) and are read on first use. :meth:`invalidate`
drops a cached entry when a DocType changes; :attr:`version` counts changes so derived caches
(the link index below) know when to rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from docframe.errors import DoesNotExistError
from docframe.meta.loader import find_doctype_files, load_meta, read_definition
from docframe.meta.schema import Meta

__all__ = ["LinkRef", "MetaRegistry", "builtin_doctype_root"]


def builtin_doctype_root() -> Path:
    """Folder of docframe's built-in DocType definitions."""
    return Path(__file__).resolve().parent.parent / "doctypes"


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A field somewhere that may hold a reference to a document of some DocType."""

    doctype: str
    fieldname: str
    istable: bool
    issingle: bool
    dynamic: bool = False
    doctype_field: str = ""


#: Reads the stored definition of a custom DocType (None when there is none).
CustomLoader = Callable[[Connection | None, str], "dict[str, Any] | None"]
#: Lists the names of custom DocTypes.
CustomLister = Callable[[Connection | None], "list[str]"]


class MetaRegistry:
    """Cached metadata of one site."""

    def __init__(
        self, standard: Mapping[str, dict[str, Any]], module_of: Mapping[str, str] | None = None
    ) -> None:
        self._standard = dict(standard)
        #: Python module beside each standard DocType's JSON file (its controller lives there).
        self.module_of: dict[str, str] = dict(module_of or {})
        self._cache: dict[str, Meta] = {}
        self._lock = threading.Lock()
        self._custom_loader: CustomLoader | None = None
        self._custom_lister: CustomLister | None = None
        self.version = 0
        self._link_index: tuple[int, dict[str, list[LinkRef]]] | None = None

    @classmethod
    def from_folders(cls, packages: Iterable[tuple[str, Path, Path]]) -> MetaRegistry:
        """Build a registry from ``(package, package_dir, search_dir)`` triples of DocType files."""
        standard: dict[str, dict[str, Any]] = {}
        module_of: dict[str, str] = {}
        for package, package_dir, search_dir in packages:
            for path in find_doctype_files(search_dir):
                definition = read_definition(path)
                standard[definition["name"]] = definition
                rel = path.with_suffix("").relative_to(package_dir)
                module_of[definition["name"]] = ".".join((package, *rel.parts))
        return cls(standard, module_of)

    def attach_custom_source(self, loader: CustomLoader, lister: CustomLister) -> None:
        """Tell the registry how to read custom DocTypes from the database."""
        self._custom_loader = loader
        self._custom_lister = lister

    @property
    def standard_names(self) -> list[str]:
        """Names of every standard DocType."""
        return sorted(self._standard)

    def standard_definition(self, doctype: str) -> dict[str, Any] | None:
        """The file definition of a standard DocType."""
        return self._standard.get(doctype)

    def is_standard(self, doctype: str) -> bool:
        """Whether ``doctype`` is defined by a file (not created at run time)."""
        return doctype in self._standard

    def cached(self, doctype: str) -> Meta | None:
        """The meta of ``doctype`` if this process has it cached, else None (no database access)."""
        return self._cache.get(doctype)

    def get(self, doctype: str, conn: Connection | None = None) -> Meta:
        """The meta of ``doctype``; :class:`DoesNotExistError` (404) when there is no such DocType."""
        meta = self._cache.get(doctype)
        if meta is not None:
            return meta
        meta = self._load(doctype, conn)
        if meta is None:
            raise DoesNotExistError(f"DocType {doctype} not found", doctype="DocType")
        with self._lock:
            self._cache[doctype] = meta
        return meta

    def exists(self, doctype: str, conn: Connection | None = None) -> bool:
        """Whether ``doctype`` is a known DocType."""
        if not isinstance(doctype, str) or not doctype:
            return False
        try:
            self.get(doctype, conn)
        except DoesNotExistError:
            return False
        return True

    def _load(self, doctype: str, conn: Connection | None) -> Meta | None:
        if not isinstance(doctype, str) or not doctype or len(doctype) > 140:
            return None
        definition = self._standard.get(doctype)
        if definition is None and self._custom_loader is not None:
            definition = self._custom_loader(conn, doctype)
        # Names are exact on every backend (MariaDB would match "todo" to "ToDo" by collation).
        if definition is None or definition.get("name") != doctype:
            return None
        return load_meta(definition)

    def put(self, meta: Meta) -> None:
        """Cache ``meta`` (used right after a DocType is saved in this process)."""
        with self._lock:
            self._cache[meta.name] = meta
            self.version += 1

    def invalidate(self, doctype: str | None = None) -> None:
        """Forget the cached meta of ``doctype`` (or of every DocType)."""
        with self._lock:
            if doctype is None:
                self._cache.clear()
            else:
                self._cache.pop(doctype, None)
            self.version += 1

    def all_names(self, conn: Connection | None = None) -> list[str]:
        """Every DocType name: standard and custom."""
        names = set(self._standard)
        if self._custom_lister is not None:
            names.update(self._custom_lister(conn))
        return sorted(names)

    def links_to(self, target: str, conn: Connection | None = None) -> list[LinkRef]:
        """Every Link field (and every Dynamic Link) that may point at a ``target`` document."""
        cached = self._link_index
        if cached is None or cached[0] != self.version:
            index: dict[str, list[LinkRef]] = {}
            for name in self.all_names(conn):
                try:
                    meta = self.get(name, conn)
                except DoesNotExistError:
                    continue
                for f in meta.link_fields:
                    dynamic = f.fieldtype == "Dynamic Link"
                    key = "*" if dynamic else f.options
                    index.setdefault(key, []).append(
                        LinkRef(
                            meta.name,
                            f.fieldname,
                            meta.istable,
                            meta.issingle,
                            dynamic,
                            f.options if dynamic else "",
                        )
                    )
            cached = (self.version, index)
            self._link_index = cached
        return cached[1].get(target, []) + cached[1].get("*", [])


def custom_doctype_source(
    connect: Callable[[], Any], tables: Callable[[str], Any]
) -> tuple[CustomLoader, CustomLister]:
    """Database readers for custom DocTypes, given a connection factory and a table lookup."""

    def _rows(conn: Connection, doctype: str) -> dict[str, Any] | None:
        dt, df, dp = tables("DocType"), tables("DocField"), tables("DocPerm")
        row = conn.execute(select(dt).where(dt.c.name == doctype, dt.c.custom == 1)).mappings().first()
        if row is None:
            return None
        definition = {k: v for k, v in row.items() if v not in (None, "") and not k.startswith("_")}
        definition["fields"] = [
            {k: v for k, v in r.items() if v not in (None, "")}
            for r in conn.execute(
                select(df).where(df.c.parent == doctype, df.c.parenttype == "DocType").order_by(df.c.idx)
            ).mappings()
        ]
        definition["permissions"] = [
            {k: v for k, v in r.items() if v not in (None, "")}
            for r in conn.execute(
                select(dp).where(dp.c.parent == doctype, dp.c.parenttype == "DocType").order_by(dp.c.idx)
            ).mappings()
        ]
        definition["modified"] = str(row["modified"])
        return definition

    def loader(conn: Connection | None, doctype: str) -> dict[str, Any] | None:
        if conn is not None:
            return _rows(conn, doctype)
        with connect() as own:
            return _rows(own, doctype)

    def lister(conn: Connection | None) -> list[str]:
        dt = tables("DocType")
        stmt = select(dt.c.name).where(dt.c.custom == 1)
        if conn is not None:
            return [r[0] for r in conn.execute(stmt)]
        with connect() as own:
            return [r[0] for r in own.execute(stmt)]

    return loader, lister
