"""``docframe serve``'s Socket.IO port: a taken port is a warning, never a failure; it can be off."""

from __future__ import annotations

import socket

import httpx

from tests.realtime.conftest import RealtimeServer, start_serve, stop


def _polling(url: str) -> httpx.Response:
    return httpx.get(f"{url}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)


def test_a_taken_socketio_port_is_a_warning(rt: RealtimeServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc, base = start_serve(rt.sites, rt.site, "--socketio-port", str(port))
        try:
            assert httpx.get(f"{base}/api/method/ping").json() == {"message": "pong"}
            assert _polling(base).text.startswith("0{")  # the main port still serves Socket.IO
        finally:
            stop(proc)
    log = (rt.sites / f"serve-{base.rsplit(':', 1)[1]}.log").read_text()
    assert f"warning: Socket.IO port {port} is not available" in log


def test_no_socketio_port(rt: RealtimeServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc, base = start_serve(rt.sites, rt.site, "--socketio-port", str(port), "--no-socketio-port")
    try:
        assert _polling(base).status_code == 200
        try:
            httpx.get(f"http://127.0.0.1:{port}/socket.io/", timeout=2)
            reached = True
        except httpx.ConnectError:
            reached = False
        assert not reached
    finally:
        stop(proc)
