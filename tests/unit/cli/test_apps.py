"""``docframe new-app`` + ``install-app``: the scaffold installs with pip, joins a site, and its tests pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def _run(*args: str, cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_new_app_installs_joins_a_site_and_passes_its_own_tests(tmp_path: Path) -> None:
    env = {**os.environ}
    docframe = [sys.executable, "-m", "docframe.cli.main", "--sites", str(tmp_path / "sites")]
    made = _run(*docframe, "new-app", "library_app", "--doctype", "Library Book", "--path", str(tmp_path / "src"), cwd=tmp_path, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = tmp_path / "src" / "library_app"
    folder = project / "library_app" / "library_app" / "doctype" / "library_book"
    assert {p.name for p in folder.iterdir()} >= {
        "library_book.json",
        "library_book.py",
        "test_library_book.py",
    }
    assert json.loads((folder / "library_book.json").read_text())["name"] == "Library Book"

    # pip builds and installs it (the DocType JSON travels in the wheel).
    target = tmp_path / "installed"
    pip = _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(project), cwd=tmp_path, env=env)  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    assert (
        target / "library_app" / "library_app" / "doctype" / "library_book" / "library_book.json"
    ).is_file()

    # Listed in a site's apps: its table exists and its method answers over HTTP from a real server.
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")])
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    assert (
        _run(*docframe, "new-site", "lib", "--admin-password", "pw", cwd=elsewhere, env=env).returncode == 0
    )
    installed = _run(*docframe, "install-app", "library_app", "--site", "lib", cwd=elsewhere, env=env)
    assert installed.returncode == 0, installed.stderr
    config = json.loads((tmp_path / "sites" / "lib" / "site_config.json").read_text())
    assert config["apps"] == ["library_app"]
    again = _run(*docframe, "install-app", "library_app", "--site", "lib", cwd=elsewhere, env=env)
    assert again.returncode == 2 and "already installed" in again.stderr
    missing = _run(*docframe, "install-app", "no_such_app", "--site", "lib", cwd=elsewhere, env=env)
    assert missing.returncode == 2 and "pip install it first" in missing.stderr

    port = free_port()
    server = subprocess.Popen([*docframe, "serve", "--port", str(port)], cwd=elsewhere, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(100):
                try:
                    client.get("/api/method/ping")
                    break
                except httpx.HTTPError:
                    server.poll()
                    assert server.returncode is None
                    time.sleep(0.2)
            assert (
                client.post("/api/method/login", json={"usr": "Administrator", "pwd": "pw"}).status_code
                == 200
            )
            created = client.post("/api/resource/Library Book", json={"title": "  Dune "})
            assert created.json()["data"]["title"] == "Dune"
            summary = client.get("/api/method/library_app.api.summary")
            assert summary.json()["message"] == {"doctype": "Library Book", "status": None, "count": 1}
    finally:
        server.terminate()
        server.wait(timeout=10)

    # The scaffold's own tests pass out of the box, against the installed copy.
    tests = _run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", cwd=project, env=env
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_new_app_refuses_bad_names_and_existing_folders(tmp_path: Path) -> None:
    docframe = [sys.executable, "-m", "docframe.cli.main", "new-app"]
    for name in ("Bad-Name", "1app", "class", "docframe"):
        result = _run(*docframe, name, cwd=tmp_path, env={**os.environ})
        assert result.returncode == 2 and "Invalid app name" in result.stderr, result.stderr
    (tmp_path / "taken").mkdir()
    taken = _run(*docframe, "taken", cwd=tmp_path, env={**os.environ})
    assert taken.returncode == 2 and "already exists" in taken.stderr
    bad_doctype = _run(*docframe, "fine_app", "--doctype", "Bad/Type", cwd=tmp_path, env={**os.environ})
    assert bad_doctype.returncode == 2 and "Invalid DocType name" in bad_doctype.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
