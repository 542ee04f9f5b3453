"""The Socket.IO server against a real ``docframe serve``: handshake, rooms, client events, the
document events and their permission rules, tried as the clients do and as an attacker would."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from docframe.sockets import handshake
from tests.realtime.conftest import (
    PASSWORD,
    RealtimeServer,
    Sock,
    connect,
    login,
    new_user,
    refused,
    run,
    token_for,
)


@pytest.fixture(scope="module")
def alice(rt: RealtimeServer) -> str:
    return new_user(rt)


@pytest.fixture(scope="module")
def bob(rt: RealtimeServer) -> str:
    return new_user(rt)


@contextmanager
def http_as(rt: RealtimeServer, user: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rt.base, headers={"Accept": "application/json"}, timeout=30) as client:
        client.post("/api/method/login", data={"usr": user, "pwd": PASSWORD}).raise_for_status()
        yield client


def publish(http: httpx.Client, event: str, **kwargs: Any) -> httpx.Response:
    return http.post("/api/method/tests.realtime.rtapp.api.publish", json={"event": event, **kwargs})


async def quiet(*socks: Sock, seconds: float = 0.4) -> None:
    """Give stray events time to arrive (used before asserting that nothing came)."""
    await asyncio.sleep(seconds)
    for sock in socks:
        await sock.settle()


def todo(http: httpx.Client, **values: Any) -> str:
    response = http.post("/api/resource/ToDo", json={"description": secrets.token_hex(4), **values})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["name"])


# -- handshake ------------------------------------------------------------------------------------


def test_handshake_refusals_carry_frappes_messages(rt: RealtimeServer, alice: str) -> None:
    sid = login(rt.base, alice, PASSWORD)
    cookie = {"Cookie": f"sid={sid}", "Origin": "http://127.0.0.1:8000"}

    async def scenario() -> None:
        assert await refused(rt.socket_url, "/other.site", headers=cookie) == handshake.INVALID_NAMESPACE
        assert await refused(rt.socket_url, "/", headers=cookie) == handshake.INVALID_NAMESPACE
        assert await refused(rt.socket_url, rt.namespace, headers={}) == handshake.MISSING_CREDENTIALS
        assert (
            await refused(
                rt.socket_url, rt.namespace, headers={"Cookie": "user_id=x", "Origin": "http://127.0.0.1"}
            )
            == handshake.NO_AUTH_METHOD
        )
        evil = {"Cookie": f"sid={sid}", "Origin": "https://evil.example"}
        assert await refused(rt.socket_url, rt.namespace, headers=evil) == handshake.INVALID_ORIGIN
        bad_token = {"Authorization": "token nokey:nosecret"}
        assert (await refused(rt.socket_url, rt.namespace, headers=bad_token)).startswith("Unauthorized: ")
        bearer = {"Authorization": "Bearer abc"}
        assert (await refused(rt.socket_url, rt.namespace, headers=bearer)).startswith("Unauthorized: ")
        # A site named explicitly must match the namespace too.
        other = {"Cookie": f"sid={sid}", "X-Frappe-Site-Name": "other.site"}
        assert await refused(rt.socket_url, rt.namespace, headers=other) == handshake.INVALID_NAMESPACE

    run(scenario())


def test_session_cookie_token_and_unknown_sid(rt: RealtimeServer, alice: str) -> None:
    sid = login(rt.base, alice, PASSWORD)
    token = token_for(rt, alice)

    async def scenario() -> None:
        by_cookie = await connect(rt.socket_url, rt.namespace, sid=sid)
        by_token = await connect(rt.socket_url, rt.namespace, token=token, origin=None)
        stranger = await connect(rt.socket_url, rt.namespace, sid="0" * 56)  # unknown: a Guest, like Frappe
        same_port = await connect(rt.base, rt.namespace, sid=sid, transports=["polling", "websocket"])
        with http_as(rt, alice) as http:
            assert publish(http, "hello_user", message={"n": 1}, user=alice).status_code == 200
            assert publish(http, "hello_guest", message={"n": 2}, user="Guest").status_code == 200
            assert publish(http, "hello_desk", message={"n": 3}).status_code == 200  # room "all"
            assert publish(http, "hello_web", message={"n": 4}, room="website").status_code == 200
        for sock in (by_cookie, by_token, same_port):
            assert await sock.wait_for("hello_user") == {"n": 1}
            assert await sock.wait_for("hello_desk") == {"n": 3}
            assert await sock.wait_for("hello_web") == {"n": 4}
        assert await stranger.wait_for("hello_guest") == {"n": 2}
        assert await stranger.wait_for("hello_web") == {"n": 4}
        await quiet(by_cookie, stranger)
        assert stranger.got("hello_user") == [] and stranger.got("hello_desk") == []
        assert by_cookie.got("hello_guest") == []
        for sock in (by_cookie, by_token, stranger, same_port):
            await sock.close()

    run(scenario())


def test_website_user_is_not_in_the_all_room(rt: RealtimeServer) -> None:
    carol = new_user(rt, roles=())
    sid = login(rt.base, carol, PASSWORD)

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        publish(rt.admin, "to_desk", message={"x": 1})
        publish(rt.admin, "to_site", message={"x": 2}, room="website")
        assert await sock.wait_for("to_site") == {"x": 2}
        await quiet(sock)
        assert sock.got("to_desk") == []
        await sock.close()

    run(scenario())


def test_cors_with_credentials_for_the_pages_origin(rt: RealtimeServer) -> None:
    response = httpx.get(
        f"{rt.socket_url}/socket.io/", params={"EIO": "4", "transport": "polling"},
        headers={"Origin": "http://127.0.0.1:8000"},
    )  # fmt: skip
    assert response.status_code == 200 and response.text.startswith("0{")
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
    assert response.headers["access-control-allow-credentials"] == "true"
    # The Socket.IO port serves nothing else.
    assert httpx.get(f"{rt.socket_url}/api/method/ping").status_code == 404


# -- client events --------------------------------------------------------------------------------


def test_ping_pong_and_unknown_events(rt: RealtimeServer, alice: str) -> None:
    sid = login(rt.base, alice, PASSWORD)

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.emit("ping")
        await sock.wait_for("pong")
        await sock.emit("no_such_event", {"a": 1})
        await sock.emit("doc_subscribe")  # missing arguments
        await sock.emit("doc_subscribe", {"x": 1}, [1, 2])
        await sock.emit("doctype_subscribe", None)
        await sock.emit("doctype_subscribe", "x" * 10_000)
        await sock.emit("doc_open", "ToDo", None)
        await sock.emit("task_subscribe", {"nested": ["bad"]})
        await sock.emit("doc_close", 1, 2, 3, 4)
        await sock.settle()
        assert sock.client.connected
        await sock.close()

    run(scenario())


def test_doc_and_list_events_after_each_action(rt: RealtimeServer, alice: str) -> None:
    sid = login(rt.base, alice, PASSWORD)

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.emit("doctype_subscribe", "ToDo")
        await sock.settle()
        with http_as(rt, alice) as http:
            name = todo(http, allocated_to=alice)  # deleting a ToDo needs an allocation
            created = await sock.wait_for("list_update", lambda d: d["name"] == name)
            assert created == {"doctype": "ToDo", "name": name, "user": alice}
            await sock.emit("doc_subscribe", "ToDo", name)
            await sock.settle()
            saved = http.put(f"/api/resource/ToDo/{name}", json={"description": "changed"}).json()["data"]
            update = await sock.wait_for("doc_update", lambda d: d["name"] == name)
            assert update == {"doctype": "ToDo", "name": name, "modified": saved["modified"]}
            await sock.wait_for("list_update", lambda d: len(sock.got("list_update")) == 2)
            assert http.delete(f"/api/resource/ToDo/{name}").status_code == 202
            await sock.wait_for(
                "doc_update", lambda d: d["name"] == name and len(sock.got("doc_update")) == 2
            )
            await sock.wait_for("list_update", lambda d: len(sock.got("list_update")) == 3)
            await sock.emit("doc_unsubscribe", "ToDo", name)
            await sock.emit("doctype_unsubscribe", "ToDo")
            await sock.settle()
            todo(http)
        await quiet(sock)
        assert len(sock.got("list_update")) == 3 and len(sock.got("doc_update")) == 2
        await sock.close()

    run(scenario())


def test_submit_cancel_update_after_submit_and_rename(rt: RealtimeServer) -> None:
    doctype = f"RT Sub {secrets.token_hex(3)}"
    created = rt.admin.post("/api/resource/DocType", json={
        "name": doctype, "custom": 1, "module": "Custom", "is_submittable": 1, "allow_rename": 1,
        "fields": [{"fieldname": "title", "fieldtype": "Data"},
                   {"fieldname": "note", "fieldtype": "Data", "allow_on_submit": 1}],
        "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "submit": 1,
                         "cancel": 1, "delete": 1}],
    })  # fmt: skip
    assert created.status_code == 200, created.text
    sid = login(rt.base, "Administrator", "admin-test-pw")

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.emit("doctype_subscribe", doctype)
        await sock.settle()
        name = rt.admin.post(f"/api/resource/{doctype}", json={"title": "a"}).json()["data"]["name"]
        await sock.emit("doc_subscribe", doctype, name)
        await sock.settle()
        mine = lambda d: d["name"] == name  # noqa: E731
        steps = [
            {"docstatus": 1},  # submit
            {"note": "after submit"},  # update after submit
            {"docstatus": 2},  # cancel
        ]
        for count, change in enumerate(steps, start=1):
            response = rt.admin.put(f"/api/resource/{doctype}/{name}", json=change)
            assert response.status_code == 200, response.text
            await sock.wait_for("doc_update", lambda d, c=count: mine(d) and len(sock.got("doc_update")) == c)
            assert sock.got("doc_update")[-1]["modified"] == response.json()["data"]["modified"]
        renamed = rt.admin.post("/api/method/frappe.client.rename_doc",
                                json={"doctype": doctype, "old_name": name, "new_name": f"{name}-new"})  # fmt: skip
        assert renamed.status_code == 200, renamed.text
        moved = await sock.wait_for("doc_rename")
        assert moved == {"doctype": doctype, "old": name, "new": f"{name}-new"}
        await sock.wait_for("list_update", lambda d: d["name"] == f"{name}-new")
        await sock.close()

    run(scenario())


def test_no_event_for_a_rolled_back_write(rt: RealtimeServer, alice: str) -> None:
    sid = login(rt.base, alice, PASSWORD)

    admin_sid = login(rt.base, "Administrator", "admin-test-pw")

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        # The Administrator reads everything, so only the rollback itself can keep events from it.
        admin = await connect(rt.socket_url, rt.namespace, sid=admin_sid)
        for each in (sock, admin):
            await each.emit("doctype_subscribe", "ToDo")
            await each.settle()
        with http_as(rt, alice) as http:
            assert publish(http, "doomed", message={"x": 1}, user=alice, fail=1).status_code == 417
            bad = http.post("/api/resource/ToDo", json={"description": "x", "status": "Not A Status"})
            assert bad.status_code == 417
            good = f"ok-{secrets.token_hex(3)}"
            bulk = http.post("/api/v2/document/ToDo/bulk_insert", json={"docs": [
                {"description": good}, {"description": "bad", "status": "Nope"},
                # An app hook inserts another ToDo (queuing its events), then fails: the savepoint
                # undoes both, and the inner document's events are dropped with it.
                {"description": "explode:inner-doc"}]})  # fmt: skip
            assert bulk.status_code in (200, 201), bulk.text
            assert bulk.json()["data"]["failure_count"] == 2, bulk.text
            publish(http, "marker", message={"end": 1}, user=alice)
        await sock.wait_for("marker")
        await quiet(sock, admin)
        assert sock.got("doomed") == []
        assert len(sock.got("list_update")) == 1  # the bulk's good item only
        assert len(admin.got("list_update")) == 1
        await sock.close()
        await admin.close()

    run(scenario())


def test_publish_without_after_commit_is_sent_at_once(rt: RealtimeServer, alice: str) -> None:
    sid = login(rt.base, alice, PASSWORD)

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        with http_as(rt, alice) as http:
            publish(http, "early", message={"x": 1}, user=alice, after_commit=0, fail=1)
        assert await sock.wait_for("early") == {"x": 1}
        await sock.close()

    run(scenario())


# -- permissions ----------------------------------------------------------------------------------


def test_other_users_documents_stay_private(rt: RealtimeServer, alice: str, bob: str) -> None:
    alice_sid, bob_sid = login(rt.base, alice, PASSWORD), login(rt.base, bob, PASSWORD)
    guest_sid = "Guest"
    secret_doctype = f"RT Secret {secrets.token_hex(3)}"
    made = rt.admin.post("/api/resource/DocType", json={
        "name": secret_doctype, "custom": 1, "module": "Custom",
        "fields": [{"fieldname": "title", "fieldtype": "Data"}],
        "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}],
    })  # fmt: skip
    assert made.status_code == 200, made.text

    async def scenario() -> None:
        a = await connect(rt.socket_url, rt.namespace, sid=alice_sid)
        b = await connect(rt.socket_url, rt.namespace, sid=bob_sid)
        g = await connect(rt.socket_url, rt.namespace, sid=guest_sid)
        with http_as(rt, alice) as alice_http, http_as(rt, bob) as bob_http:
            private = todo(alice_http, allocated_to=alice)  # deleting needs an allocation
            shared = todo(alice_http, allocated_to=bob)
            for sock in (a, b, g):
                await sock.emit("doctype_subscribe", "ToDo")
                await sock.emit("doc_subscribe", "ToDo", private)
                await sock.emit("doc_subscribe", "ToDo", shared)
                await sock.emit("doctype_subscribe", secret_doctype)
                await sock.emit("doc_open", "ToDo", private)
                await sock.settle()
            alice_http.put(f"/api/resource/ToDo/{private}", json={"description": "p2"}).raise_for_status()
            alice_http.put(f"/api/resource/ToDo/{shared}", json={"description": "s2"}).raise_for_status()
            rt.admin.post(f"/api/resource/{secret_doctype}", json={"title": "x"}).raise_for_status()
            bobs = todo(bob_http)
            await a.wait_for("doc_update", lambda d: d["name"] == private)
            await b.wait_for("doc_update", lambda d: d["name"] == shared)
            await b.wait_for("list_update", lambda d: d["name"] == bobs)
            await quiet(a, b, g)
            # Bob hears of the ToDo allocated to him, never of Alice's own one or of his own in Alice's list.
            assert {d["name"] for d in b.got("doc_update")} == {shared}
            assert private not in {d["name"] for d in b.got("list_update")}
            assert bobs not in {d["name"] for d in a.got("list_update")}
            assert all(d["doctype"] != secret_doctype for d in a.got("list_update") + b.got("list_update"))
            assert g.got("doc_update") == [] and g.got("list_update") == []
            # Re-allocating the ToDo away from Bob stops his doc_update at once (checked per event).
            alice_http.put(f"/api/resource/ToDo/{shared}", json={"allocated_to": alice}).raise_for_status()
            seen = len(b.got("doc_update"))
            alice_http.put(f"/api/resource/ToDo/{shared}", json={"description": "s3"}).raise_for_status()
            await a.wait_for("doc_update", lambda d: d["name"] == shared and len(a.got("doc_update")) >= 3)
            await quiet(b)
            assert len(b.got("doc_update")) == seen  # judged when delivered: already not his
            assert b.got("doc_viewers") == [] and g.got("doc_viewers") == []
            # A deletion is judged on the deleted document's fields: Alice hears of it, Bob does not.
            alice_http.delete(f"/api/resource/ToDo/{private}").raise_for_status()
            await a.wait_for("list_update", lambda d: d["name"] == private and len(
                [x for x in a.got("list_update") if x["name"] == private]) == 2)  # fmt: skip
            await quiet(b, g)
            assert private not in {d["name"] for d in b.got("list_update") + g.got("list_update")}
        for sock in (a, b, g):
            await sock.close()

    run(scenario())


def test_doc_viewers(rt: RealtimeServer, alice: str) -> None:
    first, second = login(rt.base, alice, PASSWORD), login(rt.base, "Administrator", "admin-test-pw")
    with http_as(rt, alice) as http:
        name = todo(http)

    async def scenario() -> None:
        a = await connect(rt.socket_url, rt.namespace, sid=first)
        admin = await connect(rt.socket_url, rt.namespace, sid=second)
        await a.emit("doc_open", "ToDo", name)
        await a.settle()
        assert a.got("doc_viewers") == []  # alone with it: nothing to say
        await admin.emit("doc_open", "ToDo", name)
        both = {"doctype": "ToDo", "docname": name, "users": sorted(["Administrator", alice])}
        assert await a.wait_for("doc_viewers") == both
        assert await admin.wait_for("doc_viewers") == both
        await admin.emit("doc_close", "ToDo", name)
        assert await a.wait_for("doc_viewers", lambda d: d["users"] == [alice]) == {
            "doctype": "ToDo", "docname": name, "users": [alice],
        }  # fmt: skip
        await admin.emit("doc_open", "ToDo", name)
        await a.wait_for("doc_viewers", lambda d: len(d["users"]) == 2 and len(a.got("doc_viewers")) == 3)
        await admin.close()  # a disconnect counts as closing
        await a.wait_for("doc_viewers", lambda d: d["users"] == [alice] and len(a.got("doc_viewers")) == 4)
        await a.close()

    run(scenario())


# -- tasks, progress, logout ----------------------------------------------------------------------


def test_task_progress_rooms(rt: RealtimeServer, alice: str) -> None:
    sid = login(rt.base, alice, PASSWORD)
    task = secrets.token_hex(8)

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        other = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.emit("task_subscribe", task)
        await other.emit("progress_subscribe", task)
        await sock.settle()
        await other.settle()
        with http_as(rt, alice) as http:
            http.post("/api/method/tests.realtime.rtapp.api.progress", json={"percent": 40, "task_id": task})
            for s in (sock, other):
                got = await s.wait_for("progress")
                assert got == {"percent": 40.0, "title": "Test", "description": None, "task_id": task}
            await sock.emit("task_unsubscribe", task)
            await sock.settle()
            http.post("/api/method/tests.realtime.rtapp.api.progress", json={"percent": 80, "task_id": task})
            await other.wait_for("progress", lambda d: d["percent"] == 80.0)
        await quiet(sock)
        assert len(sock.got("progress")) == 1
        await sock.close()
        await other.close()

    run(scenario())


def test_bulk_job_reports_progress_to_its_task_room(rt: RealtimeServer) -> None:
    sid = login(rt.base, "Administrator", "admin-test-pw")

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        docs = [{"description": f"bulk {i}"} for i in range(400)]
        response = rt.admin.post("/api/v2/document/ToDo/bulk_insert", json={"docs": docs})
        assert response.status_code == 202, response.text
        job_id = response.json()["data"]["job_id"]
        await sock.emit("task_subscribe", job_id)
        final = await sock.wait_for("progress", lambda d: d["percent"] == 100.0, timeout=60)
        assert final["task_id"] == job_id and final["description"] == "400 of 400"
        await sock.close()

    run(scenario())


def test_logout_disconnects_that_sessions_sockets(rt: RealtimeServer, alice: str) -> None:
    ending, staying = login(rt.base, alice, PASSWORD), login(rt.base, alice, PASSWORD)

    async def scenario() -> None:
        doomed = await connect(rt.socket_url, rt.namespace, sid=ending)
        doomed_too = await connect(rt.base, rt.namespace, sid=ending)
        kept = await connect(rt.socket_url, rt.namespace, sid=staying)
        out = httpx.post(f"{rt.base}/api/method/logout", cookies={"sid": ending})
        assert out.status_code == 200
        for _ in range(200):
            if not doomed.client.connected and not doomed_too.client.connected:
                break
            await asyncio.sleep(0.02)
        assert not doomed.client.connected and not doomed_too.client.connected
        await kept.settle()
        assert kept.client.connected
        await kept.close()

    run(scenario())


# -- the HTTP side --------------------------------------------------------------------------------


def test_realtime_http_methods(rt: RealtimeServer, alice: str, bob: str) -> None:
    with http_as(rt, alice) as http, http_as(rt, bob) as other:
        info = http.get("/api/method/frappe.realtime.get_user_info").json()["message"]
        assert info == {
            "user": alice,
            "user_type": "System User",
            "installed_apps": ["frappe", "tests.realtime.rtapp"],
        }
        guest = httpx.get(f"{rt.base}/api/method/frappe.realtime.get_user_info").json()["message"]
        assert guest["user"] == "Guest" and guest["user_type"] == "Website User"
        name = todo(http)
        allowed = http.get(
            "/api/method/frappe.realtime.has_permission", params={"doctype": "ToDo", "name": name}
        )
        assert allowed.json() == {"message": True}
        denied = other.get(
            "/api/method/frappe.realtime.has_permission", params={"doctype": "ToDo", "name": name}
        )
        assert denied.status_code == 403 and denied.json()["exc_type"] == "PermissionError"
        missing = other.get(
            "/api/method/frappe.realtime.has_permission", params={"doctype": "ToDo", "name": "nope"}
        )
        assert missing.status_code == 403
        assert other.get("/api/method/frappe.realtime.has_permission", params={"doctype": "ToDo"}).json() == {
            "message": True
        }
        stats = other.get("/api/method/docframe.methods.realtime.stats")
        assert stats.status_code == 403
    stats = rt.admin.get("/api/method/docframe.methods.realtime.stats").json()["message"]
    assert set(stats) == {
        "sockets", "rooms", "engine_sessions", "queued", "websockets", "sent_direct", "sent_queued"
    }  # fmt: skip


def test_socket_refused_after_connection_error_keeps_server_healthy(rt: RealtimeServer, alice: str) -> None:
    """A handshake that fails half-way (bad cookie syntax) neither crashes nor leaks a socket."""
    sid = login(rt.base, alice, PASSWORD)

    async def scenario() -> None:
        headers = {"Cookie": 'sid="unterminated; x=\\', "Origin": "http://127.0.0.1:1"}
        message = await refused(rt.socket_url, rt.namespace, headers=headers)
        assert message in (handshake.NO_AUTH_METHOD, handshake.MISSING_CREDENTIALS)
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.settle()
        await sock.close()

    run(scenario())


def test_disabling_a_user_disconnects_their_sockets(rt: RealtimeServer) -> None:
    user = new_user(rt)
    sid = login(rt.base, user, PASSWORD)

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        disabled = rt.admin.put(f"/api/resource/User/{user}", json={"enabled": 0})
        assert disabled.status_code == 200, disabled.text
        for _ in range(250):
            if not sock.client.connected:
                break
            await asyncio.sleep(0.02)
        assert not sock.client.connected
        # Its session is gone: a new connection with it is a Guest's.
        again = await connect(rt.socket_url, rt.namespace, sid=sid)
        publish(rt.admin, "for_user", message={"x": 1}, user=user)
        publish(rt.admin, "for_guest", message={"x": 2}, user="Guest")
        assert await again.wait_for("for_guest") == {"x": 2}
        await quiet(again)
        assert again.got("for_user") == []
        await again.close()

    run(scenario())


def test_singles_get_doc_update_but_no_list_update(rt: RealtimeServer) -> None:
    sid = login(rt.base, "Administrator", "admin-test-pw")

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        await sock.emit("doctype_subscribe", "System Settings")
        await sock.emit("doc_subscribe", "System Settings", "System Settings")
        await sock.settle()
        saved = rt.admin.put(
            "/api/resource/System Settings/System Settings", json={"session_expiry": "240:00:00"}
        )
        assert saved.status_code == 200, saved.text
        got = await sock.wait_for("doc_update")
        assert got == {
            "doctype": "System Settings",
            "name": "System Settings",
            "modified": saved.json()["data"]["modified"],
        }
        await quiet(sock)
        assert sock.got("list_update") == []
        await sock.close()

    run(scenario())
