"""Relay: realtime events between the processes of one host without Redis (Unix sockets).

Each process that serves sockets for a sites folder (the ``docframe realtime`` sibling that
``docframe serve`` starts on the ``socketio_port``, and every worker whose own ``/socket.io`` has
started) listens on a Unix socket in the sites folder's *relay directory*, one per process. A
process that publishes for a site without ``redis_url`` (a write worker, an in-process job, a
command on the same host) sends a transaction's envelopes as one message (an orjson list) to every
socket in that directory but its own, over a connection it keeps per receiver; a receiver reads
them on its event loop and delivers them to its sockets. So with one worker or several, and
without Redis, an event published anywhere reaches sockets connected anywhere on the host, and the
publisher's cost is one ``send`` per receiving process, whatever the number of sockets.

The sockets are ``SOCK_SEQPACKET``: messages keep their boundaries as datagrams do, but what a
receiver has not read yet is bounded by the sender's buffer (hundreds of KiB: a thousand
transactions or more) rather than by ``net.unix.max_dgram_qlen`` (10 datagrams by default, which a
busy receiver overflows at once).

Sending never blocks and never fails the write: a receiver that is gone or whose buffer is full
misses the event (a rate-limited warning), as a Redis outage drops events. The directory is
``$DOCFRAME_REALTIME_RELAY`` when set (``docframe serve`` sets it for its children), else
``<sites>/.realtime-relay``, or a private folder under ``/tmp`` when that path would be too long for
a socket address (108 bytes). It must be owned by the user and closed to others (``0700``): anyone
who can write to a socket there could inject events.
"""

from __future__ import annotations

import contextlib
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

__all__ = ["MAX_MESSAGE", "RELAY_ENV", "Receiver", "Sender", "decode", "encode", "relay_dir"]

log = logging.getLogger("docframe.realtime")

#: The environment variable naming the relay directory (set by ``docframe serve`` for its children).
RELAY_ENV = "DOCFRAME_REALTIME_RELAY"
#: Largest message sent: a longer list of envelopes is split (one message per transaction is the
#: common case by far).
MAX_MESSAGE = 60_000
#: Bytes read per message; a lone envelope above :data:`MAX_MESSAGE` is sent if it fits in this.
_RECV_SIZE = 256 * 1024
#: The longest socket path Linux takes is 107 bytes; names here are ``<pid>-<6 hex>`` (<= 19).
_SUN_PATH_MAX = 107
_NAME_ROOM = 20
#: Seconds after a change of the directory during which its listing is not trusted (a directory's
#: mtime is as coarse as the kernel's clock tick: two changes can share one).
_SETTLE = 0.1
#: Seconds between two checks that the relay directory's path still names the directory open (or
#: that a missing one is still missing).
_RECHECK = 0.5
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
    """``envelopes`` as relay messages: one orjson list, or several of at most :data:`MAX_MESSAGE` bytes."""
    data = orjson.dumps(envelopes, default=str)
    if len(data) <= MAX_MESSAGE:
        return [data]
    chunks: list[bytes] = []
    parts: list[bytes] = []
    size = 2
    for envelope in envelopes:
        part = orjson.dumps(envelope, default=str)
        if parts and size + len(part) + 1 > MAX_MESSAGE:
            chunks.append(b"[" + b",".join(parts) + b"]")
            parts, size = [], 2
        parts.append(part)
        size += len(part) + 1
    if parts:
        chunks.append(b"[" + b",".join(parts) + b"]")
    return chunks


def decode(data: bytes) -> list[dict[str, Any]] | None:
    """The envelopes of one message, or ``None`` when it is not a JSON list (the objects in it only)."""
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

    def __call__(self, *args: Any) -> bool:
        """Count one occurrence (and log now and then); ``False``, to filter with."""
        self.missed += 1
        now = time.monotonic()
        if now - self.last >= _WARN_EVERY:
            log.warning(self.text + " (%d times since the last warning)", *args, self.missed)
            self.last, self.missed = now, 0
        return False


@dataclass
class _Peers:
    """The receiving sockets of one relay directory, as last listed."""

    #: The directory's mtime when listed, and whether the listing was made long enough after it
    #: (:data:`_SETTLE`) for a later change to show as a new mtime.
    mtime: int
    settled: bool
    paths: tuple[bytes, ...]
    #: The directory, open (``fstat`` is cheaper than ``stat`` of its path), and when its path was
    #: last checked to still name it (``time.monotonic``); ``None`` when it does not exist.
    fd: int | None = None
    checked: float = 0.0


