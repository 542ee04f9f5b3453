"""Realtime fixtures: a real ``docframe serve`` process and Socket.IO clients that connect as
frappe-react-sdk does (``io(<host>:<socketio_port>/<site>, {withCredentials: true})``, the session
cookie or an ``Authorization: token`` header, the page's Origin)."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.conftest import ADMIN_PASSWORD, free_port, make_site, start_server, stop_server

PASSWORD = "Rt-Secret-77"
SITE = "rt.test"


@dataclass
class RealtimeServer:
    """A running server: its HTTP base URL, its Socket.IO port and an Administrator HTTP client."""

    base: str
    socket_port: int
    site: str
    proc: subprocess.Popen[bytes]
    admin: httpx.Client
    sites: Path

    @property
    def socket_url(self) -> str:
        return f"http://127.0.0.1:{self.socket_port}"

    @property
    def namespace(self) -> str:
        return f"/{self.site}"


def start_serve(sites: Path, site: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``docframe serve`` (extra ``args``) and wait until it answers."""
    env = {key: value for key, value in os.environ.items() if key != "DOCFRAME_NO_SOCKETIO_PORT"}
    port = free_port()
    return start_server(
        sites, site, *args, env=env, output=(sites / f"serve-{port}.log").open("wb"), port=port
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    stop_server(proc, timeout=15)


def login(base: str, user: str, password: str) -> str:
    """Log in over HTTP; returns the session id."""
    response = httpx.post(f"{base}/api/method/login", data={"usr": user, "pwd": password})
    assert response.status_code == 200, response.text
    return str(response.cookies["sid"])


@pytest.fixture(scope="package")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealtimeServer]:
    sites = tmp_path_factory.mktemp("rt-sites")
    socket_port = free_port()
    (sites / "common_site_config.json").write_text(f'{{"socketio_port": {socket_port}}}')
    made = make_site(sites, SITE, "sqlite", {"apps": ["tests.realtime.rtapp"]})
    made.dispose()
    proc, base = start_serve(sites, SITE)
    admin = httpx.Client(base_url=base, headers={"Accept": "application/json"}, timeout=30)
    admin.post("/api/method/login", data={"usr": "Administrator", "pwd": ADMIN_PASSWORD}).raise_for_status()
    ok = admin.post("/api/resource/Role", json={"role_name": "RT Desk", "desk_access": 1})
    assert ok.status_code == 200, ok.text
    yield RealtimeServer(base, socket_port, SITE, proc, admin, sites)
    admin.close()
    stop(proc)


def new_user(rt: RealtimeServer, roles: tuple[str, ...] = ("RT Desk",)) -> str:
    """A new user (a System User with the default role) with :data:`PASSWORD`."""
    email = f"rt-{secrets.token_hex(4)}@example.com"
    body = {
        "email": email,
        "first_name": "Rt",
        "new_password": PASSWORD,
        "roles": [{"role": r} for r in roles],
    }
    response = rt.admin.post("/api/resource/User", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["name"])


def token_for(rt: RealtimeServer, user: str) -> str:
    keys = rt.admin.post("/api/method/frappe.core.doctype.user.user.generate_keys", data={"user": user})
    assert keys.status_code == 200, keys.text
    return f"token {keys.json()['message']['api_key']}:{keys.json()['message']['api_secret']}"


@dataclass
class Sock:
    """A Socket.IO client that records every event it receives in its namespace."""

    client: socketio.AsyncClient
    namespace: str
    events: list[tuple[str, Any]] = field(default_factory=list)

    def got(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def emit(self, event: str, *args: Any) -> None:
        await self.client.emit(event, args if len(args) != 1 else args[0], namespace=self.namespace)

    async def call(self, event: str, *args: Any) -> Any:
        return await self.client.call(
            event, args if len(args) != 1 else args[0], namespace=self.namespace, timeout=5
        )

    async def settle(self) -> None:
        """Wait until every event emitted before has been handled (a ping round trip after them)."""
        assert await self.call("ping") == "pong"

    async def wait_for(
        self, event: str, match: Callable[[Any], bool] = lambda _d: True, timeout: float = 5
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for data in self.got(event):
                if match(data):
                    return data
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {event} matching within {timeout}s; got {self.events}")

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


async def connect(
    url: str,
    namespace: str,
    *,
    sid: str | None = None,
    token: str | None = None,
    origin: str | None = "default",
    headers: dict[str, str] | None = None,
    transports: list[str] | None = None,
) -> Sock:
    """Connect as frappe-react-sdk does; raises ``socketio.exceptions.ConnectionError`` when refused."""
    client = socketio.AsyncClient(reconnection=False)
    sock = Sock(client, namespace)
    client.on("*", lambda event, *data: sock.events.append((event, data[0] if len(data) == 1 else data)),
              namespace=namespace)  # fmt: skip
    sent = dict(headers or {})
    if sid is not None:
        sent["Cookie"] = f"sid={sid}; system_user=yes"
    if token is not None:
        sent["Authorization"] = token
    if origin == "default":
        sent["Origin"] = url.replace(url.rsplit(":", 1)[1], "8080")  # the page's port differs
    elif origin is not None:
        sent["Origin"] = origin
    await client.connect(url, namespaces=[namespace], headers=sent, transports=transports or ["polling", "websocket"],
                         wait_timeout=10)  # fmt: skip
    return sock


async def refused(url: str, namespace: str, **kwargs: Any) -> str:
    """Connect expecting a refusal; returns the ``connect_error`` message."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", lambda data=None: errors.append(data), namespace=namespace)
    sent = dict(kwargs.pop("headers", {}))
    try:
        await client.connect(
            url, namespaces=[namespace], headers=sent, transports=["websocket"], wait_timeout=5
        )
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await client.disconnect()
        raise AssertionError("the connection was accepted")
    finally:
        if client.connected:
            await client.disconnect()
    assert errors, "no connect_error received"
    data = errors[0]
    return str(data.get("message") if isinstance(data, dict) else data)


def run(coro: Any) -> Any:
    """Run a test's async scenario."""
    return asyncio.run(coro)


__all__ = ["PASSWORD", "SITE", "RealtimeServer", "Sock", "connect", "login", "new_user", "refused", "run",
           "start_serve", "stop", "token_for"]  # fmt: skip
