"""System Settings that identity and permissions read: session lifetime, lock-out, login options.

The values come from the ``System Settings`` Single (``tabSingles``) in one small query; a value
that was never saved takes the DocType's default, except ``session_expiry`` whose fallback is
Frappe's ``"240:00:00"``. :func:`auth_settings` keeps a snapshot for :data:`MAX_AGE` seconds
(login reads a fresh one), so a changed setting applies within a second in every process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from docframe.db.repos.singles import single_values

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["AuthSettings", "auth_settings", "parse_expiry"]

MAX_AGE = 1.0
DEFAULT_EXPIRY = "240:00:00"
_FIELDS = (
    "session_expiry", "allow_consecutive_login_attempts", "allow_login_after_fail", "deny_multiple_sessions",
    "disable_user_pass_login", "allow_login_using_user_name", "allow_login_using_mobile_number",
    "apply_strict_user_permissions", "disable_document_sharing",
)  # fmt: skip


def parse_expiry(text: Any) -> timedelta:
    """``"HH:MM"`` or ``"HH:MM:SS"`` -> a duration; anything unreadable is Frappe's 240 hours."""
    try:
        parts = [int(p) for p in str(text or DEFAULT_EXPIRY).strip().split(":")]
    except ValueError:
        parts = [240]
    if not parts or len(parts) > 3 or any(p < 0 for p in parts):
        parts = [240]
    parts += [0] * (3 - len(parts))
    duration = timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])
    return duration if duration.total_seconds() > 0 else timedelta(hours=240)


def _cint(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """A snapshot of the System Settings that identity and permissions depend on."""

    session_expiry: timedelta = timedelta(hours=240)
    allow_consecutive_login_attempts: int = 10
    allow_login_after_fail: int = 60
    deny_multiple_sessions: bool = False
    disable_user_pass_login: bool = False
    allow_login_using_user_name: bool = False
    allow_login_using_mobile_number: bool = False
    apply_strict_user_permissions: bool = False
    disable_document_sharing: bool = False

    @classmethod
    def from_values(
        cls, values: dict[str, Any], defaults: dict[str, Any], deny_multiple_sessions: bool = False
    ) -> AuthSettings:
        """Build from stored values, falling back to the DocType defaults."""

        def value(key: str) -> Any:
            stored = values.get(key)
            return defaults.get(key) if stored in (None, "") else stored

        return cls(
            session_expiry=parse_expiry(values.get("session_expiry")),
            allow_consecutive_login_attempts=_cint(value("allow_consecutive_login_attempts")),
            allow_login_after_fail=_cint(value("allow_login_after_fail")),
            deny_multiple_sessions=bool(_cint(value("deny_multiple_sessions"))) or deny_multiple_sessions,
            disable_user_pass_login=bool(_cint(value("disable_user_pass_login"))),
            allow_login_using_user_name=bool(_cint(value("allow_login_using_user_name"))),
            allow_login_using_mobile_number=bool(_cint(value("allow_login_using_mobile_number"))),
            apply_strict_user_permissions=bool(_cint(value("apply_strict_user_permissions"))),
            disable_document_sharing=bool(_cint(value("disable_document_sharing"))),
        )


class SettingsSnapshot:
    def __init__(self) -> None:
        self.at = -MAX_AGE
        self.value = AuthSettings()
        self.lock = threading.Lock()


def _defaults(site: Site) -> dict[str, Any]:
    if not site.metas.exists("System Settings"):
        return {}
    meta = site.metas.get("System Settings")
    return {f.fieldname: f.default for f in meta.fields if f.fieldname in _FIELDS}


def _read(site: Site, conn: Connection) -> AuthSettings:
    values = single_values(conn, site.tables.framework.singles, "System Settings", _FIELDS)
    return AuthSettings.from_values(values, _defaults(site), site.settings.deny_multiple_sessions)


def auth_settings(site: Site, conn: Connection | None = None, *, fresh: bool = False) -> AuthSettings:
    """The current :class:`AuthSettings` (at most :data:`MAX_AGE` seconds old unless ``fresh``)."""
    snap = site.services.auth_settings.get(SettingsSnapshot)
    if not fresh and time.monotonic() - snap.at < MAX_AGE:
        return snap.value
    if conn is not None:
        value = _read(site, conn)
    else:
        with site.db.engine.connect() as own:
            value = _read(site, own)
            own.rollback()
    with snap.lock:
        snap.value, snap.at = value, time.monotonic()
    return value
