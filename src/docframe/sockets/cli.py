"""Serving: ``docframe serve``'s second listener on the ``socketio_port`` and ``docframe realtime``.

Frappe's web clients (frappe-ui's ``initSocket``, frappe-react-sdk) connect to
``http://<host>:<socketio_port>/<site>`` whenever the page URL has a port, so ``docframe serve``
also listens on the ``socketio_port`` (``common_site_config.json``, default 9000) and serves only
``/socket.io`` there. A port already taken is a warning, not a failure. ``docframe realtime``
serves Socket.IO alone, for deployments that run it apart (events from other processes then need
the sites' ``redis_url``); ``docframe serve --workers N`` (N > 1) starts it on the ``socketio_port``
itself, because Engine.IO's long-polling needs every request of one client to reach one process.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from docframe.settings import read_json_file

__all__ = ["DEFAULT_SOCKETIO_PORT", "bind_extra", "realtime", "run", "socketio_port_of"]

log = logging.getLogger("docframe.realtime")
DEFAULT_SOCKETIO_PORT = 9000


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
) -> None:
    """Run uvicorn on ``host:port`` (and on the already bound ``extra`` socket) with ``workers``."""
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
    sockets = [config.bind_socket()]
    server = uvicorn.Server(config)
    if workers > 1:
        # Engine.IO's polling requests of one client must reach the process that holds its session,
        # so with several workers the Socket.IO port is served by one process of its own.
        helper = _realtime_process(extra) if extra is not None else None
        try:
            Multiprocess(config, sockets=sockets).run()
        finally:
            if helper is not None:
                helper.terminate()
                helper.wait(timeout=15)
    else:
        if extra is not None:
            sockets.append(extra)
        config.load_app()
        server.run(sockets=sockets)


def _realtime_process(extra: socket.socket) -> subprocess.Popen[bytes]:
    """``docframe realtime`` on ``extra``'s port (the socket is closed and bound again there)."""
    port = extra.getsockname()[1]
    host = extra.getsockname()[0]
    extra.close()
    argv = [sys.executable, "-m", "docframe.cli.main", "--sites", os.environ["DOCFRAME_SITES"], "realtime",
            "--host", host, "--port", str(port)]  # fmt: skip
    if os.environ.get("DOCFRAME_SITE"):
        argv += ["--site", os.environ["DOCFRAME_SITE"]]
    _warn_without_redis(Path(os.environ["DOCFRAME_SITES"]))
    return subprocess.Popen(argv)


def _warn_without_redis(sites_path: Path) -> None:
    """Events reach a separate realtime process only through Redis: say so for sites without it."""
    from docframe.settings import load_settings
    from docframe.sites import SiteRegistry

    registry = SiteRegistry(sites_path)
    lacking = [name for name in registry.names() if not load_settings(sites_path / name).redis_url]
    if lacking:
        click.echo(f"warning: {', '.join(lacking)} has no redis_url: with several workers a realtime "
                   "event reaches only the sockets of the process that published it", err=True)  # fmt: skip


@click.command("realtime")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=None, type=int, help="Port (default: socketio_port of the common config, 9000)."
)
@click.option("--site", help="Default site for handshakes from localhost.")
@click.pass_context
def realtime(ctx: click.Context, host: str, port: int | None, site: str | None) -> None:
    """Serve Socket.IO alone (Frappe's realtime protocol) for every site of the sites folder."""
    sites_path = Path(ctx.obj["sites"]).resolve()
    os.environ["DOCFRAME_SITES"] = str(sites_path)
    if site:
        os.environ["DOCFRAME_SITE"] = site
    port = port or socketio_port_of(sites_path)
    click.echo(f"docframe realtime serving {sites_path} on http://{host}:{port}/socket.io", err=True)
    run("docframe.sockets.standalone:default_app", host, port, 1, False)
