"""The guides' commands run as written (see tests/docs/guide_runner.py for the block marks)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.docs.guide_runner import REPO, blocks, run_guide

NODE_MODULES = REPO / "docs" / "examples" / "js" / "node_modules"


def _require(tool: str, why: str) -> None:
    """Skip (locally) or fail (CI) when a program a guide needs is missing."""
    if shutil.which(tool) is None:
        message = f"{tool} is not installed ({why}); scripts/services.sh installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_every_guide_marks_commands_to_run() -> None:
    for guide in ("getting-started.md", "building-apps.md", "deploying.md"):
        marked = blocks((REPO / "docs" / guide).read_text())
        assert sum(1 for b in marked if b.run) >= 3, guide


def test_getting_started(tmp_path: Path) -> None:
    _require("node", "the guide calls docframe with frappe-js-sdk")
    if not (NODE_MODULES / "frappe-js-sdk").is_dir():
        message = "docs/examples/js has no node_modules: run `npm ci` there (scripts/test.sh does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    (tmp_path / "node_modules").symlink_to(NODE_MODULES)
    port = str(free_port())
    result = run_guide(
        "getting-started.md", tmp_path,
        {"127.0.0.1:8000": f"127.0.0.1:{port}", "--port 8000": f"--port {port}"},
        env={"PYTHONPATH": os.pathsep.join([str(tmp_path / "library_app"), str(REPO / "src")])},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    out = result.stdout
    assert '"title":"Dune"' in out.replace(" ", "") and '"count":1' in out.replace(" ", "")
    assert "Pages cannot be negative" in out
    assert "(310 pages)" in out and "The Hobbit" in out
    assert "3 passed" in out


def test_building_apps(tmp_path: Path) -> None:
    result = run_guide("building-apps.md", tmp_path, {})
    assert result.returncode == 0, result.stdout[-4000:]
    assert "6 passed" in result.stdout  # the scaffold's 3 tests and the guide's 3
