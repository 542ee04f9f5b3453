"""Serving: ``docframe serve``'s second listener on the ``socketio_port`` and ``docframe realtime``.

Frappe's web clients (frappe-ui's ``initSocket``, frappe-react-sdk) connect to
``http://<host>:<socketio_port>/<site>`` whenever the page URL has a port, so ``docframe serve``
also listens on the ``socketio_port`` (``common_site_config.json``, default 9000) and serves only
``/socket.io`` there, in a sibling process: ``docframe realtime`` on that port (:class:`Sibling`),
fed by the workers through the relay (:mod:`docframe.realtime.relay`) or Redis, so the fan-out to
its sockets is not the write workers' work, and Engine.IO's long-polling (every request of one
client must reach one process) works with any number of workers. A port already taken is a
warning, not a failure. ``docframe realtime`` also serves Socket.IO alone for deployments that run
it apart (on another host, events need the sites' ``redis_url``).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from docframe.settings import read_json_file

__all__ = [
    "DEFAULT_SOCKETIO_PORT",
    "PARENT_FD_ENV",
    "Sibling",
    "bind_extra",
    "realtime",
    "run",
    "socketio_port_of",
]

log = logging.getLogger("docframe.realtime")
#: A sibling that exits is started again after this many seconds, doubling up to RESTART_LONGEST
#: while it keeps exiting within RESTART_STABLE seconds of its start.
RESTART_FIRST = 1.0
RESTART_LONGEST = 30.0
RESTART_STABLE = 60.0
DEFAULT_SOCKETIO_PORT = 9000
#: Set by ``docframe realtime --parent-fd``: the pipe whose end of file means ``serve`` has gone.
PARENT_FD_ENV = "DOCFRAME_REALTIME_PARENT_FD"


def socketio_port_of(sites_path: Path) -> int:
    """The sites folder's ``socketio_port`` (Frappe's common config key), default 9000."""
    value = read_json_file(sites_path / "common_site_config.json").get("socketio_port")
    try:
        return int(value) if value not in (None, "") else DEFAULT_SOCKETIO_PORT
    except (TypeError, ValueError):
        return DEFAULT_SOCKETIO_PORT


def bind_extra(host: str, port: int) -> socket.socket | None:
    """A listening socket on ``host:port``, or ``None`` (with a warning) when it cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        click.echo(f"warning: Socket.IO port {port} is not available ({exc.strerror}); "
                   f"realtime stays on the main port's /socket.io", err=True)  # fmt: skip
        return None
    sock.set_inheritable(True)
    return sock


