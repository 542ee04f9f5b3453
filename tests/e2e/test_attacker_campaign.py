"""A bounded attacker campaign against a real ``docframe serve`` process (issue 10, "Done when").

Actors: Administrator (setup only), a user with no roles, a desk user with one role (``clerk``), a
second desk user with the same role (``rival``) and Guest. The clerk's documents (an ``if_owner``
DocType), private files and a permlevel-1 field are probed by the others through every surface; then
hostile input is sent to every endpoint family. Every loop is bounded; only 127.0.0.1 is contacted.

Invariants: no probe reveals the secret or another user's document; no response is a 5xx; no
response to a non-administrator carries SQL or traceback text; refused writes change no counts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from docframe.sites import Site
from tests.api.test_permissions_matrix import rule
from tests.conftest import api_key_for, start_server, stop_server

SECRET = f"campaign-{secrets.token_hex(6)}"
#: Never in a response to anyone but Administrator: SQL text and database driver errors.
LEAKS = ("SELECT ", "INSERT INTO", "[SQL:", "[parameters:", "sqlite3.", "psycopg", "pymysql", "sqlalchemy",
         "OperationalError", "ProgrammingError", "IntegrityError", "UNIQUE constraint")  # fmt: skip
#: Tracebacks go to System Users only when System Settings ``allow_error_traceback`` is on (docs/security.md).
TRACEBACKS = ("Traceback", 'File "/')


@dataclass
class World:
    base: str
    site: str
    admin: httpx.Client
    doctype: str
    hidden_doctype: str
    role: str
    clients: dict[str, httpx.Client]
    users: dict[str, str]
    doc: str = ""
    child: str = ""
    file_url: str = ""
    file_name: str = ""
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def send(self, actor: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        client = self.clients[actor]
        response = client.request(method, url, **kwargs)
        self.requests += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (actor, method, url, kwargs, response.text[:500])
        if actor != "admin":
            for leak in LEAKS + (TRACEBACKS if actor in ("guest", "nobody") else ()):
                assert leak not in response.text, (actor, method, url, leak, response.text[:500])
        return response


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _user(admin: httpx.Client, base: str, site: Site, roles: list[str]) -> tuple[str, httpx.Client]:
    email = f"campaign-{secrets.token_hex(5)}@example.com"
    _ok(admin.post("/api/resource/User", json={"email": email, "first_name": "Camp",
                                               "roles": [{"role": r} for r in roles]}))  # fmt: skip
    client = httpx.Client(base_url=base, headers={"Authorization": api_key_for(site, email)}, timeout=30)
    return email, client


@pytest.fixture(scope="module")
def live(site: Site, sites_root: Path) -> Iterator[str]:
    """A real ``docframe serve`` process on the current backend's site; yields its base URL."""
    proc, base = start_server(sites_root, site.name, "--no-scheduler", timeout=20)
    try:
        yield base
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def world(live: str, site: Site) -> Iterator[World]:
    server, sqlite_site = live, site
    admin = httpx.Client(base_url=server, headers={"Authorization": api_key_for(sqlite_site)}, timeout=30)
    tag = secrets.token_hex(3)
    role = f"Campaign Clerk {tag}"
    _ok(admin.post("/api/resource/Role", json={"role_name": role}))
    doctype, hidden, child = f"Campaign Doc {tag}", f"Campaign Hidden {tag}", f"Campaign Line {tag}"
    _ok(admin.post("/api/resource/DocType", json={
        "name": child, "custom": 1, "module": "Custom", "istable": 1,
        "fields": [{"fieldname": "item", "fieldtype": "Data"},
                   {"fieldname": "hidden", "fieldtype": "Data", "permlevel": 1}],
    }))  # fmt: skip
    _ok(admin.post("/api/resource/DocType", json={
        "name": doctype, "custom": 1, "module": "Custom", "search_fields": "title,secret",
        "fields": [{"fieldname": "title", "fieldtype": "Data"},
                   {"fieldname": "secret", "fieldtype": "Data", "permlevel": 1},
                   {"fieldname": "lines", "fieldtype": "Table", "options": child}],
        "permissions": [rule(role, read=1, write=1, create=1, delete=1, if_owner=1)],
    }))  # fmt: skip
    _ok(admin.post("/api/resource/DocType", json={
        "name": hidden, "custom": 1, "module": "Custom",
        "fields": [{"fieldname": "topsecretfield", "fieldtype": "Data"}],
    }))  # fmt: skip
    users, clients = {}, {"admin": admin, "guest": httpx.Client(base_url=server, timeout=30)}
    for actor, roles in (("nobody", []), ("clerk", [role]), ("rival", [role])):
        users[actor], clients[actor] = _user(admin, server, sqlite_site, roles)
    w = World(server, sqlite_site.name, admin, doctype, hidden, role, clients, users)
    w.doc = _ok(clients["clerk"].post(f"/api/resource/{doctype}", json={"title": "mine"}))["data"]["name"]
    # Administrator sets the level-1 secret on the clerk's document.
    _ok(
        admin.put(
            f"/api/resource/{doctype}/{w.doc}",
            json={"secret": SECRET, "lines": [{"item": "i", "hidden": SECRET}]},
        )
    )
    w.child = child
    up = clients["clerk"].post(
        "/api/method/upload_file", files={"file": (f"c-{tag}.txt", SECRET.encode())}, data={"is_private": "1"}
    )
    w.file_url, w.file_name = _ok(up)["message"]["file_url"], _ok(up)["message"]["name"]
    yield w
    for client in clients.values():
        client.close()
    print(f"campaign: {w.requests} requests, statuses {sorted(w.statuses.items())}")


