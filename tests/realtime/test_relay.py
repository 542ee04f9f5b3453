"""The relay without Redis: ``docframe serve`` runs Socket.IO's port in a sibling process fed by
messages on Unix sockets from every process publishing for the sites folder; the sibling lives and
dies with ``serve``; a receiver that is gone, busy or sent garbage never fails a write or stops
delivery.

The first tests drive :mod:`docframe.realtime.relay` with real sockets in a temporary folder; the
others run real ``docframe serve`` processes and Socket.IO clients. The protocol tests of
``test_server.py`` (permission rules included: a user who cannot read a document gets nothing
about it) connect to the ``socketio_port``, so they run against the sibling too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from docframe.realtime import publish_realtime, relay
from docframe.sites import Site
from docframe.users import User
from tests.conftest import ADMIN_PASSWORD, free_port, make_site, start_server
from tests.realtime.conftest import RealtimeServer, Sock, connect, login, run, start_serve, stop

# -- the relay itself --------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "relay"
    path.mkdir(mode=0o700)
    return path


def _envelope(i: int, pad: int = 0) -> dict[str, object]:
    return {"event": "e", "message": {"i": i, "pad": "x" * pad}, "room": "all", "namespace": "s"}


def test_a_transactions_envelopes_travel_as_one_message_and_long_lists_are_split(folder: Path) -> None:
    receiver = relay.Receiver(folder)
    sender = relay.Sender()
    try:
        assert sender.send(folder, [_envelope(1), _envelope(2)]) == 1
        (data,) = receiver.poll()
        assert relay.decode(data) == [_envelope(1), _envelope(2)]
        many = [_envelope(i, pad=200) for i in range(1000)]  # about 250 KB
        sent = sender.send(folder, many)
        messages = receiver.poll()
        assert sent == len(messages) > 1
        assert all(len(d) <= relay.MAX_MESSAGE for d in messages)
        assert [e for d in messages for e in relay.decode(d) or []] == many  # all, in order
    finally:
        receiver.close()
    assert list(folder.iterdir()) == []  # closing removes the socket file


def test_a_process_skips_its_own_socket_and_removes_dead_ones(folder: Path) -> None:
    own = relay.Receiver(folder)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    dead_path = folder / "999999-dead00.sock"
    dead.bind(str(dead_path))
    dead.close()  # its process "died": the file stays, nobody listens on it
    try:
        assert relay.Sender().send(folder, [_envelope(1)], frozenset({own.path})) == 0
        assert own.poll() == []
        assert not dead_path.exists()
    finally:
        own.close()


def test_a_connection_the_receiver_closed_is_made_again(folder: Path) -> None:
    receiver = relay.Receiver(folder)
    sender = relay.Sender()
    try:
        assert sender.send(folder, [_envelope(1)]) == 1
        assert len(receiver.poll()) == 1
        for conn in list(receiver.conns.values()):
            receiver.drop(conn)
        assert sender.send(folder, [_envelope(2)]) == 1
        assert [relay.decode(d) for d in receiver.poll()] == [[_envelope(2)]]
    finally:
        receiver.close()


def test_a_receiver_that_stops_reading_misses_events_and_the_others_do_not(folder: Path) -> None:
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    stuck.bind(str(folder / "1-stuck0.sock"))
    stuck.listen(8)  # never accepts, never reads
    live = relay.Receiver(folder)
    sender = relay.Sender()
    got: list[bytes] = []
    try:
        started = time.monotonic()
        sent = 0
        for i in range(1500):  # 15 MB: more than any send buffer holds
            sent += sender.send(folder, [_envelope(i, pad=10_000)])
            got += live.poll()
        assert time.monotonic() - started < 30  # nothing waited for the stuck receiver
        assert 1500 < sent < 3000  # the live receiver got every one, the stuck one a part
        assert len(got) == 1500
    finally:
        stuck.close()
        live.close()


def test_a_folder_open_to_others_is_not_used(folder: Path) -> None:
    receiver = relay.Receiver(folder)
    try:
        folder.chmod(0o755)
        assert relay.Sender().send(folder, [_envelope(1)]) == 0
        assert receiver.poll() == []
        with pytest.raises(PermissionError):
            relay.Receiver(folder)
    finally:
        folder.chmod(0o700)
        receiver.close()


def test_the_relay_folder_fits_a_socket_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(relay.RELAY_ENV, raising=False)
    # A sites folder with a short path keeps its relay inside (pytest's tmp_path can be too long).
    short = Path(tempfile.mkdtemp(prefix="rl-", dir="/tmp"))
    try:
        assert relay.relay_dir(short) == short / ".realtime-relay"
    finally:
        short.rmdir()
    deep = tmp_path / ("d" * 100)
    fallback = relay.relay_dir(deep)
    assert fallback.parent == Path("/tmp") and fallback.name.startswith(f"docframe-relay-{os.geteuid()}-")
    assert fallback == relay.relay_dir(deep)  # every process of the sites folder finds the same one
    monkeypatch.setenv(relay.RELAY_ENV, str(tmp_path / "named"))
    assert relay.relay_dir(deep) == tmp_path / "named"


def test_malformed_messages_decode_to_nothing() -> None:
    assert relay.decode(b"\xff\x00") is None
    assert relay.decode(b'{"event": "x"}') is None
    assert relay.decode(b'[1, "a", null, {"event": "x"}]') == [{"event": "x"}]


# -- against docframe serve --------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _sibling_of(proc: subprocess.Popen[bytes]) -> int:
    """The pid of ``docframe realtime`` started by a ``docframe serve``."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for pid in _children(proc.pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if b"realtime" in argv:
                return pid
        time.sleep(0.1)
    raise AssertionError("no docframe realtime child")