class Sender:
    """Sends envelopes to every receiver of a relay directory (thread-safe, never blocks).

    One connection per receiver: a receiver that stops reading fills only its own connection's
    buffer (the sender's ``SO_SNDBUF``, raised up to the system's ``wmem_max``), then misses events
    while the others still get theirs.
    """

    def __init__(self) -> None:
        self._pid = os.getpid()
        self._conns: dict[bytes, socket.socket] = {}
        self._peers: dict[Path, _Peers] = {}
        self._lock = threading.Lock()
        self._dropped = _Throttled("realtime: a relay receiver was busy; %d events dropped")
        self._too_big = _Throttled("realtime: an event of %d bytes is too large for the relay; dropped")

    def send(self, directory: Path, envelopes: list[Any], own: frozenset[bytes] = frozenset()) -> int:
        """Send ``envelopes`` to the receivers in ``directory`` except ``own``; returns messages sent."""
        if self._pid != os.getpid():  # a forked child: its parent's connections are not its own
            with self._lock:
                for inherited in self._conns.values():
                    inherited.close()
                for peers in self._peers.values():
                    if peers.fd is not None:
                        os.close(peers.fd)
                self._conns, self._peers, self._pid = {}, {}, os.getpid()
        targets = [path for path in self._peers_of(directory) if path not in own]
        if not targets:
            return 0
        sent = 0
        chunks = [c for c in encode(envelopes) if len(c) <= _RECV_SIZE or self._too_big(len(c))]
        for path in targets:
            for attempt in (1, 2):  # a connection the receiver has closed is made again once
                conn = self._conn(directory, path)
                if conn is None:
                    self._dropped(len(envelopes))
                    break
                done, gone = self._send_on(conn, chunks, len(envelopes))
                sent += done
                if not gone:
                    break
                self._disconnect(path)
                if done or attempt == 2:
                    self._dropped(len(envelopes))
                    break
        return sent

    def _send_on(self, conn: socket.socket, chunks: list[bytes], count: int) -> tuple[int, bool]:
        """Send ``chunks`` on ``conn``: how many went, and whether the connection is broken."""
        done = 0
        for chunk in chunks:
            try:
                conn.send(chunk)
                done += 1
            except BlockingIOError:  # the receiver is not keeping up: its buffer is full
                self._dropped(count)
                return done, False
            except OSError as exc:
                if exc.errno == errno.EMSGSIZE:
                    self._too_big(len(chunk))
                    continue
                return done, True  # the receiver has gone, or closed this connection
        return done, False

    def _conn(self, directory: Path, path: bytes) -> socket.socket | None:
        """The connection to the receiver at ``path`` (``None`` when it cannot be made now)."""
        conn = self._conns.get(path)
        if conn is not None:
            return conn
        with self._lock:
            conn = self._conns.get(path)
            if conn is not None:
                return conn
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)  # capped by the system
                conn.setblocking(False)
                conn.connect(path)
            except (ConnectionRefusedError, FileNotFoundError):  # nobody listens there any more
                conn.close()
                dead = True
            except OSError:  # its backlog is full (it is not accepting): try again next time
                conn.close()
                return None
            else:
                self._conns[path] = conn
                return conn
        if dead:
            self._forget(directory, path)
        return None

    def _peers_of(self, directory: Path) -> tuple[bytes, ...]:
        """The receivers' socket paths, listed again only when the directory has changed."""
        known = self._peers.get(directory)
        now = time.monotonic()
        if known is not None and now - known.checked < _RECHECK:
            if known.fd is None:
                return ()
            try:
                mtime = os.fstat(known.fd).st_mtime_ns
            except OSError:
                mtime = -1
            if mtime == known.mtime and known.settled:
                return known.paths
        return self._list(directory, known, now)

    def _list(self, directory: Path, known: _Peers | None, now: float) -> tuple[bytes, ...]:
        with self._lock:
            if known is not None and known.fd is not None:
                os.close(known.fd)
            try:
                fd: int | None = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                fd = None
            peers = _Peers(-1, True, (), fd, now)
            self._peers[directory] = peers
        if fd is None:
            return ()
        mtime = os.fstat(fd).st_mtime_ns
        if not _private(directory):
            if known is None or known.mtime != mtime:
                log.warning("realtime: the relay folder %s is open to other users; not used", directory)
            peers.mtime = mtime
            return ()
        try:
            with os.scandir(fd) as entries:
                names = [e.name for e in entries if e.name.endswith(".sock")]
        except OSError:
            names = []
        paths = tuple(os.fsencode(directory / name) for name in names)
        peers.mtime, peers.paths = mtime, paths
        peers.settled = time.time() - mtime / 1e9 > _SETTLE
        prefix = os.fsencode(directory) + b"/"
        for path in [p for p in self._conns if p.startswith(prefix) and p not in paths]:
            self._disconnect(path)
        return paths

    def _disconnect(self, path: bytes) -> None:
        with self._lock:
            conn = self._conns.pop(path, None)
        if conn is not None:
            conn.close()

    def _forget(self, directory: Path, path: bytes) -> None:
        """Remove a dead receiver's socket file (nobody listens on it: it cannot come back)."""
        try:
            os.unlink(path)
        except OSError:
            pass
        self._disconnect(path)
        known = self._peers.get(directory)
        if known is not None:
            known.checked = 0.0  # list it again on the next send


