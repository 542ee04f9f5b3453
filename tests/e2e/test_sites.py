"""Sites side by side: one server, sites picked by X-Frappe-Site-Name or Host; the demo command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _docframe(sites: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), *args],
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip


def _wait(
    url: str, headers: dict[str, str] | None = None, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read().decode() if proc.stdout else ''}")
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    sites = tmp_path_factory.mktemp("multi")
    _docframe(sites, "new-site", "alpha.localhost", "--admin-password", "pw-alpha")
    _docframe(sites, "new-site", "beta.localhost", "--admin-password", "pw-beta")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/api/method/ping", proc=proc)
    yield base, sites
    proc.terminate()
    proc.wait(timeout=10)


def _login(base: str, site_header: dict[str, str], password: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/method/login", json={"usr": "Administrator", "pwd": password}, headers=site_header
    )


def test_site_is_chosen_by_header_then_host_then_default(two_sites: tuple[str, Path]) -> None:
    base, _ = two_sites
    assert _login(base, {"X-Frappe-Site-Name": "alpha.localhost"}, "pw-alpha").status_code == 200
    assert _login(base, {"X-Frappe-Site-Name": "beta.localhost"}, "pw-alpha").status_code == 401
    assert _login(base, {"Host": "beta.localhost:8000"}, "pw-beta").status_code == 200
    # No header and an unknown host: the default site (the first one created) answers.
    assert _login(base, {}, "pw-alpha").status_code == 200


def test_documents_stay_in_their_site(two_sites: tuple[str, Path]) -> None:
    base, _ = two_sites
    with httpx.Client(base_url=base, headers={"X-Frappe-Site-Name": "alpha.localhost"}) as alpha:
        alpha.post("/api/method/login", json={"usr": "Administrator", "pwd": "pw-alpha"})
        name = alpha.post("/api/resource/ToDo", json={"description": "only in alpha"}).json()["data"]["name"]
    with httpx.Client(base_url=base, headers={"X-Frappe-Site-Name": "beta.localhost"}) as beta:
        beta.post("/api/method/login", json={"usr": "Administrator", "pwd": "pw-beta"})
        assert beta.get(f"/api/resource/ToDo/{name}").status_code == 404


def test_unknown_site_header_is_404(two_sites: tuple[str, Path]) -> None:
    base, _ = two_sites
    response = httpx.get(f"{base}/api/method/ping", headers={"X-Frappe-Site-Name": "nope.localhost"})
    assert response.status_code == 404
    assert (
        httpx.get(f"{base}/api/method/ping", headers={"X-Frappe-Site-Name": "../alpha.localhost"}).status_code
        == 404
    )


def test_forced_site_ignores_header_and_host(two_sites: tuple[str, Path]) -> None:
    """``serve --site X`` serves X whatever X-Frappe-Site-Name or Host say (as ``bench --site X serve``)."""
    _, sites = two_sites
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), "serve", "--port",
                             str(port), "--site", "beta.localhost"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/api/method/ping", proc=proc)
        password = _current_beta_password(base)
        # What frappe-ui sends from a page at http://127.0.0.1:PORT: the page's host name as the site.
        assert _login(base, {"X-Frappe-Site-Name": "127.0.0.1"}, password).status_code == 200
        assert _login(base, {"X-Frappe-Site-Name": "alpha.localhost"}, "pw-alpha").status_code == 401
        assert _login(base, {"X-Frappe-Site-Name": "alpha.localhost"}, password).status_code == 200
        assert _login(base, {"Host": "alpha.localhost:8000"}, password).status_code == 200
        assert _login(base, {"X-Frappe-Site-Name": "nope.localhost"}, password).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _current_beta_password(base: str) -> str:
    """beta's Administrator password (another test in this module changes it)."""
    for password in ("pw-beta", "changed-pw"):
        if _login(base, {}, password).status_code == 200:
            return password
    raise AssertionError("beta.localhost accepts neither known password")


def test_set_admin_password_command(two_sites: tuple[str, Path]) -> None:
    base, sites = two_sites
    _docframe(sites, "set-admin-password", "--site", "beta.localhost", "changed-pw")
    assert _login(base, {"X-Frappe-Site-Name": "beta.localhost"}, "changed-pw").status_code == 200
    assert _login(base, {"X-Frappe-Site-Name": "beta.localhost"}, "pw-beta").status_code == 401


def test_readme_demo_command_serves_a_site(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "SITES": str(tmp_path / "sites"), "ADMIN_PASSWORD": "demo-pw",
           "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}  # fmt: skip
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "demo.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{port}/api/method/ping", proc=proc)
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/method/login", data={"usr": "Administrator", "pwd": "demo-pw"}
        )
        assert response.status_code == 200 and response.json()["message"] == "Logged In"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
