"""Lock-out: refuse logins after too many consecutive failures (Frappe's ``LoginAttemptTracker``).

Active when System Settings ``allow_consecutive_login_attempts`` is above 0. Each login attempt is
tracked under two keys, the user and the request IP. Failures within ``allow_login_after_fail``
seconds of the first one add up; a success clears the key. While a key has more failures than
allowed inside that interval, every attempt — even with the right password — fails with
:class:`~docframe.errors.SecurityException` (HTTP 500, Frappe's status) "Your account has been locked
and will resume after {n} seconds".

Unknown user names are tracked like real ones (Frappe tracks only the IP for them), so a lock-out
never tells whether an account exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from docframe import errors
from docframe.auth.settings import AuthSettings
from docframe.auth.stores import AttemptStore

__all__ = ["LoginAttemptTracker", "request_ip"]


def request_ip(headers: dict[str, str]) -> str:
    """Frappe's request IP: first ``X-Forwarded-For`` entry, else a ``REMOTE_ADDR`` header, else 127.0.0.1."""
    forwarded = headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",", 1)[0].strip()[:64] or "127.0.0.1"
    return (headers.get("remote_addr") or "127.0.0.1")[:64]


@dataclass(frozen=True, slots=True)
class LoginAttemptTracker:
    """Consecutive failed logins of the keys of one attempt."""

    store: AttemptStore
    settings: AuthSettings

    @property
    def active(self) -> bool:
        """Whether lock-out is switched on."""
        return self.settings.allow_consecutive_login_attempts > 0

    @property
    def interval(self) -> int:
        """Seconds a lock lasts (measured from the first failure)."""
        return max(self.settings.allow_login_after_fail, 1)

    def check(self, key: str) -> None:
        """Raise :class:`~docframe.errors.SecurityException` while ``key`` is locked."""
        if not self.active:
            return
        counter = self.store.get(key)
        if counter is None:
            return
        first, count = counter
        if first + self.interval > time.time() and count > self.settings.allow_consecutive_login_attempts:
            raise errors.SecurityException(
                f"Your account has been locked and will resume after {self.settings.allow_login_after_fail} seconds"
            )

    def fail(self, key: str) -> None:
        """Count one more failure for ``key``."""
        if not self.active:
            return
        now = time.time()
        counter = self.store.get(key)
        first, count = counter if counter is not None and counter[1] else (now, 0)
        if first + self.interval > now:
            count += 1
        else:
            first, count = now, 1
        self.store.put(key, first, count, self.interval)

    def succeed(self, key: str) -> None:
        """Clear ``key``'s failures."""
        if self.active:
            self.store.clear(key)
