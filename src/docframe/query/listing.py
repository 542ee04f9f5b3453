"""Listing: the list and count services every API surface calls (v1, v2, ``frappe.client``).

:func:`run_list` plans and runs the main query (:mod:`.builder`), then attaches child rows and
expands Link fields (:mod:`.expand`). :func:`run_count` and :func:`run_count_capped` count with the
same filters and permission clauses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe.query.builder import ListArgs, plan_list, run_count_rows, run_rows
from docframe.query.expand import attach_children, expand_links, link_fields_to_expand

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["COUNT_CAP", "ListArgs", "run_count", "run_count_capped", "run_list"]

#: The cap of v2's ``include=count`` (Frappe: 1000).
COUNT_CAP = 1000


def run_list(
    ctx: Context, args: ListArgs, *, as_dict: bool = True, expand: Any = None, json_ready: bool = False
) -> list[Any]:
    """Rows of a list request: dicts (or lists when ``as_dict`` is false), with child rows and
    expanded Link fields when asked for.

    ``json_ready``: the rows only go to the JSON encoder (a response body), so dates and datetimes
    may come as the text they encode to (see :func:`~docframe.query.builder.run_rows`).
    """
    plan = plan_list(ctx, args)
    rows = run_rows(ctx, plan, as_dict=as_dict, json_ready=json_ready)
    if plan.children and rows:
        attach_children(ctx, plan, rows, as_dict=as_dict)
    if as_dict and rows:
        wanted = link_fields_to_expand(plan.meta, expand, args.fields)
        if wanted:
            expand_links(ctx, plan.meta, rows, wanted)
    return rows


def run_count(ctx: Context, args: ListArgs) -> int:
    """The exact number of rows a list request would return without paging."""
    return run_count_rows(ctx, args)


def run_count_capped(ctx: Context, args: ListArgs, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Count at most ``cap`` rows: ``(count, capped)``, ``capped`` meaning there are more."""
    found = run_count_rows(ctx, args, cap + 1)
    return min(found, cap), found > cap
