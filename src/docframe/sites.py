"""Sites: a folder of sites, each with its own Settings, database, metadata and controllers.

A sites folder holds ``common_site_config.json`` and one sub-folder per site with its
``site_config.json``. A request picks its site by the ``X-Frappe-Site-Name`` header, else the
``Host`` header (port stripped), else the default site (``default_site`` in the common config, or
the only site). A registry built with ``forced_site`` (``docframe serve --site X``, like
``bench --site X serve``) serves that site to every request, whatever the headers say.
:meth:`Site.unit_of_work` opens the transaction every request and job runs in.
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
from sqlalchemy.exc import SQLAlchemyError

from docframe import errors
from docframe.concurrency import RequestThreads
from docframe.context import Context, current
from docframe.db.connections import ConnectionCache
from docframe.db.engine import Database, open_engine
from docframe.db.prepared import observed
from docframe.db.tables import TableRegistry
from docframe.db.versions import bump_version, read_version
from docframe.hooks import HookRegistry
from docframe.meta.controllers import ControllerRegistry
from docframe.meta.registry import MetaRegistry, builtin_doctype_root, custom_doctype_source
from docframe.secret_box import SecretBox
from docframe.services import SiteServices
from docframe.settings import Settings, load_settings, read_json_file
from docframe.users import User

__all__ = ["Site", "SiteRegistry"]

#: The longest site name (bytes): a folder name may be at most 255 bytes on common file systems.
MAX_SITE_NAME = 255
#: Longest a write unit of work waits for this process's other SQLite writers before going ahead.
WRITER_WAIT_SECONDS = 30.0
#: Where a driver connection keeps (its commits count, the metadata version) of its last version read.
_META_READ = "docframe_meta_read"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return None


def _app_packages(apps: tuple[str, ...]) -> list[tuple[str, Path, Path]]:
    import importlib

    packages = [("docframe", Path(__file__).parent, builtin_doctype_root())]
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
        #: Seals Password-field values; an empty or malformed ``encryption_key`` stops the load here.
        self.secrets = SecretBox(
            settings.encryption_key,
            settings.previous_encryption_keys,
            legacy_key=settings.legacy_encryption_key,
            site=settings.site_name,
        )
        #: One pooled connection per request thread (see docframe.db.engine for the pool's set-up).
        self.db: Database = open_engine(settings.db_url, pool_size=settings.request_threads)
        #: SQLAlchemy Connections kept between units of work (see docframe.db.connections).
        self.connections = ConnectionCache(self.db.engine, size=settings.request_threads)
        #: The threads requests of this site run in (see docframe.concurrency).
        self.threads = RequestThreads(settings.request_threads, self.name, lazy=self.db.backend == "sqlite")
        #: SQLite has one writer at a time: this process's write transactions queue on this lock
        #: (a wake-up on release) instead of in SQLite's busy handler (sleeps of up to 100 ms).
        self.writer: threading.RLock | None = threading.RLock() if self.db.backend == "sqlite" else None
        self.tables = TableRegistry()
        self.metas = MetaRegistry.from_folders(_app_packages(settings.apps))
        loader, lister = custom_doctype_source(self.db.engine.connect, self._doctype_table)
        self.metas.attach_custom_source(loader, lister)
        self.controllers = ControllerRegistry(self.metas)
        self.hooks = HookRegistry(settings.apps)
        self.time_zone = _zone(settings.time_zone)
        #: The site's other registries, caches and stores, each built on first use by its owner.
        self.services = SiteServices()
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

    def _refresh_metadata_within(self, conn: Connection) -> None:
        """The write-path check: read the version in the unit of work's own transaction.

        Where the backend counts other connections' commits (SQLite's ``PRAGMA data_version``,
        :func:`docframe.db.dialects.sqlite.commits_seen`), the read is skipped when no other
        connection has committed since this connection last read the version and that reading is
        still the one this process holds: the counter cannot have moved. This connection's own
        commits do not move the count; a DocType change made through it dropped this process's
        cache when it committed (:meth:`metadata_changed`). Not while SQL is logged or traced (the
        version is then read with a statement the log sees).
        """
        if self._meta_seen is None:
            return  # no counter table yet (a failed read would abort a PostgreSQL transaction)
        fairy = conn.connection
        commits = None
        if not conn.get_execution_options().get("docframe_observed"):
            commits = self.db.dialect.commits_seen(fairy)
            if commits is not None and fairy.info.get(_META_READ) == (commits, self._meta_seen):
                return
        version = read_version(conn, self.tables.framework.versions)
        if version != self._meta_seen:
            self._meta_seen = version
            self.forget_metadata()
        if commits is not None:
            fairy.info[_META_READ] = (commits, version)

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
        """Close the services that asked to be closed (the request log writes what is still queued),
        then every pooled connection."""
        self.services.close()
        self.threads.close()
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
    """Detach an ended unit of work's context from its (now pooled) connection."""
    ctx._conn = None
    ctx.opener = _ended


