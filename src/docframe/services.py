"""The typed services of one site: its registries, caches and stores, created on first use.

:class:`SiteServices` has one typed field per service (``site.services.sessions``...). Each is a
:class:`Lazy` slot: the module that owns the service builds it with ``slot.get(factory)`` the first
time it is needed (once per process, thread-safe), so every reader gets a typed value. The owning
modules keep their accessor functions (``session_manager(site)``, ``site_counters(site)``...);
this module only names the types of services owned by its own layer and below (imported for type
checking). Services owned by higher layers (HTTP, jobs, files, webhooks, OpenAPI) are reached by a
typed :class:`SlotKey` that the owning module defines, so this module never names their types:

    TRUSTED_PROXIES: SlotKey[TrustedProxies] = SlotKey("trusted_proxies")
    site.services.slot(TRUSTED_PROXIES).get(lambda: TrustedProxies(...))

A service that must be closed with the site (the request-log writer) registers itself with
:meth:`SiteServices.on_close`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import redis

    from docframe.auth.identity import IdentityCache
    from docframe.auth.sessions import SessionManager
    from docframe.auth.settings import SettingsSnapshot
    from docframe.auth.stores import SharedEpoch
    from docframe.permissions.docperms import CustomPermCache, RoleCache
    from docframe.permissions.fields import LevelAccess
    from docframe.permissions.rules import RoleRights
    from docframe.permissions.user_permissions import UserPermissionCache
    from docframe.ratelimit.limiter import SiteLimiter
    from docframe.ratelimit.stores import CounterStore

__all__ = ["Lazy", "SiteServices", "SlotKey"]

T = TypeVar("T")


class Lazy(Generic[T]):
    """One service slot, filled by the first :meth:`get` (the factory runs once per process)."""

    __slots__ = ("_lock", "_value")

    def __init__(self) -> None:
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self, make: Callable[[], T]) -> T:
        """The service, built with ``make()`` when the slot is empty."""
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = self._value = make()
        return value

    def peek(self) -> T | None:
        """The service when it has been built, else ``None`` (builds nothing)."""
        return self._value

    def put(self, value: T) -> None:
        """Fill the slot with ``value`` (for caches whose reader builds the value itself)."""
        self._value = value

    def clear(self) -> None:
        """Empty the slot (the next :meth:`get` builds the service again)."""
        self._value = None


class SlotKey(Generic[T]):
    """The typed name of a service slot, defined by the module that owns the service."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"SlotKey({self.name!r})"


@dataclass(eq=False)
class SiteServices:
    """The per-process services of one site (``Site.services``), each built on first use."""

    #: Redis client of ``redis_url`` (docframe.auth.stores.redis_client).
    redis: Lazy[redis.Redis] = field(default_factory=Lazy)
    #: Change counters shared through Redis, by name (docframe.auth.stores.shared_epoch).
    epochs: dict[str, SharedEpoch] = field(default_factory=dict)
    sessions: Lazy[SessionManager] = field(default_factory=Lazy)
    identity: Lazy[IdentityCache] = field(default_factory=Lazy)
    auth_settings: Lazy[SettingsSnapshot] = field(default_factory=Lazy)
    user_permissions: Lazy[UserPermissionCache] = field(default_factory=Lazy)
    custom_docperm: Lazy[CustomPermCache] = field(default_factory=Lazy)
    #: Role rules per DocType and role set (docframe.permissions.rules.role_rights).
    role_rights: Lazy[RoleCache[RoleRights]] = field(default_factory=Lazy)
    #: Readable and writable permlevels per DocType and role set (permissions.fields.level_access).
    level_access: Lazy[RoleCache[LevelAccess]] = field(default_factory=Lazy)
    counters: Lazy[CounterStore] = field(default_factory=Lazy)
    site_limiter: Lazy[SiteLimiter] = field(default_factory=Lazy)
    #: Whether the webhook index already follows metadata changes.
    webhooks_listening: bool = False
    #: Guards the few multi-step updates above (``epochs``, ``webhooks_listening``) and the slots.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: Slots of services owned by higher layers, by their :class:`SlotKey`.
    _slots: dict[SlotKey[Any], Lazy[Any]] = field(default_factory=dict, repr=False)
    #: Called by :meth:`close` (services that hold threads or buffers).
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def slot(self, key: SlotKey[T]) -> Lazy[T]:
        """The slot named by ``key`` (created empty on first use)."""
        found = self._slots.get(key)
        if found is None:
            with self.lock:
                found = self._slots.setdefault(key, Lazy())
        return found

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the site closes (:meth:`close`)."""
        with self.lock:
            self._closers.append(closer)

    def close(self) -> None:
        """Run the registered closers (each once), newest first."""
        with self.lock:
            closers, self._closers = self._closers[::-1], []
        for closer in closers:
            closer()
