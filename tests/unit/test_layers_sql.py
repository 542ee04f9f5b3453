"""SQL lives in the data layer (docs/architecture.md, "Where SQL lives"), checked on the source.

The data layer (``db/`` with its repositories, ``query/``, ``migrate/``, the model's persistence
modules and the metadata registry) builds and runs statements. Everything else calls it: it may
name SQLAlchemy's types (``Connection``, ``Table``...) and catch its exceptions, and the row-condition
builders (permissions and the controllers' ``permission_query_conditions``) may compose WHERE
expressions for the query layer, but no module outside the data layer runs a statement or imports
a statement constructor.
"""

from __future__ import annotations

import ast
from pathlib import Path

import docframe

SRC = Path(docframe.__file__).parent

#: Packages and modules that build and run SQL.
DATA_LAYER = (
    "db/",
    "query/",
    "migrate/",
    "model/persistence.py",
    "model/naming.py",
    "model/validation.py",
    "meta/registry.py",
)
#: Modules that compose row conditions (WHERE expressions, subqueries) for the query layer.
CONDITION_BUILDERS = (
    "permissions/conditions.py",
    "permissions/user_permissions.py",
    "files/permissions.py",
    "doctypes/note/note.py",
    "doctypes/todo/todo.py",
)
#: What any module may import from SQLAlchemy: types to annotate with, and connection handling.
TYPES = frozenset(
    {"Connection", "Engine", "Dialect", "URL", "make_url", "create_engine", "Table", "Select",
     "ColumnElement", "FromClause", "PoolProxiedConnection"}
)  # fmt: skip
#: What a condition builder may import besides: the expression combinators.
EXPRESSIONS = frozenset({"and_", "or_", "not_", "cast", "String", "select", "true", "false"})
#: Calls that send SQL.
RUNNERS = frozenset({"execute", "exec_driver_sql", "execute_many", "executemany"})


def _relative(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _in(rel: str, places: tuple[str, ...]) -> bool:
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in places)


def sql_problems(rel: str, source: str) -> list[str]:
    """What in ``source`` (the module at ``rel`` under src/docframe) breaks the rule."""
    if _in(rel, DATA_LAYER):
        return []
    allowed = TYPES | (EXPRESSIONS if _in(rel, CONDITION_BUILDERS) else frozenset())
    problems: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            problems += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            if node.module == "sqlalchemy.exc":
                continue
            problems += [f"from {node.module} import {a.name}" for a in node.names if a.name not in allowed]
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNNERS
        ):
            receiver = node.func.value
            if not (isinstance(receiver, ast.Name) and receiver.id == "pipe"):  # a Redis pipeline
                problems.append(f"line {node.lineno}: .{node.func.attr}(...)")
    return problems


def test_no_sql_outside_the_data_layer() -> None:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        problems = sql_problems(_relative(path), path.read_text())
        if problems:
            found[_relative(path)] = problems
    assert found == {}


def test_the_check_sees_statements_and_runs() -> None:
    outside = (
        "from sqlalchemy import select, Table\n\ndef f(ctx, t):\n    return ctx.conn.execute(select(t))\n"
    )
    assert sql_problems("auth/example.py", outside) == [
        "from sqlalchemy import select",
        "line 4: .execute(...)",
    ]
    assert sql_problems("db/repos/example.py", outside) == []


def test_condition_builders_compose_but_never_run() -> None:
    builder = "from sqlalchemy import or_, select, update\n\ndef f(conn, s):\n    conn.exec_driver_sql(s)\n"
    assert sql_problems("permissions/conditions.py", builder) == [
        "from sqlalchemy import update",
        "line 4: .exec_driver_sql(...)",
    ]


def test_types_exceptions_and_redis_pipelines_pass() -> None:
    source = (
        "from sqlalchemy.engine import Connection\nfrom sqlalchemy.exc import IntegrityError\n"
        "def f(client):\n    pipe = client.pipeline()\n    pipe.execute()\n"
    )
    assert sql_problems("ratelimit/stores.py", source) == []


def test_the_repositories_are_where_the_statements_went() -> None:
    repos = {p.stem for p in (SRC / "db" / "repos").glob("*.py")} - {"__init__"}
    assert {"auth_values", "sessions", "counters", "files", "leases", "webhooks", "rows"} <= repos
    sessions = (SRC / "db" / "repos" / "sessions.py").read_text()
    assert "from sqlalchemy import" in sessions and ".execute(" in sessions
