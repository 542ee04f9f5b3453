"""List arguments parsed once per text (:func:`docframe.methods.params.list_args_v1` / ``_v2``): the
same arguments and the same errors as parsing every time, and a plan key only while it is true."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docframe import errors
from docframe.methods import params
from docframe.methods.params import list_args_v1, list_args_v2
from docframe.query.builder import ListArgs, keyed, paged

_TEXTS = {
    "fields": [
        '["name", "title"]',
        '["*"]',
        "name,title",
        "*",
        "",
        '["name"',
        "[1]",
        '{"items": ["x"]}',
        "[[[]]]",
    ],
    "filters": ['[["status", "=", "Open"]]', '{"status": "Open"}', '"x"', "3", "[", "[]", "", '[["a", "b"]]'],
    "or_filters": ['[["status", "=", "Open"]]', "{}", "nope", "7"],
    "order_by": ["modified desc", "", "title"],
    "group_by": ["status", ""],
    "distinct": ["1", "0", "true", "maybe"],
    "limit_start": ["0", "5", "-1", "x", "2.5", ""],
    "limit_page_length": ["0", "20", "x", ""],
    "limit": ["7", "0", "x"],
    "start": ["3", "x"],
}


@st.composite
def forms(draw: Any) -> dict[str, str]:
    keys = draw(st.sets(st.sampled_from(sorted(_TEXTS))))
    return {key: draw(st.sampled_from(_TEXTS[key])) for key in keys}


def _outcome(parse: Any, form: dict[str, Any]) -> Any:
    try:
        return parse("ToDo", form)
    except errors.FrappeError as exc:
        return type(exc), str(exc)


@given(forms())
def test_v1_arguments_equal_a_fresh_parse(form: dict[str, str]) -> None:
    first, second = _outcome(list_args_v1, form), _outcome(list_args_v1, form)
    assert first == second == _outcome(params._list_args_v1, form)


def _v2_fresh(doctype: str, form: dict[str, Any]) -> ListArgs:
    start = params.get_int(form, "start", None)
    if start is None:
        start = params.get_int(form, "limit_start", 0) or 0
    return params._list_args_v2(doctype, form, start, params.get_int(form, "limit", 20))


@given(forms())
def test_v2_arguments_equal_a_fresh_parse(form: dict[str, str]) -> None:
    first, second = _outcome(list_args_v2, form), _outcome(list_args_v2, form)
    assert first == second == _outcome(_v2_fresh, form)


def test_texts_carry_a_request_key_and_parsed_bodies_do_not() -> None:
    form = {"fields": '["name"]', "filters": '[["status", "=", "Open"]]', "limit_start": "40"}
    args = list_args_v1("ToDo", form)
    assert args.start == 40 and args.limit == 20
    assert args.request_key == (
        "v1",
        "ToDo",
        ('["name"]', '[["status", "=", "Open"]]', None, None, None, None),
    )
    assert list_args_v2("ToDo", form).request_key is not None
    assert list_args_v2("ToDo", form).request_key != args.request_key  # v2 parses the same texts its own way
    body = {"fields": ["name"], "filters": [["status", "=", "Open"]]}  # a JSON body: values, not texts
    assert list_args_v1("ToDo", body).request_key is None
    assert list_args_v1("ToDo", body) == dataclasses.replace(args, start=0)
    long = {"filters": json.dumps([["name", "like", "x" * 5000]])}
    assert list_args_v1("ToDo", long).request_key is None


def test_another_page_keeps_the_key_and_any_other_change_drops_it() -> None:
    args = keyed(ListArgs("ToDo", fields=("name",)), ("k",))
    page = paged(args, 60, 10)
    assert (page.start, page.limit, page.request_key) == (60, 10, ("k",))
    assert (args.start, args.limit) == (0, 20)
    assert page == dataclasses.replace(args, start=60, limit=10)
    changed = dataclasses.replace(page, order_by=None)
    assert changed.request_key is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.start = 3  # type: ignore[misc]