def _count(w: World, doctype: str) -> int:
    return int(_ok(w.admin.get(f"/api/v2/doctype/{doctype}/count"))["data"])


def _j(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


OUTSIDERS = ("nobody", "rival", "guest")


def test_other_users_documents_stay_closed(world: World) -> None:
    w, dt, doc = world, world.doctype, world.doc
    assert SECRET not in w.send("clerk", "GET", f"/api/resource/{dt}/{doc}").text  # level 0 only
    for actor in OUTSIDERS:
        for method, url in (("GET", f"/api/resource/{dt}/{doc}"), ("GET", f"/api/v2/document/{dt}/{doc}")):
            assert w.send(actor, method, url).status_code in (401, 403, 404)
        for m, params in (
            ("frappe.client.get", {"doctype": dt, "name": doc}),
            ("frappe.client.get_value", {"doctype": dt, "filters": doc, "fieldname": "title"}),
            ("run_doc_method", {"dt": dt, "dn": doc, "method": "get_title"}),
        ):
            r = w.send(actor, "POST", f"/api/method/{m}", json=params)
            # get_value answers an empty dict for documents the caller cannot list, as Frappe does.
            assert r.status_code in (401, 403, 404, 417) or r.json()["message"] in ({}, None), (m, r.text)
            assert "mine" not in r.text
        listed = w.send(actor, "GET", f"/api/resource/{dt}", params={"fields": '["name","title"]'})
        assert doc not in listed.text
        counted = w.send(actor, "POST", "/api/method/frappe.client.get_count", json={"doctype": dt})
        assert counted.status_code in (401, 403) or counted.json()["message"] == 0
        before = _count(w, dt)
        for method, url, body in (
            ("PUT", f"/api/resource/{dt}/{doc}", {"title": "pwned"}),
            ("PATCH", f"/api/v2/document/{dt}/{doc}", {"title": "pwned"}),
            ("DELETE", f"/api/resource/{dt}/{doc}", None),
            ("DELETE", f"/api/v2/document/{dt}/{doc}", None),
        ):
            assert w.send(actor, method, url, json=body).status_code in (401, 403, 404)
        shares = _count(w, "DocShare")
        for m, params in (
            ("frappe.client.set_value", {"doctype": dt, "name": doc, "fieldname": "title", "value": "pwned"}),
            ("frappe.client.save", {"doc": {"doctype": dt, "name": doc, "title": "pwned"}}),
            ("frappe.client.delete", {"doctype": dt, "name": doc}),
            ("frappe.client.rename_doc", {"doctype": dt, "old_name": doc, "new_name": f"{doc}-x"}),
            (
                "frappe.client.bulk_update",
                {"docs": json.dumps([{"doctype": dt, "docname": doc, "title": "pwned"}])},
            ),
            ("frappe.client.get_password", {"doctype": dt, "name": doc, "fieldname": "secret"}),
            (
                "frappe.share.add",
                {"doctype": dt, "name": doc, "user": w.users.get(actor, "Guest"), "read": 1},
            ),
        ):
            r = w.send(actor, "POST", f"/api/method/{m}", json=params)
            # bulk_update answers 200 and lists each refused document under failed_docs, as Frappe does.
            refused_in_bulk = r.status_code == 200 and "PermissionError" in str(
                r.json()["message"].get("failed_docs")
            )
            assert r.status_code in (401, 403, 404, 417) or refused_in_bulk, (m, r.text)
            assert SECRET not in r.text
        assert _count(w, dt) == before and _count(w, "DocShare") == shares
    assert _ok(w.admin.get(f"/api/resource/{dt}/{doc}"))["data"]["title"] == "mine"


def test_copies_bulk_actions_meta_and_desk_methods_of_others(world: World) -> None:
    w, dt, doc = world, world.doctype, world.doc
    before = _count(w, dt)
    for actor in OUTSIDERS:
        r = w.send(actor, "GET", f"/api/v2/document/{dt}/{doc}/copy")
        assert r.status_code in (401, 403, 404) and "mine" not in r.text, r.text
        for url, body in (
            (f"/api/v2/document/{dt}/bulk_delete", {"names": [doc]}),
            (f"/api/v2/document/{dt}/bulk_update", {"docs": [{"name": doc, "title": "pwned"}]}),
            ("/api/v2/method/bulk_delete", {"doctype": dt, "names": [doc]}),
            ("/api/v2/method/bulk_update", {"doctype": dt, "docs": [{"name": doc, "title": "pwned"}]}),
            ("/api/v2/method/run_doc_method", {"dt": dt, "dn": doc, "method": "get_title"}),
            (
                "/api/method/frappe.desk.reportview.get_count",
                {"doctype": dt, "filters": [["secret", "is", "set"]]},
            ),
            ("/api/method/frappe.desk.form.load.getdoc", {"doctype": dt, "name": doc}),
            ("/api/method/frappe.client.get_list", {"doctype": "__Auth", "fields": ["*"]}),
            ("/api/method/frappe.client.get_list", {"doctype": "Sessions", "fields": ["*"]}),
        ):
            r = w.send(actor, "POST", url, json=body)
            assert "mine" not in r.text and SECRET not in r.text, (url, r.text)
            assert r.status_code != 200 or "failed" in r.text or r.json().get("data", {}) in ({}, []), (
                url,
                r.text,
            )
        # DocType definitions are open to every logged-in user, as in Frappe's v2 (``only_for("All")``);
        # Guest gets none. (The OpenAPI document, which describes what the caller may do, hides them.)
        r = w.send(actor, "GET", f"/api/v2/doctype/{w.hidden_doctype}/meta")
        assert r.status_code in ((401, 403) if actor == "guest" else (200,)), r.text
    assert _count(w, dt) == before
    assert _ok(w.admin.get(f"/api/resource/{dt}/{doc}"))["data"]["title"] == "mine"


def test_child_rows_of_others_cannot_be_taken_over(world: World) -> None:
    w, dt = world, world.doctype
    theirs = _ok(
        w.clients["rival"].post(
            f"/api/resource/{dt}", json={"title": "theirs", "lines": [{"item": "rival-line"}]}
        )
    )
    row = theirs["data"]["lines"][0]["name"]
    mine = _ok(w.clients["clerk"].post(f"/api/resource/{dt}", json={"title": "clerk-2"}))["data"]["name"]
    for method, url in (("PUT", f"/api/resource/{dt}/{mine}"), ("PATCH", f"/api/v2/document/{dt}/{mine}")):
        body = {"lines": [{"name": row, "item": "stolen", "parent": theirs["data"]["name"]}]}
        r = w.send("clerk", method, url, json=body)
        assert r.status_code in (200, 403, 409, 417) and "rival-line" not in r.text, r.text
    after = _ok(w.admin.get(f"/api/resource/{dt}/{theirs['data']['name']}"))["data"]["lines"]
    assert [(line["name"], line["item"]) for line in after] == [(row, "rival-line")]


def test_private_files_of_others_stay_closed(world: World) -> None:
    w = world
    assert w.send("clerk", "GET", w.file_url).content == SECRET.encode()
    before = _count(w, "File")
    for actor in OUTSIDERS:
        assert w.send(actor, "GET", w.file_url).status_code in (401, 403)
        assert w.send(actor, "GET", w.file_url.replace("/private", "")).status_code in (403, 404)
        r = w.send(actor, "POST", "/api/resource/File", json={"file_url": w.file_url, "is_private": 1})
        assert r.status_code in (401, 403, 417), r.text
        r = w.send(actor, "POST", "/api/method/upload_file", data={"file_url": w.file_url, "is_private": "1"})
        assert r.status_code in (401, 403, 417), r.text
        assert w.send(actor, "GET", w.file_url).status_code in (401, 403)
        for method in ("GET", "PUT", "DELETE"):
            r = w.send(
                actor,
                method,
                f"/api/resource/File/{w.file_name}",
                json={"is_private": 0} if method == "PUT" else None,
            )
            assert r.status_code in (401, 403, 404), r.text
        r = w.send(
            actor,
            "GET",
            "/api/resource/File",
            params={"fields": '["name","file_url"]', "limit_page_length": 0},
        )
        assert w.file_url not in r.text
        for guess in (w.file_url[:-4], "/private/files/zzzz"):
            r = w.send(actor, "POST", "/api/method/frappe.client.get_count",
                       json={"doctype": "File", "filters": [["file_url", "like", guess + "%"]]})  # fmt: skip
            assert r.status_code in (401, 403) or r.json()["message"] == 0, r.text
        attach = w.send(actor, "POST", "/api/method/upload_file",
                        files={"file": ("x.txt", b"x")}, data={"doctype": w.doctype, "docname": w.doc})  # fmt: skip
        assert attach.status_code in (401, 403, 404), attach.text
        r = w.send(actor, "POST", "/api/resource/File", json={
            "file_name": "y.txt", "content": "eQ==", "decode": 1,
            "attached_to_doctype": w.doctype, "attached_to_name": w.doc})  # fmt: skip
        assert r.status_code in (401, 403, 404, 417), r.text
    assert _count(w, "File") == before
    assert w.send("clerk", "GET", w.file_url).content == SECRET.encode()


def test_level_one_fields_are_no_oracle(world: World) -> None:
    w, dt = world, world.doctype
    prefix = SECRET[:10] + "%"
    refusals: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/api/resource/{dt}", {"filters": _j([["secret", "like", prefix]])}),
        ("GET", f"/api/resource/{dt}", {"or_filters": _j([["secret", "like", prefix]])}),
        ("GET", f"/api/resource/{dt}", {"order_by": "secret desc"}),
        ("GET", f"/api/resource/{dt}", {"fields": '["secret","count(name) as c"]', "group_by": "secret"}),
        ("GET", f"/api/v2/document/{dt}", {"filters": _j({"secret": ["like", prefix]})}),
        ("GET", f"/api/v2/document/{dt}", {"order_by": "secret"}),
        ("GET", f"/api/v2/doctype/{dt}/count", {"filters": _j([["secret", "like", prefix]])}),
    ]
    for method, url, params in refusals:
        r = w.send("clerk", method, url, params=params)
        assert r.status_code == 403, (url, params, r.text)
    rpc = [
        ("frappe.client.get_list", {"doctype": dt, "filters": [["secret", "like", prefix]]}),
        ("frappe.client.get_count", {"doctype": dt, "filters": [["secret", "like", prefix]]}),
        (
            "frappe.client.get_value",
            {"doctype": dt, "filters": {"secret": ["like", prefix]}, "fieldname": "name"},
        ),
        (
            "frappe.desk.search.search_link",
            {"doctype": dt, "txt": "", "filters": {"secret": ["like", prefix]}},
        ),
    ]
    for m, params in rpc:
        r = w.send("clerk", "POST", f"/api/method/{m}", json=params)
        assert r.status_code == 403, (m, r.text)
    selections: list[tuple[str, dict[str, Any]]] = [
        (f"/api/resource/{dt}", {"fields": '["name","secret"]'}),
        (f"/api/resource/{dt}", {"fields": '["*"]'}),
        (f"/api/v2/document/{dt}", {"fields": '["name","secret"]'}),
        (f"/api/v2/document/{dt}/{w.doc}", {}),
        (f"/api/v2/document/{dt}/{w.doc}", {"expand": '["secret"]', "include": "secret"}),
    ]
    for url, params in selections:
        r = w.send("clerk", "GET", url, params=params)
        assert r.status_code in (200, 403, 417) and SECRET not in r.text, (url, params, r.text)
    for m, params in (
        ("frappe.client.get_value", {"doctype": dt, "filters": w.doc, "fieldname": "secret"}),
        ("frappe.client.get_value", {"doctype": dt, "filters": w.doc, "fieldname": ["title", "secret"]}),
        ("frappe.desk.search.search_link", {"doctype": dt, "txt": SECRET[:8]}),
    ):
        r = w.send("clerk", "POST", f"/api/method/{m}", json=params)
        assert SECRET not in r.text, (m, r.text)


