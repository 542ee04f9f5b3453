"""Creating a site (``docframe new-site``, and ``restore`` onto a new name) all or nothing.

:func:`check_db_url` turns every way a ``--db-url`` can be wrong (not a URL, an unknown scheme, no
database name, a server that does not answer, a refused login) into one :class:`UserError` that
says what to fix, before anything is written. :func:`create_site` then makes the folder, the
database and the tables; if any step fails, whatever it made is removed again.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from docframe.cli.common import UserError
from docframe.db.engine import normalise_url
from docframe.db.provision import drop_database, ensure_database
from docframe.secret_box import generate_key
from docframe.settings import read_json_file, resolve_sqlite_url
from docframe.sites import Site

__all__ = ["DB_URL_HELP", "CreatedSite", "check_db_url", "check_site_name", "create_site", "remove_site"]

DB_URL_HELP = (
    "sqlite:///path/site.db (relative paths are inside the site folder), "
    "postgresql://user:password@host:port/dbname or mariadb://user:password@host:port/dbname"
)
#: Schemes docframe accepts; ``mysql`` is another spelling of ``mariadb`` (same driver, PyMySQL).
SCHEMES = ("sqlite", "postgresql", "postgres", "mariadb", "mysql")
SERVER_NAMES = {"postgresql": "PostgreSQL", "mariadb": "MariaDB/MySQL"}


def check_site_name(name: str) -> None:
    """A :class:`UserError` unless ``name`` is a usable site folder name."""
    plain = name.replace(".", "").replace("-", "").replace("_", "")
    if not plain.isalnum() or name.startswith("."):
        raise UserError(
            f"Invalid site name {name!r}: use letters, digits, dots, hyphens and underscores "
            "(for example mysite or mysite.localhost)"
        )


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"--db-url {url!r} is not a database URL; use {DB_URL_HELP}") from None
    scheme = parsed.drivername.split("+", 1)[0]
    if scheme not in SCHEMES:
        raise UserError(f"--db-url scheme {scheme!r} is not supported; use {DB_URL_HELP}")
    return parsed


def _shown(url: str) -> str:
    """``url`` as it may be printed (password masked)."""
    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except ArgumentError:
        return repr(url)


def _driver_reason(exc: DBAPIError) -> str:
    text = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return text.strip().rstrip(".")


def _connection_hint(backend: str, parsed: URL, exc: DBAPIError) -> str:
    reason = _driver_reason(exc)
    lowered = reason.lower()
    where = f"{parsed.host or 'localhost'}:{parsed.port or (5432 if backend == 'postgresql' else 3306)}"
    server = SERVER_NAMES[backend]
    if (
        "password" in lowered
        or "access denied" in lowered
        or "role" in lowered
        or "authentication" in lowered
    ):
        fix = "check the user name and password in --db-url"
    elif "refused" in lowered or "can't connect" in lowered or "timeout" in lowered or "timed out" in lowered:
        fix = f"is the {server} server running there? check the host and port in --db-url"
    elif "resolve" in lowered or "translate host" in lowered or "name or service" in lowered:
        fix = "check the host name in --db-url"
    else:
        fix = "check --db-url and the server"
    return f"Cannot connect to the {server} server at {where} ({reason}): {fix}"


def check_db_url(url: str, site_path: Path) -> str:
    """Validate ``url`` for a site stored in ``site_path``; its normalised backend name.

    Server URLs are tried with a short timeout (the server answers, the login works); SQLite URLs
    need a file path whose folder exists or lies inside the site folder.
    """
    parsed = _parse(url)
    scheme = parsed.drivername.split("+", 1)[0]
    if scheme == "sqlite":
        resolved = make_url(resolve_sqlite_url(url, site_path))
        if not parsed.database or parsed.database == ":memory:":
            raise UserError(f"--db-url {_shown(url)} names no database file; use sqlite:///path/site.db")
        folder = Path(str(resolved.database)).parent
        inside = folder == site_path or site_path in folder.parents
        if not inside and not folder.is_dir():
            raise UserError(f"--db-url {_shown(url)}: folder {folder} does not exist; create it first")
        return "sqlite"
    backend = "postgresql" if scheme in ("postgresql", "postgres") else "mariadb"
    name = parsed.database or ""
    example = f"{scheme}://{parsed.username or 'user'}@{parsed.host or '127.0.0.1'}/mysite"
    if not name:
        raise UserError(f"--db-url {_shown(url)} names no database: add it after the host, e.g. {example}")
    if not all(ch.isalnum() or ch == "_" for ch in name) or len(name) > 63:
        raise UserError(
            f"Database name {name!r} in --db-url must be at most 63 letters, digits and underscores"
        )
    server = make_url(normalise_url(url))._replace(database="postgres" if backend == "postgresql" else None)
    timeout = {"connect_timeout": 5}
    engine = create_engine(server.render_as_string(hide_password=False), connect_args=timeout)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise UserError(_connection_hint(backend, parsed, exc)) from None
    finally:
        engine.dispose()
    return backend


def _drop_quietly(db_url: str) -> None:
    try:
        drop_database(db_url)
    except (SQLAlchemyError, ValueError):
        pass  # cleaning up after an error that is already being reported


def remove_site(path: Path, db_url: str | None, *, drop_db: bool) -> None:
    """Remove a site folder (and its server database when ``drop_db``), ignoring what is gone."""
    if drop_db and db_url:
        _drop_quietly(db_url)
    shutil.rmtree(path, ignore_errors=True)


class CreatedSite(NamedTuple):
    """What :func:`create_site` made."""

    db_url: str
    #: Whether the database was created on its server (so removing the site should drop it).
    made_database: bool


def create_site(
    root: Path,
    name: str,
    *,
    admin_password: str,
    db_url: str | None = None,
    redis_url: str | None = None,
    force: bool = False,
    progress: Callable[[int], Callable[[str], None]] | None = None,
) -> CreatedSite:
    """Create and install site ``name`` in ``root``.

    ``progress(total)`` returns the callback advanced once per installed DocType. On any failure
    the folder (when this call made it) and the database (when this call created it) are removed
    and the error propagates.
    """
    check_site_name(name)
    path = root / name
    if (path / "site_config.json").exists() and not force:
        raise UserError(f"Site {name} already exists in {root} (use --force to re-install)")
    site_path = root.resolve() / name
    url = db_url or f"sqlite:///{site_path / 'db' / 'site.db'}"
    backend = check_db_url(url, site_path)
    made_root = not root.exists()
    made_folder = not path.exists()
    made_database = False
    try:
        for sub in ("public/files", "private/files", "db"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        if backend != "sqlite":
            made_database = ensure_database(url)
        config: dict[str, object] = {"db_url": url, "encryption_key": generate_key()}
        if redis_url:
            config["redis_url"] = redis_url
        (path / "site_config.json").write_text(json.dumps(config, indent=1) + "\n")
        site = Site.open(path)
        try:
            from docframe.migrate.sync import install_site

            advance = progress(len(site.metas.standard_names)) if progress else None
            install_site(site, admin_password, **({"progress": advance} if advance else {}))
        finally:
            site.dispose()
        common = root / "common_site_config.json"
        shared = read_json_file(common)
        if not shared.get("default_site"):
            shared["default_site"] = name
            common.write_text(json.dumps(shared, indent=1) + "\n")
    except BaseException:
        if made_database:
            _drop_quietly(url)
        if made_folder:
            shutil.rmtree(path, ignore_errors=True)
        if made_root:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return CreatedSite(url, made_database)
