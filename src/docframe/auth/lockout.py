"""Lock-out: refuse logins after too many failures, keyed on the real client address.

Active when System Settings ``allow_consecutive_login_attempts`` (N) is above 0; a lock lasts until
``allow_login_after_fail`` seconds (T) after the first failure that started the count. The address
is the socket peer, or the ``X-Forwarded-For`` client when the peer is one of the site's
``trusted_proxies`` (:mod:`docframe.http.client_ip`); a header from anyone else is ignored, so a
client cannot dodge the count or pin it on somebody else by sending a made-up address.

Every failed login (wrong password, unknown or disabled user) adds one to three counters:

* **address** — failures from this address for any account. More than N within T locks the address:
  every login from it, even with a correct password, is refused (this stops password spraying from
  one address). A success does not reset it, so an attacker's own account cannot refill the budget.
* **account at address** — failures for this account from this address (Frappe's per-user counter,
  scoped to the address). More than N within T refuses this account from this address; a success
  resets it.
* **account** — failures for this account from every address. More than 10 x N within T (a
  distributed guessing attack) refuses the account from every address **except the one it last
  logged in from** (``User.last_ip``): its owner can still sign in from where they usually do, and an
  attacker's failures elsewhere never lock them out.

Locked attempts are refused with :class:`~docframe.errors.SecurityException` (HTTP 500, Frappe's
status) "Your account has been locked and will resume after {T} seconds", after the password was
checked (the refusal costs the same time whatever the password). Unknown user names are counted like
real ones, so a lock-out never tells whether an account exists. Counters live in the site's shared
counter store (Redis, else the database), so every worker sees the same counts. When that store
cannot be read, logins are refused with 503 ``ServiceUnavailable`` (fail closed) while lock-out is on.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from docframe import errors
from docframe.auth.settings import AuthSettings
from docframe.ratelimit.stores import CounterStore, StoreUnavailable

__all__ = ["ACCOUNT_FACTOR", "Attempt", "LoginLockout"]

log = logging.getLogger("docframe.auth")

#: How many times N failures from all addresses together lock an account (except at its last address).
ACCOUNT_FACTOR = 10


def _key(*parts: str) -> str:
    return "login:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login attempt: from where, for which account (lower-cased name, or the name typed)."""

    address: str
    account: str

    @property
    def address_key(self) -> str:
        """Counter of failures from the address."""
        return _key("ip", self.address)

    @property
    def pair_key(self) -> str:
        """Counter of failures for the account from the address."""
        return _key("user-ip", self.account, self.address)

    @property
    def account_key(self) -> str:
        """Counter of failures for the account from every address."""
        return _key("user", self.account)


@dataclass(frozen=True, slots=True)
class LoginLockout:
    """The lock-out policy of one site (see the module docstring)."""

    store: CounterStore
    settings: AuthSettings

    @property
    def active(self) -> bool:
        """Whether lock-out is switched on."""
        return self.settings.allow_consecutive_login_attempts > 0

    @property
    def interval(self) -> int:
        """Seconds a count lasts from its first failure."""
        return max(self.settings.allow_login_after_fail, 1)

    def _count(self, key: str) -> int:
        try:
            return self.store.get(key)
        except StoreUnavailable as exc:
            # Fail closed: logging in without the counters would switch the lock-out off (and a
            # 401 for a wrong password next to a 503 for the right one would be an oracle).
            log.error("lock-out counters unavailable, refusing logins: %s", exc)
            raise errors.ServiceUnavailable(
                "Logging in is not possible right now. Please try again shortly."
            ) from None

    def check(self, attempt: Attempt, last_address: str | None = None) -> None:
        """Raise :class:`~docframe.errors.SecurityException` when ``attempt`` is locked out."""
        if not self.active:
            return
        allowed = self.settings.allow_consecutive_login_attempts
        locked = (
            self._count(attempt.address_key) > allowed
            or self._count(attempt.pair_key) > allowed
            or (
                attempt.address != last_address
                and self._count(attempt.account_key) > allowed * ACCOUNT_FACTOR
            )
        )
        if locked:
            raise errors.SecurityException(
                f"Your account has been locked and will resume after {self.settings.allow_login_after_fail} seconds"
            )

    def failed(self, attempt: Attempt) -> None:
        """Count a failed login."""
        if not self.active:
            return
        try:
            for key in (attempt.address_key, attempt.pair_key, attempt.account_key):
                self.store.add(key, 1, self.interval)
        except StoreUnavailable as exc:
            log.warning("lock-out counters unavailable, failure not counted: %s", exc)

    def succeeded(self, attempt: Attempt) -> None:
        """A successful login resets the account's count at this address."""
        if not self.active:
            return
        try:
            self.store.clear(attempt.pair_key)
        except StoreUnavailable as exc:
            log.warning("lock-out counters unavailable: %s", exc)