def _run_before_commit(ctx: Context) -> None:
    """Run ``ctx.before_commit`` in order (a callback may add more); errors propagate (rollback)."""
    index = 0
    while index < len(ctx.before_commit):
        ctx.before_commit[index]()
        index += 1


def _run_quietly(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        _quietly(callback)


class UnitOfWork:
    """One unit of work on a site, used as ``with site.unit_of_work(user) as ctx``.

    Its transaction opens on first use of the database: one SQLAlchemy Connection (``ctx.conn``,
    kept between units of work by :attr:`Site.connections`) and one transaction on it, begun
    read-only or for writing as the backend's module says (SQLite: ``BEGIN`` or ``BEGIN IMMEDIATE``,
    behind this process's writer lock). Every statement, prepared ones included (:mod:`docframe.db.prepared`), runs on that Connection. It
    commits when ``write`` and no error, else rolls back, then is handed back; work that never
    touches the database opens none. ``after_commit`` callbacks run after a commit,
    ``after_rollback`` ones after a rollback.

    Cached metadata is checked against the shared version first: a write always checks (in its own
    transaction: one primary-key read, or on SQLite ``PRAGMA data_version`` while no other connection
    has committed since, see :meth:`Site._refresh_metadata_within`) so it never saves with a stale
    definition and drops a new field; a read checks at most once per ``settings.meta_check_interval``.
    """

    __slots__ = ("_conn", "_token", "_trans", "_writing", "ctx", "site", "write")

    def __init__(self, site: Site, user: User, write: bool, form: dict[str, Any] | None) -> None:
        self.site = site
        self.write = write
        self._conn: Connection | None = None
        self._trans: Any = None
        self._writing = False
        self.ctx = Context(
            site=site,
            user=user,
            form=form if form is not None else {},
            write=write,
            opener=self._open,
        )

    def _open(self) -> Connection:
        site = self.site
        conn = site.connections.acquire()
        try:
            # docframe_write: read by the backend's begin hook; docframe_observed: by db.prepared.
            # A kept Connection usually has them right already (setting them costs a few µs).
            options = conn.get_execution_options()
            seen = observed(conn)
            if seen and not options.get("docframe_observed"):
                # SQLAlchemy decides whether a Connection logs its SQL when it is made: a new one.
                site.connections.release(conn)
                conn = site.db.engine.connect()
                options = conn.get_execution_options()
            site.db.dialect.maintain(conn.connection)
            if self.write and site.writer is not None:
                # Past the wait, SQLite's own busy timeout takes over (another process may write).
                self._writing = site.writer.acquire(timeout=WRITER_WAIT_SECONDS)
            if (
                options.get("docframe_write") is not self.write
                or options.get("docframe_observed") is not seen
            ):
                conn.execution_options(docframe_write=self.write, docframe_observed=seen)
            self._trans = conn.begin()
            if self.write:
                site._refresh_metadata_within(conn)
        except BaseException:
            trans, self._trans = self._trans, None
            reusable = False
            try:
                if trans is not None:
                    trans.rollback()
                reusable = not conn.in_transaction()
            except Exception:  # it may still be inside a transaction: it is not reused
                logging.getLogger("docframe.db").debug("rollback failed", exc_info=True)
            site.connections.release(conn, reusable=reusable)
            self._release_writer()
            raise
        self._conn = conn
        return conn

    def _release_writer(self) -> None:
        if self._writing:
            self._writing = False
            self.site.writer.release()  # type: ignore[union-attr]

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
            if self.write and ctx.before_commit:
                try:
                    _run_before_commit(ctx)
                except BaseException:
                    try:
                        self._finish(commit=False)
                    finally:
                        _close(ctx)
                        _run_quietly(ctx.after_rollback)
                    raise
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
        """End the transaction (commit or roll back) and hand the Connection back.

        The Connection is kept for the next unit of work (:attr:`Site.connections`). The pool does
        not reset connections on return (``pool_reset_on_return=None``, see
        :func:`docframe.db.engine.open_engine`): the transaction always ends here. A commit or a
        rollback that fails (a lost server, a SQLite lock) drops the connection (invalidated, never
        handed out again); a failed commit is raised, a failed rollback is logged (it must not hide
        the error being raised).
        """
        conn, trans = self._conn, self._trans
        if conn is None:
            return
        self._conn = self._trans = None
        reusable = False
        try:
            if commit:
                trans.commit()
            else:
                try:
                    trans.rollback()
                except Exception:
                    logging.getLogger("docframe.db").warning("rollback failed", exc_info=True)
                    return
            reusable = True
        finally:
            self.site.connections.release(conn, reusable=reusable)
            self._release_writer()


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
        path = self._site_folder(name)
        if path is None:
            raise errors.DoesNotExistError(f"Site {name[:64]} not found")
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

    def resolve_open(self, site_header: str | None, host_header: str | None) -> Site | None:
        """The site a request is for when it is already open (no file or database access), else None.

        The event loop uses it; a request for a site not yet open resolves it with
        :meth:`resolve` in a thread.
        """
        if self.forced_site:
            return self._sites.get(self.forced_site)
        if site_header:
            return self._sites.get(site_header.strip())
        if host_header:
            host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
            site = self._sites.get(host)
            if site is not None:
                return site
            checked = self._missing_hosts.get(host)
            if checked is None or time.monotonic() - checked >= 5.0:
                return None  # not known to be a miss: resolve() checks the folder (and remembers)
        return self._sites.get(self.default_site) if self.default_site else None

    def _host_is_site(self, host: str) -> bool:
        """Whether a site folder is named ``host`` (misses are remembered for a few seconds)."""
        checked = self._missing_hosts.get(host)
        now = time.monotonic()
        if checked is not None and now - checked < 5.0:
            return False
        if self._site_folder(host) is not None:
            return True
        if len(self._missing_hosts) > 1000:
            self._missing_hosts.clear()
        self._missing_hosts[host] = now
        return False

    def _site_folder(self, name: str) -> Path | None:
        """The folder of site ``name`` when it is a plausible folder name holding a site, else ``None``.

        Names come from request headers: anything that is not one plain folder name (empty, a path,
        hidden, a control character, longer than a file name may be) is no site, without asking the
        file system (which would fail with "file name too long" on a 300-character header).
        """
        if (
            not name
            or len(name.encode("utf-8", "surrogatepass")) > MAX_SITE_NAME
            or name.startswith(".")
            or any(c in name for c in "/\\")
            or not name.isprintable()
        ):
            return None
        path = self.sites_path / name
        try:
            return path if (path / "site_config.json").is_file() else None
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """Dispose every open site's engine."""
        for site in self._sites.values():
            site.dispose()