def _gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if status == "Z":  # exited, not yet reaped by its (killed) parent
            return True
        time.sleep(0.1)
    return False


def _relay_sockets(sites: Path) -> list[Path]:
    return sorted((sites / ".realtime-relay").glob("*.sock"))


def test_the_sibling_serves_the_socketio_port_and_the_main_port_still_gets_events(rt: RealtimeServer) -> None:
    sibling = _sibling_of(rt.proc)
    sid = str(rt.admin.cookies["sid"])

    async def scenario() -> None:
        apart = await connect(rt.socket_url, rt.namespace, sid=sid)
        same_port = await connect(rt.base, rt.namespace, sid=sid, transports=["websocket"])
        for sock in (apart, same_port):
            await sock.emit("doctype_subscribe", "ToDo")
            await sock.settle()
        name = rt.admin.post("/api/resource/ToDo", json={"description": "relayed"}).json()["data"]["name"]
        for sock in (apart, same_port):
            got = await sock.wait_for("list_update", lambda d: d["name"] == name)
            assert got == {"doctype": "ToDo", "name": name, "user": "Administrator"}
        # Two receivers on the relay: the sibling and the worker whose /socket.io has started.
        owners = {int(p.name.split("-", 1)[0]) for p in _relay_sockets(rt.sites)}
        assert {sibling, rt.proc.pid} <= owners
        for sock in (apart, same_port):
            await sock.close()

    run(scenario())


def test_a_command_on_the_same_host_reaches_the_sibling(rt: RealtimeServer) -> None:
    """Code outside ``serve`` (a command, a job runner) publishing for the site reaches its sockets."""
    sid = str(rt.admin.cookies["sid"])

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        site = Site.open(rt.sites / rt.site)
        try:
            with site.unit_of_work(User.administrator()) as ctx:
                publish_realtime("from_a_command", {"n": 7}, user="Administrator", ctx=ctx)
        finally:
            site.dispose()
        assert await sock.wait_for("from_a_command") == {"n": 7}
        await sock.close()

    run(scenario())


def test_garbage_on_the_relay_is_ignored_and_delivery_goes_on(rt: RealtimeServer) -> None:
    sibling = _sibling_of(rt.proc)
    sid = str(rt.admin.cookies["sid"])
    garbage = [
        b"", b"\xff\xfe", b"[", b"{}", b"null", b"[1, 2]", b'"text"', b"[[]]",
        orjson.dumps([{"event": 5, "room": []}, {"event": "x", "room": 3}, {"room": "all"}]),
        orjson.dumps([{"event": "doc_update", "room": "all", "doc": "not a pair", "namespace": rt.site}]),
        orjson.dumps([{"event": "docframe:session_ended", "message": "x", "namespace": rt.site}]),
        orjson.dumps([{"event": "e", "room": "all", "namespace": 12}]),
        b"[" + b"1," * 30_000 + b"1]",
    ]  # fmt: skip

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.emit("doctype_subscribe", "ToDo")
        await sock.settle()
        for path in _relay_sockets(rt.sites):
            for data in garbage:  # a connection each: an empty message reads as its end
                with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as out:
                    out.connect(str(path))
                    out.send(data)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as wrong:  # not even a connection
            for path in _relay_sockets(rt.sites):
                with pytest.raises(OSError):
                    wrong.sendto(b"[]", str(path))
        name = rt.admin.post("/api/resource/ToDo", json={"description": "after"}).json()["data"]["name"]
        assert await sock.wait_for("list_update", lambda d: d["name"] == name)
        assert sock.got("doc_update") == []  # the bad "doc" mark was withheld, not sent
        assert sock.client.connected
        await sock.close()

    run(scenario())
    assert not _gone(sibling, timeout=0.5)


