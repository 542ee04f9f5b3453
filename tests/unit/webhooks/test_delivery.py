"""Sending deliveries: signature, secrets kept out of logs, retries, Exhausted, replay, bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
from typing import Any

import pytest

from docframe.sites import Site
from tests.api.rpc.helpers import user_client
from tests.conftest import SiteClient
from tests.unit.webhooks.conftest import Hooks, finished, log_rows, settled, wait_rows
from tests.unit.webhooks.receiver import Receiver

SECRET = "s3cr3t-webhook-key"
BEARER = "Bearer very-private-token"


def _todo(client: SiteClient, description: str = "hello") -> str:
    response = client.post("/api/v2/document/ToDo", json={"description": description})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["name"])


def test_signature_is_hmac_sha256_of_the_exact_body_and_secrets_stay_out_of_logs(
    hook_site: Site,
    hook_admin: SiteClient,
    hooks: Hooks,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = hooks.make(receiver.url, enable_security=1, webhook_secret=SECRET,
                      webhook_headers=[{"key": "Authorization", "value": BEARER},
                                       {"key": "Content-Type", "value": "application/json"}],
                      webhook_data=[{"fieldname": "description", "key": "d"}])  # fmt: skip
    _todo(hook_admin, "sign me — ünïcode")
    (request,) = receiver.wait_for(1)
    expected = base64.b64encode(hmac.new(SECRET.encode(), request.body, hashlib.sha256).digest()).decode()
    assert request.headers["X-Frappe-Webhook-Signature"] == expected
    assert (
        request.headers["Authorization"] == BEARER and request.headers["Content-Type"] == "application/json"
    )
    assert json.loads(request.body) == {"d": "sign me — ünïcode"}
    (row,) = wait_rows(hook_site, hook, finished())
    assert json.loads(row["headers"]) == {"Authorization": "***", "Content-Type": "application/json"}
    stored = json.dumps(log_rows(hook_site, hook), default=str)
    assert SECRET not in stored and "very-private-token" not in stored
    assert SECRET not in hook_admin.get(f"/api/v2/document/Webhook/{hook}").text  # a Password field
    assert not any(SECRET in r.getMessage() or "very-private-token" in r.getMessage() for r in caplog.records)


def test_security_needs_a_secret(hook_admin: SiteClient, receiver: Receiver) -> None:
    response = hook_admin.post(
        "/api/v2/document/Webhook",
        json={
            "name": "no-secret",
            "webhook_doctype": "ToDo",
            "webhook_docevent": "after_insert",
            "request_url": receiver.url,
            "enable_security": 1,
        },
    )
    assert response.status_code == 417 and "Invalid Webhook Secret" in response.text


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/x", "/relative"])
def test_request_url_is_checked(url: str, hook_admin: SiteClient) -> None:
    response = hook_admin.post(
        "/api/v2/document/Webhook",
        json={
            "name": "bad-url",
            "webhook_doctype": "ToDo",
            "webhook_docevent": "after_insert",
            "request_url": url,
        },
    )
    assert response.status_code == 417 and "Check Request URL" in response.text


def test_an_unparsable_template_is_refused(hook_admin: SiteClient, receiver: Receiver) -> None:
    response = hook_admin.post(
        "/api/v2/document/Webhook",
        json={
            "name": "bad-template",
            "webhook_doctype": "ToDo",
            "webhook_docevent": "after_insert",
            "request_url": receiver.url,
            "request_structure": "JSON",
            "webhook_json": '{"a": "{{ doc.name "}',
        },
    )
    assert response.status_code == 417 and "Invalid webhook_json template" in response.text


def test_failures_are_retried_on_the_schedule_until_success(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    receiver.script = [500, 502]
    hook = hooks.make(receiver.url)
    _todo(hook_admin, "retry me")
    (row,) = wait_rows(hook_site, hook, finished(), drive=True)
    assert row["status"] == "Success" and row["attempts"] == 3 and row["error"] is None
    bodies = {r.body for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1


def test_a_delivery_that_keeps_failing_is_exhausted_then_replayed(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    receiver.status, receiver.reply = 503, b"down for maintenance" * 1000
    hook = hooks.make(receiver.url, webhook_data=[{"fieldname": "description", "key": "d"}])
    _todo(hook_admin, "never lands")
    (row,) = wait_rows(hook_site, hook, finished(), drive=True)
    assert row["status"] == "Exhausted" and row["attempts"] == 3  # first try + a schedule of two retries
    assert row["error"] == "HTTP 503 Service Unavailable" and row["response_status"] == 503
    assert row["response"] == ("down for maintenance" * 1000)[:4096] and row["next_retry"] is None
    assert len(receiver.requests) == 3

    receiver.status = 200
    reply = hook_admin.post(f"/api/v2/document/Webhook Request Log/{row['name']}/method/retry")
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["status"] == "Queued"
    requests = receiver.wait_for(4)
    assert requests[3].body == requests[0].body == json.dumps({"d": "never lands"}).encode()
    (row,) = wait_rows(hook_site, hook, lambda rows: rows[0]["status"] == "Success")
    assert row["attempts"] == 4 and row["response_status"] == 200


def test_only_system_managers_may_replay(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url)
    _todo(hook_admin)
    (row,) = wait_rows(hook_site, hook, finished())
    hook_admin.post("/api/resource/Role", json={"role_name": "WH Replayer", "desk_access": 1})
    _, client = user_client(hook_admin, ["WH Replayer"])
    response = client.post(f"/api/v2/document/Webhook Request Log/{row['name']}/method/retry")
    assert response.status_code in (403, 404)
    assert len(receiver.requests) == 1
    guest = SiteClient(hook_site, hook_admin.app.sites.sites_path)
    assert guest.post(f"/api/v2/document/Webhook Request Log/{row['name']}/method/retry").status_code in (
        401,
        403,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _failed(hook_site: Site, hook: str) -> dict[str, Any]:
    (row,) = wait_rows(hook_site, hook, settled)
    return row


def test_a_hanging_host_is_cut_at_the_timeout(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    receiver.hang = 5
    hook = hooks.make(receiver.url, timeout=1)
    _todo(hook_admin)
    row = _failed(hook_site, hook)
    assert row["status"] == "Failed" and row["error"].startswith("Timed out after 1 s")


def test_an_unreachable_host_is_a_logged_failure(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks
) -> None:
    hook = hooks.make(f"http://127.0.0.1:{_closed_port()}/x")
    _todo(hook_admin)
    row = _failed(hook_site, hook)
    assert row["status"] == "Failed" and row["error"].startswith("ConnectError")
    assert row["next_retry"] is not None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"request_structure": "JSON", "webhook_json": '{"a": {{ doc.description }}}'},
            "did not render valid JSON",
        ),
        (
            {"webhook_data": [{"fieldname": "no_such_field", "key": "x"}]},
            "Field no_such_field not found in ToDo",
        ),
        ({"is_dynamic_url": 1, "request_url": "{{ doc.description }}"}, "Check Request URL"),
        (
            {
                "request_structure": "JSON",
                "webhook_json": '{"a": "{{ doc.description.__class__.__mro__[1].__subclasses__() }}"}',
            },
            "Could not render the webhook_json template",
        ),
    ],
)
def test_bad_templates_and_fields_fail_the_delivery_not_the_write(
    fields: dict[str, Any],
    reason: str,
    hook_site: Site,
    hook_admin: SiteClient,
    hooks: Hooks,
    receiver: Receiver,
) -> None:
    hook = hooks.make(receiver.url, **fields)
    name = _todo(hook_admin, "plain text")
    assert hook_admin.get(f"/api/v2/document/ToDo/{name}").status_code == 200
    row = _failed(hook_site, hook)
    assert row["status"] == "Failed" and reason in row["error"] and receiver.requests == []


def test_templates_cannot_reach_python_internals(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url, request_structure="JSON", webhook_json=(
        '{"g": "{{ utils.now.__globals__ }}", "c": "{{ doc.__class__ }}", "e": "{{ config }}{{ request }}{{ range.__globals__ }}", "n": "{{ doc.name }}"}'))  # fmt: skip
    name = _todo(hook_admin)
    (request,) = receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["g"] == "" and body["c"] == "" and body["n"] == name
    assert "builtins" not in request.body.decode() and body["e"] == ""
    wait_rows(hook_site, hook, finished())


def test_v1_clients_replay_with_run_method(
    hook_site: Site, hook_admin: SiteClient, hooks: Hooks, receiver: Receiver
) -> None:
    hook = hooks.make(receiver.url)
    _todo(hook_admin, "twice")
    (row,) = wait_rows(hook_site, hook, finished())
    response = hook_admin.post(
        f"/api/resource/Webhook Request Log/{row['name']}", params={"run_method": "retry"}
    )
    assert response.status_code == 200, response.text
    requests = receiver.wait_for(2)
    assert requests[0].body == requests[1].body
    (row,) = wait_rows(
        hook_site, hook, lambda rows: rows[0]["attempts"] == 2 and rows[0]["status"] == "Success"
    )
