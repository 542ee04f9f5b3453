"""HookRegistry: each installed app's ``hooks`` module, read once and resolved at start-up.

An app is an importable package listed in the site config (``apps``) with an optional
``<app>.hooks`` module using Frappe's hook names: ``doc_events`` (``{doctype or "*": {event:
dotted path or list}}``), ``override_whitelisted_methods`` (``{original: replacement}``),
``home_page`` (the page a login sends users to) and ``single_page_apps`` (the built front ends the
app serves; see :mod:`docframe.web.spa`).
Dotted paths are imported when the registry is built, so a typo fails at start-up, not mid-request.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["HookRegistry", "app_hooks", "as_list", "installed", "resolve_dotted"]

DocEventHandler = Callable[[Any, str], None]

#: docframe's own document-event listeners, called as ``listener(doc, event)`` after every
#: controller hook and the apps' ``doc_events`` handlers (see ``model.lifecycle.run_hook``).
#: Declared here by dotted path and resolved when a registry is built. A listener must never
#: raise for a problem of its own (it would fail the user's write).
FRAMEWORK_DOC_LISTENERS: tuple[str, ...] = ("docframe.webhooks.triggers.on_doc_event",)


def installed(path: str, apps: Iterable[str]) -> bool:
    """Whether dotted ``path`` lies in docframe or in one of the installed ``apps`` packages."""
    return any(path.startswith(app + ".") for app in ("docframe", *apps))


def resolve_dotted(path: str) -> Any:
    """Import ``package.module.attr`` and return ``attr``."""
    module_path, _, attr = path.rpartition(".")
    if not module_path:
        raise ImportError(f"{path!r} is not a dotted path")
    return getattr(importlib.import_module(module_path), attr)


def as_list(value: Any) -> list[str]:
    """A hook value that may be one dotted path or a list of them, as a list."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value or []]


def app_hooks(app: str) -> Any:
    """The ``hooks`` module of ``app`` (``None`` when the app has none; other import errors raise)."""
    try:
        return importlib.import_module(f"{app}.hooks")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.hooks":
            raise
        return None


class HookRegistry:
    """Typed lookups over every app's hooks."""

    def __init__(self, apps: Iterable[str] = ()) -> None:
        self.apps = tuple(apps)
        self._doc_events: dict[tuple[str, str], list[DocEventHandler]] = {}
        self.method_overrides: dict[str, str] = {}
        #: Resolved :data:`FRAMEWORK_DOC_LISTENERS`.
        self.framework_listeners: tuple[DocEventHandler, ...] = tuple(
            resolve_dotted(p) for p in FRAMEWORK_DOC_LISTENERS
        )
        #: ``home_page`` of the first app that declares one.
        self.home_page: str | None = None
        #: ``(app, declaration)`` for every entry of every app's ``single_page_apps``.
        self.single_page_apps: list[tuple[str, Any]] = []
        for app in self.apps:
            module = app_hooks(app)
            if module is None:
                continue
            for doctype, events in (getattr(module, "doc_events", None) or {}).items():
                for event, paths in events.items():
                    handlers = self._doc_events.setdefault((doctype, event), [])
                    handlers.extend(resolve_dotted(p) for p in as_list(paths))
            self.method_overrides.update(getattr(module, "override_whitelisted_methods", None) or {})
            home = getattr(module, "home_page", None)
            if self.home_page is None and isinstance(home, str) and home.startswith("/"):
                self.home_page = home
            self.single_page_apps.extend(
                (app, spa) for spa in getattr(module, "single_page_apps", None) or ()
            )

    def doc_event_handlers(self, doctype: str, event: str) -> list[DocEventHandler]:
        """Handlers for ``event`` on ``doctype`` (specific ones first, then ``"*"``)."""
        if not self._doc_events:
            return []
        return self._doc_events.get((doctype, event), []) + self._doc_events.get(("*", event), [])
