"""docs/api-reference.md is generated from the OpenAPI document and committed up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_api_reference_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "api_reference.py"), "--check"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    text = (ROOT / "docs" / "api-reference.md").read_text()
    assert "| POST | `/api/v2/document/ToDo` | Create a ToDo |" in text
    assert "### `frappe.client.get_list`" in text
