"""Tables on every backend: column types, standard columns, indexes, table options, schema sync.

Each test builds tables from DocType definitions on the backend's site database and checks the
result with SQLAlchemy inspection (``inspect(conn)``), so what is asserted is what the server has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError

from docframe import errors
from docframe.db.errors import translate_read_error
from docframe.db.provision import drop_database
from docframe.db.tables import build_table
from docframe.meta.fieldtypes import DATA_FIELD_TYPES, NO_VALUE_TYPES, OPTIONAL_FIELDS, TABLE_TYPES
from docframe.meta.loader import load_meta
from docframe.meta.schema import Meta
from docframe.migrate.apply import drop_table, plan, reflect, sync_table
from docframe.migrate.diff import Notice, column_kind, is_change
from docframe.migrate.sync import migrate_site
from docframe.sites import Site
from docframe.users import User
from tests.conftest import make_site

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "frappe-doctypes"
STANDARD = ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx")
LAYOUT_TYPES = sorted(NO_VALUE_TYPES - TABLE_TYPES)


def _slug(fieldtype: str) -> str:
    return fieldtype.lower().replace(" ", "_")


def every_type_definition(name: str) -> dict[str, Any]:
    """One field of every data and layout type (plus sized variants), as a DocType definition."""
    fields: list[dict[str, Any]] = []
    for ft in sorted(DATA_FIELD_TYPES | set(LAYOUT_TYPES)):
        row: dict[str, Any] = {"fieldname": f"f_{_slug(ft)}", "fieldtype": ft, "label": ft}
        if ft == "Link":
            row["options"] = "ToDo"
        elif ft == "Dynamic Link":
            row["options"] = "f_link_type"
        elif ft == "Select":
            row["options"] = "\nA\nB"
        fields.append(row)
    fields += [
        {"fieldname": "f_link_type", "fieldtype": "Link", "options": "DocType", "label": "Link Type"},
        {"fieldname": "f_data_255", "fieldtype": "Data", "length": 255, "label": "Long Data"},
        {"fieldname": "f_int_20", "fieldtype": "Int", "length": 20, "label": "Big Int"},
    ]
    return {"name": name, "fields": fields}


#: Expected column kind per field type: (MariaDB, PostgreSQL, SQLite).
EXPECTED_KINDS: dict[str, tuple[str, str, str]] = {
    **{ft: ("varchar(140)",) * 3 for ft in ("Data", "Link", "Dynamic Link", "Select", "Read Only", "Color", "Icon",
                                           "Phone", "Autocomplete")},
    "Int": ("int", "int", "int"),
    "Long Int": ("bigint", "bigint", "bigint"),
    "Check": ("tinyint", "smallint", "smallint"),
    **{ft: ("decimal(21,9)", "decimal(21,9)", "float") for ft in ("Float", "Currency", "Percent", "Duration")},
    "Rating": ("decimal(3,2)", "decimal(3,2)", "float"),
    "Date": ("date",) * 3,
    "Datetime": ("datetime",) * 3,
    "Time": ("time",) * 3,
    **{ft: ("text",) * 3 for ft in ("Small Text", "Text", "Password", "Attach", "Attach Image")},
    **{ft: ("longtext", "text", "text") for ft in ("Long Text", "Code", "Text Editor", "Markdown Editor",
                                                    "HTML Editor", "Signature", "Barcode", "Geolocation", "JSON")},
}  # fmt: skip
BACKEND_COLUMN = {"mariadb": 0, "postgresql": 1, "sqlite": 2}


@pytest.fixture()
def conn(site: Site) -> Iterator[Connection]:
    """A committed-at-the-end connection on the backend's site database."""
    with site.unit_of_work(User.administrator()) as ctx:
        yield ctx.conn


def _create(conn: Connection, definition: dict[str, Any]) -> tuple[Meta, Table]:
    meta = load_meta(definition)
    table = build_table(meta, MetaData())
    drop_table(conn, table)
    assert sync_table(conn, table) == [f"created table {table.name}"]
    return meta, table


def _columns(conn: Connection, table: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in inspect(conn).get_columns(table)}


