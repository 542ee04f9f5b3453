"""Storage: where the bytes of File documents live, behind a small protocol.

A File's ``file_url`` is ``/files/<name>`` (public) or ``/private/files/<name>`` (private).
:class:`LocalStorage`, the default, keeps them under the site's ``public/files`` and
``private/files`` folders. Every name and URL is checked before it touches the disk: no path
separators in names, and a URL must resolve to a file inside its root (``../`` tricks are a 417).
New files are created exclusively, so two uploads never overwrite each other.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

from docframe import errors
from docframe.settings import Settings

__all__ = [
    "PRIVATE_PREFIX",
    "PUBLIC_PREFIX",
    "LocalStorage",
    "Storage",
    "check_file_name",
    "is_local_url",
    "is_stored_file",
    "storage_for",
]

PUBLIC_PREFIX = "/files/"
PRIVATE_PREFIX = "/private/files/"
#: The longest file name most file systems store (bytes).
MAX_NAME_BYTES = 255


def check_file_name(name: str) -> str:
    """``name`` if it is a plain file name; 417 for separators, ``..`` and empty names."""
    if not isinstance(name, str):
        raise errors.ValidationError("File name must be a string")
    clean = name.strip()
    if not clean or clean in (".", "..") or "/" in clean or "\\" in clean or "\x00" in clean:
        raise errors.ValidationError(f"Invalid file name: {name!r} (no paths, '..' or separators allowed)")
    if len(clean) > 140 or len(clean.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES - 16:
        raise errors.ValidationError("File name is too long (at most 140 characters)")
    return clean


def _bad_part(part: str) -> bool:
    """A path segment that can never name a stored file (empty, dots, separators, NUL, too long)."""
    return (
        part in ("", ".", "..")
        or "\\" in part
        or "\x00" in part
        or len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES
    )


def is_stored_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (``False`` when the file system refuses to look)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_local_url(url: str | None) -> bool:
    """Whether ``url`` names a stored file (``/files/...`` or ``/private/files/...``)."""
    return isinstance(url, str) and url.startswith((PUBLIC_PREFIX, PRIVATE_PREFIX))


class Storage(Protocol):
    """Where File contents are kept."""

    def write_new(self, name: str, content: bytes, *, private: bool) -> str:
        """Store ``content`` under a new, unused name close to ``name``; return its URL."""

    def path(self, url: str) -> Path:
        """The local path of a stored file's URL (417 when the URL is not a safe local one)."""

    def exists(self, url: str) -> bool:
        """Whether the file of ``url`` is stored."""

    def read(self, url: str) -> bytes:
        """The stored bytes of ``url``."""

    def delete(self, url: str) -> None:
        """Remove the stored file of ``url`` (missing files are ignored)."""


class LocalStorage:
    """Files on the local disk, in a public and a private folder."""

    def __init__(self, public_root: Path, private_root: Path) -> None:
        self.public_root = public_root
        self.private_root = private_root

    def _root(self, private: bool) -> Path:
        root = self.private_root if private else self.public_root
        root.mkdir(parents=True, exist_ok=True)
        return root.resolve()

    def path(self, url: str) -> Path:
        """The local path of ``url``; refuses anything that would leave its folder."""
        if url.startswith(PRIVATE_PREFIX):
            private, rest = True, url[len(PRIVATE_PREFIX) :]
        elif url.startswith(PUBLIC_PREFIX):
            private, rest = False, url[len(PUBLIC_PREFIX) :]
        else:
            raise errors.ValidationError("URL must start with http:// or https://", title="Invalid URL")
        root = self._root(private)
        parts = rest.split("/")
        if not rest or any(_bad_part(p) for p in parts):
            raise errors.ValidationError(f"Cannot access file path {url[:200]}", title="Invalid File URL")
        try:
            full = (root / Path(*parts)).resolve()
        except (OSError, ValueError):
            raise errors.ValidationError(
                f"Cannot access file path {url[:200]}", title="Invalid File URL"
            ) from None
        if not full.is_relative_to(root):
            raise errors.ValidationError(f"Cannot access file path {url}", title="Invalid File URL")
        return full

    def write_new(self, name: str, content: bytes, *, private: bool) -> str:
        """Create a new file (``name``, else ``name`` with a random suffix); return its URL."""
        name = check_file_name(name)
        root = self._root(private)
        stem, ext = os.path.splitext(name)
        candidates = [name] + [f"{stem}{secrets.token_hex(3)}{ext}" for _ in range(5)]
        for candidate in candidates:
            try:
                fd = os.open(root / candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            return (PRIVATE_PREFIX if private else PUBLIC_PREFIX) + candidate
        raise errors.ValidationError(f"Could not find a free file name for {name}")

    def exists(self, url: str) -> bool:
        """Whether ``url`` is stored."""
        return is_stored_file(self.path(url))

    def read(self, url: str) -> bytes:
        """The bytes of ``url``."""
        return self.path(url).read_bytes()

    def delete(self, url: str) -> None:
        """Remove ``url`` if it exists."""
        try:
            self.path(url).unlink()
        except FileNotFoundError:
            pass


def storage_for(settings: Settings) -> Storage:
    """The storage a site uses (local disk under the site folder)."""
    return LocalStorage(settings.public_files_path, settings.private_files_path)
