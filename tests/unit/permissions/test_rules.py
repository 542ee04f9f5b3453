"""Role rules over Meta and User: owner rules, levels, bypass, and refusal without a context.

Every check takes a request context (here a read-only unit of work on the SQLite site for the user
being judged); a check called without one refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from docframe import errors
from docframe.meta.loader import load_meta
from docframe.meta.schema import Meta
from docframe.model.document import Document
from docframe.permissions.fields import LevelAccess, high_fields, level_access
from docframe.permissions.rules import RoleRights, check_permission, doc_rights, parent_of, role_rights
from docframe.permissions.rules import has_permission as _has_permission
from docframe.sites import Site
from docframe.users import User, effective_roles

SITE: list[Site] = []


@pytest.fixture(autouse=True)
def _site(sqlite_site: Site) -> Iterator[None]:
    SITE.append(sqlite_site)
    yield
    SITE.pop()


@contextmanager
def as_user(who: User) -> Iterator[Any]:
    with SITE[-1].unit_of_work(who, write=False) as ctx:
        yield ctx


def has_permission(who: User, meta: Meta, ptype: str = "read", target: Any = None) -> bool:
    """:func:`~docframe.permissions.rules.has_permission` in a context of ``who``."""
    with as_user(who) as ctx:
        return _has_permission(ctx, meta, ptype, target)


def rights_of(meta: Meta, who: User) -> RoleRights:
    with as_user(who) as ctx:
        return role_rights(ctx, meta, who)


def meta_with(perms: list[dict[str, Any]], **options: Any) -> Meta:
    return load_meta({
        "name": "Rule Doc", "fields": [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "secret", "fieldtype": "Data", "permlevel": 1},
            {"fieldname": "note", "fieldtype": "Data", "permlevel": 2},
            {"fieldname": "section", "fieldtype": "Section Break", "permlevel": 1},
        ],
        "permissions": perms, **options,
    })  # fmt: skip


def user(*roles: str) -> User:
    return User("u@example.com", effective_roles(roles, "System User"))


def doc(meta: Meta, owner: str) -> Document:
    return Document(meta, {"name": "D-1", "owner": owner})


def test_plain_rules_grant_their_rights() -> None:
    meta = meta_with([{"role": "Clerk", "read": 1, "write": 1}, {"role": "Boss", "delete": 1, "read": 1}])
    clerk = user("Clerk")
    assert has_permission(clerk, meta, "read") and has_permission(clerk, meta, "write")
    assert not has_permission(clerk, meta, "delete") and not has_permission(clerk, meta, "create")
    assert has_permission(clerk, meta, "select")  # read implies select
    assert has_permission(clerk, meta, "write", doc(meta, "someone-else"))
    assert not has_permission(user("Stranger"), meta, "read")


def test_owner_only_rules() -> None:
    meta = meta_with([{"role": "Own", "if_owner": 1, "read": 1, "write": 1, "create": 1, "delete": 1}])
    me = user("Own")
    rights = rights_of(meta, me)
    assert rights == RoleRights(frozenset({"create"}), frozenset({"read", "write", "delete"}))
    assert rights.owner_constraint and rights.doctype_level == {"create", "read"}
    assert has_permission(me, meta, "read") and has_permission(me, meta, "create")
    assert not has_permission(me, meta, "write")  # without a document, write is owner-only
    assert has_permission(me, meta, "delete", doc(meta, "U@EXAMPLE.com"))  # owner compare ignores case
    assert not has_permission(me, meta, "read", doc(meta, "other@example.com"))


def test_a_plain_rule_beats_an_owner_rule_for_the_same_right() -> None:
    meta = meta_with([
        {"role": "Own", "if_owner": 1, "read": 1, "write": 1},
        {"role": "Reader", "read": 1},
    ])  # fmt: skip
    both = user("Own", "Reader")
    rights = rights_of(meta, both)
    assert rights.full == {"read"} and rights.owner_only == {"write"} and not rights.owner_constraint
    assert has_permission(both, meta, "read", doc(meta, "x"))
    assert not has_permission(both, meta, "write", doc(meta, "x"))


def test_levels_above_zero_do_not_grant_document_rights() -> None:
    meta = meta_with([{"role": "Clerk", "permlevel": 1, "read": 1, "write": 1}])
    assert not has_permission(user("Clerk"), meta, "read")
    with as_user(user("Clerk")) as ctx:
        assert level_access(ctx, meta, ctx.user) == LevelAccess(frozenset({1}), frozenset({1}))


def test_submit_and_import_only_where_the_doctype_allows() -> None:
    perms = [{"role": "Clerk", "read": 1, "write": 1, "submit": 1, "import": 1, "create": 1}]
    plain, submittable = meta_with(perms), meta_with(perms, is_submittable=1, allow_import=1)
    clerk = user("Clerk")
    assert not has_permission(clerk, plain, "submit") and not has_permission(clerk, plain, "import")
    assert not has_permission(clerk, plain, "submit", doc(plain, "x"))
    assert has_permission(clerk, submittable, "submit") and has_permission(clerk, submittable, "import")


def test_only_the_administrator_bypasses() -> None:
    meta = meta_with([{"role": "Clerk", "read": 1}])
    assert has_permission(User.administrator(), meta, "delete")
    manager = user("System Manager")
    assert not has_permission(manager, meta, "read")
    with as_user(manager) as ctx, pytest.raises(errors.PermissionError) as raised:
        check_permission(ctx, meta, "read", doc(meta, "x"))
    assert raised.value.messages[0].message == "No permission for Rule Doc D-1"
    with as_user(manager) as ctx, pytest.raises(errors.PermissionError) as raised:
        check_permission(ctx, meta, "write", doc(meta, "x"))
    assert "You need the 'write' permission on Rule Doc D-1" in raised.value.messages[0].message
    assert not has_permission(User.guest(), meta, "read")


def test_role_rights_are_cached_per_role_set() -> None:
    meta = meta_with([{"role": "Clerk", "read": 1}])
    first = rights_of(meta, user("Clerk"))
    assert rights_of(meta, User("other@example.com", user("Clerk").roles)) is first
    assert rights_of(meta, user("Clerk", "Extra")) is not first


def test_high_fields_skip_layout_fields() -> None:
    meta = meta_with([])
    assert [f.fieldname for f in high_fields(meta)] == ["secret", "note"]
    assert high_fields(meta) is high_fields(meta)


def test_effective_roles() -> None:
    assert effective_roles(["Clerk", "All", "Administrator", "Guest", ""], "System User") == {
        "Clerk", "All", "Guest", "Desk User",
    }  # fmt: skip
    assert effective_roles(["Clerk"], "Website User") == {"Clerk", "All", "Guest"}
    assert "Desk User" in User.administrator().roles and User.guest().roles == {"Guest"}


def test_a_check_without_a_context_refuses() -> None:
    """No ambient fallback: without a context nothing is granted, not even to the Administrator."""
    meta = meta_with([{"role": "Clerk", "read": 1, "write": 1}])
    admin, clerk = User.administrator(), user("Clerk")
    for missing in (None, clerk, admin, object()):
        assert not _has_permission(missing, meta, "read")  # type: ignore[arg-type]
        assert not _has_permission(missing, meta, "read", doc(meta, "u@example.com"))  # type: ignore[arg-type]
        assert doc_rights(missing, meta, doc(meta, "u@example.com"), clerk) == frozenset()  # type: ignore[arg-type]
        with pytest.raises(errors.PermissionError):
            check_permission(missing, meta, "read")  # type: ignore[arg-type]
    assert has_permission(clerk, meta, "read") and has_permission(admin, meta, "delete")


def test_a_child_row_without_its_parent_is_judged_through_the_parent_the_model_loads() -> None:
    row = {"parenttype": "User", "parentfield": "roles", "parent": "Administrator"}
    with as_user(User.administrator()) as ctx:
        found = parent_of(ctx, ctx.meta("Has Role"), row)
        missing = parent_of(ctx, ctx.meta("Has Role"), {**row, "parent": "nobody@example.com"})
    assert found is not None
    parent_meta, parent = found
    assert parent_meta.name == "User"
    assert isinstance(parent, Document)
    assert parent.name == "Administrator"
    assert missing is None
