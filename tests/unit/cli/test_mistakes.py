"""A user's mistakes on the command line: one line, exit status 2, nothing created or left behind.

Every test runs the real ``docframe`` CLI as a subprocess, the way a user meets it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import docframe
from docframe.db.provision import drop_database
from tests.conftest import require_backend


def _docframe(
    sites: Path, *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCFRAME_SITE", "DOCFRAME_SITES")}
    return subprocess.run([sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), *args],
                          capture_output=True, text=True, timeout=180, input=stdin, env=env, cwd=cwd)  # fmt: skip


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def _one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Assert exit status 2 and a single ``Error: ...`` line on stderr (no traceback); return it."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A sites folder with two SQLite sites, alpha (the default) and beta."""
    root = tmp_path_factory.mktemp("mistakes") / "sites"
    for name in ("alpha", "beta"):
        made = _docframe(root, "new-site", name, "--admin-password", "pw")
        assert made.returncode == 0, made.stderr
    yield root


COMMANDS = [
    ("doctor",),
    ("migrate",),
    ("backup",),
    ("add-user", "jane@example.com"),
    ("set-admin-password", "new-pw"),
    ("generate-keys", "Administrator"),
    ("console",),
    ("serve", "--port", "1"),
    ("worker", "--burst"),
    ("export-data", "ToDo"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_unknown_site_names_the_sites_that_exist_and_creates_nothing(
    sites: Path, command: tuple[str, ...]
) -> None:
    before = _files(sites)
    result = _docframe(sites, *command, "--site", "alpah", stdin="")
    _one_line_error(result, "'alpah' not found", "alpha", "beta")
    assert _files(sites) == before
    assert not (sites / "alpah").exists()


def test_import_data_onto_unknown_site(sites: Path, tmp_path: Path) -> None:
    data = tmp_path / "todo.csv"
    data.write_text("description\nhello\n")
    _one_line_error(_docframe(sites, "import-data", "ToDo", str(data), "--site", "nosuch"), "alpha, beta")
    assert not (sites / "nosuch").exists()


def test_commands_with_no_sites_say_so(tmp_path: Path) -> None:
    empty = tmp_path / "sites"
    for command in (("doctor",), ("migrate",), ("backup",), ("serve",), ("console",)):
        _one_line_error(_docframe(empty, *command, stdin=""), "no sites", "docframe new-site")
    assert not empty.exists()


def test_several_sites_and_no_default_asks_for_site(sites: Path, tmp_path: Path) -> None:
    copy = tmp_path / "sites"
    copy.mkdir()
    for name in ("alpha", "beta"):
        (copy / name).mkdir()
        (copy / name / "site_config.json").write_text((sites / name / "site_config.json").read_text())
    _one_line_error(_docframe(copy, "doctor"), "pass --site NAME", "alpha, beta")


BAD_URLS = [
    ("not-a-url", "is not a database URL"),
    ("oracle://scott@127.0.0.1/orcl", "scheme 'oracle' is not supported"),
    ("postgresql://127.0.0.1:1/dfbad", "Cannot connect to the PostgreSQL server at 127.0.0.1:1"),
    ("postgresql://127.0.0.1/", "names no database"),
    ("mariadb://root@127.0.0.1", "names no database"),
    ("postgresql://127.0.0.1/bad-name", "must be at most 63 letters, digits and underscores"),
    ("sqlite://", "names no database file"),
    ("sqlite:////nonexistent-folder/x/site.db", "does not exist"),
]


@pytest.mark.parametrize(("url", "message"), BAD_URLS)
def test_new_site_with_a_bad_db_url_leaves_nothing_behind(tmp_path: Path, url: str, message: str) -> None:
    root = tmp_path / "sites"
    _one_line_error(
        _docframe(root, "new-site", "x", "--db-url", url),
        message,
        "--db-url" if "Cannot" not in message else "",
    )
    assert not root.exists()


def test_new_site_with_an_unknown_role_on_postgres_says_check_the_user(tmp_path: Path) -> None:
    require_backend("postgresql")
    root = tmp_path / "sites"
    line = _one_line_error(
        _docframe(root, "new-site", "x", "--db-url", "postgresql://nobody:secret@127.0.0.1/dfx"),
        "role \"nobody\" does not exist", "check the user name and password",
    )  # fmt: skip
    assert "secret" not in line
    assert not root.exists()


def test_new_site_with_a_wrong_mariadb_password_says_check_the_password(tmp_path: Path) -> None:
    require_backend("mariadb")
    root = tmp_path / "sites"
    line = _one_line_error(
        _docframe(root, "new-site", "x", "--db-url", "mariadb://root:wrong-pw@127.0.0.1/dfx"),
        "Access denied", "check the user name and password",
    )  # fmt: skip
    assert "wrong-pw" not in line
    assert not root.exists()


def test_new_site_that_fails_midway_removes_its_folder_and_database(tmp_path: Path) -> None:
    """The database is created, then installing fails (a broken app): both are removed again."""
    require_backend("postgresql")
    root = tmp_path / "sites"
    root.mkdir()
    (root / "common_site_config.json").write_text(json.dumps({"apps": ["no_such_app_xyz"]}))
    db = f"dfmidway_{secrets.token_hex(4)}"
    result = _docframe(root, "new-site", "x", "--db-url", f"postgresql://postgres@127.0.0.1/{db}")
    assert result.returncode != 0
    assert not (root / "x").exists()
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1/postgres")
    with engine.connect() as conn:
        left = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": db}).first()
    engine.dispose()
    assert left is None
    assert json.loads((root / "common_site_config.json").read_text()) == {"apps": ["no_such_app_xyz"]}


def test_bad_site_names_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "sites"
    _one_line_error(_docframe(root, "new-site", "../evil"), "Invalid site name")
    _one_line_error(_docframe(root, "new-site", ".hidden"), "Invalid site name")
    assert not root.exists()


def test_new_site_over_an_existing_one_is_refused(sites: Path) -> None:
    _one_line_error(_docframe(sites, "new-site", "alpha"), "already exists", "--force")


def test_relative_sqlite_path_is_inside_the_site_folder_from_any_directory(tmp_path: Path) -> None:
    root = tmp_path / "sites"
    made = _docframe(root, "new-site", "rel", "--admin-password", "pw", "--db-url", "sqlite:///data/rel.db")
    assert made.returncode == 0, made.stderr
    assert (root / "rel" / "data" / "rel.db").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    doctor = _docframe(root, "doctor", "--site", "rel", cwd=elsewhere)
    assert doctor.returncode == 0 and "tables match" in doctor.stderr, doctor.stderr
    assert list(elsewhere.iterdir()) == []


def test_mysql_scheme_is_accepted_as_mariadb(tmp_path: Path) -> None:
    require_backend("mariadb")
    root = tmp_path / "sites"
    url = f"mysql://root@127.0.0.1/dfmysql_{secrets.token_hex(3)}"
    try:
        made = _docframe(root, "new-site", "my", "--admin-password", "pw", "--db-url", url)
        assert made.returncode == 0, made.stderr
        doctor = _docframe(root, "doctor", "--site", "my")
        assert "mariadb, answered" in doctor.stderr, doctor.stderr
    finally:
        drop_database(url)


def test_restore_onto_a_new_site_name_creates_it(sites: Path, tmp_path: Path) -> None:
    archive = tmp_path / "alpha.tar.gz"
    assert _docframe(sites, "backup", "--site", "alpha", "-o", str(archive)).returncode == 0
    try:
        restored = _docframe(sites, "restore", str(archive), "--site", "gamma", "--yes")
        assert restored.returncode == 0, restored.stderr
        assert "Created site gamma" in restored.stderr
        doctor = _docframe(sites, "doctor", "--site", "gamma")
        assert doctor.returncode == 0 and "tables match" in doctor.stderr
    finally:
        import shutil

        shutil.rmtree(sites / "gamma", ignore_errors=True)


def test_restore_of_something_that_is_not_a_backup(sites: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_text("not a tarball")
    _one_line_error(
        _docframe(sites, "restore", str(junk), "--site", "delta", "--yes"), "is not a docframe backup"
    )
    assert not (sites / "delta").exists()


def test_backup_into_a_missing_folder(sites: Path, tmp_path: Path) -> None:
    _one_line_error(
        _docframe(sites, "backup", "--site", "alpha", "-o", str(tmp_path / "no" / "b.tar.gz")),
        "does not exist",
    )


def test_version() -> None:
    result = _docframe(Path("unused"), "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"docframe {docframe.__version__}"


def test_add_user_twice_is_one_line(sites: Path) -> None:
    first = _docframe(sites, "add-user", "twice@example.com", "--password", "Str0ng-pass!", "--site", "beta")
    assert first.returncode == 0, first.stderr
    again = _docframe(sites, "add-user", "twice@example.com", "--password", "Str0ng-pass!", "--site", "beta")
    _one_line_error(again, "twice@example.com was not created")


def test_generate_keys_prints_a_working_key_once(sites: Path) -> None:
    from starlette.testclient import TestClient

    from docframe.app import create_app

    result = _docframe(sites, "generate-keys", "Administrator", "--site", "beta")
    assert result.returncode == 0, result.stderr
    values = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    key, secret = values["API Key"], values["API Secret"]
    assert len(secret) == 32 and "shown only this once" in result.stderr
    with TestClient(create_app(sites)) as client:
        headers = {"X-Frappe-Site-Name": "beta", "Authorization": f"token {key}:{secret}"}
        answer = client.get("/api/method/frappe.auth.get_logged_user", headers=headers)
        assert answer.json()["message"] == "Administrator"
    rotated = _docframe(sites, "generate-keys", "Administrator", "--site", "beta")
    assert f"API Key: {key}" in rotated.stdout  # the key stays, the secret changes
    with TestClient(create_app(sites)) as client:
        assert client.get("/api/method/frappe.auth.get_logged_user", headers=headers).status_code == 401
    _one_line_error(_docframe(sites, "generate-keys", "nobody@example.com", "--site", "beta"), "not found")


def test_console_runs_piped_commands_with_the_site_context(sites: Path) -> None:
    script = "\n".join([
        'doc = new_doc("ToDo", description="made in the console")',
        "commit()",
        'new_doc("ToDo", description="never committed")',
        'print("names", sorted(r["description"] for r in get_list("ToDo", fields=["description"])))',
        "print('site', site.name, ctx.user.name)",
    ])  # fmt: skip
    first = _docframe(sites, "console", "--site", "beta", stdin=script + "\n")
    assert first.returncode == 0, first.stderr
    assert "names ['made in the console', 'never committed']" in first.stdout
    assert "site beta Administrator" in first.stdout
    second = _docframe(sites, "console", "--site", "beta", stdin='print(len(get_list("ToDo")))\n')
    assert second.stdout.strip() == "1", second.stdout  # the uncommitted ToDo was rolled back