def _indexes(conn: Connection, table: str) -> dict[tuple[str, ...], bool]:
    """Single- and multi-column indexes as column tuple -> unique."""
    found = {tuple(ix["column_names"]): bool(ix["unique"]) for ix in inspect(conn).get_indexes(table)}
    for uc in inspect(conn).get_unique_constraints(table):
        found[tuple(uc["column_names"])] = True
    return found


# -- column types -----------------------------------------------------------------------------------


def test_every_fieldtype_gets_its_column_type(backend: str, conn: Connection) -> None:
    meta, table = _create(conn, every_type_definition("Schema Every Type"))
    columns = _columns(conn, table.name)
    which = BACKEND_COLUMN[backend]
    for ft, kinds in EXPECTED_KINDS.items():
        column = columns[f"f_{_slug(ft)}"]
        assert column_kind(column["type"]) == kinds[which], ft
    assert column_kind(columns["f_data_255"]["type"]) == "varchar(255)"
    assert column_kind(columns["f_int_20"]["type"]) == "bigint"
    for ft in LAYOUT_TYPES:
        assert f"f_{_slug(ft)}" not in columns, f"{ft} must not get a column"
    assert len(columns) == len(STANDARD) + len(OPTIONAL_FIELDS) + len(meta.data_fields)


def test_fractional_seconds_are_kept(backend: str, conn: Connection) -> None:
    _meta, table = _create(conn, every_type_definition("Schema Precision"))
    columns = _columns(conn, table.name)
    for name in ("creation", "modified", "f_datetime", "f_time"):
        ctype = columns[name]["type"]
        if backend == "mariadb":
            assert ctype.fsp == 6, name
        elif backend == "postgresql":
            assert ctype.precision == 6, name


def test_numbers_are_not_null_with_their_default(conn: Connection) -> None:
    definition = {
        "name": "Schema Defaults",
        "fields": [
            {"fieldname": "flag", "fieldtype": "Check", "default": "1"},
            {"fieldname": "qty", "fieldtype": "Int", "default": "7"},
            {"fieldname": "price", "fieldtype": "Currency", "default": "2.5"},
            {"fieldname": "ratio", "fieldtype": "Float"},
            {"fieldname": "status", "fieldtype": "Select", "options": "Open\nClosed", "default": "Open"},
            {"fieldname": "due", "fieldtype": "Date", "default": "Today"},
            {"fieldname": "who", "fieldtype": "Data", "default": "__user"},
            {"fieldname": "note", "fieldtype": "Data"},
        ],
    }
    _meta, table = _create(conn, definition)
    columns = _columns(conn, table.name)
    for name in ("flag", "qty", "price", "ratio", "docstatus", "idx"):
        assert columns[name]["nullable"] is False, name
    for name in ("status", "due", "who", "note", "creation", "owner"):
        assert columns[name]["nullable"] is True, name
    conn.execute(insert(table).values(name="only-name"))
    row = conn.execute(select(table).where(table.c.name == "only-name")).mappings().one()
    assert (row["flag"], row["qty"], row["price"], row["ratio"]) == (1, 7, 2.5, 0)
    assert (row["docstatus"], row["idx"], row["status"]) == (0, 0, "Open")
    assert (row["due"], row["who"], row["note"]) == (None, None, None)  # dynamic defaults are the model's job


# -- standard columns -------------------------------------------------------------------------------


def test_parent_child_and_seen_columns(conn: Connection) -> None:
    fields = [{"fieldname": "title", "fieldtype": "Data"}]
    _m, parent = _create(conn, {"name": "Schema Parent", "fields": fields})
    _m, seen = _create(conn, {"name": "Schema Seen", "fields": fields, "track_seen": 1})
    _m, child = _create(conn, {"name": "Schema Child", "fields": fields, "istable": 1})
    parent_cols, seen_cols, child_cols = (set(_columns(conn, t.name)) for t in (parent, seen, child))
    assert parent_cols == {*STANDARD, *OPTIONAL_FIELDS, "title"}
    assert seen_cols == parent_cols | {"_seen"}
    assert child_cols == {*STANDARD, "parent", "parentfield", "parenttype", "title"}
    assert _columns(conn, child.name)["parent"]["type"].length == 140
    assert _columns(conn, parent.name)["name"]["nullable"] is False
    assert inspect(conn).get_pk_constraint(parent.name)["constrained_columns"] == ["name"]