def test_level_one_expressions_answer_the_same_for_a_true_and_a_false_guess(world: World) -> None:
    w, dt = world, world.doctype
    for guess_true, guess_false in ((SECRET[:9], "zzzzzzzzz"),):

        def probes(guess: str) -> list[tuple[str, str, dict[str, Any]]]:
            cond = f"(case when secret like '{guess}%' then 0 else 1 end)"
            return [
                ("GET", f"/api/resource/{dt}", {"fields": _j(["max(secret) as m", "name"])}),
                ("GET", f"/api/resource/{dt}", {"fields": _j(["count(secret) as c"])}),
                (
                    "GET",
                    f"/api/resource/{dt}",
                    {"fields": _j(["name", "lines.hidden", {"lines": ["hidden"]}])},
                ),
                ("GET", f"/api/resource/{dt}", {"filters": _j([[w.child, "hidden", "like", guess + "%"]])}),
                ("GET", f"/api/resource/{dt}", {"filters": _j([["lines.hidden", "like", guess + "%"]])}),
                ("GET", f"/api/v2/document/{dt}", {"filters": _j([["hidden", "like", guess + "%"]])}),
                ("GET", f"/api/v2/document/{dt}/{w.doc}", {"expand": _j(["lines"])}),
                ("GET", f"/api/resource/{w.child}", {"fields": _j(["hidden"])}),
                ("POST", "/api/method/frappe.desk.search.search_link", {"doctype": dt, "txt": guess}),
                ("POST", "/api/method/frappe.desk.search.search_widget", {"doctype": dt, "txt": guess}),
                (
                    "POST",
                    "/api/method/frappe.client.get_list",
                    {
                        "doctype": w.child,
                        "parent": dt,
                        "fields": ["hidden"],
                        "filters": {"hidden": ["like", guess + "%"]},
                    },
                ),
                ("GET", f"/api/resource/{dt}", {"fields": _j([f"`tab{dt}`.`secret`"])}),
                ("GET", f"/api/resource/{dt}", {"fields": _j(["secret as title"])}),
                ("GET", f"/api/resource/{dt}", {"order_by": cond}),
                ("GET", f"/api/resource/{dt}", {"filters": _j([[f"`tab{dt}`.secret", "like", guess + "%"]])}),
                (
                    "GET",
                    f"/api/resource/{dt}",
                    {
                        "filters": _j(
                            [["name", "in", f"(select name from `tab{dt}` where secret like '{guess}%')"]]
                        )
                    },
                ),
                ("GET", f"/api/v2/document/{dt}", {"fields": _j(["name", "secret"]), "order_by": cond}),
                ("GET", f"/api/v2/document/{dt}", {"group_by": "secret", "fields": _j(["count(name) as c"])}),
                ("POST", "/api/method/frappe.client.get_list", {"doctype": dt, "pluck": "secret"}),
                (
                    "POST",
                    "/api/method/frappe.client.get_list",
                    {"doctype": dt, "distinct": 1, "fields": ["secret"]},
                ),
                (
                    "POST",
                    "/api/method/frappe.client.get_list",
                    {"doctype": dt, "filters": {"secret": ["is", "set"]}},
                ),
                (
                    "POST",
                    "/api/method/frappe.client.get_value",
                    {
                        "doctype": dt,
                        "filters": {"title": "mine"},
                        "fieldname": f"if(secret like '{guess}%', 1, 0)",
                    },
                ),
                (
                    "POST",
                    "/api/method/frappe.client.get_count",
                    {"doctype": dt, "filters": f"secret like '{guess}%'"},
                ),
            ]

        for (method, url, a), (_, _, b) in zip(probes(guess_true), probes(guess_false), strict=True):
            send = (lambda p: {"params": p}) if method == "GET" else (lambda p: {"json": p})
            ra, rb = w.send("clerk", method, url, **send(a)), w.send("clerk", method, url, **send(b))
            assert SECRET not in ra.text, (url, a, ra.text)
            assert ra.status_code == rb.status_code, (url, a, ra.text, rb.text)
            if ra.status_code == 200:
                text_a = ra.text.replace(guess_true, "").replace(guess_false, "")
                text_b = rb.text.replace(guess_true, "").replace(guess_false, "")
                assert text_a == text_b, (url, a, ra.text, rb.text)


