"""Several workers on PostgreSQL + Redis: an event published by any process reaches the sockets of
every process (two ``docframe serve`` and one ``docframe realtime``), through Redis pub/sub in the
shape of Frappe's ``events`` channel; a logout on one worker drops that session's sockets on all."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis

from docframe.db.provision import drop_database
from tests.conftest import ADMIN_PASSWORD, _port_open, free_port, make_site
from tests.realtime.conftest import PASSWORD, connect, login, run, start_serve, stop

REDIS_URL = "redis://127.0.0.1:6379/3"


def _require_redis() -> None:
    if not _port_open(6379):
        if os.environ.get("CI") == "true":
            pytest.fail("Redis on 127.0.0.1:6379 is unreachable (required under CI=true)")
        pytest.skip("Redis on 127.0.0.1:6379 is unreachable")


@dataclass
class Cluster:
    site: str
    first: str
    second: str
    realtime_url: str
    channel: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    _require_redis()
    sites = tmp_path_factory.mktemp("rt-cluster")
    (sites / "common_site_config.json").write_text("{}")
    channel = f"events-test-{secrets.token_hex(4)}"
    config = {"redis_url": REDIS_URL, "realtime_channel": channel, "session_prefix": secrets.token_hex(4),
              "apps": ["tests.realtime.rtapp"]}  # fmt: skip
    site = make_site(sites, "rt-cluster.test", "postgresql", config)
    site.dispose()
    first, base_a = start_serve(sites, site.name, "--no-socketio-port")
    second, base_b = start_serve(sites, site.name, "--no-socketio-port")
    port = free_port()
    log = (sites / "realtime.log").open("wb")
    third = subprocess.Popen(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), "realtime", "--port", str(port),
         "--site", site.name],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    realtime_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(
                    f"{realtime_url}/socket.io/", params={"EIO": "4", "transport": "polling"}
                ).status_code
                == 200
            ):
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        pytest.fail("docframe realtime did not start")
    yield Cluster(site.name, base_a, base_b, realtime_url, channel)
    for proc in (first, second, third):
        stop(proc)
    drop_database(json.loads((sites / site.name / "site_config.json").read_text())["db_url"])


def test_events_cross_workers_and_logout_reaches_every_worker(cluster: Cluster) -> None:
    namespace = f"/{cluster.site}"
    admin = httpx.Client(base_url=cluster.second, timeout=30)
    admin.post("/api/method/login", data={"usr": "Administrator", "pwd": ADMIN_PASSWORD}).raise_for_status()
    email = f"rtc-{secrets.token_hex(4)}@example.com"
    admin.post("/api/resource/User", json={"email": email, "first_name": "C", "new_password": PASSWORD,
                                           "roles": [{"role": "System Manager"}]}).raise_for_status()  # fmt: skip
    sid = login(cluster.first, email, PASSWORD)
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(cluster.channel)

    async def scenario() -> None:
        socks = [
            await connect(cluster.first, namespace, sid=sid),
            await connect(cluster.second, namespace, sid=sid),
            await connect(cluster.realtime_url, namespace, sid=sid),
        ]
        for sock in socks:
            await sock.emit("doctype_subscribe", "ToDo")
            await sock.settle()
        with httpx.Client(base_url=cluster.second, cookies={"sid": sid}, timeout=30) as http:
            name = http.post("/api/resource/ToDo", json={"description": "x"}).json()["data"]["name"]
            for sock in socks:
                got = await sock.wait_for("list_update", lambda d: d["name"] == name)
                assert got == {"doctype": "ToDo", "name": name, "user": email}
        with httpx.Client(base_url=cluster.first, cookies={"sid": sid}, timeout=30) as http:
            published = http.post("/api/method/tests.realtime.rtapp.api.publish",
                                  json={"event": "hello", "message": {"n": 1}, "user": email})  # fmt: skip
            assert published.status_code == 200, published.text
        for sock in socks:
            assert await sock.wait_for("hello") == {"n": 1}
        out = httpx.post(f"{cluster.second}/api/method/logout", cookies={"sid": sid})
        assert out.status_code == 200
        for _ in range(250):
            if not any(sock.client.connected for sock in socks):
                break
            await asyncio.sleep(0.02)
        assert not any(sock.client.connected for sock in socks)

    run(scenario())
    shapes = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(shapes) < 3:
        message = listener.get_message(timeout=0.5)
        if message is not None:
            shapes.append(json.loads(message["data"]))
    listener.close()
    list_update = next(m for m in shapes if m["event"] == "list_update")
    assert {"event", "message", "room", "namespace"} <= set(list_update)
    assert list_update["room"] == "doctype:ToDo" and list_update["namespace"] == cluster.site
