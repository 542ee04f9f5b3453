"""The guides' commands run as written (see tests/docs/guide_runner.py for the block marks)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from pathlib import Path

import pytest

from docframe.db.provision import drop_database
from tests.conftest import free_port, require_backend
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
        assert sum(1 for b in marked if b.run) >= 2 and len(marked) >= 5, guide


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


#: Test-only checks after the deploying guide's commands, while its server still runs: the nginx and
#: Caddy configurations it wrote are started for real in front of it, and the systemd units verified.
PROXY_CHECKS = r"""
echo hello-from-files > "$DOCFRAME_SITES/$SITE/public/files/hello.txt"
if [ -n "${NGINX_BIN:-}" ]; then
  run=$PWD/nginx-run; mkdir -p "$run"
  cat > "$run/nginx.conf" <<NGINX_CONF
user root;
worker_processes 1;
daemon off;
pid $run/nginx.pid;
error_log stderr;
events {}
http {
  access_log off;
  client_body_temp_path $run/body; proxy_temp_path $run/proxy; fastcgi_temp_path $run/fastcgi;
  uwsgi_temp_path $run/uwsgi; scgi_temp_path $run/scgi;
  include $PWD/etc/nginx/conf.d/docframe.conf;
}
NGINX_CONF
  nginx -e stderr -t -p "$run" -c "$run/nginx.conf"
  nginx -e stderr -p "$run" -c "$run/nginx.conf" &
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && break; sleep 0.2; done
  echo "nginx files: $(curl -fsS -H "Host: $SITE" "http://127.0.0.1:$NGINX_PORT/files/hello.txt")"
  echo "nginx api: $(curl -fsS -H "Host: $SITE" "http://127.0.0.1:$NGINX_PORT/api/method/ping")"
  echo "nginx missing file: $(curl -s -o /dev/null -w '%{http_code}' -H "Host: $SITE" "http://127.0.0.1:$NGINX_PORT/files/nope.txt")"
fi
if [ -n "${CADDY_BIN:-}" ]; then
  run=$PWD/caddy-run; mkdir -p "$run"
  { printf '{\n\tadmin off\n}\n'; cat etc/caddy/Caddyfile; } > "$run/Caddyfile"
  export XDG_DATA_HOME=$run XDG_CONFIG_HOME=$run
  caddy validate --adapter caddyfile --config "$run/Caddyfile"
  caddy run --adapter caddyfile --config "$run/Caddyfile" &
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$CADDY_PORT/" && break; sleep 0.2; done
  echo "caddy files: $(curl -fsS -H "Host: $SITE:$CADDY_PORT" "http://127.0.0.1:$CADDY_PORT/files/hello.txt")"
  echo "caddy api: $(curl -fsS -H "Host: $SITE:$CADDY_PORT" "http://127.0.0.1:$CADDY_PORT/api/method/ping")"
fi
if [ -n "${SYSTEMD_ANALYZE_BIN:-}" ]; then
  for unit in etc/systemd/system/*; do systemd-analyze verify "$unit"; done
  echo "systemd units verified"
fi
"""


def _redis_required() -> None:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", 6379)) != 0:
            if os.environ.get("CI") == "true":
                pytest.fail("Redis on 127.0.0.1:6379 is unreachable (required under CI=true)")
            pytest.skip("Redis on 127.0.0.1:6379 is unreachable (start it to run this guide)")


def test_deploying(tmp_path: Path) -> None:
    require_backend("postgresql")
    _redis_required()
    tag = secrets.token_hex(3)
    site, db = f"dfguide-{tag}.localhost", f"dfguide_{tag}"
    port, nginx_port, caddy_port = (str(free_port()) for _ in range(3))
    tools = {name: shutil.which(name) for name in ("nginx", "caddy", "systemd-analyze")}
    for name, path in tools.items():
        if path is None and os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (scripts/services.sh installs it)")
    substitutions = {
        "example.com {": f"http://{site}:{caddy_port} {{",
        "example.com": site,
        "example_com": db,
        "/srv/docframe": str(tmp_path),
        "/etc/": f"{tmp_path}/etc/",
        "127.0.0.1:8000": f"127.0.0.1:{port}",
        "--port 8000": f"--port {port}",
        "--workers 4": "--workers 2",
        "listen 80;": f"listen 127.0.0.1:{nginx_port};",
    }
    env = {
        "SITE": site, "NGINX_PORT": nginx_port, "CADDY_PORT": caddy_port,
        "NGINX_BIN": tools["nginx"] or "", "CADDY_BIN": tools["caddy"] or "", "SYSTEMD_ANALYZE_BIN": tools["systemd-analyze"] or "",
    }  # fmt: skip
    try:
        result = run_guide(
            "deploying.md", tmp_path, substitutions, env=env, epilogue=PROXY_CHECKS, timeout=400
        )
    finally:
        drop_database(f"postgresql://postgres@127.0.0.1/{db}")
    out = result.stdout
    assert result.returncode == 0, out[-5000:]
    assert "Logged In" in out and "postgresql, answered" in out
    assert "Created site restore-check" in out and out.count("tables match the DocType definitions") == 2
    assert len(list((tmp_path / "backups").glob(f"{site}-2*.tar.gz"))) == 1  # --all-sites: one per site
    for name, lines in (
        (
            "nginx",
            ["nginx files: hello-from-files", 'nginx api: {"message":"pong"}', "nginx missing file: 404"],
        ),
        ("caddy", ["caddy files: hello-from-files", 'caddy api: {"message":"pong"}']),
        ("systemd-analyze", ["systemd units verified"]),
    ):
        if tools[name]:
            for line in lines:
                assert line in out, (line, out[-3000:])
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        pytest.skip(f"the guide ran; not checked because not installed: {', '.join(missing)}")
