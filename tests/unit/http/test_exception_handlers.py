"""Rendering errors: a database error never shows its SQL, deep recursion is a 417."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from docframe import errors
from docframe.http.exception_handlers import render_error
from docframe.sites import Site
from docframe.users import User

SQL = "SELECT secret FROM `tabUser` WHERE name = %(name)s"


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def _database_error() -> BaseException:
    try:
        raise OperationalError(SQL, {"name": "hunter2"}, Exception("no such column: secret"))
    except OperationalError as exc:
        try:
            raise ValueError("wrapped") from exc
        except ValueError as outer:
            return outer


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("make", [lambda: _raised(OperationalError(SQL, {"name": "hunter2"}, Exception("x"))),
                                  _database_error])  # fmt: skip
def test_database_errors_are_500s_without_sql(version: int, make: object, sqlite_site: Site) -> None:
    """Even for the Administrator on a site that shows tracebacks (``allow_error_traceback``)."""
    exc = make()  # type: ignore[operator]
    shown = render_error(_raised(ValueError("plain")), version, [], user=User.administrator(),
                         wants_json=True, site=sqlite_site)  # fmt: skip
    assert "Traceback" in bytes(shown.body).decode()  # tracebacks are on for this user and site
    response = render_error(exc, version, [], user=User.administrator(), wants_json=True, site=sqlite_site)
    body = bytes(response.body).decode()
    assert response.status_code == 500
    assert "SELECT" not in body and "hunter2" not in body and "tabUser" not in body
    parsed = orjson.loads(body)
    kind = parsed["exc_type"] if version == 1 else parsed["errors"][0]["type"]
    assert kind == "DatabaseError"


def test_translated_errors_keep_their_own_message() -> None:
    try:
        try:
            raise OperationalError(SQL, {}, Exception("lock wait timeout"))
        except OperationalError:
            raise errors.QueryTimeoutError("The query waited too long for a lock.") from None
    except errors.QueryTimeoutError as exc:
        response = render_error(exc, 2, [], user=User.administrator(), wants_json=True, site=None)
    parsed = orjson.loads(response.body)
    assert parsed["errors"][0]["type"] == "QueryTimeoutError"
    assert parsed["errors"][0]["message"] == "The query waited too long for a lock."


def test_recursion_errors_are_417() -> None:
    response = render_error(
        _raised(RecursionError("maximum recursion depth exceeded")), 1, [],
        user=User.guest(), wants_json=True, site=None,
    )  # fmt: skip
    assert response.status_code == 417
    assert orjson.loads(response.body)["exc_type"] == "DataError"
