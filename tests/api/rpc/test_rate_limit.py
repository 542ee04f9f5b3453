"""``@rate_limit`` counts per real client address, in counters every worker shares (issue 10, finding 6)."""

from __future__ import annotations

import secrets
from pathlib import Path

from docframe.sites import Site
from tests.api.rpc.fixtures import APP, app_site  # noqa: F401 - fixtures
from tests.conftest import SiteClient

METHOD = f"/api/method/{APP}.api.limited"


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def test_rate_limit_is_per_peer_and_ignores_made_up_headers(app_site: Site, sites_root: Path) -> None:  # noqa: F811
    client = SiteClient(app_site, sites_root, peer=_address())
    codes = [
        client.post(METHOD, data={"tag": str(i)}, headers={"X-Forwarded-For": _address()}).status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    refused = client.get(METHOD)
    assert refused.status_code == 429 and refused.json()["exc_type"] == "RateLimitExceededError"
    assert SiteClient(app_site, sites_root, peer=_address()).get(METHOD).status_code == 200


def test_rate_limit_counters_are_shared_by_workers(app_site: Site, sites_root: Path) -> None:  # noqa: F811
    if app_site.settings.redis_url:
        return
    address = _address()
    first = SiteClient(app_site, sites_root, peer=address)
    assert [first.get(METHOD).status_code for _ in range(3)] == [200, 200, 200]
    second_worker = Site.open(app_site.settings.site_path)
    try:
        assert SiteClient(second_worker, sites_root, peer=address).get(METHOD).status_code == 429
    finally:
        second_worker.dispose()
