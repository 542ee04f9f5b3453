"""The fields each framework check of a save looks at, derived once per Meta."""

from __future__ import annotations

from docframe.meta.loader import load_meta
from docframe.meta.schema import Meta


def _meta() -> Meta:
    return load_meta(
        {
            "name": "Groups",
            "fields": [
                {"fieldname": "title", "fieldtype": "Data", "reqd": 1, "set_only_once": 1},
                {"fieldname": "email", "fieldtype": "Data", "options": " Email "},
                {"fieldname": "status", "fieldtype": "Select", "options": "Open\nClosed"},
                {"fieldname": "empty_select", "fieldtype": "Select", "options": ""},
                {"fieldname": "naming_series", "fieldtype": "Select", "options": "A-.###"},
                {"fieldname": "qty", "fieldtype": "Int", "non_negative": 1},
                {"fieldname": "rate", "fieldtype": "Currency"},
                {"fieldname": "stars", "fieldtype": "Rating", "non_negative": 1},
                {"fieldname": "notes", "fieldtype": "Text Editor"},
                {"fieldname": "script", "fieldtype": "Code"},
                {"fieldname": "raw_html", "fieldtype": "Small Text", "ignore_xss_filter": 1},
                {"fieldname": "secret", "fieldtype": "Password"},
                {"fieldname": "section", "fieldtype": "Section Break"},
                {"fieldname": "items", "fieldtype": "Table", "options": "Groups Item", "reqd": 1},
            ],
        }
    )


def names(fields: tuple[object, ...]) -> list[str]:
    return [getattr(f, "fieldname") for f in fields]  # noqa: B009


def test_each_check_gets_only_its_fields() -> None:
    meta = _meta()
    assert names(meta.mandatory_fields) == ["title", "items"]
    assert names(meta.select_fields) == ["status"]
    assert [(f.fieldname, option) for f, option in meta.data_option_fields] == [("email", "Email")]
    assert names(meta.non_negative_fields) == ["qty"]
    assert names(meta.sized_fields) == [
        "title",
        "email",
        "status",
        "empty_select",
        "naming_series",
        "qty",
        "rate",
    ]
    assert names(meta.set_only_once_fields) == ["title"]
    assert names(meta.password_fields) == ["secret"]


def test_html_is_checked_except_where_frappe_skips_it() -> None:
    meta = _meta()
    assert names(meta.html_checked_fields) == [
        "title", "status", "empty_select", "naming_series", "qty", "rate", "stars", "notes",
    ]  # fmt: skip


def test_a_version_records_every_data_field_but_passwords() -> None:
    meta = _meta()
    assert "secret" not in meta.versioned_columns
    assert "section" not in meta.versioned_columns and "items" not in meta.versioned_columns
    assert meta.versioned_columns == tuple(f.fieldname for f in meta.data_fields if f.fieldname != "secret")


def test_groups_are_computed_once_per_meta() -> None:
    meta = _meta()
    assert meta.sized_fields is meta.sized_fields
