"""Sites: a folder of sites, each with its own Settings, database, metadata and controllers.

A sites folder holds ``common_site_config.json`` and one sub-folder per site with its
``site_config.json``. A request picks its site by the ``X-Frappe-Site-Name`` header, else the
``Host`` header (port stripped), else the default site (``default_site`` in the common config, or
the only site). A registry built with ``forced_site`` (``docframe serve --site X``, like
``bench --site X serve``) serves that site to every request, whatever the headers say. :meth:`Site.unit_of_work` opens the transaction every request and job runs in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection

import docframe
from docframe import errors
from docframe.auth.users import User
from docframe.context import Context, current
from docframe.db.connections import ConnectionCache, Held
from docframe.db.engine import Database, open_engine
from docframe.db.tables import TableRegistry
from docframe.db.versions import bump_version, read_version
from docframe.hooks import HookRegistry
from docframe.meta.registry import MetaRegistry, builtin_doctype_root, custom_doctype_source
from docframe.model.controllers import ControllerRegistry
from docframe.settings import Settings, load_settings, read_json_file
from docframe.web.spa import SinglePageApp, load_single_page_apps

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
        #: Driver connections kept between units of work (see docframe.db.connections).
        self.connections = ConnectionCache(self.db.engine)
        self.tables = TableRegistry()
        self.metas = MetaRegistry.from_folders(_app_packages(settings.apps))
        loader, lister = custom_doctype_source(self.db.engine.connect, self._doctype_table)
        self.metas.attach_custom_source(loader, lister)
        self.controllers = ControllerRegistry(self.metas)
        self.hooks = HookRegistry(settings.apps)
        #: The front ends the site's apps ship (checked now, so a bad declaration fails at start-up).
        self.single_page_apps: tuple[SinglePageApp, ...] = load_single_page_apps(self.hooks.single_page_apps)
        self.time_zone = _zone(settings.time_zone)
        #: Small per-process caches other modules own (keyed by owner name).
        self.cache: dict[str, Any] = {}
        self._meta_lock = threading.Lock()
        self._meta_listeners: list[Callable[[str | None], None]] = []
        self._meta_seen: int | None = None
        self._meta_checked = float("-inf")

    def _doctype_table(self, doctype: str) -> Any:
        return self.tables.get(self.metas.get(doctype))

    @classmethod
    def open(cls, site_path: Path) -> Site:
        """Open the site stored in ``site_path``."""
        return cls(load_settings(site_path))

    def connect(self) -> Connection:
        """A new connection from the site's pool."""
        return self.db.engine.connect()

    # -- metadata freshness across processes -------------------------------------------------------

    def refresh_metadata(self, *, force: bool = False) -> bool:
        """Drop cached metadata if DocType definitions changed elsewhere; True when dropped.

        Reads the version counter (:mod:`docframe.db.versions`) at most once per
        ``settings.meta_check_interval`` seconds, so requests in between run no extra query. The
        first successful read also drops whatever was cached before it (nothing to compare with).
        """
        now = time.monotonic()
        if not force and now - self._meta_checked < self.settings.meta_check_interval:
            return False
        if not self._meta_lock.acquire(blocking=False):
            return False  # another thread is checking right now
        try:
            self._meta_checked = now
            version = self._read_meta_version()
            if version is None or version == self._meta_seen:
                return False
            self._meta_seen = version
            self.forget_metadata()
            return True
        finally:
            self._meta_lock.release()

    def _refresh_metadata_within(self, conn: Connection | PoolProxiedConnection) -> None:
        """The write-path check: read the version in the unit of work's own transaction."""
        if self._meta_seen is None:
            return  # no counter table yet (a failed read would abort a PostgreSQL transaction)
        version = read_version(conn, self.tables.framework.versions, dialect=self.db.engine.dialect)
        if version != self._meta_seen:
            self._meta_seen = version
            self.forget_metadata()

    def _read_meta_version(self) -> int | None:
        try:
            with self.db.engine.connect() as conn:
                return read_version(conn, self.tables.framework.versions)
        except SQLAlchemyError:  # not installed or migrated yet: no counter to read
            return None

    def forget_metadata(self, doctype: str | None = None) -> None:
        """Drop this process's cached meta and table of ``doctype`` (or of every DocType)."""
        self.metas.invalidate(doctype)
        self.tables.forget(doctype)
        for listener in list(self._meta_listeners):
            listener(doctype)

    def on_metadata_forgotten(self, listener: Callable[[str | None], None]) -> None:
        """Call ``listener(doctype)`` (``None`` = every DocType) whenever cached metadata is dropped.

        For per-site caches derived from definitions (permission rows, field levels...), so they
        follow DocType changes made by this process or, via the version check, by any other.
        """
        self._meta_listeners.append(listener)

    def metadata_changed(self, ctx: Context, doctype: str | None = None) -> None:
        """Record in ``ctx``'s transaction that DocType definitions changed.

        Raises the shared version counter (other processes drop their caches at their next check)
        and drops this process's cached meta of ``doctype`` once the transaction commits.
        """
        bump_version(ctx.conn, self.tables.framework.versions)
        ctx.after_commit.append(lambda: self.forget_metadata(doctype))

    def unit_of_work(
        self, user: User, *, write: bool = True, form: dict[str, Any] | None = None
    ) -> UnitOfWork:
        """A unit of work (``with site.unit_of_work(user) as ctx``): see :class:`UnitOfWork`."""
        return UnitOfWork(self, user, write, form)

    def dispose(self) -> None:
        """Write what is still queued (request log) and close every pooled connection."""
        writer = self.cache.get("request_log")
        if writer is not None:
            writer.close()
        self.connections.close()
        self.db.engine.dispose()


