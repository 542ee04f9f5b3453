"""Run the commands of a guide in docs/ so that what the guides say stays true.

A guide marks what the test runs in the info string of its fenced blocks:

* ```` ```sh test ```` — shell commands, run in order in one ``bash`` (``set -euo pipefail``);
* ```` ```python file=PATH ```` (any language) — the block's text is written to ``PATH`` at that
  point of the run.

Blocks without a mark are for reading only (``pip install``, ``sudo systemctl``...). Everything runs
in a temporary folder with ``docframe`` on ``PATH`` (this checkout's code, via a small shim) and
``$DOCFRAME_SITES`` pointing into the folder. A guide's ``substitutions`` (applied to the marked
blocks only) turn documentation values into test ones: the port 8000 into a free port,
``/srv/docframe`` into the temporary folder, a database name into a unique one.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Block", "blocks", "run_guide", "script"]

REPO = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_EOF = "DOCFRAME_GUIDE_EOF"


@dataclass(frozen=True, slots=True)
class Block:
    """A marked block of a guide: shell to run, or a file to write."""

    language: str
    body: str
    run: bool
    file: str | None


def blocks(markdown: str) -> list[Block]:
    """The marked blocks of a guide, in order."""
    found = []
    for match in _FENCE.finditer(markdown):
        words = match.group(1).split()
        if not words:
            continue
        flags = dict(w.split("=", 1) if "=" in w else (w, "") for w in words[1:])
        if "test" in flags or "file" in flags:
            found.append(Block(words[0], match.group(2), "test" in flags, flags.get("file")))
    return found


def script(markdown: str, substitutions: dict[str, str], epilogue: str = "") -> str:
    """The bash script that runs a guide's marked blocks (then ``epilogue``)."""
    parts = [
        "set -euo pipefail",
        # Background servers a guide starts stop with the script.
        "trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT",
    ]
    for block in blocks(markdown):
        body = block.body
        for old, new in substitutions.items():
            body = body.replace(old, new)
        if block.file:
            target = block.file
            for old, new in substitutions.items():
                target = target.replace(old, new)
            parts.append(f"mkdir -p \"$(dirname {target!r})\"\ncat > {target!r} <<'{_EOF}'\n{body}{_EOF}")
        if block.run:
            parts.append(body)
    parts.append(epilogue)
    return "\n".join(parts) + "\n"


def _shim(work: Path) -> Path:
    """``$work/.venv/bin/docframe`` running this checkout's code with the test's Python."""
    bin_dir = work / ".venv" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "docframe"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m docframe.cli.main "$@"\n')
    shim.chmod(0o755)
    python = bin_dir / "python"  # a script, not a symlink: the venv must stay the test's venv
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    return bin_dir


def run_guide(
    guide: str,
    work: Path,
    substitutions: dict[str, str],
    *,
    env: dict[str, str] | None = None,
    epilogue: str = "",
    timeout: int = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``docs/<guide>``'s marked blocks in ``work``; the finished process (never raises)."""
    text = (REPO / "docs" / guide).read_text()
    bin_dir = _shim(work)
    source = REPO / "src"
    full_env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "DOCFRAME_SITES": str(work / "sites"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(source), os.environ.get("PYTHONPATH", "")) if p),
        "NO_COLOR": "1",
        **(env or {}),
    }
    full_env.pop("DOCFRAME_SITE", None)
    (work / "guide.sh").write_text(script(text, substitutions, epilogue))
    proc = subprocess.Popen(
        ["bash", str(work / "guide.sh")], cwd=work, env=full_env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        out += f"\n[guide runner] timed out after {timeout} s"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # anything a guide left running
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")
