"""Fixtures for tests that need an installed app (``tests.api.rpc.rpcapp``) on every backend.

Import the fixtures into a test module to use them (``from tests.api.rpc.fixtures import ...``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from docframe.db.provision import drop_database
from docframe.sites import Site
from tests.conftest import SiteClient, api_key_for, make_site

APP = "tests.api.rpc.rpcapp"


@pytest.fixture(scope="session")
def app_site(backend: str, sites_root: Path) -> Iterator[Site]:
    """A site of its own (own database) with the test app installed, on the current backend.

    Kept apart from the shared ``site`` so the app's DocType never shows up in other tests' data.
    """
    site = make_site(sites_root, f"app-{backend}-{secrets.token_hex(3)}.test", backend, {"apps": [APP]})
    yield site
    site.dispose()
    if backend != "sqlite":
        drop_database(site.settings.db_url)


@pytest.fixture(scope="session")
def app_admin(app_site: Site, sites_root: Path) -> SiteClient:
    """Administrator (token auth) on the app site."""
    return SiteClient(app_site, sites_root, api_key_for(app_site))


@pytest.fixture()
def app_guest(app_site: Site, sites_root: Path) -> SiteClient:
    """Guest on the app site."""
    return SiteClient(app_site, sites_root)
