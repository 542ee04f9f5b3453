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


def test_websockets_refuse_per_message_deflate(rt: RealtimeServer) -> None:
    """Browsers offer per-message deflate; the server declines it (a zlib stream per socket for
    frames of a few hundred bytes), on the Socket.IO port and on the main port's /socket.io."""
    for port in (rt.socket_port, int(rt.base.rsplit(":", 1)[1])):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                b"Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
            )
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                assert chunk, head
                head += chunk
        status, _, rest = head.partition(b"\r\n")
        assert status.startswith(b"HTTP/1.1 101"), head
        assert b"sec-websocket-extensions" not in rest.lower(), head
