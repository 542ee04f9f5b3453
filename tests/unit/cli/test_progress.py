"""Progress bars: drawn on a terminal (a real pseudo-terminal here), silent in pipes and scripts."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest


def _docframe(sites: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), *args]


def _on_terminal(command: list[str]) -> tuple[int, str]:
    """Run ``command`` with stdout and stderr on a pseudo-terminal; its exit status and output."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress") / "sites"
    made = subprocess.run(
        _docframe(root, "new-site", "p", "--admin-password", "pw"), capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert made.stderr.strip().splitlines() == ["Site p is ready (sqlite)"]  # no bar in a pipe
    return root


def test_piped_commands_print_only_their_summary(sites: Path, tmp_path: Path) -> None:
    data = tmp_path / "todos.csv"
    data.write_text("description\n" + "".join(f"todo {i}\n" for i in range(700)))
    for args, summary in (
        (("import-data", "ToDo", str(data)), "ToDo: imported 700 of 700 documents, 0 failed"),
        (("backup", "-o", str(tmp_path / "b.tar.gz")), "Backed up"),
        (("restore", str(tmp_path / "b.tar.gz"), "--site", "p", "--yes"), "Restored"),
        (("migrate",), "p: 0 change(s)"),
    ):
        result = subprocess.run(_docframe(sites, *args), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(summary), result.stderr
        assert "\x1b[" not in result.stderr + result.stdout


def test_terminal_shows_a_progress_bar(sites: Path, tmp_path: Path) -> None:
    data = tmp_path / "todos.csv"
    data.write_text("description\n" + "".join(f"bar {i}\n" for i in range(1200)))
    status, out = _on_terminal(_docframe(sites, "import-data", "ToDo", str(data)))
    assert status == 0, out
    assert "Importing ToDo" in out and "1200/1200" in out
    assert "━" in out  # rich's bar
    status, out = _on_terminal(_docframe(sites, "backup", "-o", str(tmp_path / "t.tar.gz")))
    assert status == 0 and "Backing up p" in out, out
