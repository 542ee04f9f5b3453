"""frappe-js-sdk (npm, unmodified) against a real ``docframe serve``: the scenario in
``tests/clients/node/jssdk_scenario.mjs`` (login, CRUD, lists, counts, methods, a file upload,
logout), run with Node.
"""

from __future__ import annotations

import os
import subprocess

from tests.clients.support import NODE_TESTS, node, npm_install
from tests.conftest import ADMIN_PASSWORD

STEPS = ("login", "crud", "lists and counts", "methods", "file upload", "delete", "logout")


def test_frappe_js_sdk_scenario(server: str) -> None:
    binary = node()
    npm_install(NODE_TESTS)
    env = {**os.environ, "BASE_URL": server, "USR": "Administrator", "PWD": ADMIN_PASSWORD}
    done = subprocess.run(
        [binary, "jssdk_scenario.mjs"], cwd=NODE_TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split("\n")[: len(STEPS)] == [f"ok {step}" for step in STEPS]
