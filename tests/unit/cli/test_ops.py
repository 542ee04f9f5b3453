"""``docframe backup`` / ``restore`` / ``doctor`` through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from docframe.db.provision import drop_database
from tests.conftest import ENCRYPTION_KEY, require_backend


def _docframe(sites: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_backup_of_sqlite_restores_onto_postgres_with_rows_and_files(tmp_path: Path) -> None:
    require_backend("postgresql")
    sites = tmp_path / "sites"
    assert _docframe(sites, "new-site", "src", "--admin-password", "pw").returncode == 0
    config = json.loads((sites / "src" / "site_config.json").read_text())
    engine = sa.create_engine(config["db_url"])
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO \"tabToDo\" (name, description, status, docstatus, idx, creation, modified) "
                             "VALUES ('bk-1', 'kept across backends', 'Open', 0, 0, '2024-05-01 10:00:00.123456', '2024-05-01 10:00:00.123456')"))  # fmt: skip
    engine.dispose()
    (sites / "src" / "public" / "files" / "hello.txt").write_text("hello")
    archive = tmp_path / "b.tar.gz"
    made = _docframe(sites, "backup", "--site", "src", "-o", str(archive))
    assert made.returncode == 0, made.stderr
    db = f"dftest_restore_{tmp_path.name[-6:]}".replace("-", "_")
    created = _docframe(
        sites,
        "new-site",
        "dst",
        "--admin-password",
        "pw",
        "--db-url",
        f"postgresql://postgres@127.0.0.1/{db}",
    )
    assert created.returncode == 0, created.stderr
    restored = _docframe(sites, "restore", str(archive), "--site", "dst", "--yes")
    assert restored.returncode == 0, restored.stderr
    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1/{db}")
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT description, modified FROM \"tabToDo\" WHERE name = 'bk-1'")).one()
    engine.dispose()
    assert row[0] == "kept across backends" and str(row[1]) == "2024-05-01 10:00:00.123456"
    assert (sites / "dst" / "public" / "files" / "hello.txt").read_text() == "hello"
    doctor = _docframe(sites, "doctor", "--site", "dst")
    assert doctor.returncode == 0 and "tables match" in doctor.stderr
    drop_database(f"postgresql://postgres@127.0.0.1/{db}")


def test_doctor_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    (sites / "broken").mkdir(parents=True)
    (sites / "broken" / "site_config.json").write_text(
        json.dumps({"db_url": "postgresql://nobody@127.0.0.1:1/none", "encryption_key": ENCRYPTION_KEY})
    )
    result = _docframe(sites, "doctor", "--site", "broken")
    assert result.returncode == 1
    assert "FAIL" in result.stderr
