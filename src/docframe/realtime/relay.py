"""Relay: realtime events between the processes of one host without Redis (Unix datagrams).

Each process that serves sockets for a sites folder (the ``docframe realtime`` sibling that
``docframe serve`` starts on the ``socketio_port``, and every worker whose own ``/socket.io`` has
started) binds a datagram socket (``AF_UNIX``, ``SOCK_DGRAM``) in the sites folder's *relay
directory*, one per process. A process that publishes for a site without ``redis_url`` (a write
worker, an in-process job, a command on the same host) sends a transaction's envelopes as one
datagram (an orjson list) to every socket in that directory but its own; a receiver reads them on
its event loop and delivers them to its sockets. So with one worker or several, and without Redis,
an event published anywhere reaches sockets connected anywhere on the host, and the publisher's
cost is one ``sendto`` per receiving process, whatever the number of sockets.

Sending never blocks and never fails the write: a receiver that is gone or whose buffer is full
misses the event (a rate-limited warning), as a Redis outage drops events. The directory is
``$DOCFRAME_REALTIME_RELAY`` when set (``docframe serve`` sets it for its children), else
``<sites>/.realtime-relay``, or a private folder under ``/tmp`` when that path would be too long for
a socket address (108 bytes). It must be owned by the user and closed to others (``0700``): anyone
who can write to a socket there could inject events.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import socket
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

__all__ = ["MAX_DATAGRAM", "RELAY_ENV", "Receiver", "Sender", "decode", "encode", "relay_dir"]

log = logging.getLogger("docframe.realtime")

#: The environment variable naming the relay directory (set by ``docframe serve`` for its children).
RELAY_ENV = "DOCFRAME_REALTIME_RELAY"
#: Largest datagram sent: a longer list of envelopes is split (Linux allows about 200 KiB with the
#: default socket buffers; one datagram per transaction is the common case by far).
MAX_DATAGRAM = 60_000
#: Bytes read per datagram (a lone envelope above :data:`MAX_DATAGRAM` is still sent if it fits).
_RECV_SIZE = 256 * 1024
#: The longest socket path Linux takes is 107 bytes; names here are ``<pid>-<6 hex>`` (<= 19).
_SUN_PATH_MAX = 107
_NAME_ROOM = 20
#: Seconds after a change of the directory during which its listing is not trusted (a directory's
#: mtime is as coarse as the kernel's clock tick: two changes can share one).
_SETTLE = 0.1
#: Seconds between two warnings about dropped events.
_WARN_EVERY = 10.0


def relay_dir(sites_path: Path) -> Path:
    """The relay directory of a sites folder (see the module's docstring)."""
    named = os.environ.get(RELAY_ENV)
    if named:
        return Path(named)
    own = sites_path / ".realtime-relay"
    if len(os.fsencode(own)) + _NAME_ROOM <= _SUN_PATH_MAX:
        return own
    digest = hashlib.sha256(os.fsencode(sites_path.resolve())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"docframe-relay-{os.geteuid()}-{digest}"


def _private(path: Path) -> bool:
    """Whether ``path`` is a real directory of this user that nobody else can enter."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077


def encode(envelopes: list[Any]) -> list[bytes]:
    """``envelopes`` as datagrams: one orjson list, or several of at most :data:`MAX_DATAGRAM` bytes."""
    data = orjson.dumps(envelopes, default=str)
    if len(data) <= MAX_DATAGRAM:
        return [data]
    chunks: list[bytes] = []
    parts: list[bytes] = []
    size = 2
    for envelope in envelopes:
        part = orjson.dumps(envelope, default=str)
        if parts and size + len(part) + 1 > MAX_DATAGRAM:
            chunks.append(b"[" + b",".join(parts) + b"]")
            parts, size = [], 2
        parts.append(part)
        size += len(part) + 1
    if parts:
        chunks.append(b"[" + b",".join(parts) + b"]")
    return chunks


def decode(data: bytes) -> list[dict[str, Any]] | None:
    """The envelopes of one datagram, or ``None`` when it is not a JSON list (the objects in it only)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, dict)]


