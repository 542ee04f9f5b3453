"""Helpers for the tests that run real JavaScript clients: find node and chromium, install the npm
packages (``npm ci`` from the committed lock file) and build the example apps (``vite build``) when
they are not installed or built yet.

A missing tool skips the test locally with a clear message and fails it under ``CI=true``.
Installs and builds take a file lock, so parallel pytest workers never run ``npm ci`` in the same
folder at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = [
    "EXAMPLES",
    "NODE_TESTS",
    "ROOT",
    "build_example",
    "chromium",
    "node",
    "npm_install",
    "require_tool",
]

ROOT = Path(__file__).resolve().parents[2]
NODE_TESTS = ROOT / "tests" / "clients" / "node"
EXAMPLES = ROOT / "examples"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def require_tool(names: tuple[str, ...], hint: str) -> str:
    """The path of the first of ``names`` on PATH; skip (locally) or fail (CI) when there is none."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"{names[0]} is not installed ({hint})"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — required under CI=true")
    pytest.skip(message)


def node() -> str:
    """The ``node`` binary (and npm must be there too)."""
    require_tool(("npm",), "apt-get install nodejs npm; scripts/test.sh installs it")
    return require_tool(("node",), "apt-get install nodejs npm; scripts/test.sh installs it")


def chromium() -> str:
    """Debian's Chromium (never a downloaded browser)."""
    return require_tool(CHROMIUM_NAMES, "apt-get install chromium; scripts/test.sh installs it")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".docframe-test.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str], cwd: Path, timeout: int) -> None:
    env = {
        **os.environ,
        "PUPPETEER_SKIP_DOWNLOAD": "1",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
    }
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def _installed(folder: Path) -> bool:
    marker = folder / "node_modules" / ".package-lock.json"
    return marker.is_file() and marker.stat().st_mtime >= (folder / "package-lock.json").stat().st_mtime


def npm_install(folder: Path) -> None:
    """``npm ci`` in ``folder`` unless its node_modules matches the lock file already."""
    node()
    with _locked(folder):
        if not _installed(folder):
            _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], folder, timeout=600)


def _newest_source(folder: Path) -> float:
    newest = 0.0
    for path in [folder / "package-lock.json", folder / "index.html", folder / "vite.config.js"]:
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for path in (folder / "src").rglob("*"):
        newest = max(newest, path.stat().st_mtime)
    return newest


def build_example(name: str, built_index: str) -> Path:
    """Install and ``vite build`` ``examples/<name>`` unless its build is newer than its sources."""
    folder = EXAMPLES / name
    npm_install(folder)
    index = folder / built_index
    with _locked(folder):
        if not index.is_file() or index.stat().st_mtime < _newest_source(folder):
            _run(["npm", "run", "build", "--silent"], folder, timeout=600)
    return folder
