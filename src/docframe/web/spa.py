"""Single-page apps: the built front ends an app declares, and the boot values put into their page.

An app declares them in its ``hooks`` module::

    single_page_apps = [
        {
            "route": "/todo",                          # served at /todo and every path under it
            "index": "public/todo/index.html",         # the built page, relative to the app package
            "boot": "my_app.boot.get_boot",            # optional: (ctx) -> dict of extra window keys
        }
    ]

The page is the build's ``index.html`` with one ``<script>`` put at the start of its ``<head>``
that sets the boot values as Frappe's ``www/`` pages do: ``window.csrf_token`` (the session's
token, ``""`` for a guest), ``window.site_name``, ``window.socketio_port`` (the site's
``socketio_port``, default 9000), then the keys the app's ``boot`` function returns. Values are
JSON with ``<``, ``>`` and ``&`` escaped, so no value can close the script. Declarations are checked
when the site opens: a route that would shadow the API, files or assets, an index outside the app
package or a boot path that does not import fails at start-up, not mid-request.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from docframe.hooks import resolve_dotted
from docframe.services import SlotKey

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = [
    "RESERVED_PREFIXES",
    "SinglePageApp",
    "app_root",
    "boot_script",
    "inject_boot",
    "load_single_page_apps",
    "site_single_page_apps",
]

#: Paths no app may take over.
RESERVED_PREFIXES = ("/api", "/assets", "/files", "/private", "/socket.io", "/app", "/me", "/login")
_ROUTE = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_HEAD = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)

BootFunction = Callable[["Context"], dict[str, Any]]


@dataclass(frozen=True)
class SinglePageApp:
    """One declared front end: where it is served, its built page, and its boot function."""

    app: str
    route: str
    index: Path
    boot: BootFunction | None = None

    def matches(self, path: str) -> bool:
        """Whether ``path`` is this app's route or a path under it (client-side routes)."""
        return path == self.route or path.startswith(self.route + "/")


def app_root(app: str) -> Path:
    """The folder of an installed app's package."""
    module = importlib.import_module(app)
    return Path(module.__file__ or "").resolve().parent


def _declaration(app: str, raw: Any) -> SinglePageApp:
    if not isinstance(raw, dict):
        raise ValueError(f"{app}.hooks single_page_apps: each entry must be a dict, not {raw!r}")
    route = str(raw.get("route") or "").rstrip("/")
    if not _ROUTE.match(route) or any(
        route == prefix or route.startswith(prefix + "/") for prefix in RESERVED_PREFIXES
    ):
        raise ValueError(f"{app}.hooks single_page_apps: route {route!r} is not a free path like '/todo'")
    root = app_root(app)
    index = (root / str(raw.get("index") or "")).resolve()
    if not index.is_relative_to(root) or index == root:
        raise ValueError(f"{app}.hooks single_page_apps: index {raw.get('index')!r} is outside the app")
    boot_path = raw.get("boot")
    boot = resolve_dotted(boot_path) if boot_path else None
    if boot is not None and not callable(boot):
        raise ValueError(f"{app}.hooks single_page_apps: boot {boot_path!r} is not callable")
    return SinglePageApp(app=app, route=route, index=index, boot=boot)


def load_single_page_apps(declared: Iterable[tuple[str, Any]]) -> tuple[SinglePageApp, ...]:
    """Check and type every ``(app, declaration)``; longer routes first (they win)."""
    spas = [_declaration(app, raw) for app, raw in declared]
    routes = [s.route for s in spas]
    duplicate = next((r for r in routes if routes.count(r) > 1), None)
    if duplicate:
        raise ValueError(f"single_page_apps: route {duplicate!r} is declared twice")
    return tuple(sorted(spas, key=lambda s: len(s.route), reverse=True))


#: The site's checked single-page apps (from its apps' hooks), built on first use.
SINGLE_PAGE_APPS: SlotKey[tuple[SinglePageApp, ...]] = SlotKey("single_page_apps")


def site_single_page_apps(site: Site) -> tuple[SinglePageApp, ...]:
    """The single-page apps the site's apps declare, checked once per process."""
    return site.services.slot(SINGLE_PAGE_APPS).get(
        lambda: load_single_page_apps(site.hooks.single_page_apps)
    )


def _js_value(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def boot_script(values: dict[str, Any]) -> bytes:
    """``<script>window.key = value; ...</script>`` for ``values`` (keys must be JS identifiers)."""
    lines = []
    for key, value in values.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(f"boot key {key!r} is not a JavaScript identifier")
        lines.append(f"window.{key} = {_js_value(value)};")
    return ("<script>" + "".join(lines) + "</script>").encode()


def inject_boot(html: bytes, values: dict[str, Any]) -> bytes:
    """The page with the boot script first in its ``<head>`` (or first in the page without one)."""
    script = boot_script(values)
    found = _HEAD.search(html)
    if found is None:
        return script + html
    return html[: found.end()] + script + html[found.end() :]
