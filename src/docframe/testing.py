"""Helpers for an app's own tests: a throw-away site with the app installed, and an HTTP client.

::

    from docframe.testing import temporary_site, site_client

    with temporary_site(apps=["library_app"]) as site:
        with site.unit_of_work(User.administrator()) as ctx:
            ...
        client = site_client(site)          # an in-process HTTP client, signed in as Administrator
        client.get("/api/method/library_app.api.summary")

The site is an SQLite site in a temporary folder, removed afterwards. ``site_client`` needs
``httpx`` (Starlette's test client uses it).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from docframe.secret_box import generate_key
from docframe.sites import Site
from docframe.users import User

__all__ = ["site_client", "temporary_site"]

ADMIN_PASSWORD = "admin"


@contextmanager
def temporary_site(
    apps: Sequence[str] = (), config: dict[str, Any] | None = None, name: str = "test.localhost"
) -> Iterator[Site]:
    """A new, installed SQLite site with ``apps``; its folder is removed on exit."""
    from docframe.migrate.sync import install_site

    root = Path(tempfile.mkdtemp(prefix="docframe-test-"))
    try:
        path = root / "sites" / name
        for sub in ("public/files", "private/files", "db"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        settings = {"encryption_key": generate_key(), "apps": list(apps), **(config or {})}
        (path / "site_config.json").write_text(json.dumps(settings))
        site = Site.open(path)
        try:
            install_site(site, ADMIN_PASSWORD)
            yield site
        finally:
            site.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def site_client(site: Site, user: str = "Administrator") -> Any:
    """A Starlette ``TestClient`` for ``site``, authenticated as ``user`` with a new API key."""
    from starlette.testclient import TestClient

    from docframe.app import create_app
    from docframe.methods.auth import generate_keys

    with site.unit_of_work(User.administrator()) as ctx:
        keys = generate_keys(ctx, user)
    app = create_app(site.settings.site_path.parent)
    app.state.sites._sites[site.name] = site
    headers = {
        "X-Frappe-Site-Name": site.name,
        "Accept": "application/json",
        "Authorization": f"token {keys['api_key']}:{keys['api_secret']}",
    }
    return TestClient(app, headers=headers)