def test_roles_shares_sessions_keys_and_webhooks_of_others(world: World) -> None:
    w = world
    rival = w.users["rival"]
    for actor in ("nobody", "clerk"):
        for params in ({"fields": '["name",{"roles":["role"]}]'}, {"fields": '["name","roles.role"]'}):
            r = w.send(actor, "GET", "/api/resource/User", params=params)
            assert w.role not in r.text, r.text
        r = w.send(actor, "GET", f"/api/resource/User/{rival}")
        assert r.status_code in (403, 404) or (w.role not in r.text and "api_secret" not in r.text)
        for doctype in ("Has Role", "DocShare", "Sessions", "Webhook", "Webhook Request Log"):
            r = w.send(actor, "GET", f"/api/resource/{doctype}", params={"fields": '["*"]'})
            assert r.status_code in (403, 404) or (rival not in r.text and w.role not in r.text), (
                doctype,
                r.text,
            )
        r = w.send(
            actor, "GET", "/api/resource/User", params={"filters": _j([["Has Role", "role", "=", w.role]])}
        )
        assert r.status_code == 403 or rival not in r.text, r.text
        r = w.send(
            actor, "POST", "/api/method/frappe.core.doctype.user.user.generate_keys", data={"user": rival}
        )
        assert r.status_code in (403, 417), r.text
        for fieldname in ("api_secret", "new_password", "password"):
            r = w.send(actor, "POST", "/api/method/frappe.client.get_password",
                       json={"doctype": "User", "name": rival, "fieldname": fieldname})  # fmt: skip
            assert r.status_code in (403, 404, 417), r.text
        r = w.send(actor, "POST", "/api/method/frappe.client.get_value",
                   json={"doctype": "User", "filters": rival, "fieldname": ["api_key", "api_secret", "last_ip"]})  # fmt: skip
        assert r.status_code in (403, 417) or not any((r.json()["message"] or {}).values()), r.text
        for doctype in ("Webhook", "Webhook Request Log"):
            assert w.send(actor, "GET", f"/api/resource/{doctype}").status_code == 403
            assert w.send(actor, "GET", f"/api/v2/document/{doctype}").status_code == 403
    hook_secret = f"hook-{secrets.token_hex(8)}"
    hook = _ok(w.admin.post("/api/resource/Webhook", json={
        "name": f"Campaign hook {secrets.token_hex(3)}", "webhook_doctype": "ToDo", "webhook_docevent": "on_update", "enabled": 0,
        "request_url": "http://127.0.0.1:9/none", "enable_security": 1, "webhook_secret": hook_secret,
    }))["data"]  # fmt: skip
    assert hook_secret not in json.dumps(hook)
    assert hook_secret not in w.admin.get(f"/api/resource/Webhook/{hook['name']}").text
    assert hook_secret not in w.admin.get("/api/resource/Webhook", params={"fields": '["*"]'}).text