def run(
    factory: str,
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    extra: socket.socket | None = None,
    log_config: dict[str, Any] | None = None,
    *,
    listen: socket.socket | None = None,
) -> None:
    """Run uvicorn on ``host:port`` (or the bound ``listen`` socket) with ``workers``; with ``extra``
    (the bound ``socketio_port``), ``docframe realtime`` serves that socket in a sibling process."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        factory, factory=True, host=host, port=port, workers=workers,
        loop="uvloop", http="httptools", ws="websockets-sansio", access_log=access_log,
        log_level=None if log_config is not None else "warning", log_config=log_config,
        timeout_graceful_shutdown=10, proxy_headers=False, server_header=False,
        # The only WebSockets served are Socket.IO's: frames of a few hundred bytes, which
        # per-message deflate (offered by every browser) does not shrink, at a zlib stream per
        # socket (memory) and a compression per frame and recipient (CPU). Refused, as Frappe's
        # Node server does by default.
        ws_per_message_deflate=False,
    )  # fmt: skip
    sockets = [listen if listen is not None else config.bind_socket()]
    # The Socket.IO port is served by a process of its own, fed by the workers through the relay
    # (or Redis): the fan-out to its sockets then costs the write workers one relay message per
    # transaction, and Engine.IO's polling requests of one client (which must all reach the
    # process holding its session) have one process to reach whatever the number of workers.
    sibling = Sibling.start(extra) if extra is not None else None
    try:
        if workers > 1:
            Multiprocess(config, sockets=sockets).run()
        else:
            config.load_app()
            uvicorn.Server(config).run(sockets=sockets)
    finally:
        if sibling is not None:
            sibling.stop()


class Sibling:
    """``docframe realtime`` serving ``docframe serve``'s Socket.IO port, tied to its parent's life.

    The listening socket is handed over as an open descriptor (no window in which another process
    could take the port). The sibling also gets the read end of a pipe whose write end only this
    process holds: when ``serve`` ends in any way, even killed, the pipe closes and the sibling
    stops itself; ``serve`` stopping normally terminates it and waits.

    A sibling that exits while ``serve`` runs (a crash, or killed on its own) is started again on
    the same listening socket, which ``serve`` keeps open for that (it never accepts on it): after
    :data:`RESTART_FIRST` seconds, doubling up to :data:`RESTART_LONGEST` while it keeps exiting
    within :data:`RESTART_STABLE` seconds of its start. Sockets it held reconnect, as Socket.IO
    clients do after any server restart.
    """

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.proc: subprocess.Popen[bytes] | None = None
        self.lifeline = -1
        self.restarts = 0
        self._stopping = threading.Event()
        #: Held while a sibling is started or stopped, so stop() never misses one being started.
        self._lock = threading.Lock()
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="docframe-realtime-sibling", daemon=True)
        self._watcher.start()

    @classmethod
    def start(cls, listener: socket.socket) -> Sibling:
        return cls(listener)

    def _spawn(self) -> None:
        sites = os.environ["DOCFRAME_SITES"]
        read_end, write_end = os.pipe()  # neither end is inherited by other children
        argv = [sys.executable, "-m", "docframe.cli.main", "--sites", sites, "realtime",
                "--fd", str(self.listener.fileno()), "--parent-fd", str(read_end)]  # fmt: skip
        if os.environ.get("DOCFRAME_SITE"):
            argv += ["--site", os.environ["DOCFRAME_SITE"]]
        try:
            self.proc = subprocess.Popen(argv, pass_fds=(self.listener.fileno(), read_end))
        except OSError:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self.lifeline = write_end

    def _watch(self) -> None:
        """In a thread of ``serve``: start the sibling again whenever it exits on its own."""
        delay = RESTART_FIRST
        while True:
            proc = self.proc
            assert proc is not None
            started = time.monotonic()
            code = proc.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= RESTART_STABLE:
                delay = RESTART_FIRST
            log.warning(
                "realtime: the Socket.IO process exited (%s); starting it again in %.0f s", code, delay
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                os.close(self.lifeline)
                try:
                    self._spawn()
                except OSError:
                    self.lifeline = os.open(os.devnull, os.O_RDONLY)  # stop() closes something
                    log.exception("realtime: could not start the Socket.IO process again")
                    return
                self.restarts += 1
            delay = min(delay * 2, RESTART_LONGEST)

    def stop(self) -> None:
        """Terminate the sibling and wait for it (killed after 15 s); no restart after this."""
        with self._lock:
            self._stopping.set()
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._watcher.join(timeout=5)
        os.close(self.lifeline)
        self.listener.close()


@click.command("realtime")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=None, type=int, help="Port (default: socketio_port of the common config, 9000)."
)
@click.option("--site", help="Default site for handshakes from localhost.")
@click.option("--fd", type=int, default=None, hidden=True, help="Serve this inherited listening socket.")
@click.option("--parent-fd", type=int, default=None, hidden=True, help="Stop when this pipe closes.")
@click.pass_context
def realtime(
    ctx: click.Context, host: str, port: int | None, site: str | None, fd: int | None, parent_fd: int | None
) -> None:
    """Serve Socket.IO alone (Frappe's realtime protocol) for every site of the sites folder.

    Events reach it from the other processes of this host through the sites folder's relay (sites
    without redis_url) or through Redis. `docframe serve` runs it on the socketio_port itself.
    """
    sites_path = Path(ctx.obj["sites"]).resolve()
    os.environ["DOCFRAME_SITES"] = str(sites_path)
    if site:
        os.environ["DOCFRAME_SITE"] = site
    if parent_fd is not None:
        os.environ[PARENT_FD_ENV] = str(parent_fd)
    listen = socket.socket(fileno=fd) if fd is not None else None
    if listen is not None:
        host, port = listen.getsockname()[:2]
    port = port or socketio_port_of(sites_path)
    click.echo(f"docframe realtime serving {sites_path} on http://{host}:{port}/socket.io", err=True)
    run("docframe.sockets.standalone:default_app", host, port, 1, False, listen=listen)