def test_autoincrement_names_are_bigint(conn: Connection) -> None:
    _m, table = _create(conn, {"name": "Schema Counter", "autoname": "autoincrement", "fields": []})
    assert column_kind(_columns(conn, table.name)["name"]["type"]) == "bigint"


# -- indexes ----------------------------------------------------------------------------------------


def test_unique_search_parent_and_creation_indexes(conn: Connection) -> None:
    fields = [
        {"fieldname": "code", "fieldtype": "Data", "unique": 1},
        {"fieldname": "serial", "fieldtype": "Int", "unique": 1},
        {"fieldname": "city", "fieldtype": "Link", "options": "ToDo", "search_index": 1},
        {"fieldname": "day", "fieldtype": "Date", "search_index": 1},
        {"fieldname": "body", "fieldtype": "Long Text", "search_index": 1, "unique": 1},
        {"fieldname": "plain", "fieldtype": "Data"},
    ]
    _m, parent = _create(conn, {"name": "Schema Indexed", "fields": fields, "sort_field": "modified"})
    _m, child = _create(conn, {"name": "Schema Indexed Row", "fields": fields, "istable": 1})
    parent_ix = _indexes(conn, parent.name)
    assert parent_ix[("code",)] is True and parent_ix[("serial",)] is True
    assert parent_ix[("city",)] is False and parent_ix[("day",)] is False
    assert parent_ix[("creation",)] is False and parent_ix[("modified",)] is False
    assert ("body",) not in parent_ix and ("plain",) not in parent_ix and ("parent",) not in parent_ix
    child_ix = _indexes(conn, child.name)
    assert child_ix[("parent",)] is False and ("creation",) not in child_ix
    assert child_ix[("code",)] is True


# -- MariaDB table options and comparisons ------------------------------------------------------------


def test_tables_store_utf8_and_mariadb_uses_innodb_unicode_ci(backend: str, conn: Connection) -> None:
    _create(conn, {"name": "Schema Options", "fields": [{"fieldname": "title", "fieldtype": "Data"}]})
    # Catalogue queries: SQLAlchemy has no construct for them; every name is a bound value.
    if backend == "sqlite":
        assert conn.execute(text("PRAGMA encoding")).scalar() == "UTF-8"
    elif backend == "postgresql":
        assert conn.execute(text("SHOW server_encoding")).scalar() == "UTF8"
    else:
        for table in ("tabSchema Options", "tabToDo", "tabSingles", "__Auth", "__MetaVersion"):
            row = conn.execute(
                text(
                    "SELECT ENGINE, TABLE_COLLATION, ROW_FORMAT FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
                ),
                {"t": table},
            ).one()
            assert tuple(row) == ("InnoDB", "utf8mb4_unicode_ci", "Dynamic"), table
    emoji = "naïve 🚀 ✓"
    table = build_table(load_meta({"name": "Schema Options", "fields": [{"fieldname": "title", "fieldtype": "Data"}]}),
                        MetaData())  # fmt: skip
    conn.execute(insert(table).values(name="utf8", title=emoji))
    assert conn.execute(select(table.c.title).where(table.c.name == "utf8")).scalar() == emoji


def test_name_comparison_follows_the_backend(backend: str, conn: Connection) -> None:
    _m, table = _create(
        conn, {"name": "Schema Case", "fields": [{"fieldname": "title", "fieldtype": "Data"}]}
    )
    conn.execute(insert(table).values(name="Alpha", title="Ärger"))
    by_upper = conn.execute(select(table.c.name).where(table.c.name == "ALPHA")).scalar()
    by_accent = conn.execute(select(table.c.name).where(table.c.title == "arger")).scalar()
    if backend == "mariadb":  # utf8mb4_unicode_ci: case- and accent-insensitive
        assert (by_upper, by_accent) == ("Alpha", "Alpha")
    else:
        assert (by_upper, by_accent) == (None, None)


# -- the installed site -----------------------------------------------------------------------------