def test_openapi_discovery_and_realtime(world: World) -> None:
    w = world
    for actor in ("nobody", "clerk", "guest"):
        r = w.send(actor, "GET", "/api/openapi.json")
        if r.status_code == 200:
            assert w.hidden_doctype not in r.text and "topsecretfield" not in r.text
        for url in ("/api/v2/discovery", "/api/v2/discovery/method", "/api/v2/discovery/search?q=user"):
            assert w.send(actor, "GET", url).status_code in (401, 403), url
    clerk_spec = w.send("clerk", "GET", "/api/openapi.json")
    assert clerk_spec.status_code == 200
    assert w.doctype in clerk_spec.text and w.hidden_doctype not in clerk_spec.text
    schemas = clerk_spec.json()["components"]["schemas"]
    mine = [s for key, s in schemas.items() if key.startswith(w.doctype.replace(" ", "_"))]
    assert mine and all("secret" not in s.get("properties", {}) for s in mine), mine
    for actor in ("nobody", "rival"):
        r = w.send(actor, "POST", "/api/method/frappe.realtime.has_permission",
                   json={"doctype": w.doctype, "name": w.doc})  # fmt: skip
        assert r.status_code in (403, 404) or r.json().get("message") is not True, r.text
        info = w.send(actor, "POST", "/api/method/frappe.realtime.get_user_info")
        assert info.status_code == 200 and w.users["clerk"] not in info.text
    guest_info = w.send("guest", "POST", "/api/method/frappe.realtime.get_user_info")
    assert guest_info.status_code in (200, 403)


