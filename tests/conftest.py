"""Shared fixtures: a site per database backend, in-process API clients, a real server process.

Backends: SQLite always; PostgreSQL and MariaDB from the machine's servers (127.0.0.1:5432,
127.0.0.1:3306). An unreachable server skips its tests with a clear message locally and fails them
under ``CI=true``. Each pytest worker gets its own databases, so ``pytest -n`` is safe.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from docframe.app import create_app
from docframe.auth.passwords import digest_secret, set_auth_value
from docframe.db.provision import drop_database, ensure_database
from docframe.migrate.sync import install_site
from docframe.sites import Site
from docframe.users import User

ADMIN_PASSWORD = "admin-test-pw"
# Test servers leave Frappe's Socket.IO port (9000) alone, so that no test finds another test's server
# there; tests of that port start their server without this variable (tests/realtime/conftest.py).
os.environ.setdefault("DOCFRAME_NO_SOCKETIO_PORT", "1")

#: The sites' Fernet ``encryption_key`` (32 bytes, url-safe base64): fixed, so failures reproduce.
ENCRYPTION_KEY = "ZG9jZnJhbWUgdGVzdHM6IG5vdCBhIHNlY3JldCBrZXk="
BACKEND_URLS = {
    "postgresql": os.environ.get("DOCFRAME_TEST_PG", "postgresql://postgres@127.0.0.1:5432/{db}"),
    "mariadb": os.environ.get("DOCFRAME_TEST_MARIADB", "mariadb://root@127.0.0.1:3306/{db}"),
}
BACKENDS = ["sqlite", "postgresql", "mariadb"]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def require_backend(backend: str) -> None:
    """Skip (locally) or fail (CI) when a backend's server is not reachable."""
    if backend == "sqlite":
        return
    port = 5432 if backend == "postgresql" else 3306
    if not _port_open(port):
        message = f"{backend} server on 127.0.0.1:{port} is unreachable"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required under CI=true)")
        pytest.skip(message + " (start it to run these tests)")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def make_site(root: Path, name: str, backend: str, extra_config: dict[str, Any] | None = None) -> Site:
    """Create and install a fresh site on ``backend`` under ``root``."""
    require_backend(backend)
    path = root / name
    for sub in ("public/files", "private/files", "db"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        url = f"sqlite:///{path / 'db' / 'site.db'}"
    else:
        db = f"dftest_{_worker()}_{name}_{secrets.token_hex(3)}".replace("-", "_").replace(".", "_")
        url = BACKEND_URLS[backend].format(db=db)
        drop_database(url)
        ensure_database(url)
    config = {"db_url": url, "encryption_key": ENCRYPTION_KEY, **(extra_config or {})}
    (path / "site_config.json").write_text(json.dumps(config))
    site = Site.open(path)
    install_site(site, ADMIN_PASSWORD)
    return site


@pytest.fixture(scope="session")
def sites_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sites")
    (root / "common_site_config.json").write_text("{}")
    return root


_SITES: dict[str, Site] = {}


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def site(backend: str, sites_root: Path) -> Iterator[Site]:
    """An installed site on the current backend (shared by the session: use unique names)."""
    name = f"{backend}.test"
    created = make_site(sites_root, name, backend)
    _SITES[name] = created
    yield created
    created.dispose()
    if backend != "sqlite":
        drop_database(created.settings.db_url)


@pytest.fixture(scope="session")
def sqlite_site(sites_root: Path) -> Iterator[Site]:
    """An installed SQLite site (for tests that do not need every backend)."""
    created = make_site(sites_root, "sqlite-only.test", "sqlite")
    yield created
    created.dispose()


#: Administrator's token per site (the site object is kept so its id is never reused).
_ADMIN_TOKENS: dict[int, tuple[Site, str]] = {}


def api_key_for(site: Site, user: str = "Administrator") -> str:
    """Give ``user`` an API key and secret; returns the ``token`` header value.

    Administrator is keyed once per site: a second call returns the same token, so a module that
    asks for its own Administrator client does not sign out the session's ``admin`` fixture.
    """
    if user == "Administrator":
        kept = _ADMIN_TOKENS.get(id(site))
        if kept is not None and kept[0] is site:
            return kept[1]
        token = _new_api_key(site, user)
        _ADMIN_TOKENS[id(site)] = (site, token)
        return token
    return _new_api_key(site, user)


def _new_api_key(site: Site, user: str) -> str:
    key, secret = secrets.token_hex(8), secrets.token_hex(8)
    with site.unit_of_work(User.administrator()) as ctx:
        users = site.tables.get(site.metas.get("User", ctx.conn))
        ctx.conn.execute(users.update().where(users.c.name == user).values(api_key=key))
        set_auth_value(ctx, "User", user, "api_secret", digest_secret(secret))
    cache = site.services.identity.peek()
    if cache is not None:
        cache.clear()
    return f"token {key}:{secret}"


class SiteClient:
    """An in-process client bound to one site (sends ``X-Frappe-Site-Name``); ``peer`` is its socket address."""

    def __init__(
        self, site: Site, sites_root: Path, auth: str | None = None, peer: str | None = None
    ) -> None:
        self.site = site
        self.app = create_app(sites_root)
        self.app.state.sites._sites[site.name] = site
        self.http = TestClient(
            self.app,
            headers={"X-Frappe-Site-Name": site.name, "Accept": "application/json"},
            client=(peer or "testclient", 50000),
        )
        if auth:
            self.http.headers["Authorization"] = auth

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)


@pytest.fixture(scope="session")
def admin(site: Site, sites_root: Path) -> SiteClient:
    """An Administrator client (token auth) for the current backend's site."""
    return SiteClient(site, sites_root, api_key_for(site))


@pytest.fixture()
def guest(site: Site, sites_root: Path) -> SiteClient:
    """An anonymous client for the current backend's site."""
    return SiteClient(site, sites_root)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    sites_root: Path,
    site: str,
    *flags: str,
    env: dict[str, str] | None = None,
    output: Any = subprocess.DEVNULL,
    timeout: float = 30,
    port: int | None = None,
    program: list[str] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``docframe serve --site SITE FLAGS...`` on a free port and wait until it answers ``ping``.

    ``program`` replaces ``python -m docframe.cli.main`` (e.g. a wrapper that reports the server's
    modules). Returns the process and its base URL; a server that does not answer in ``timeout``
    seconds is killed and reported (with its output when ``output`` is ``subprocess.PIPE``).
    """
    port = port or free_port()
    proc = subprocess.Popen(
        [*(program or [sys.executable, "-m", "docframe.cli.main"]), "--sites", str(sites_root), "serve",
         "--port", str(port), "--site", site, *flags],
        env=env if env is not None else {**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ping = httpx.get(f"{base}/api/method/ping", headers={"X-Frappe-Site-Name": site}, timeout=1)
            if ping.status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    said = proc.stdout.read().decode() if output == subprocess.PIPE and proc.stdout else ""
    raise RuntimeError(f"docframe serve did not start: {said}")


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a server started by :func:`start_server`: SIGTERM, then SIGKILL after ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(sqlite_site: Site, sites_root: Path) -> Iterator[str]:
    """A real ``docframe serve`` process on the SQLite site; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "serve", "--port", str(port), "--site", sqlite_site.name, "--no-scheduler"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(
                    f"{base}/api/method/ping", headers={"X-Frappe-Site-Name": sqlite_site.name}, timeout=1
                ).status_code
                == 200
            ):
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(
            f"docframe serve did not start: {proc.stdout.read().decode() if proc.stdout else ''}"
        )
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
