"""Envelopes: value encoding and the v1/v2 success and error bodies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from docframe import errors
from docframe.errors import Message
from docframe.http.envelopes import Reply, dumps, error_body, success_body


def _load(value: object) -> object:
    return json.loads(dumps(value))


def test_datetimes_use_a_space_and_drop_zero_microseconds() -> None:
    assert _load(datetime(2024, 5, 1, 13, 45, 10, 123456)) == "2024-05-01 13:45:10.123456"
    assert _load(datetime(2024, 5, 1, 13, 45, 10)) == "2024-05-01 13:45:10"
    assert _load(date(2024, 5, 1)) == "2024-05-01"
    assert _load(time(9, 5, 3)) == "09:05:03"
    assert _load(time(9, 5, 3, 500)) == "09:05:03.000500"


class _Stamp(datetime):
    def __str__(self) -> str:
        return "stamp"


def test_aware_and_subclassed_datetimes_are_sent_as_str_gives_them() -> None:
    aware = datetime(2024, 5, 1, 13, 45, 10, 5, tzinfo=timezone(timedelta(hours=2)))
    assert _load(aware) == str(aware) == "2024-05-01 13:45:10.000005+02:00"
    assert _load(time(9, 5, tzinfo=UTC)) == "09:05:00+00:00"
    assert _load(_Stamp(2024, 5, 1)) == "stamp"


def test_durations_decimals_sets_and_bytes() -> None:
    assert _load(timedelta(hours=27)) == "27:00:00"
    assert _load(timedelta(hours=9, minutes=5, seconds=3)) == "9:05:03"
    assert _load(timedelta(seconds=1, microseconds=5)) == "0:00:01.000005"
    assert _load(Decimal("2.50")) == 2.5
    assert _load(frozenset({1})) == [1]
    assert _load(b"ab") == [97, 98]
    assert _load({1: "x"}) == {"1": "x"}


def test_unicode_is_sent_as_utf8() -> None:
    assert dumps({"a": "été"}) == '{"a":"été"}'.encode()


def test_v1_resource_and_rpc_keys() -> None:
    assert success_body(1, Reply([1]), [], rpc=False) == {"data": [1]}
    assert success_body(1, Reply("pong"), [], rpc=True) == {"message": "pong"}
    assert success_body(2, Reply("pong"), [], rpc=True) == {"data": "pong"}


def test_none_result_has_no_key_but_falsy_values_do() -> None:
    assert success_body(1, Reply(None), [], rpc=True) == {}
    assert success_body(2, Reply(None), [], rpc=False) == {}
    for falsy in ("", 0, False, [], {}):
        assert success_body(1, Reply(falsy), [], rpc=True) == {"message": falsy}


def test_v1_server_messages_are_double_encoded() -> None:
    body = success_body(1, Reply("x"), [Message("hi", title="T", indicator="blue")], rpc=True)
    outer = json.loads(body["_server_messages"])
    assert isinstance(outer, list) and isinstance(outer[0], str)
    assert json.loads(outer[0]) == {"message": "hi", "title": "T", "indicator": "blue"}


def test_v2_messages_are_a_real_array() -> None:
    body = success_body(2, Reply("x"), [Message("hi")], rpc=False)
    assert body == {"data": "x", "messages": [{"message": "hi", "title": "Message"}]}


def test_v1_error_body_without_traceback() -> None:
    exc = errors.LinkExistsError("linked", title="Cannot delete")
    body = error_body(1, exc, [], traceback_text=None)
    assert set(body) == {"exc_type", "_server_messages"}
    assert body["exc_type"] == "LinkExistsError"
    message = json.loads(json.loads(body["_server_messages"])[0])
    assert message == {
        "message": "linked",
        "title": "Cannot delete",
        "indicator": "red",
        "raise_exception": 1,
    }


def test_v1_error_body_with_traceback() -> None:
    body = error_body(1, errors.ValidationError("bad value"), [], traceback_text="Traceback ...")
    assert body["exception"] == "frappe.exceptions.ValidationError: bad value"
    assert json.loads(body["exc"]) == ["Traceback ..."]


def test_v1_error_without_message_has_only_the_type() -> None:
    assert error_body(1, errors.DoesNotExistError(), [], traceback_text=None) == {
        "exc_type": "DoesNotExistError"
    }


def test_v2_error_merges_its_message_and_keeps_others() -> None:
    exc = errors.ValidationError("bad", title="Oops")
    body = error_body(2, exc, [Message("earlier")], traceback_text=None)
    assert body["errors"] == [
        {"type": "ValidationError", "message": "bad", "title": "Oops", "indicator": "red"}
    ]
    assert body["messages"] == [{"message": "earlier", "title": "Message"}]


def test_v2_error_without_message_and_plain_exceptions() -> None:
    assert error_body(2, errors.DoesNotExistError(), [], traceback_text=None) == {
        "errors": [{"type": "DoesNotExistError"}]
    }
    body = error_body(2, KeyError("x"), [], traceback_text="tb")
    assert body == {"errors": [{"type": "KeyError", "exception": "tb"}]}