def test_installed_tables_match_their_definitions(site: Site, conn: Connection) -> None:
    checked = 0
    for name in site.metas.standard_names:
        meta = site.metas.get(name, conn)
        if not meta.has_table:
            assert not inspect(conn).has_table(meta.table) or meta.issingle
            continue
        pending = [op for op in plan(conn, site.tables.get(meta)) if is_change(op)]
        assert pending == [], f"{name}: {pending}"
        checked += 1
    assert checked >= 30
    todo = _columns(conn, "tabToDo")
    assert {"_seen", "_assign", "_comments", "_liked_by", "_user_tags"} <= set(todo)  # ToDo tracks seen
    assert "_seen" not in _columns(conn, "tabNote Seen By")
    assert _indexes(conn, "tabToDo")[("creation",)] is False
    assert _indexes(conn, "tabHas Role")[("parent",)] is False
    for table in ("tabSingles", "tabSeries", "__Auth", "tabSessions", "__MetaVersion"):
        assert inspect(conn).has_table(table), table


# -- schema sync --------------------------------------------------------------------------------------


def test_changing_a_definition_adds_columns_and_indexes_and_keeps_data(site: Site) -> None:
    v1 = {
        "name": "Schema Evolving",
        "fields": [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "qty", "fieldtype": "Int"},
            {"fieldname": "legacy", "fieldtype": "Data"},
            {"fieldname": "code", "fieldtype": "Data", "search_index": 1},
        ],
    }
    v2 = {
        "name": "Schema Evolving",
        "fields": [
            {"fieldname": "title", "fieldtype": "Data", "unique": 1},
            {"fieldname": "qty", "fieldtype": "Data"},  # type change: reported, not altered
            {"fieldname": "code", "fieldtype": "Data"},  # index no longer wanted
            {"fieldname": "active", "fieldtype": "Check", "default": "1"},
            {"fieldname": "price", "fieldtype": "Currency"},
            {"fieldname": "serial", "fieldtype": "Data", "search_index": 1},
            {"fieldname": "kind", "fieldtype": "Select", "options": "A\nB", "default": "B"},
        ],
    }
    with site.unit_of_work(User.administrator()) as ctx:
        _m, table = _create(ctx.conn, v1)
        ctx.conn.execute(insert(table).values(name="old-row", title="kept", qty=5, legacy="precious"))
    new_table = build_table(load_meta(v2), MetaData())
    with site.unit_of_work(User.administrator()) as ctx:
        done = sync_table(ctx.conn, new_table)
    changes = [line for line in done if not line.startswith("notice")]
    assert sorted(changes) == sorted([
        "added column tabSchema Evolving.active", "added column tabSchema Evolving.price",
        "added column tabSchema Evolving.serial", "added column tabSchema Evolving.kind",
        "created index tabSchema Evolving_title_unique", "created index tabSchema Evolving_serial_index",
        "dropped index tabSchema Evolving_code_index",
    ])  # fmt: skip
    notices = [line for line in done if line.startswith("notice")]
    assert len(notices) == 2
    assert any(
        "column qty is int in the database but its field wants varchar(140); not altered" in n
        for n in notices
    )
    assert any("column legacy has no field any more; kept" in n for n in notices)
    with site.unit_of_work(User.administrator()) as ctx:
        stored = Table("tabSchema Evolving", MetaData(), autoload_with=ctx.conn)
        row = ctx.conn.execute(select(stored)).mappings().one()
        assert (row["title"], row["qty"], row["legacy"]) == ("kept", 5, "precious")
        assert (row["active"], row["price"], row["kind"], row["serial"]) == (1, 0, "B", None)
        indexes = _indexes(ctx.conn, "tabSchema Evolving")
        assert indexes[("title",)] is True and indexes[("serial",)] is False and ("code",) not in indexes
        second = plan(ctx.conn, new_table)
    assert [op for op in second if is_change(op)] == []
    assert {op.kind for op in second if isinstance(op, Notice)} == {"type_changed", "removed_column"}


def test_long_doctype_names_sync_twice(site: Site) -> None:
    name = "Schema " + "L" * 54  # 61 characters: "tab" + name is 64, over PostgreSQL's 63
    definition = {"name": name, "fields": [{"fieldname": "title", "fieldtype": "Data", "search_index": 1}]}
    with site.unit_of_work(User.administrator()) as ctx:
        _meta, table = _create(ctx.conn, definition)
        assert reflect(ctx.conn, table.name).exists
        assert [op for op in plan(ctx.conn, table) if is_change(op)] == []
        ctx.conn.execute(insert(table).values(name="x", title="long"))
        assert ctx.conn.execute(select(table.c.title)).scalar() == "long"
        assert drop_table(ctx.conn, table) is True
        assert not reflect(ctx.conn, table.name).exists


