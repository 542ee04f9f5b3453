"""A real HTTP receiver on 127.0.0.1 for webhook tests: records requests, answers as told."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """``status`` is answered to every request (or the next ones in ``script``); ``hang`` seconds of
    silence before answering; ``hold`` blocks requests until released."""

    status: int = 200
    reply: bytes = b'{"ok": true}'
    hang: float = 0.0
    script: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.requests.append(Received(self.command, self.path, dict(self.headers.items()), body))
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                if receiver.hang:
                    time.sleep(receiver.hang)
                status = receiver.script.pop(0) if receiver.script else receiver.status
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(receiver.reply)))
                    self.end_headers()
                    self.wfile.write(receiver.reply)
                except OSError:
                    pass

            do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.requests) >= count, f"expected {count} requests, got {len(self.requests)}"
        return self.requests