class _Throttled:
    """A warning logged at most once per :data:`_WARN_EVERY` seconds, with the count dropped meanwhile."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.last = 0.0
        self.missed = 0

    def __call__(self, *args: Any) -> None:
        self.missed += 1
        now = time.monotonic()
        if now - self.last >= _WARN_EVERY:
            log.warning(self.text + " (%d times since the last warning)", *args, self.missed)
            self.last, self.missed = now, 0


@dataclass
class _Peers:
    """The receiving sockets of one relay directory, as last listed."""

    #: The directory's mtime when listed, and whether the listing was made long enough after it
    #: (:data:`_SETTLE`) for a later change to show as a new mtime.
    mtime: int
    settled: bool
    paths: tuple[bytes, ...]


class Sender:
    """Sends envelopes to every receiver of a relay directory (thread-safe, never blocks).

    One connected socket per receiver: a datagram not yet read counts against its sender's buffer,
    so with one socket for all a receiver that stopped reading would soon stop delivery to the
    others too. Each receiver can hold what fits in its socket's send buffer (raised to the
    system's ``wmem_max``, 416 KiB by default) and up to ``net.unix.max_dgram_qlen`` datagrams;
    beyond that its events are dropped.
    """

    def __init__(self) -> None:
        self._pid = os.getpid()
        self._conns: dict[bytes, socket.socket] = {}
        self._peers: dict[Path, _Peers] = {}
        self._lock = threading.Lock()
        self._dropped = _Throttled("realtime: a relay receiver was busy; %d events dropped")
        self._too_big = _Throttled("realtime: an event of %d bytes is too large for the relay; dropped")

    def send(self, directory: Path, envelopes: list[Any], own: frozenset[bytes] = frozenset()) -> int:
        """Send ``envelopes`` to the receivers in ``directory`` except ``own``; returns datagrams sent."""
        if self._pid != os.getpid():  # a forked child: its parent's connections are not its own
            with self._lock:
                self._conns, self._peers, self._pid = {}, {}, os.getpid()
        targets = [path for path in self._peers_of(directory) if path not in own]
        if not targets:
            return 0
        sent = 0
        chunks = encode(envelopes)
        for path in targets:
            conn = self._conn(directory, path)
            if conn is None:
                continue
            for chunk in chunks:
                try:
                    conn.send(chunk)
                    sent += 1
                except BlockingIOError:  # the receiver's queue is full
                    self._dropped(len(envelopes))
                    break
                except (ConnectionRefusedError, FileNotFoundError):  # its process has gone
                    self._forget(directory, path)
                    break
                except OSError as exc:
                    if exc.errno == errno.EMSGSIZE:
                        self._too_big(len(chunk))
                        continue
                    self._dropped(len(envelopes))
                    break
        return sent

    def _conn(self, directory: Path, path: bytes) -> socket.socket | None:
        conn = self._conns.get(path)
        if conn is not None:
            return conn
        with self._lock:
            conn = self._conns.get(path)
            if conn is not None:
                return conn
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)  # capped by the system
                conn.setblocking(False)
                conn.connect(path)
            except (ConnectionRefusedError, FileNotFoundError):
                conn.close()
                conn = None
            except OSError:
                conn.close()
                return None
            else:
                self._conns[path] = conn
        if conn is None:
            self._forget(directory, path)
        return conn

    def _peers_of(self, directory: Path) -> tuple[bytes, ...]:
        """The receivers' socket paths, listed again only when the directory has changed."""
        try:
            mtime = os.stat(directory).st_mtime_ns
        except OSError:
            return ()
        known = self._peers.get(directory)
        if known is not None and known.mtime == mtime and known.settled:
            return known.paths
        now = time.time()
        if not _private(directory):
            if known is None or known.mtime != mtime:
                log.warning("realtime: the relay folder %s is open to other users; not used", directory)
            self._peers[directory] = _Peers(mtime, True, ())
            return ()
        try:
            with os.scandir(directory) as entries:
                paths = tuple(os.fsencode(e.path) for e in entries if e.name.endswith(".sock"))
        except OSError:
            paths = ()
        self._peers[directory] = _Peers(mtime, now - mtime / 1e9 > _SETTLE, paths)
        prefix = os.fsencode(directory) + b"/"
        with self._lock:
            for path in [p for p in self._conns if p.startswith(prefix) and p not in paths]:
                self._conns.pop(path).close()
        return paths

    def _forget(self, directory: Path, path: bytes) -> None:
        """Remove a dead receiver's socket file (nobody is bound to it: it cannot come back)."""
        try:
            os.unlink(path)
        except OSError:
            pass
        with self._lock:
            conn = self._conns.pop(path, None)
            if conn is not None:
                conn.close()
        self._peers.pop(directory, None)


class Receiver:
    """This process's receiving socket in a relay directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pid = os.getpid()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(directory):
            raise PermissionError(f"{directory} is not a private folder of this user (mode 0700)")
        self.path = os.fsencode(directory / f"{os.getpid()}-{secrets.token_hex(3)}.sock")
        if len(self.path) > _SUN_PATH_MAX:
            raise OSError(errno.ENAMETOOLONG, f"relay socket path too long: {self.path!r}")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            for option in (socket.SO_RCVBUF,):
                try:
                    self.sock.setsockopt(socket.SOL_SOCKET, option, 4 * 1024 * 1024)
                except OSError:
                    pass
            self.sock.bind(self.path)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> list[bytes]:
        """Every datagram waiting (none when the socket has nothing more)."""
        got: list[bytes] = []
        while True:
            try:
                got.append(self.sock.recv(_RECV_SIZE))
            except (BlockingIOError, InterruptedError):
                return got
            except OSError:
                log.debug("realtime: reading the relay failed", exc_info=True)
                return got

    def close(self) -> None:
        """Close the socket and remove its file (only in the process that bound it)."""
        self.sock.close()
        if os.getpid() == self.pid:
            try:
                os.unlink(self.path)
            except OSError:
                pass
