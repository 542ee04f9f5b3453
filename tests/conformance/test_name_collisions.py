"""A generated (hash) name that is already taken is replaced, never a name the user gave; every backend.

``make_hash`` has 30 random bits per decisecond, so two inserts can draw the same name. Like Frappe,
an insert under a generated name takes a new one when a row of that name exists; on PostgreSQL the
transaction must stay usable (the insert skips the row instead of failing). The tests fix the
clock and the random source of ``make_hash`` so that the next name is one already stored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from docframe.auth.passwords import get_secret
from docframe.model import naming
from docframe.sites import Site
from docframe.users import User
from tests.conformance.test_naming import create, created_name, new_doctype, v1_error
from tests.conftest import SiteClient

#: The clock is fixed at this instant (seconds), so every name has the same four leading characters.
FIXED_TIME = 1_800_000_000.0


@pytest.fixture()
def scripted_hashes(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[int]], None]:
    """Make ``make_hash`` draw its random characters from a script, then from ``os.urandom``.

    ``script([0, 0, 1])``: the next three names end in ``000000``, ``000000`` and ``111111``.
    """

    def script(digits: list[int]) -> None:
        queue: Iterator[int] = iter(digits)

        def random_bytes(size: int) -> bytes:
            digit = next(queue, None)
            return os.urandom(size) if digit is None else bytes([digit]) * size

        monkeypatch.setattr(naming, "_clock", lambda: FIXED_TIME)
        monkeypatch.setattr(naming, "_random_bytes", random_bytes)

    return script


def _head() -> str:
    """The four clock characters of a name made at :data:`FIXED_TIME`."""
    ticks = int(FIXED_TIME * 10) % (32**4)
    return "".join(naming.BASE32HEX[ticks >> shift & 31] for shift in (15, 10, 5, 0))


def test_a_taken_hash_name_is_replaced(
    admin: SiteClient, scripted_hashes: Callable[[list[int]], None]
) -> None:
    doctype = new_doctype(admin, "hash")
    scripted_hashes([0, 0, 1])
    first = created_name(admin, doctype, {"title": "first"})
    second = created_name(admin, doctype, {"title": "second"})  # draws the first's name, then another
    assert first == _head() + "000000"
    assert second == _head() + "111111"
    assert admin.get(f"/api/resource/{doctype}/{first}").json()["data"]["title"] == "first"
    assert admin.get(f"/api/resource/{doctype}/{second}").json()["data"]["title"] == "second"


def _hash_parent_with_rows(admin: SiteClient) -> str:
    """A new hash-named DocType with a ``rows`` table of a new hash-named child DocType."""
    child = new_doctype(admin, "hash", istable=1)
    parent = new_doctype(
        admin,
        "hash",
        fields=[
            {"fieldname": "title", "fieldtype": "Data", "label": "Title"},
            {"fieldname": "rows", "fieldtype": "Table", "label": "Rows", "options": child},
        ],
    )
    return parent


def test_child_rows_follow_the_parent_to_its_new_name(
    admin: SiteClient, scripted_hashes: Callable[[list[int]], None]
) -> None:
    parent = _hash_parent_with_rows(admin)
    scripted_hashes([0, 0, 2, 1])  # first parent; second parent (taken), its row, its new name
    created_name(admin, parent, {"title": "first"})
    second = created_name(admin, parent, {"title": "second", "rows": [{"title": "r"}]})
    assert second == _head() + "111111"
    rows = admin.get(f"/api/resource/{parent}/{second}").json()["data"]["rows"]
    assert [(r["title"], r["parent"]) for r in rows] == [("r", second)]


def test_a_taken_version_name_is_replaced(
    admin: SiteClient, site: Site, scripted_hashes: Callable[[list[int]], None]
) -> None:
    todo = created_name(admin, "ToDo", {"description": "versions collide"})
    scripted_hashes([3, 3, 4])
    for text in ("one", "two"):
        response = admin.put(f"/api/resource/ToDo/{todo}", json={"description": text})
        assert response.status_code == 200, response.text
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        table = site.tables.get(ctx.meta("Version"))
        names = set(ctx.conn.execute(select(table.c.name).where(table.c.docname == todo)).scalars())
    assert names == {_head() + "333333", _head() + "444444"}


def test_a_name_the_user_gave_is_never_replaced(
    admin: SiteClient, scripted_hashes: Callable[[list[int]], None]
) -> None:
    doctype = new_doctype(admin, "hash")
    scripted_hashes([5])
    taken = created_name(admin, doctype, {"title": "first"})
    response = create(admin, doctype, {"name": taken, "title": "second"}, version=2)
    assert response.status_code == 409, response.text
    prompt = new_doctype(admin, "Prompt")
    created_name(admin, prompt, {"name": "chosen", "title": "a"})
    again = create(admin, prompt, {"name": "chosen", "title": "b"})
    assert again.status_code == 409
    assert v1_error(again)[0] == "DuplicateEntryError"


def test_a_unique_value_clash_is_not_taken_for_a_name_clash(admin: SiteClient) -> None:
    doctype = new_doctype(
        admin, "hash", fields=[{"fieldname": "code", "fieldtype": "Data", "label": "Code", "unique": 1}]
    )
    created_name(admin, doctype, {"code": "A"})
    response = create(admin, doctype, {"code": "A"})
    assert response.status_code in (409, 417), response.text
    assert v1_error(response)[0] == "UniqueValidationError"


def test_secrets_of_the_document_holding_the_name_are_kept(
    admin: SiteClient, site: Site, scripted_hashes: Callable[[list[int]], None]
) -> None:
    doctype = new_doctype(
        admin, "hash", fields=[{"fieldname": "secret", "fieldtype": "Password", "label": "Secret"}]
    )
    scripted_hashes([6, 6, 7])
    first = created_name(admin, doctype, {"secret": "first secret"})
    second = created_name(admin, doctype, {"secret": "second secret"})
    assert second == _head() + "777777"
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        assert get_secret(ctx, doctype, first, "secret") == "first secret"
        assert get_secret(ctx, doctype, second, "secret") == "second secret"


def test_a_taken_child_row_name_is_replaced(
    admin: SiteClient, scripted_hashes: Callable[[list[int]], None]
) -> None:
    parent = _hash_parent_with_rows(admin)
    # first parent and its row; second parent, its two rows (the first draws the row name above)
    scripted_hashes([8, 9, 10, 9, 12, 11])
    first = created_name(admin, parent, {"title": "first", "rows": [{"title": "a"}]})
    second = created_name(admin, parent, {"title": "second", "rows": [{"title": "b"}, {"title": "c"}]})
    first_rows = admin.get(f"/api/resource/{parent}/{first}").json()["data"]["rows"]
    second_rows = admin.get(f"/api/resource/{parent}/{second}").json()["data"]["rows"]
    assert [(r["name"], r["title"], r["parent"]) for r in first_rows] == [(_head() + "999999", "a", first)]
    assert [(r["name"], r["title"], r["parent"]) for r in second_rows] == [
        (_head() + "bbbbbb", "b", second),
        (_head() + "cccccc", "c", second),
    ]
    # a row added on save likewise
    scripted_hashes([9, 13])
    saved = admin.put(f"/api/resource/{parent}/{second}", json={"rows": [*second_rows, {"title": "d"}]})
    assert saved.status_code == 200, saved.text
    assert [r["name"] for r in saved.json()["data"]["rows"]][-1] == _head() + "dddddd"