def test_migrate_is_idempotent(site: Site) -> None:
    migrate_site(site)
    again = migrate_site(site)
    assert [line for line in again if not line.startswith("notice")] == []


# -- Frappe's own definitions --------------------------------------------------------------------------


def test_every_frappe_fixture_makes_a_creatable_table(conn: Connection) -> None:
    created = 0
    for path in sorted(FIXTURES.glob("*.json")):
        raw = json.loads(path.read_text())
        meta = load_meta({**raw, "name": f"Fx {raw['name']}"})
        if not meta.has_table:
            continue
        table = build_table(meta, MetaData())
        drop_table(conn, table)
        sync_table(conn, table)
        columns = _columns(conn, table.name)
        assert {f.fieldname for f in meta.data_fields} <= set(columns), meta.name
        assert [op for op in plan(conn, table) if is_change(op)] == [], meta.name
        drop_table(conn, table)
        created += 1
    assert created >= 40


# -- the docframe migrate command --------------------------------------------------------------------


def _write_app(root: Path, package: str, fields: list[dict[str, Any]]) -> Path:
    folder = root / package / "gizmo_box"
    folder.mkdir(parents=True, exist_ok=True)
    (root / package / "__init__.py").write_text("")
    definition = {
        "doctype": "DocType", "name": "Gizmo Box", "module": "Gizmos", "modified": "2025-01-01 00:00:00.000000",
        "fields": fields, "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}],
    }  # fmt: skip
    (folder / "gizmo_box.json").write_text(json.dumps(definition))
    return folder


def _cli_migrate(sites_root: Path, site_name: str, app_root: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(app_root), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "migrate", "--site", site_name],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_docframe_migrate_command_follows_changed_files(backend: str, tmp_path: Path) -> None:
    package = f"dfmig_{backend}"
    app_root = tmp_path / "apps"
    _write_app(
        app_root,
        package,
        [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "old", "fieldtype": "Data"}],
    )
    sys.path.insert(0, str(app_root))
    sites_root = tmp_path / "sites"
    sites_root.mkdir()
    (sites_root / "common_site_config.json").write_text("{}")
    try:
        site = make_site(sites_root, f"mig-{backend}.test", backend, {"apps": [package]})
        site.dispose()
        assert "0 change(s)" in _cli_migrate(sites_root, site.name, app_root)
        _write_app(app_root, package, [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "size", "fieldtype": "Int", "search_index": 1},
        ])  # fmt: skip
        out = _cli_migrate(sites_root, site.name, app_root)
        assert "added column tabGizmo Box.size" in out and "created index tabGizmo Box_size_index" in out
        assert "synced DocType Gizmo Box" in out
        assert "column old has no field any more; kept" in out
        assert f"{site.name}: 3 change(s)" in out
        again = _cli_migrate(sites_root, site.name, app_root)
        assert f"{site.name}: 0 change(s)" in again and "column old has no field any more" in again
        reopened = Site.open(sites_root / site.name)
        with reopened.unit_of_work(User.administrator()) as ctx:
            assert {"title", "size", "old"} <= set(_columns(ctx.conn, "tabGizmo Box"))
        reopened.dispose()
    finally:
        sys.path.remove(str(app_root))
        if backend != "sqlite":
            drop_database(site.settings.db_url)


def test_out_of_range_filter_values_become_data_errors(backend: str, conn: Connection) -> None:
    _m, table = _create(
        conn, {"name": "Schema Range", "fields": [{"fieldname": "flag", "fieldtype": "Check"}]}
    )
    stmt = select(table.c.name).where(table.c.flag == 40000)
    if backend != "postgresql":  # MariaDB and SQLite compare without casting the value
        assert conn.execute(stmt).all() == []
        return
    with pytest.raises(StatementError) as raised, conn.begin_nested():
        conn.execute(stmt)
    translated = translate_read_error(raised.value)
    assert isinstance(translated, errors.DataError) and translated.http_status == 417