def test_a_gone_or_busy_receiver_never_fails_a_write(rt: RealtimeServer) -> None:
    folder = rt.sites / ".realtime-relay"
    dead_path = folder / "999998-dead00.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    dead.bind(str(dead_path))
    dead.close()
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    stuck.bind(str(folder / "999997-stuck0.sock"))
    stuck.listen(1)  # never accepts nor reads
    sid = str(rt.admin.cookies["sid"])

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.emit("doctype_subscribe", "ToDo")
        await sock.settle()
        names = []
        for i in range(40):
            response = rt.admin.post("/api/resource/ToDo", json={"description": f"busy {i}"})
            assert response.status_code == 200, response.text
            names.append(response.json()["data"]["name"])
        await sock.wait_for("list_update", lambda d: d["name"] == names[-1])
        assert {d["name"] for d in sock.got("list_update")} >= set(names)
        await sock.close()

    try:
        run(scenario())
    finally:
        stuck.close()
        os.unlink(folder / "999997-stuck0.sock")
    assert not dead_path.exists()  # the publisher removed the dead receiver's file


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_the_sibling_ends_with_serve(rt: RealtimeServer, how: signal.Signals) -> None:
    proc, _base = start_serve(rt.sites, rt.site, "--socketio-port", str(free_port()))
    try:
        sibling = _sibling_of(proc)
        deadline = time.monotonic() + 20
        while sibling not in {int(p.name.split("-", 1)[0]) for p in _relay_sockets(rt.sites)}:
            # its relay socket is bound on its first Socket.IO request
            try:
                httpx.get(
                    f"http://127.0.0.1:{_socket_port(proc)}/socket.io/?EIO=4&transport=polling", timeout=2
                )
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(how)
        proc.wait(timeout=20)
        assert _gone(sibling)
        if how != signal.SIGKILL:  # stopped in order: its relay socket is removed
            assert sibling not in {int(p.name.split("-", 1)[0]) for p in _relay_sockets(rt.sites)}
    finally:
        if proc.poll() is None:
            stop(proc)


def test_a_sibling_that_dies_is_started_again_on_the_same_port(rt: RealtimeServer) -> None:
    port = free_port()
    proc, _base = start_serve(rt.sites, rt.site, "--socketio-port", str(port))
    handshake = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
    try:
        first = _sibling_of(proc)
        assert httpx.get(handshake, timeout=10).text.startswith("0{")
        os.kill(first, signal.SIGKILL)
        assert _gone(first)
        deadline = time.monotonic() + 30
        while True:  # a new docframe realtime child, after the first restart delay
            children = [pid for pid in _children(proc.pid) if pid != first]
            if children:
                break
            assert time.monotonic() < deadline, "the sibling was not started again"
            time.sleep(0.1)
        second = children[0]
        assert b"realtime" in Path(f"/proc/{second}/cmdline").read_bytes().split(b"\0")
        # The port stayed bound by serve meanwhile: the new sibling answers on it.
        assert httpx.get(handshake, timeout=15).text.startswith("0{")
        assert proc.poll() is None
    finally:
        stop(proc)
    assert _gone(second)


def _socket_port(proc: subprocess.Popen[bytes]) -> int:
    argv = proc.args
    assert isinstance(argv, list)
    return int(argv[argv.index("--socketio-port") + 1])


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    sites = tmp_path_factory.mktemp("rt-two")
    (sites / "common_site_config.json").write_text("{}")
    made = make_site(sites, "two.test", "sqlite", {"apps": ["tests.realtime.rtapp"]})
    made.dispose()
    socket_port = free_port()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DOCFRAME_NO_SOCKETIO_PORT"}
    proc, base = start_server(
        sites, "two.test", "--workers", "2", "--socketio-port", str(socket_port),
        env=env, output=(sites / "serve.log").open("wb"), port=port, timeout=90,  # three processes start
    )  # fmt: skip
    yield base, f"http://127.0.0.1:{socket_port}", "/two.test"
    stop(proc)


def test_two_workers_without_redis_reach_sockets_everywhere(two_workers: tuple[str, str, str]) -> None:
    base, socket_url, namespace = two_workers
    sid = login(base, "Administrator", ADMIN_PASSWORD)

    async def scenario() -> None:
        socks: list[Sock] = [
            await connect(socket_url, namespace, sid=sid),  # the sibling
            await connect(base, namespace, sid=sid, transports=["websocket"]),  # one of the workers
        ]
        for sock in socks:
            await sock.settle()
        pids: set[int] = set()
        for _ in range(100):  # a new connection each time: the kernel spreads them over the workers
            with httpx.Client(base_url=base, cookies={"sid": sid}, timeout=30) as http:
                response = http.post("/api/method/tests.realtime.rtapp.api.publish_pid")
                assert response.status_code == 200, response.text
                pids.add(int(response.json()["message"]))
            if len(pids) == 2:
                break
        assert len(pids) == 2, "every request reached the same worker"
        for sock in socks:
            for pid in pids:
                await sock.wait_for("from_worker", lambda d, p=pid: d["pid"] == p)
        for sock in socks:
            await sock.close()

    run(scenario())
