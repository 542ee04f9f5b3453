"""A parent DocType with a child table, made at run time for the model's tests."""

from __future__ import annotations

import secrets
from typing import Any

from docframe.auth.users import User
from docframe.model import operations
from docframe.sites import Site

ALL_RIGHTS = {"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}


def parent_and_child(
    site: Site,
    prefix: str,
    fields: list[dict[str, Any]],
    rights: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[str, str]:
    """Create ``<prefix>Row<hex>`` (a child table: item Data, qty Int) and ``<prefix> Parent <hex>``
    with ``fields``, a ``rows`` table of that child, ``rights`` (System Manager's by default) and
    ``options``; returns (parent, child)."""
    suffix = secrets.token_hex(3)
    child, parent = f"{prefix}Row{suffix}", f"{prefix} Parent {suffix}"
    with site.unit_of_work(User.administrator()) as ctx:
        operations.create_document(
            ctx, "DocType",
            {"name": child, "custom": 1, "module": "Custom", "istable": 1,
             "fields": [{"fieldname": "item", "fieldtype": "Data"}, {"fieldname": "qty", "fieldtype": "Int"}]},
        )  # fmt: skip
        operations.create_document(
            ctx, "DocType",
            {"name": parent, "custom": 1, "module": "Custom", **options,
             "fields": [*fields, {"fieldname": "rows", "fieldtype": "Table", "options": child}],
             "permissions": [rights or ALL_RIGHTS]},
        )  # fmt: skip
    return parent, child
