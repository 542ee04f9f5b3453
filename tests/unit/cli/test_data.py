"""``docframe import-data`` / ``export-data`` through the real CLI: formats, child rows, errors, round trips."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa


def _docframe(sites: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), *args],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("data") / "sites"
    for name in ("src", "dst", "users"):
        made = _docframe(root, "new-site", name, "--admin-password", "pw")
        assert made.returncode == 0, made.stderr
    yield root


def _rows(sites: Path, site: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(f"sqlite:///{sites / site / 'db' / 'site.db'}")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql))]
    engine.dispose()
    return rows


def _todo_csv(path: Path, count: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Description", "Status", "priority", "Due Date"])
        for i in range(count):
            writer.writerow([f"todo {i}", ("Open", "Closed")[i % 2], ("Low", "High")[i % 2], f"2025-03-{1 + i % 28:02d}"])  # fmt: skip


def test_todos_round_trip_through_csv_and_json_lines(sites: Path, tmp_path: Path) -> None:
    count = 1200  # more than two import batches and more than one export page would need 2000+
    source = tmp_path / "todos.csv"
    _todo_csv(source, count)
    imported = _docframe(sites, "import-data", "ToDo", str(source), "--site", "src")
    assert imported.returncode == 0, imported.stderr
    assert f"ToDo: imported {count} of {count} documents, 0 failed" in imported.stderr
    assert "Traceback" not in imported.stderr
    for kind in ("csv", "jsonl", "json"):
        out = tmp_path / f"out.{kind}"
        exported = _docframe(sites, "export-data", "ToDo", "--site", "src", "-o", str(out))
        assert exported.returncode == 0 and f"Exported {count} ToDo documents" in exported.stderr
    # Into a second site from JSON Lines: the same names and values.
    back = _docframe(sites, "import-data", "ToDo", str(tmp_path / "out.jsonl"), "--site", "dst")
    assert back.returncode == 0, back.stderr
    query = 'SELECT name, description, status, priority, date FROM "tabToDo" ORDER BY name'
    original = _rows(sites, "src", query)
    assert len(original) == count
    assert _rows(sites, "dst", query) == original
    assert ("todo 3", "Closed", "High", "2025-03-04") in {r[1:] for r in original}
    # The CSV export re-imports too (names kept: a second import of the same file is all duplicates).
    again = _docframe(sites, "import-data", "ToDo", str(tmp_path / "out.csv"), "--site", "dst", "--dry-run")
    assert again.returncode == 1 and f"would import 0 of {count} documents, {count} failed" in again.stderr
    listed = json.loads((tmp_path / "out.json").read_text())
    assert len(listed) == count and set(listed[0]) >= {"name", "description", "status", "date"}


def test_bad_rows_are_reported_by_row_and_the_rest_imported(sites: Path, tmp_path: Path) -> None:
    source = tmp_path / "mixed.csv"
    source.write_text(
        "ID,Description,Status\n"
        "mixed-1,fine,Open\n"
        "mixed-2,bad status,Sometimes\n"
        "mixed-3,,Open\n"
        "mixed-1,duplicate name,Open\n"
        "mixed-4,also fine,Closed\n"
    )
    report = tmp_path / "errors.jsonl"
    dry = _docframe(sites, "import-data", "ToDo", str(source), "--site", "src", "--dry-run")
    assert dry.returncode == 1 and "would import 2 of 5 documents, 3 failed (dry run" in dry.stderr
    assert _rows(sites, "src", "SELECT name FROM \"tabToDo\" WHERE name LIKE 'mixed-%'") == []
    result = _docframe(
        sites, "import-data", "ToDo", str(source), "--site", "src", "--error-report", str(report)
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("row 3: ") and "Sometimes" in line for line in lines)
    assert any(line.startswith("row 4: ") and "Description" in line for line in lines)
    assert any(line.startswith("row 5: ") for line in lines)
    failures = [json.loads(line) for line in report.read_text().splitlines()]
    assert [f["row"] for f in failures] == [3, 4, 5]
    assert failures[0]["values"] == {"name": "mixed-2", "description": "bad status", "status": "Sometimes"}
    names = _rows(sites, "src", "SELECT name FROM \"tabToDo\" WHERE name LIKE 'mixed-%' ORDER BY name")
    assert names == [("mixed-1",), ("mixed-4",)]


def test_child_rows_in_frappe_data_import_layout(sites: Path, tmp_path: Path) -> None:
    source = tmp_path / "users.csv"
    source.write_text(
        "Email,First Name,Role (Roles Assigned)\n"
        "ann@example.com,Ann,System Manager\n"
        ",,Desk User\n"
        "bob@example.com,Bob,\n"
    )
    result = _docframe(sites, "import-data", "User", str(source), "--site", "users")
    assert result.returncode == 0, result.stderr
    roles = _rows(
        sites,
        "users",
        "SELECT parent, role FROM \"tabHas Role\" WHERE parent LIKE '%@example.com' ORDER BY parent, idx",
    )
    assert roles == [("ann@example.com", "System Manager"), ("ann@example.com", "Desk User")]
    out = tmp_path / "users.jsonl"
    assert _docframe(sites, "export-data", "User", "--site", "users", "-o", str(out)).returncode == 0
    ann = next(json.loads(line) for line in out.read_text().splitlines() if '"ann@example.com"' in line)
    assert [r["role"] for r in ann["roles"]] == ["System Manager", "Desk User"]
    labelled = tmp_path / "users.csv"
    assert (
        _docframe(sites, "export-data", "User", "--site", "users", "--labels", "-o", str(labelled)).returncode
        == 0
    )
    header = labelled.read_text().splitlines()[0].split(",")
    assert "ID" in header and "First Name" in header and "Role (Roles Assigned)" in header


def test_json_with_labels_and_nested_child_rows(sites: Path, tmp_path: Path) -> None:
    source = tmp_path / "users.json"
    source.write_text(json.dumps([
        {"Email": "cy@example.com", "First Name": "Cy", "roles": [{"Role": "Desk User"}]},
    ]))  # fmt: skip
    result = _docframe(sites, "import-data", "User", str(source), "--site", "users")
    assert result.returncode == 0, result.stderr
    assert _rows(sites, "users", "SELECT role FROM \"tabHas Role\" WHERE parent = 'cy@example.com'") == [
        ("Desk User",)
    ]


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("Description,Colour of sky\nx,blue\n", ".csv", "Column(s) 'Colour of sky' match no field of ToDo"),
        ("", ".csv", "The CSV file is empty"),
        ("{not json", ".json", "is not valid JSON"),
        ('{"description": "x"}\n[1]\n', ".jsonl", "line 2 is not a JSON object"),
        ("description\nx\n", ".txt", "Cannot tell the format"),
    ],
)
def test_unreadable_files_are_one_line_and_import_nothing(
    sites: Path, tmp_path: Path, content: str, suffix: str, message: str
) -> None:
    source = tmp_path / f"bad{suffix}"
    source.write_text(content)
    before = _rows(sites, "users", 'SELECT COUNT(*) FROM "tabToDo"')
    result = _docframe(sites, "import-data", "ToDo", str(source), "--site", "users")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert _rows(sites, "users", 'SELECT COUNT(*) FROM "tabToDo"') == before


def test_unknown_doctype_and_child_table(sites: Path, tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("name\nx\n")
    for doctype, message in (("Nope", "DocType Nope not found"), ("Has Role", "is a child table")):
        for args in (("import-data", doctype, str(source)), ("export-data", doctype)):
            result = _docframe(sites, *args, "--site", "users")
            assert result.returncode == 2 and message in result.stderr, result.stderr
    bad_field = _docframe(sites, "export-data", "ToDo", "--fields", "description,nope", "--site", "users")
    assert bad_field.returncode == 2 and "'nope' is not a field of ToDo" in bad_field.stderr
