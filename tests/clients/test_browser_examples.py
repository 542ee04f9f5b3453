"""The example front ends in headless Chromium, served by a real ``docframe serve``.

``examples/frappe-ui-todo`` (Vue + frappe-ui: ``createListResource({realtime: true})``, ``useList``,
``useDoc``) and ``examples/react-todo`` (frappe-react-sdk: ``useFrappeGetDocList``,
``useFrappeDocTypeEventListener``, ``useFrappeDocumentEventListener``) are built with Vite when not
built yet, installed as apps on one site, and driven by ``tests/clients/node/browser_todo.mjs``
(puppeteer-core with Debian's chromium): log in, create, list, edit, close, delete, and a change
made by another session that appears without a reload. A screenshot of each is kept in
``test-artifacts/``.

The server runs with ``--site``: the pages are opened at ``http://127.0.0.1:<port>``, so frappe-ui
and frappe-js-sdk send ``X-Frappe-Site-Name: 127.0.0.1``, which the forced site overrides. Socket.IO
is reached cross-port, as in a Frappe bench: on the server's ``--socketio-port`` listener, which the
page learns from its boot value ``window.socketio_port``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clients.support import EXAMPLES, NODE_TESTS, ROOT, build_example, chromium, node, npm_install
from tests.conftest import ADMIN_PASSWORD, free_port, make_site

ARTIFACTS = ROOT / "test-artifacts"
EXAMPLE_APPS = {
    "frappe-ui-todo": ("frappe_ui_todo", "/todo"),
    "react-todo": ("react_todo", "/react-todo"),
}
#: The examples whose open editor follows its document over Socket.IO (useFrappeDocumentEventListener).
DOC_FOLLOWS = {"react-todo"}
STEPS = ("login", "create and list", "edit", "realtime", "close", "delete", "screenshot")


@pytest.fixture(scope="module")
def examples_server(sites_root: Path) -> Iterator[str]:
    """``docframe serve --site`` with both example apps installed; yields the base URL."""
    node()
    chromium()
    for example, (package, _route) in EXAMPLE_APPS.items():
        build_example(example, f"{package}/public/frontend/index.html")
    npm_install(NODE_TESTS)
    apps = [package for package, _route in EXAMPLE_APPS.values()]
    paths = [str(EXAMPLES / example) for example in EXAMPLE_APPS]
    sys.path[:0] = paths  # the site opens the apps in this process too (make_site installs it)
    name = f"browser-{secrets.token_hex(3)}.test"
    site = make_site(sites_root, name, "sqlite", {"apps": apps})
    site.dispose()
    port, socketio_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "serve", "--port", str(port),
         "--site", name, "--socketio-port", str(socketio_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/method/ping", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    else:
        proc.kill()
        raise RuntimeError("docframe serve did not start")
    if proc.poll() is not None:
        raise RuntimeError(f"docframe serve exited: {proc.stdout.read().decode() if proc.stdout else ''}")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.parametrize("example", list(EXAMPLE_APPS))
def test_example_app_in_chromium(examples_server: str, example: str) -> None:
    _package, route = EXAMPLE_APPS[example]
    page = httpx.get(f"{examples_server}{route}")
    assert page.status_code == 200 and "window.site_name" in page.text
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"{example}.png"
    screenshot.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BASE_URL": examples_server,
        "ROUTE": route,
        "USR": "Administrator",
        "PWD": ADMIN_PASSWORD,
        "CHROMIUM": chromium(),
        "SCREENSHOT": str(screenshot),
        "REALTIME": os.environ.get("DOCFRAME_TEST_REALTIME", "1"),
        "DOC_FOLLOWS": "1" if example in DOC_FOLLOWS else "0",
    }
    done = subprocess.run(
        [node(), "browser_todo.mjs"], cwd=NODE_TESTS, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    wanted = [s for s in STEPS if s != "realtime" or env["REALTIME"] == "1"]
    assert [line for line in done.stdout.splitlines() if line.startswith("ok ")] == [
        f"ok {s}" for s in wanted
    ]
    assert screenshot.is_file() and screenshot.stat().st_size > 5000