HOSTILE_VALUES: list[Any] = [
    "'",
    '"',
    "`",
    "1) or (1=1",
    "name; DROP TABLE tabUser--",
    "count(*)",
    "sum(idx) desc",
    "sleep(1)",
    "(select 1)",
    "name desc, (select password from __Auth)",
    "\x00",
    "a\nb",
    "\u0000\ufffd",
    "²",
    "-1",
    "99999999999999999999999",
    "[",
    "{",
    "[[[[",
    '{"a":',
    "null",
    "[]",
    "{}",
    "x" * 5000,
    {"$where": "1"},
    [["name", "in", "(select 1)"]],
    [["name", "=", None]],
    [["name", "between", ["a"]]],
    [["name", "like"]],
    [["secret", "like", "a%"]],
    [["x" * 300, "=", 1]],
]
PARAMS = ("fields", "filters", "or_filters", "order_by", "group_by", "limit_start", "limit_page_length",
          "limit", "start", "expand", "pluck", "distinct", "fieldname", "name", "doctype", "txt")  # fmt: skip

RPC_PARAMS = {
    "frappe.client.get_list": PARAMS,
    "frappe.client.get_count": ("filters", "or_filters", "distinct", "doctype"),
    "frappe.client.get_value": ("fieldname", "filters", "doctype", "as_dict"),
    "frappe.client.get": ("name", "filters", "doctype"),
    "frappe.desk.search.search_link": ("txt", "filters", "doctype", "page_length", "searchfield"),
    "run_doc_method": ("dt", "dn", "method", "docs", "args"),
}