class Receiver:
    """This process's listening socket in a relay directory, and the senders' connections to it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pid = os.getpid()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(directory):
            raise PermissionError(f"{directory} is not a private folder of this user (mode 0700)")
        self.path = os.fsencode(directory / f"{os.getpid()}-{secrets.token_hex(3)}.sock")
        if len(self.path) > _SUN_PATH_MAX:
            raise OSError(errno.ENAMETOOLONG, f"relay socket path too long: {self.path!r}")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # Bound under a name senders do not list, and moved to its ``.sock`` name only once it
        # listens: a sender that found the file before ``listen`` would be refused, take the
        # receiver for dead and remove its file, leaving it unreachable for good.
        staging = self.path[: -len(b".sock")] + b".new"
        try:
            self.sock.bind(staging)
            self.sock.listen(128)
            os.rename(staging, self.path)
        except OSError:
            self.sock.close()
            with contextlib.suppress(OSError):
                os.unlink(staging)
            raise
        self.sock.setblocking(False)
        #: The senders' connections, by descriptor.
        self.conns: dict[int, socket.socket] = {}
        # Read into one buffer: ``recv(256 KiB)`` allocates (and faults in) that much per call,
        # about 18 µs each, twice per wake-up (the last call finds nothing).
        self._buffer = bytearray(_RECV_SIZE)
        self._view = memoryview(self._buffer)

    def fileno(self) -> int:
        return self.sock.fileno()

    def accept(self) -> list[socket.socket]:
        """The connections waiting to be accepted (now non-blocking and remembered)."""
        new: list[socket.socket] = []
        while True:
            try:
                conn, _addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return new
            except OSError:
                log.debug("realtime: accepting a relay connection failed", exc_info=True)
                return new
            conn.setblocking(False)
            self.conns[conn.fileno()] = conn
            new.append(conn)

    def read(self, conn: socket.socket) -> tuple[list[bytes], bool]:
        """The messages waiting on ``conn``, and whether the sender has closed it."""
        got: list[bytes] = []
        while True:
            try:
                size = conn.recv_into(self._buffer)
            except (BlockingIOError, InterruptedError):
                return got, False
            except OSError:
                return got, True
            if not size:
                return got, True
            got.append(bytes(self._view[:size]))

    def drop(self, conn: socket.socket) -> None:
        """Forget a connection its sender closed."""
        self.conns.pop(conn.fileno(), None)
        conn.close()

    def poll(self) -> list[bytes]:
        """Accept and read whatever is waiting (for callers without an event loop)."""
        self.accept()
        got: list[bytes] = []
        for conn in list(self.conns.values()):
            messages, ended = self.read(conn)
            got += messages
            if ended:
                self.drop(conn)
        return got

    def close(self) -> None:
        """Close the sockets and remove the file (only in the process that made it)."""
        for conn in self.conns.values():
            conn.close()
        self.conns.clear()
        self.sock.close()
        if os.getpid() == self.pid:
            try:
                os.unlink(self.path)
            except OSError:
                pass
