"""Delivery in batches against a real ``docframe serve``: the events of one transaction are
published together (an identical event once, as Frappe does), delivered in order, and each still
only to the sockets whose user can read its document."""

from __future__ import annotations

import secrets

import httpx

from tests.realtime.conftest import PASSWORD, RealtimeServer, connect, login, new_user, run


def _insert_many(rt: RealtimeServer, docs: list[dict[str, str]]) -> list[str]:
    response = rt.admin.post("/api/method/frappe.client.insert_many", json={"docs": docs})
    assert response.status_code == 200, response.text
    return [str(name) for name in response.json()["message"]]


def test_one_transactions_events_arrive_in_order_each_to_its_readers(rt: RealtimeServer) -> None:
    alice, bob = new_user(rt), new_user(rt)
    alice_sid, bob_sid = login(rt.base, alice, PASSWORD), login(rt.base, bob, PASSWORD)

    async def scenario() -> None:
        a = await connect(rt.socket_url, rt.namespace, sid=alice_sid)
        a2 = await connect(rt.socket_url, rt.namespace, sid=alice_sid)  # two sockets, one user
        b = await connect(rt.socket_url, rt.namespace, sid=bob_sid)
        for sock in (a, a2, b):
            await sock.emit("doctype_subscribe", "ToDo")
            await sock.settle()
        owners = [alice, bob, alice, alice, bob, alice, bob, alice]
        docs = [
            {"doctype": "ToDo", "description": f"batch {i}", "allocated_to": who}
            for i, who in enumerate(owners)
        ]
        names = _insert_many(rt, docs)
        mine = [name for name, who in zip(names, owners, strict=True) if who == alice]
        theirs = [name for name, who in zip(names, owners, strict=True) if who == bob]
        for sock, expected in ((a, mine), (a2, mine), (b, theirs)):
            count = len(expected)
            await sock.wait_for("list_update", lambda _d, s=sock, n=count: len(s.got("list_update")) >= n)
            await sock.settle()
            got = [d["name"] for d in sock.got("list_update") if d["name"] in names]
            assert got == expected  # in the order written, and none of the other user's
            assert all(d["user"] == "Administrator" for d in sock.got("list_update"))
        for sock in (a, a2, b):
            await sock.close()

    run(scenario())


def test_an_identical_event_published_twice_in_a_transaction_is_sent_once(rt: RealtimeServer) -> None:
    carol = new_user(rt)
    sid = login(rt.base, carol, PASSWORD)
    tag = secrets.token_hex(4)

    async def scenario() -> None:
        sock = await connect(rt.socket_url, rt.namespace, sid=sid)
        with httpx.Client(base_url=rt.base, timeout=30) as http:
            http.post("/api/method/login", data={"usr": carol, "pwd": PASSWORD}).raise_for_status()
            method = "/api/method/tests.realtime.rtapp.api.publish"
            for event, message in (("twice", {"tag": tag}), ("twice", {"tag": tag, "n": 2}), ("done", {})):
                body = {"event": event, "message": message, "user": carol, "times": 3}
                assert http.post(method, json=body).status_code == 200
        await sock.wait_for("done")
        await sock.settle()
        # Three identical publishes in one transaction: one event; another message is another event.
        assert sock.got("twice") == [{"tag": tag}, {"tag": tag, "n": 2}]
        assert sock.got("done") == [{}]
        await sock.close()

    run(scenario())
