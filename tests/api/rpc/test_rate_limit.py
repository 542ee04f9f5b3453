"""``@rate_limit`` counts per real client address, in counters every worker process shares (issue 10, finding 6)."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from docframe.sites import Site
from tests.api.rpc.fixtures import APP, app_site  # noqa: F401 - fixtures
from tests.conftest import SiteClient

METHOD = f"/api/method/{APP}.api.limited"
ROOT = Path(__file__).resolve().parents[3]


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


_OTHER_PROCESS = """
import sys
from pathlib import Path
from starlette.testclient import TestClient
from docframe.app import create_app
root, site, peer, path = sys.argv[1:5]
client = TestClient(create_app(Path(root)), client=(peer, 1), headers={"X-Frappe-Site-Name": site})
print(",".join(str(client.get(path).status_code) for _ in range(3)))
"""


def test_rate_limit_counters_are_shared_by_worker_processes(app_site: Site, sites_root: Path) -> None:  # noqa: F811
    """Three calls in another process use up the budget this process then sees spent."""
    address = _address()
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(sites_root), app_site.name, address, METHOD],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "200,200,200"
    here = SiteClient(app_site, sites_root, peer=address).get(METHOD)
    assert here.status_code == 429, here.text
