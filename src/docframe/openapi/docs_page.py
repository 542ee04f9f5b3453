"""Docs page: the HTML of ``/api/docs`` and its assets (Swagger UI, vendored in the package).

The page loads only files this server serves (``/api/docs/assets/...``) and says so in its
Content-Security-Policy; the caller's CSRF token is in a ``<meta>`` tag so "Try it out" works with
the browser's session. The vendored Swagger UI is refreshed with ``tools/vendor_swagger_ui.py``.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

__all__ = ["ASSET_TYPES", "CSP", "asset", "page"]

STATIC = Path(__file__).resolve().parent / "static"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "docs.js": "text/javascript; charset=utf-8",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


def _path(name: str) -> Path:
    return STATIC / name if name == "docs.js" else STATIC / "swagger-ui" / name


@functools.lru_cache(maxsize=16)
def asset(name: str) -> tuple[bytes, str] | None:
    """(content, content type) of the asset ``name``, or None when there is no such asset."""
    kind = ASSET_TYPES.get(name)
    if kind is None:
        return None
    return _path(name).read_bytes(), kind


@functools.lru_cache(maxsize=1)
def _template() -> str:
    return (STATIC / "docs.html").read_text()


def page(title: str, csrf_token: str | None) -> bytes:
    """The HTML of the docs page."""
    text = (
        _template()
        .replace("{title}", html.escape(title))
        .replace("{csrf_token}", html.escape(csrf_token or ""))
    )
    return text.encode()
