"""Form dict: Frappe's precedence rules for query string, form fields and JSON bodies."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docframe import errors
from docframe.http.forms import form_from_parts, is_json_content, parse_query
from docframe.methods.params import get_int, get_json, sbool


def test_json_object_body_replaces_the_query_string() -> None:
    form = form_from_parts(b"a=1&b=2", "application/json", b'{"b": 3, "c": [1]}', None)
    assert form == {"b": 3, "c": [1]}


def test_json_array_body_becomes_data() -> None:
    assert form_from_parts(b"a=1", "application/json", b"[1, 2]", None) == {"data": [1, 2]}


@pytest.mark.parametrize("body", [b'"text"', b"12", b"true", b"null", b"1.5"])
def test_json_scalar_body_is_invalid_request_arguments(body: bytes) -> None:
    with pytest.raises(errors.ValidationError, match="Invalid request arguments"):
        form_from_parts(b"", "application/json", body, None)


@pytest.mark.parametrize("body", [b"{", b"{'a': 1}", b"[1,", b"\xff\xfe", b'{"a": NaN}'])
def test_malformed_json_is_a_data_error(body: bytes) -> None:
    with pytest.raises(errors.DataError, match="Invalid request body"):
        form_from_parts(b"", "application/json; charset=utf-8", body, None)


def test_plus_json_media_types_are_json() -> None:
    assert is_json_content("application/vnd.api+json")
    assert is_json_content("Application/JSON; charset=utf-8")
    assert not is_json_content("text/plain")
    assert not is_json_content("")


def test_query_and_form_merge_form_wins_first_repeated_value_wins() -> None:
    form = form_from_parts(b"a=q&b=q1&b=q2&c=", "application/x-www-form-urlencoded", b"x", {"a": "f"})
    assert form == {"a": "f", "b": "q1", "c": ""}


def test_cache_buster_is_dropped_from_every_source() -> None:
    assert form_from_parts(b"_=123&a=1", "", b"", None) == {"a": "1"}
    assert form_from_parts(b"", "application/json", b'{"_": 1, "a": 2}', None) == {"a": 2}
    assert form_from_parts(b"", "multipart/form-data", b"x", {"_": "1", "b": "2"}) == {"b": "2"}


def test_empty_json_body_falls_back_to_the_query_string() -> None:
    assert form_from_parts(b"a=1", "application/json", b"", None) == {"a": "1"}


def test_percent_encoded_unicode_query_values() -> None:
    form = form_from_parts(b"name=%C3%A9t%C3%A9+x", "", b"", None)
    assert form == {"name": "été x"}


def test_sbool() -> None:
    assert sbool("TRUE") is True and sbool(" 1 ") is True
    assert sbool("false") is False and sbool("0") is False
    assert sbool("yes") == "yes" and sbool(5) == 5 and sbool(None) is None


def test_get_int_reads_numbers_and_refuses_junk() -> None:
    form = {"a": "3.7", "b": 5, "c": "", "d": "abc", "e": True, "f": "-1", "g": "1e400"}
    assert get_int(form, "a") == 3 and get_int(form, "b") == 5
    assert get_int(form, "c", 20) == 20 and get_int(form, "missing", 7) == 7
    for key in ("d", "e", "f", "g"):
        with pytest.raises(errors.DataError, match=f"Parameter {key}"):
            get_int(form, key)


def test_get_json_decodes_json_strings_only() -> None:
    form = {"a": '["x"]', "b": {"k": 1}, "c": "plain", "d": "[oops", "e": "null", "f": ""}
    assert get_json(form, "a") == ["x"] and get_json(form, "b") == {"k": 1}
    assert get_json(form, "c") == "plain" and get_json(form, "e") is None
    assert get_json(form, "f", "dflt") == "dflt"
    with pytest.raises(errors.DataError, match="Parameter d is not valid JSON"):
        get_json(form, "d")


def _stdlib(query: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        out.setdefault(key, value)
    return out


@pytest.mark.parametrize(
    "query",
    ["", "&", "a", "a=", "=b", "a=b&a=c", "a+b=c+d", "a%20b=%zz", "x=%E2%82", "k=%C3\u00e9", "a==b",
     "&&a=1&&", "a=1;b=2", "fields=%5B%22name%22%5D&filters=%5B%5B%22status%22%2C%22%3D%22%2C%22Open%22%5D%5D"],
)  # fmt: skip
def test_query_strings_parse_as_the_standard_library_parses_them(query: str) -> None:
    assert parse_query(query) == _stdlib(query)


@given(st.text(alphabet="ab=&%+;2CFf0\u00e9\u20ac xZ", max_size=30))
def test_any_query_string_parses_as_the_standard_library_parses_it(query: str) -> None:
    assert parse_query(query) == _stdlib(query)
    assert parse_query(query) == _stdlib(query)  # the remembered decodings give the same answer


def test_the_first_of_a_repeated_parameter_wins() -> None:
    assert form_from_parts(b"limit=5&limit=7&_=123", "", b"", None) == {"limit": "5"}
