"""Column names of import files: labels, fieldnames, child tables, ignored and unknown columns."""

from __future__ import annotations

import pytest

from docframe.dataio.columns import Column, ColumnResolver, UnknownColumnsError
from docframe.dataio.importer import resolver_for
from docframe.sites import Site


@pytest.fixture(scope="module")
def users(sqlite_site: Site) -> ColumnResolver:
    return resolver_for(sqlite_site, "User")


def test_labels_fieldnames_and_ids(users: ColumnResolver) -> None:
    assert users.resolve("First Name") == Column("first_name")
    assert users.resolve("first name") == Column("first_name")  # labels ignore case after an exact miss
    assert users.resolve("first_name") == Column("first_name")
    assert users.resolve("ID") == Column("name") and users.resolve("name") == Column("name")
    assert users.resolve("owner") is None and users.resolve("docstatus") is None


def test_child_table_columns(users: ColumnResolver) -> None:
    assert users.resolve("Role (Roles Assigned)") == Column("role", "roles")
    assert users.resolve("role (roles)") == Column("role", "roles")
    assert users.resolve("roles.role") == Column("role", "roles")
    assert users.resolve("ID (Roles Assigned)") == Column("name", "roles")
    assert users.resolve("idx (roles)") is None


def test_unknown_columns_are_all_named(users: ColumnResolver) -> None:
    with pytest.raises(UnknownColumnsError) as raised:
        users.resolve_all(["Email", "Shoe Size", "Role (Nope)"])
    message = raised.value.messages[0].message
    assert "'Shoe Size'" in message and "'Role (Nope)'" in message and "'Email'" not in message


def test_export_headers_round_trip(users: ColumnResolver) -> None:
    for column in (Column("first_name"), Column("role", "roles"), Column("name")):
        for labels in (True, False):
            assert users.resolve(users.header(column, labels=labels)) == column


def test_child_tables_and_singles_cannot_be_imported(sqlite_site: Site) -> None:
    from docframe import errors

    with pytest.raises(errors.ValidationError, match="child table"):
        resolver_for(sqlite_site, "Has Role")
    with pytest.raises(errors.ValidationError, match="Single"):
        resolver_for(sqlite_site, "System Settings")
