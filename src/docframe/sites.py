"""Sites: a folder of sites, each with its own Settings, database, metadata and controllers.

A sites folder holds ``common_site_config.json`` and one sub-folder per site with its
``site_config.json``. A request picks its site by the ``X-Frappe-Site-Name`` header, else the
``Host`` header (port stripped), else the default site (``default_site`` in the common config, or
the only site). :meth:`Site.unit_of_work` opens the transaction every request and job runs in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

import docframe
from docframe import errors
from docframe.auth.users import User
from docframe.context import Context, current
from docframe.db.engine import Database, open_engine
from docframe.db.tables import TableRegistry
from docframe.hooks import HookRegistry
from docframe.meta.registry import MetaRegistry, builtin_doctype_root, custom_doctype_source
from docframe.model.controllers import ControllerRegistry
from docframe.settings import Settings, load_settings, read_json_file

__all__ = ["Site", "SiteRegistry"]


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return None


def _app_packages(apps: tuple[str, ...]) -> list[tuple[str, Path, Path]]:
    import importlib

    packages = [("docframe", Path(docframe.__file__).parent, builtin_doctype_root())]
    for app in apps:
        module = importlib.import_module(app)
        root = Path(module.__file__ or "").parent
        packages.append((app, root, root))
    return packages


class Site:
    """Everything one site needs at run time. Built once per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = settings.site_name
        self.db: Database = open_engine(settings.db_url)
        self.tables = TableRegistry()
        self.metas = MetaRegistry.from_folders(_app_packages(settings.apps))
        loader, lister = custom_doctype_source(self.db.engine.connect, self._doctype_table)
        self.metas.attach_custom_source(loader, lister)
        self.controllers = ControllerRegistry(self.metas)
        self.hooks = HookRegistry(settings.apps)
        self.time_zone = _zone(settings.time_zone)
        #: Small per-process caches other modules own (keyed by owner name).
        self.cache: dict[str, Any] = {}

    def _doctype_table(self, doctype: str) -> Any:
        return self.tables.get(self.metas.get(doctype))

    @classmethod
    def open(cls, site_path: Path) -> Site:
        """Open the site stored in ``site_path``."""
        return cls(load_settings(site_path))

    def connect(self) -> Connection:
        """A new connection from the site's pool."""
        return self.db.engine.connect()

    @contextmanager
    def unit_of_work(
        self, user: User, *, write: bool = True, form: dict[str, Any] | None = None
    ) -> Iterator[Context]:
        """Open a connection and a transaction; commit when ``write`` and no error, else roll back."""
        with self.db.engine.connect() as conn:
            if write:
                conn = conn.execution_options(docframe_write=True)
            trans = conn.begin()
            ctx = Context(site=self, conn=conn, user=user, form=form or {})
            token = current.set(ctx)
            try:
                yield ctx
            except BaseException:
                trans.rollback()
                raise
            else:
                if write:
                    trans.commit()
                    for callback in ctx.after_commit:
                        callback()
                else:
                    trans.rollback()
            finally:
                current.reset(token)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.db.engine.dispose()


class SiteRegistry:
    """The sites of one sites folder, opened on first use."""

    def __init__(self, sites_path: Path, default_site: str | None = None) -> None:
        self.sites_path = sites_path.resolve()
        common = read_json_file(self.sites_path / "common_site_config.json")
        self.default_site = default_site or common.get("default_site") or self._only_site()
        self._sites: dict[str, Site] = {}
        self._lock = threading.Lock()

    def _only_site(self) -> str | None:
        names = self.names()
        return names[0] if len(names) == 1 else None

    def names(self) -> list[str]:
        """Names of the sites in the folder."""
        if not self.sites_path.is_dir():
            return []
        return sorted(p.name for p in self.sites_path.iterdir() if (p / "site_config.json").is_file())

    def get(self, name: str) -> Site:
        """The site called ``name`` (opened on first use); 404 when there is none."""
        site = self._sites.get(name)
        if site is not None:
            return site
        path = self.sites_path / name
        if not name or "/" in name or name.startswith(".") or not (path / "site_config.json").is_file():
            raise errors.DoesNotExistError(f"Site {name} not found")
        with self._lock:
            site = self._sites.get(name)
            if site is None:
                site = Site.open(path)
                self._sites[name] = site
        return site

    def resolve(self, site_header: str | None, host_header: str | None) -> Site:
        """The site a request is for."""
        if site_header:
            return self.get(site_header.strip())
        if host_header:
            host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
            site = self._sites.get(host)
            if site is not None:
                return site
            if (self.sites_path / host / "site_config.json").is_file():
                return self.get(host)
        if self.default_site:
            return self.get(self.default_site)
        raise errors.DoesNotExistError("No site matches this request")

    def close(self) -> None:
        """Dispose every open site's engine."""
        for site in self._sites.values():
            site.dispose()