def _deep(n: int) -> str:
    """``n`` levels of list nesting around one condition, as JSON text (json.dumps would recurse)."""
    return "[" * n + '["name", "=", "x"]' + "]" * n


def test_hostile_input_never_breaks_the_server(world: World) -> None:
    w, dt = world, world.doctype
    counts = {d: _count(w, d) for d in (dt, "File", "User", "Role")}
    created = 0
    gets = [f"/api/resource/{dt}", f"/api/v2/document/{dt}", f"/api/v2/doctype/{dt}/count",
            "/api/resource/User", "/api/resource/File"]  # fmt: skip
    for actor in ("clerk", "nobody"):
        for value in HOSTILE_VALUES:
            encoded = _j(value)
            for url in gets if actor == "clerk" else gets[:1]:
                for param in PARAMS[:10]:
                    w.send(actor, "GET", url, params={param: encoded})
            for m, params in RPC_PARAMS.items() if actor == "clerk" else list(RPC_PARAMS.items())[:1]:
                for param in params:
                    w.send(actor, "POST", f"/api/method/{m}", json={"doctype": dt, param: value})
    for actor in ("clerk", "guest"):
        for depth in (50, 1000, 5000):
            for url in (f"/api/resource/{dt}", f"/api/v2/document/{dt}", f"/api/v2/doctype/{dt}/count"):
                w.send(actor, "GET", url, params={"filters": _deep(depth)})
            body = '{"doctype": ' + json.dumps(dt) + ', "filters": ' + _deep(depth) + "}"
            for m in ("frappe.client.get_list", "frappe.client.get_count"):
                w.send(
                    actor,
                    "POST",
                    f"/api/method/{m}",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            created += w.send(actor, "POST", f"/api/resource/{dt}", content='{"title": %s}' % ('{"a":' * depth + "1" + "}" * depth),
                   headers={"Content-Type": "application/json"}).status_code == 200  # fmt: skip
        bodies: list[tuple[bytes, str]] = [
            (b"{", "application/json"), (b"[1,2", "application/json"), (b"\xff\xfe", "application/json"),
            (b'{"title": "a\\u0000b"}', "application/json"), (b"null", "application/json"),
            (b"[]", "application/json"), (b'"str"', "application/json"), (b"x" * 2_000_000, "application/json"),
            (b'{"title":' * 2000, "application/json"), (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
            (b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc", "multipart/form-data; boundary=x"),
            (b"a=%zz&b", "application/x-www-form-urlencoded"), (b"<xml/>", "application/xml"),
        ]  # fmt: skip
        for body, ctype in bodies:
            for method, url in (("POST", f"/api/resource/{dt}"), ("PUT", f"/api/resource/{dt}/{w.doc}"),
                                ("POST", f"/api/v2/document/{dt}"), ("PATCH", f"/api/v2/document/{dt}/{w.doc}"),
                                ("POST", "/api/method/frappe.client.insert"), ("POST", "/api/method/upload_file"),
                                ("POST", "/api/method/login")):  # fmt: skip
                r = w.send(actor, method, url, content=body, headers={"Content-Type": ctype})
                if (
                    r.status_code == 200
                    and method == "POST"
                    and "upload_file" not in url
                    and "login" not in url
                ):
                    created += 1  # a valid body from the clerk, who may create: a whole document
        for method in ("QUERY", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "HEAD"):
            for url in (f"/api/resource/{dt}", f"/api/resource/{dt}/{w.doc}", f"/api/v2/document/{dt}",
                        "/api/method/ping", w.file_url):  # fmt: skip
                w.send(actor, method, url)
        for path in ("/api/resource/" + "x" * 3000, "/files/" + "y" * 300, "/private/files/" + "z" * 300,
                     "/api/v2/document/" + dt + "/" + "n" * 5000, "/api/method/" + "m" * 2000,
                     "/api/resource/%00", "/api/resource/a%0Ab", "/files/%2e%2e/%2e%2e/site_config.json"):  # fmt: skip
            w.send(actor, "GET", path)
        for header, value in (("Host", "h" * 300), ("X-Frappe-Site-Name", "s" * 300), ("X-Frappe-CSRF-Token", "c" * 8000),
                              ("Cookie", "sid=" + "q" * 4000), ("Authorization", "token " + "k" * 3000),
                              ("Authorization", "Basic !!!"), ("Authorization", "bearer x"), ("Accept", "\x7f")):  # fmt: skip
            headers = {header: value}
            if header == "Host":  # with the site named explicitly too, and without it (next header)
                headers["X-Frappe-Site-Name"] = w.site
            response = w.clients[actor].get(f"/api/resource/{dt}", headers=headers)
            w.requests += 1
            assert response.status_code < 500, (header, response.text[:300])
            assert not any(leak in response.text for leak in LEAKS), (header, response.text[:300])
    assert {d: _count(w, d) for d in counts} == {**counts, dt: counts[dt] + created}
    assert _ok(w.admin.get(f"/api/resource/{dt}/{w.doc}"))["data"]["secret"] == SECRET
    assert 1000 < w.requests < 20000
