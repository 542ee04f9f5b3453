"""Settings: the one typed, frozen configuration object of a site.

Built once from ``common_site_config.json`` (shared by all sites in a sites folder), the site's
``site_config.json`` and ``DOCFRAME_*`` environment variables, in that order of precedence
(environment wins). Code reads ``settings.max_body_size``; nothing else parses config files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from docframe.concurrency import DEFAULT_REQUEST_THREADS

__all__ = ["Settings", "load_settings", "read_json_file", "resolve_sqlite_url"]

log = logging.getLogger("docframe.settings")

DEFAULT_MAX_BODY = 25 * 1024 * 1024
#: Frappe's cap on ``frappe.client.insert_many``; ``insert_many_limit`` in the site config changes it.
DEFAULT_INSERT_MANY_LIMIT = 200


def read_json_file(path: Path) -> dict[str, Any]:
    """Read a JSON object from ``path``; a missing file is an empty object."""
    if not path.exists():
        return {}
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return data


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a site is configured with. Build it with :func:`load_settings`."""

    site_name: str
    site_path: Path
    db_url: str
    encryption_key: str = ""
    #: Former keys, newest first, kept to read values sealed before ``docframe rotate-encryption-key``.
    previous_encryption_keys: tuple[str, ...] = ()
    #: The key of docframe's former cipher, set by ``docframe migrate`` until every value is re-sealed.
    legacy_encryption_key: str = ""
    redis_url: str | None = None
    max_body_size: int = DEFAULT_MAX_BODY
    developer_mode: bool = False
    allow_cors: tuple[str, ...] = ()
    ignore_csrf: bool = False
    time_zone: str | None = None
    bulk_async_threshold: int = 20
    #: Most documents ``frappe.client.insert_many`` takes in one call (site config ``insert_many_limit``).
    insert_many_limit: int = DEFAULT_INSERT_MANY_LIMIT
    apps: tuple[str, ...] = ()
    logging: bool = False
    #: Seconds between two checks whether another process changed DocType definitions.
    meta_check_interval: float = 1.0
    #: Threads (and database connections) per process that run this site's requests.
    request_threads: int = DEFAULT_REQUEST_THREADS
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def public_files_path(self) -> Path:
        """Folder of public files (served under ``/files/``)."""
        return self.site_path / "public" / "files"

    @property
    def private_files_path(self) -> Path:
        """Folder of private files (served under ``/private/files/``)."""
        return self.site_path / "private" / "files"


def _as_tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _seconds(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


def _positive_whole(key: str, value: Any, default: int) -> int:
    """``value`` as a positive whole number (``1000``, ``1000.0``, ``"1000"``).

    Absent is ``default``; anything else (0, negative, fractional, ``true``, text) is ``default``
    too, with a warning naming the key.
    """
    if value is None:
        return default
    number = value
    if isinstance(number, str) and number.strip().isdecimal():
        number = int(number.strip())
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
        return number
    log.warning("site config %s=%r is not a positive whole number; using %d", key, value, default)
    return default


def resolve_sqlite_url(url: str, site_path: Path) -> str:
    """A relative SQLite path (``sqlite:///db/site.db``) made absolute against the site folder.

    So the same site config means the same file whatever directory docframe runs from. Other URLs
    (absolute paths, ``:memory:``, servers) are returned as they are.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    path, sep, query = url[len(prefix) :].partition("?")
    if not path or path.startswith("/") or path == ":memory:":
        return url
    return f"{prefix}{(site_path / path).resolve()}{sep}{query}"


def load_settings(site_path: Path) -> Settings:
    """Build the :class:`Settings` of the site stored in ``site_path``."""
    common = read_json_file(site_path.parent / "common_site_config.json")
    site = read_json_file(site_path / "site_config.json")
    merged: dict[str, Any] = {**common, **site}
    env_map = {
        "DOCFRAME_DB_URL": "db_url",
        "DOCFRAME_REDIS_URL": "redis_url",
        "DOCFRAME_DEVELOPER_MODE": "developer_mode",
    }
    for env_key, conf_key in env_map.items():
        if os.environ.get(env_key):
            merged[conf_key] = os.environ[env_key]
    db_url = merged.get("db_url") or f"sqlite:///{site_path / 'db' / 'site.db'}"
    threshold = merged.get("bulk_operation_async_threshold", 20)
    return Settings(
        site_name=site_path.name,
        site_path=site_path,
        db_url=resolve_sqlite_url(str(db_url), site_path),
        encryption_key=str(merged.get("encryption_key") or ""),
        previous_encryption_keys=_as_tuple(merged.get("previous_encryption_keys")),
        legacy_encryption_key=str(merged.get("docframe_legacy_encryption_key") or ""),
        redis_url=merged.get("redis_url") or None,
        max_body_size=int(merged.get("max_file_size") or DEFAULT_MAX_BODY),
        developer_mode=str(merged.get("developer_mode", "0")).lower() in ("1", "true", "yes"),
        allow_cors=_as_tuple(merged.get("allow_cors")),
        ignore_csrf=bool(merged.get("ignore_csrf")),
        time_zone=merged.get("time_zone") or None,
        bulk_async_threshold=int(threshold) if isinstance(threshold, int | str) else 20,
        insert_many_limit=_positive_whole(
            "insert_many_limit", merged.get("insert_many_limit"), DEFAULT_INSERT_MANY_LIMIT
        ),
        apps=_as_tuple(merged.get("apps")),
        logging=bool(merged.get("logging")),
        meta_check_interval=_seconds(merged.get("meta_check_interval"), 1.0),
        request_threads=_positive_whole(
            "request_threads", merged.get("request_threads"), DEFAULT_REQUEST_THREADS
        ),
        raw=merged,
    )
