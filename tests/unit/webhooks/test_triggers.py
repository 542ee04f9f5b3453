"""Which document events send which webhook, once per transaction, after the commit only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from docframe import errors
from docframe.model import lifecycle, persistence
from docframe.sites import Site
from docframe.users import User
from tests.api.rpc.helpers import doctype, user_client
from tests.conftest import SiteClient
from tests.unit.webhooks.conftest import Hooks, finished, log_rows, settled, wait_rows
from tests.unit.webhooks.receiver import Receiver


def _todo(client: SiteClient, description: str = "hello", **values: Any) -> dict[str, Any]:
    response = client.post("/api/v2/document/ToDo", json={"description": description, **values})
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def test_after_insert_posts_the_data_rows_as_json(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url + "/in", webhook_data=[{"fieldname": "name", "key": "id"},
                                                         {"fieldname": "description", "key": "text"}],
                      request_structure="Form URL-Encoded", webhook_headers=[{"key": "X-Custom", "value": "abc"}])  # fmt: skip
    todo = _todo(hook_admin, "first")
    (request,) = receiver.wait_for(1)
    assert request.method == "POST" and request.path == "/in"
    assert json.loads(request.body) == {"id": todo["name"], "text": "first"}
    assert request.body == json.dumps({"id": todo["name"], "text": "first"}).encode()
    assert request.headers["X-Custom"] == "abc"
    (row,) = wait_rows(hook_site, hook, finished())
    assert row["status"] == "Success" and row["attempts"] == 1 and row["response_status"] == 200
    assert row["reference_doctype"] == "ToDo" and row["reference_document"] == todo["name"]
    assert (
        row["response"] == '{"ok": true}'
        and row["user"] == "Administrator"
        and row["event"] == "after_insert"
    )


def test_json_template_with_dynamic_url_and_put(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url + "/todo/{{ doc.name }}", is_dynamic_url=1, request_method="PUT",
                      request_structure="JSON",
                      webhook_json='{"what": "{{ doc.description }}", "status": {{ doc.status | tojson }}, "n": {{ doc.description | length }}}')  # fmt: skip
    todo = _todo(hook_admin, "templated")
    (request,) = receiver.wait_for(1)
    assert request.method == "PUT" and request.path == f"/todo/{todo['name']}"
    assert json.loads(request.body) == {"what": "templated", "status": "Open", "n": 9}
    (row,) = wait_rows(hook_site, hook, finished())  # the job built the request and logged it
    assert row["url"] == f"{receiver.url}/todo/{todo['name']}" and row["request_method"] == "PUT"
    assert row["data"] == request.body.decode() and row["headers"] is None


def test_the_outbox_row_holds_what_the_document_gave_and_no_secret(
    hook_site: Site, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url, enable_security=1, webhook_secret="outbox-secret",
                      webhook_headers=[{"key": "Authorization", "value": "Bearer outbox-token"},
                                       {"key": "X-Plain", "value": "p"}],
                      webhook_data=[{"fieldname": "description", "key": "d"}])  # fmt: skip
    written: list[dict[str, Any]] = []
    with hook_site.unit_of_work(User.administrator()) as ctx:
        doc = lifecycle.insert(
            ctx, persistence.new_document(ctx, ctx.meta("ToDo"), {"description": "captured"})
        )
        table = hook_site.tables.get(ctx.meta("Webhook Outbox"))
        ctx.before_commit.append(  # runs after the outbox was written, in the same transaction
            lambda: written.extend(dict(r) for r in ctx.conn.execute(table.select()).mappings())
        )
    (row,) = [r for r in written if hook in r["payload"]]
    assert row["deliveries"] == 1 and row["queue"] == "default"
    payload = json.loads(row["payload"])
    assert payload["user"] == "Administrator"
    assert payload["hooks"][hook]["headers"] == {"Authorization": "***", "X-Plain": "p"}
    assert payload["items"] == [[hook, "ToDo", doc.name, "after_insert", {"d": "captured"}, None, None]]
    assert "outbox-secret" not in row["payload"] and "outbox-token" not in row["payload"]
    (request,) = receiver.wait_for(1)
    assert request.headers["Authorization"] == "Bearer outbox-token" and request.headers["X-Plain"] == "p"
    assert json.loads(request.body) == {"d": "captured"}
    (log,) = wait_rows(hook_site, hook, finished())
    assert log["url"] == receiver.url and log["data"] == '{"d": "captured"}'
    assert json.loads(log["headers"]) == {"Authorization": "***", "X-Plain": "p"}


@pytest.mark.parametrize("event", ["on_update", "on_change", "on_trash"])
def test_update_change_and_trash_events(
    event: str, hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(
        receiver.url, webhook_docevent=event, webhook_data=[{"fieldname": "description", "key": "d"}]
    )
    todo = _todo(hook_admin, "v1")
    calls = 1 if event in ("on_update", "on_change") else 0  # an insert also runs on_update / on_change
    if calls:
        receiver.wait_for(1)
    if event == "on_trash":
        assert hook_admin.delete(f"/api/v2/document/ToDo/{todo['name']}").status_code in (200, 202)
    else:
        assert (
            hook_admin.put(f"/api/v2/document/ToDo/{todo['name']}", json={"description": "v2"}).status_code
            == 200
        )
    requests = receiver.wait_for(calls + 1)
    assert json.loads(requests[-1].body) == {"d": "v1" if event == "on_trash" else "v2"}
    rows = wait_rows(hook_site, hook, finished(calls + 1))
    assert [r["event"] for r in rows] == [event] * (calls + 1)


def test_submit_cancel_and_update_after_submit(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    dt = doctype(
        hook_admin,
        "WH Sub",
        [{"fieldname": "title", "fieldtype": "Data", "allow_on_submit": 1}],
        is_submittable=1,
    )
    names = {event: hooks.make(receiver.url + "/" + event, webhook_doctype=dt, webhook_docevent=event,
                               webhook_data=[{"fieldname": "docstatus", "key": "ds"}])
             for event in ("on_submit", "on_update_after_submit", "on_cancel")}  # fmt: skip
    created = hook_admin.post(f"/api/v2/document/{dt}", json={"title": "a"}).json()["data"]
    url = f"/api/v2/document/{dt}/{created['name']}"
    assert hook_admin.post(url + "/method/submit").status_code == 200
    assert hook_admin.put(url, json={"title": "b"}).status_code == 200
    assert hook_admin.post(url + "/method/cancel").status_code == 200
    received = receiver.wait_for(3)
    assert sorted((r.path, json.loads(r.body)["ds"]) for r in received) == [
        ("/on_cancel", 2),
        ("/on_submit", 1),
        ("/on_update_after_submit", 1),
    ]
    for name in names.values():
        wait_rows(hook_site, name, finished())


def test_submit_events_need_a_submittable_doctype(
    hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    response = hook_admin.post(
        "/api/v2/document/Webhook",
        json={
            "name": "not-submittable",
            "webhook_doctype": "ToDo",
            "webhook_docevent": "on_submit",
            "request_url": receiver.url,
        },
    )
    assert response.status_code == 417
    assert "DocType must be Submittable for the selected Doc Event" in response.text


def test_condition_selects_documents(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(
        receiver.url,
        condition='doc.priority == "High" and "x" in doc.description',
        webhook_data=[{"fieldname": "description", "key": "d"}],
    )
    _todo(hook_admin, "x low", priority="Low")
    _todo(hook_admin, "x high", priority="High")
    _todo(hook_admin, "no match", priority="High")
    (request,) = receiver.wait_for(1)
    assert json.loads(request.body) == {"d": "x high"}
    assert len(wait_rows(hook_site, hook, finished())) == 1


def test_a_failing_condition_skips_the_webhook_not_the_write(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url, condition="doc.description > 3")  # str > int raises at run time
    todo = _todo(hook_admin, "still saved")
    assert hook_admin.get(f"/api/v2/document/ToDo/{todo['name']}").status_code == 200
    assert log_rows(hook_site, hook) == [] and receiver.requests == []


@pytest.mark.parametrize(
    "condition", ["doc.__class__", "__import__('os')", "open('/etc/passwd')", "doc.x ==", "lambda: 1"]
)
def test_unsafe_or_invalid_conditions_are_refused(
    condition: str, hook_admin: SiteClient, receiver: Receiver
) -> None:
    response = hook_admin.post(
        "/api/v2/document/Webhook",
        json={
            "name": "bad-condition",
            "webhook_doctype": "ToDo",
            "webhook_docevent": "after_insert",
            "request_url": receiver.url,
            "condition": condition,
        },
    )
    assert response.status_code == 417 and "Invalid Condition" in response.text


def test_one_delivery_per_document_per_transaction_with_the_last_state(
    hook_site: Site, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(
        receiver.url, webhook_docevent="on_update", webhook_data=[{"fieldname": "description", "key": "d"}]
    )
    with hook_site.unit_of_work(User.administrator()) as ctx:
        meta = ctx.meta("ToDo")
        doc = lifecycle.insert(ctx, persistence.new_document(ctx, meta, {"description": "one"}))
        for text in ("two", "three"):
            doc.set("description", text)
            lifecycle.save(ctx, doc)
        other = lifecycle.insert(ctx, persistence.new_document(ctx, meta, {"description": "other"}))
    receiver.wait_for(2)
    rows = wait_rows(hook_site, hook, finished(2))
    assert len(rows) == 2
    assert sorted(json.loads(r.body)["d"] for r in receiver.requests) == ["other", "three"]
    assert {r["reference_document"] for r in rows} == {doc.name, other.name}


def test_a_rolled_back_transaction_sends_nothing(hook_site: Site, hooks: Hooks, receiver: Receiver) -> None:
    hook = hooks.make(receiver.url)
    with pytest.raises(errors.ValidationError), hook_site.unit_of_work(User.administrator()) as ctx:
        lifecycle.insert(ctx, persistence.new_document(ctx, ctx.meta("ToDo"), {"description": "gone"}))
        raise errors.ValidationError("changed my mind")
    with hook_site.unit_of_work(User.administrator()) as ctx:
        lifecycle.insert(ctx, persistence.new_document(ctx, ctx.meta("ToDo"), {"description": "kept"}))
    receiver.wait_for(1)
    rows = wait_rows(hook_site, hook, settled)
    assert len(rows) == 1 and len(receiver.requests) == 1


def test_disabled_and_deleted_webhooks_stop_sending(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url)
    assert hook_admin.put(f"/api/v2/document/Webhook/{hook}", json={"enabled": 0}).status_code == 200
    _todo(hook_admin, "not sent")
    assert log_rows(hook_site, hook) == [] and receiver.requests == []


def test_only_system_managers_manage_webhooks_and_read_logs(
    hook_admin: SiteClient, receiver: Receiver
) -> None:
    hook_admin.post("/api/resource/Role", json={"role_name": "WH Clerk", "desk_access": 1})
    _, client = user_client(hook_admin, ["WH Clerk"])
    response = client.post(
        "/api/v2/document/Webhook",
        json={
            "name": "by-a-user",
            "webhook_doctype": "ToDo",
            "webhook_docevent": "after_insert",
            "request_url": receiver.url,
        },
    )
    assert response.status_code == 403
    assert client.get("/api/v2/document/Webhook Request Log").status_code == 403
    assert client.get("/api/v2/document/Webhook").status_code == 403
