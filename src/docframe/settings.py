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
DEFAULT_RETENTION_DAYS = 30.0


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
    #: Refuse unknown fields in document bodies (``strict_document_fields``) instead of ignoring them.
    strict_document_fields: bool = False
    #: Site-wide server-time budget (``rate_limit: {"limit": seconds, "window": seconds}``); 0 = none.
    rate_limit_seconds: float = 0.0
    rate_limit_window: int = 0
    #: Referrer/Origin prefixes accepted in place of a CSRF token (``allowed_referrers``).
    allowed_referrers: tuple[str, ...] = ()
    #: Networks whose ``X-Forwarded-For`` is believed (``trusted_proxies``).
    trusted_proxies: tuple[str, ...] = ()
    #: Log out a user's other sessions at login (``deny_multiple_sessions``, also a System Setting).
    deny_multiple_sessions: bool = False
    #: Scheduler: seconds between ticks, between "all" events, and of its lock's lease; paused.
    scheduler_tick: float = 10.0
    scheduler_interval: float = 60.0
    scheduler_lock_lease: float = 60.0
    pause_scheduler: bool = False
    #: Days request, job and webhook logs are kept (``log_retention_days``).
    log_retention_days: float = DEFAULT_RETENTION_DAYS
    #: Redis pub/sub channel of realtime events (``realtime_channel``; Frappe's ``events``).
    realtime_channel: str = "events"
    #: Port of the Socket.IO listener that pages are told about (``socketio_port``; Frappe's 9000).
    socketio_port: int = 9000
    #: Webhooks: seconds between delivery attempts (``None`` = the default schedule), the grace
    #: before the scheduler sends a queued delivery, characters of a response kept in the log, and
    #: seconds added to a delivery's timeout for a sender's lease.
    webhook_retry_schedule: tuple[float, ...] | None = None
    webhook_outbox_grace: float = 30.0
    webhook_response_excerpt: int = 4096
    webhook_claim_margin: float = 60.0
    #: The merged config as read, for keys of installed apps; docframe itself reads only the
    #: typed fields above.
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


def _positive(value: Any, default: float) -> float:
    """``value`` as a number above 0, else ``default``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _flag(value: Any) -> bool:
    """A config flag read as Frappe's ``cint``: ``1``, ``"1"``, ``true`` are set; else not."""
    try:
        return int(float(value or 0)) != 0
    except (TypeError, ValueError):
        return False


def _strings(value: Any) -> tuple[str, ...]:
    """A string or a list's non-empty string entries."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(v for v in value if isinstance(v, str) and v)
    return ()


def _rate_limit(value: Any) -> tuple[float, int]:
    """``rate_limit: {"limit": seconds, "window": seconds}`` as (limit, window); (0, 0) = none."""
    if not isinstance(value, dict) or not value.get("limit") or not value.get("window"):
        return 0.0, 0
    try:
        return float(value["limit"]), int(value["window"])
    except (TypeError, ValueError):
        log.warning("site config rate_limit=%r is not {limit, window} in seconds; not limiting", value)
        return 0.0, 0


def _delays(key: str, value: Any) -> tuple[float, ...] | None:
    """A list of seconds (``None`` when absent or malformed: the caller's default, with a warning)."""
    if value is None:
        return None
    try:
        delays = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        delays = ()
    if isinstance(value, str | bytes) or any(d < 0 for d in delays):
        delays = ()
    if not delays and value != []:
        log.warning("site config %s=%r is not a list of seconds; using the default", key, value)
        return None
    return delays


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


def _port(key: str, value: Any, default: int) -> int:
    """A TCP port number (1-65535) from config; absent or invalid is ``default`` (invalid warns)."""
    if value is None or value == "":
        return default
    number = _positive_whole(key, value, default)
    if number > 65535:
        log.warning("site config %s=%r is not a TCP port; using %d", key, value, default)
        return default
    return number


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
    rate_limit_seconds, rate_limit_window = _rate_limit(merged.get("rate_limit"))
    channel = merged.get("realtime_channel")
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
        strict_document_fields=bool(merged.get("strict_document_fields")),
        rate_limit_seconds=rate_limit_seconds,
        rate_limit_window=rate_limit_window,
        allowed_referrers=_strings(merged.get("allowed_referrers")),
        trusted_proxies=_as_tuple(merged.get("trusted_proxies")),
        deny_multiple_sessions=_flag(merged.get("deny_multiple_sessions")),
        scheduler_tick=_positive(merged.get("scheduler_tick"), 10.0),
        scheduler_interval=_positive(merged.get("scheduler_interval"), 60.0),
        scheduler_lock_lease=_positive(merged.get("scheduler_lock_lease"), 60.0),
        pause_scheduler=bool(merged.get("pause_scheduler")),
        log_retention_days=_positive(merged.get("log_retention_days"), DEFAULT_RETENTION_DAYS),
        realtime_channel=channel if isinstance(channel, str) and channel else "events",
        socketio_port=_port("socketio_port", merged.get("socketio_port"), 9000),
        webhook_retry_schedule=_delays("webhook_retry_schedule", merged.get("webhook_retry_schedule")),
        webhook_outbox_grace=_seconds(merged.get("webhook_outbox_grace"), 30.0),
        webhook_response_excerpt=int(_seconds(merged.get("webhook_response_excerpt"), 4096)),
        webhook_claim_margin=_seconds(merged.get("webhook_claim_margin"), 60.0),
        raw=merged,
    )