def _quietly(action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception:  # cleaning up after an error that is already propagating
        logging.getLogger("docframe.db").debug("clean-up failed", exc_info=True)


def _ended() -> Any:
    raise RuntimeError("docframe: this unit of work has ended; open a new one to use the database")


def _close(ctx: Context) -> None:
    """Detach an ended unit of work's context from its (now reused) connections."""
    ctx._conn = ctx._raw = None
    ctx.opener = ctx.raw_opener = _ended


def _run_quietly(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        _quietly(callback)


class UnitOfWork:
    """One unit of work on a site, used as ``with site.unit_of_work(user) as ctx``.

    Its transaction opens on first use of the database; it commits when ``write`` and no error,
    else rolls back. Work that never touches the database opens none. Prepared statements run on
    the driver connection (``ctx.raw``, one of :attr:`Site.connections`); a SQLAlchemy Connection
    (``ctx.conn``) is made over it only when some code asks for one. ``after_commit`` callbacks run
    after a commit, ``after_rollback`` ones after a rollback.

    Cached metadata is checked against the shared version first: a write always checks (in its own
    transaction, one primary-key read) so it never saves with a stale definition and drops a new
    field; a read checks at most once per ``settings.meta_check_interval``.
    """

    __slots__ = ("_held", "_token", "_trans", "ctx", "site", "write")

    def __init__(self, site: Site, user: User, write: bool, form: dict[str, Any] | None) -> None:
        self.site = site
        self.write = write
        self._held: Held | None = None
        self._trans: Any = None
        self.ctx = Context(
            site=site,
            user=user,
            form=form if form is not None else {},
            write=write,
            opener=self._open_connection,
            raw_opener=self._open_raw,
        )

    def _open_raw(self) -> PoolProxiedConnection:
        site = self.site
        held = site.connections.acquire()
        dbapi_connection = held.fairy.dbapi_connection
        try:
            site.db.dialect.begin_raw(dbapi_connection, write=self.write)
            self._held = held
            if self.write:
                site._refresh_metadata_within(held.fairy)
        except BaseException:
            self._held = None
            _quietly(dbapi_connection.rollback)  # type: ignore[union-attr]
            site.connections.release(held, reusable=False)
            raise
        return held.fairy

    def _open_connection(self) -> Connection:
        self.ctx.raw  # noqa: B018 - the driver connection and its transaction come first
        held = self._held
        assert held is not None
        if held.conn is None:
            held.conn = Connection(self.site.db.engine, connection=held.fairy)
        conn = held.conn.execution_options(docframe_write=self.write)
        self._trans = conn.begin()
        return conn

    def __enter__(self) -> Context:
        self.site.refresh_metadata(force=self.write and self.site._meta_seen is None)
        self._token = current.set(self.ctx)
        return self.ctx

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        ctx = self.ctx
        try:
            if kind is not None:
                try:
                    self._finish(commit=False)
                finally:
                    _close(ctx)
                    _run_quietly(ctx.after_rollback)
                return
            try:
                self._finish(commit=self.write)
            except BaseException:
                _close(ctx)
                _run_quietly(ctx.after_rollback)
                raise
            _close(ctx)
            for callback in ctx.after_commit if self.write else ctx.after_rollback:
                callback()
        finally:
            current.reset(self._token)

    def _finish(self, *, commit: bool) -> None:
        """End the transaction (commit or roll back) and hand the connection back.

        Through the SQLAlchemy Connection's transaction when one was begun, else on the driver
        connection itself; a failed commit is re-raised as SQLAlchemy's error class. The connection
        is kept for the next unit of work unless something went wrong with it.
        """
        held = self._held
        if held is None:
            return
        reusable = False
        try:
            if not commit:
                # A rollback that fails (a lost connection) must not hide the error being raised:
                # the connection is then given back to the pool instead of being kept.
                try:
                    if self._trans is not None:
                        self._trans.rollback()
                    elif held.fairy.dbapi_connection is not None:
                        held.fairy.dbapi_connection.rollback()
                except Exception:
                    logging.getLogger("docframe.db").warning("rollback failed", exc_info=True)
                    return
            elif self._trans is not None:
                self._trans.commit()
            else:
                dbapi_connection = held.fairy.dbapi_connection
                if dbapi_connection is None:  # invalidated after a lost connection: nothing to end
                    return
                try:
                    dbapi_connection.commit()
                except Exception as error:
                    _quietly(dbapi_connection.rollback)
                    dialect = self.site.db.engine.dialect
                    raise DBAPIError.instance(
                        "COMMIT", (), error, dialect.loaded_dbapi.Error, dialect=dialect
                    ) from error
            reusable = True
        finally:
            self._held = None
            self.site.connections.release(held, reusable=reusable)


class SiteRegistry:
    """The sites of one sites folder, opened on first use."""

    def __init__(
        self, sites_path: Path, default_site: str | None = None, *, forced_site: str | None = None
    ) -> None:
        self.sites_path = sites_path.resolve()
        common = read_json_file(self.sites_path / "common_site_config.json")
        self.default_site = forced_site or default_site or common.get("default_site") or self._only_site()
        #: The one site every request gets (``serve --site``), or None to choose per request.
        self.forced_site = forced_site or None
        self._sites: dict[str, Site] = {}
        self._missing_hosts: dict[str, float] = {}
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
        """The site a request is for: the forced site, else by header, Host, then the default."""
        if self.forced_site:
            return self.get(self.forced_site)
        if site_header:
            return self.get(site_header.strip())
        if host_header:
            host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
            site = self._sites.get(host)
            if site is not None:
                return site
            if self._host_is_site(host):
                return self.get(host)
        if self.default_site:
            return self.get(self.default_site)
        raise errors.DoesNotExistError("No site matches this request")

    def _host_is_site(self, host: str) -> bool:
        """Whether a site folder is named ``host`` (misses are remembered for a few seconds)."""
        checked = self._missing_hosts.get(host)
        now = time.monotonic()
        if checked is not None and now - checked < 5.0:
            return False
        if (
            host
            and "/" not in host
            and not host.startswith(".")
            and (self.sites_path / host / "site_config.json").is_file()
        ):
            return True
        if len(self._missing_hosts) > 1000:
            self._missing_hosts.clear()
        self._missing_hosts[host] = now
        return False

    def close(self) -> None:
        """Dispose every open site's engine."""
        for site in self._sites.values():
            site.dispose()
