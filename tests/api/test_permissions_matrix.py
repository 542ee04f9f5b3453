"""Permission matrix: several users, owner rules, permlevels, User Permissions and shares, against
every endpoint family (v1 resources, v2 documents and counts, ``frappe.client.*``), on every backend.

World (one per backend, built through the API as an Administrator would):

* DocType ``Perm Doc``: ``title``, ``region`` (Link to ``Perm Region``), ``secret`` (permlevel 1) and
  an ``items`` table (child ``Perm Item`` with ``cost`` at permlevel 1).
* Roles: manager (everything, level 1 read/write), clerk (read/write/create, level 1 read only),
  owner (everything but only on own documents), viewer (select only).
* Users: ``manager``, ``clerk``, ``owner``, ``restricted`` (clerk limited to region R1 by a User
  Permission), ``outsider`` (no role on the DocType; sees shares only), ``viewer``.
* Documents by the Administrator: ``d1`` (R1), ``d2`` (R2), ``d3`` (no region); by ``owner``: ``d4``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SiteClient

ALL_OFF = dict.fromkeys(
    ("read", "write", "create", "delete", "submit", "cancel", "amend", "report", "export", "import",
     "share", "print", "email", "select"), 0
)  # fmt: skip


def rule(role: str, level: int = 0, **rights: int) -> dict[str, Any]:
    """A DocPerm row with every right off except ``rights`` (the API would default several to 1)."""
    return {"role": role, "permlevel": level, **ALL_OFF, **rights}


def uid(prefix: str) -> str:
    return f"{prefix} {secrets.token_hex(4)}"


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def make_role(admin: SiteClient, prefix: str = "Matrix Role") -> str:
    name = uid(prefix)
    ok(admin.post("/api/resource/Role", json={"role_name": name}))
    return name


def make_user(
    admin: SiteClient, sites_root: Path, roles: list[str], password: str | None = None
) -> SiteClient:
    """Create a user through the API and give it a client authenticated by generated API keys."""
    email = f"matrix-{secrets.token_hex(5)}@example.com"
    body: dict[str, Any] = {"email": email, "first_name": "Matrix", "roles": [{"role": r} for r in roles]}
    if password:
        body["new_password"] = password
    name = ok(admin.post("/api/resource/User", json=body))["data"]["name"]
    keys = ok(admin.post("/api/method/frappe.core.doctype.user.user.generate_keys", data={"user": name}))
    client = SiteClient(
        admin.site, sites_root, f"token {keys['message']['api_key']}:{keys['message']['api_secret']}"
    )
    client.name = name  # type: ignore[attr-defined]
    return client


@dataclass
class World:
    doctype: str
    child: str
    region: str
    roles: dict[str, str]
    users: dict[str, SiteClient]
    docs: dict[str, str] = field(default_factory=dict)

    def user(self, key: str) -> SiteClient:
        return self.users[key]


def _make_doctypes(admin: SiteClient, roles: dict[str, str]) -> tuple[str, str, str]:
    region, child, doctype = uid("Perm Region"), uid("Perm Item"), uid("Perm Doc")
    ok(admin.post("/api/resource/DocType", json={
        "name": region, "custom": 1, "module": "Custom", "autoname": "field:region_name",
        "fields": [{"fieldname": "region_name", "fieldtype": "Data", "reqd": 1, "unique": 1}],
        "permissions": [rule(r, read=1, select=1) for r in roles.values()]
        + [rule("System Manager", read=1, write=1, create=1)],
    }))  # fmt: skip
    ok(admin.post("/api/resource/DocType", json={
        "name": child, "custom": 1, "module": "Custom", "istable": 1,
        "fields": [{"fieldname": "item", "fieldtype": "Data"},
                   {"fieldname": "cost", "fieldtype": "Int", "permlevel": 1}],
    }))  # fmt: skip
    ok(admin.post("/api/resource/DocType", json={
        "name": doctype, "custom": 1, "module": "Custom",
        "fields": [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "region", "fieldtype": "Link", "options": region},
            {"fieldname": "secret", "fieldtype": "Data", "permlevel": 1},
            {"fieldname": "items", "fieldtype": "Table", "options": child},
        ],
        "permissions": [
            rule(roles["manager"], read=1, write=1, create=1, delete=1, share=1),
            rule(roles["manager"], 1, read=1, write=1),
            rule(roles["clerk"], read=1, write=1, create=1),
            rule(roles["clerk"], 1, read=1),
            {**rule(roles["owner"], read=1, write=1, create=1, delete=1), "if_owner": 1},
            rule(roles["viewer"], select=1),
        ],
    }))  # fmt: skip
    return region, child, doctype


@pytest.fixture(scope="module")
def world(admin: SiteClient, sites_root: Path) -> World:
    roles = {key: make_role(admin, f"Matrix {key}") for key in ("manager", "clerk", "owner", "viewer")}
    region, child, doctype = _make_doctypes(admin, roles)
    for r in ("R1", "R2"):
        ok(admin.post(f"/api/resource/{region}", json={"region_name": f"{r}-{doctype[-8:]}"}))
    users = {
        "manager": make_user(admin, sites_root, [roles["manager"]]),
        "clerk": make_user(admin, sites_root, [roles["clerk"]]),
        "owner": make_user(admin, sites_root, [roles["owner"]]),
        "restricted": make_user(admin, sites_root, [roles["clerk"]]),
        "outsider": make_user(admin, sites_root, []),
        "viewer": make_user(admin, sites_root, [roles["viewer"]]),
    }
    w = World(doctype, child, region, roles, users)
    r1, r2 = f"R1-{doctype[-8:]}", f"R2-{doctype[-8:]}"
    w.docs["r1"], w.docs["r2"] = r1, r2
    for key, values in (("d1", {"region": r1}), ("d2", {"region": r2}), ("d3", {})):
        body = {"title": key, "secret": f"s-{key}", "items": [{"item": f"{key}-a", "cost": 7}], **values}
        w.docs[key] = ok(admin.post(f"/api/resource/{doctype}", json=body))["data"]["name"]
    d4 = {"title": "d4", "region": r1}
    w.docs["d4"] = ok(users["owner"].post(f"/api/resource/{doctype}", json=d4))["data"]["name"]
    ok(admin.post("/api/resource/User Permission", json={
        "user": users["restricted"].name, "allow": region, "for_value": r1,  # type: ignore[attr-defined]
    }))  # fmt: skip
    return w


def names_v1(client: SiteClient, doctype: str, **params: Any) -> set[str]:
    response = client.get(f"/api/resource/{doctype}", params={"limit_page_length": 0, **params})
    assert response.status_code == 200, response.text
    return {row["name"] for row in response.json()["data"]}


def names_v2(client: SiteClient, doctype: str) -> set[str]:
    response = client.get(f"/api/v2/document/{doctype}", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return {row["name"] for row in response.json()["data"]}


def count_v2(client: SiteClient, doctype: str) -> int:
    response = client.get(f"/api/v2/doctype/{doctype}/count")
    assert response.status_code == 200, response.text
    return int(response.json()["data"])


def client_list(client: SiteClient, doctype: str) -> set[str]:
    response = client.post(
        "/api/method/frappe.client.get_list", json={"doctype": doctype, "limit_page_length": 0}
    )
    assert response.status_code == 200, response.text
    return {row["name"] for row in response.json()["message"]}


def mine(w: World, *keys: str) -> set[str]:
    return {w.docs[k] for k in keys}


# -- lists and counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("manager", ("d1", "d2", "d3", "d4")),
        ("clerk", ("d1", "d2", "d3", "d4")),
        ("owner", ("d4",)),
        ("restricted", ("d1", "d3", "d4")),
        ("viewer", ("d1", "d2", "d3", "d4")),
    ],
)
def test_lists_and_counts_show_exactly_the_permitted_rows(
    world: World, user: str, visible: tuple[str, ...]
) -> None:
    client = world.user(user)
    expected = mine(world, *visible)
    assert names_v1(client, world.doctype) == expected
    assert names_v2(client, world.doctype) == expected
    assert count_v2(client, world.doctype) == len(expected)
    assert client_list(client, world.doctype) == expected
    counted = client.get("/api/method/frappe.client.get_count", params={"doctype": world.doctype})
    assert ok(counted)["message"] == len(expected)


def test_a_user_without_any_rule_cannot_list(world: World, guest: SiteClient) -> None:
    for client in (world.user("outsider"), guest):
        v1 = client.get(f"/api/resource/{world.doctype}")
        assert v1.status_code == 403 and v1.json()["exc_type"] == "PermissionError"
        v2 = client.get(f"/api/v2/document/{world.doctype}")
        assert v2.status_code == 403 and v2.json()["errors"][0]["type"] == "PermissionError"
        assert client.get(f"/api/v2/doctype/{world.doctype}/count").status_code == 403
        rpc = client.get("/api/method/frappe.client.get_list", params={"doctype": world.doctype})
        assert rpc.status_code == 403


def test_filters_cannot_widen_a_restricted_list(world: World) -> None:
    client = world.user("restricted")
    wide = {"filters": json.dumps([["region", "in", [world.docs["r1"], world.docs["r2"]]]])}
    assert names_v1(client, world.doctype, **wide) == mine(world, "d1", "d4")
    owner = world.user("owner")
    anyone = {"filters": json.dumps([["owner", "!=", "nobody"]])}
    assert names_v1(owner, world.doctype, **anyone) == mine(world, "d4")
    or_filters = {"or_filters": json.dumps([["owner", "=", "Administrator"], ["name", "is", "set"]])}
    assert names_v1(owner, world.doctype, **or_filters) == mine(world, "d4")


# -- reads --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "doc", "status"),
    [
        ("manager", "d2", 200),
        ("clerk", "d2", 200),
        ("owner", "d4", 200),
        ("owner", "d1", 403),
        ("restricted", "d1", 200),
        ("restricted", "d3", 200),
        ("restricted", "d2", 403),
        ("viewer", "d1", 403),
        ("outsider", "d1", 403),
    ],
)
def test_document_reads(world: World, user: str, doc: str, status: int) -> None:
    client, name = world.user(user), world.docs[doc]
    v1 = client.get(f"/api/resource/{world.doctype}/{name}")
    assert v1.status_code == status, v1.text
    v2 = client.get(f"/api/v2/document/{world.doctype}/{name}")
    assert v2.status_code == status
    rpc = client.get("/api/method/frappe.client.get", params={"doctype": world.doctype, "name": name})
    assert rpc.status_code == status
    if status == 403:
        assert v1.json()["exc_type"] == "PermissionError"
        assert v2.json()["errors"][0]["type"] == "PermissionError"
    else:
        assert v1.json()["data"]["name"] == name and v2.json()["data"]["name"] == name


def test_missing_documents_are_404_only_for_users_who_may_read_the_doctype(world: World) -> None:
    for user, status in (("manager", 404), ("owner", 404), ("outsider", 403), ("viewer", 403)):
        client = world.user(user)
        assert client.get(f"/api/resource/{world.doctype}/no-such-doc").status_code == status, user
        assert client.get(f"/api/v2/document/{world.doctype}/no-such-doc").status_code == status, user
        assert client.delete(f"/api/resource/{world.doctype}/no-such-doc").status_code == status, user


def test_field_levels_mask_reads_for_users_without_level_1(world: World, admin: SiteClient) -> None:
    name = world.docs["d2"]
    managed = ok(world.user("manager").get(f"/api/resource/{world.doctype}/{name}"))["data"]
    assert managed["secret"] == "s-d2" and managed["items"][0]["cost"] == 7
    clerk = ok(world.user("clerk").get(f"/api/v2/document/{world.doctype}/{name}"))["data"]
    assert clerk["secret"] == "s-d2"  # clerk has level-1 read
    owner_doc = ok(world.user("owner").get(f"/api/resource/{world.doctype}/{world.docs['d4']}"))["data"]
    assert "secret" not in owner_doc  # no level-1 rule for the owner role: masked (v1 omits nulls)
    v2 = ok(world.user("owner").get(f"/api/v2/document/{world.doctype}/{world.docs['d4']}"))["data"]
    assert v2["secret"] is None
    ok(
        admin.put(
            f"/api/resource/{world.doctype}/{world.docs['d4']}",
            json={"secret": "top", "items": [{"item": "x", "cost": 3}]},
        )
    )
    hidden = ok(world.user("owner").get(f"/api/v2/document/{world.doctype}/{world.docs['d4']}"))["data"]
    assert (
        hidden["secret"] is None and hidden["items"][0]["item"] == "x" and hidden["items"][0]["cost"] is None
    )
    via_rpc = ok(
        world.user("owner").get(
            "/api/method/frappe.client.get", params={"doctype": world.doctype, "name": world.docs["d4"]}
        )
    )
    assert via_rpc["message"].get("secret") is None


# -- writes -------------------------------------------------------------------------------------------


def _new_doc(admin: SiteClient, world: World, **values: Any) -> str:
    body = {"title": "w", "secret": "orig", "items": [{"item": "row", "cost": 1}], **values}
    return ok(admin.post(f"/api/resource/{world.doctype}", json=body))["data"]["name"]


def test_write_protection_resets_level_1_fields_silently(world: World, admin: SiteClient) -> None:
    name = _new_doc(admin, world)
    clerk = world.user("clerk")
    stored = ok(clerk.get(f"/api/resource/{world.doctype}/{name}"))["data"]
    rows = [{**stored["items"][0], "item": "edited", "cost": 99}]
    updated = clerk.put(
        f"/api/resource/{world.doctype}/{name}", json={"title": "changed", "secret": "hacked", "items": rows}
    )
    data = ok(updated)["data"]
    assert data["title"] == "changed" and data["secret"] == "orig"
    assert data["items"][0]["item"] == "edited" and data["items"][0]["cost"] == 1
    manager = world.user("manager")
    data = ok(manager.patch(f"/api/v2/document/{world.doctype}/{name}", json={"secret": "new"}))["data"]
    assert data["secret"] == "new"
    created = ok(clerk.post(f"/api/v2/document/{world.doctype}", json={"title": "c", "secret": "mine"}))[
        "data"
    ]
    assert created["secret"] is None  # reset to the (empty) default on insert
    assert ok(admin.get(f"/api/resource/{world.doctype}/{created['name']}"))["data"].get("secret") is None


@pytest.mark.parametrize(
    ("user", "doc", "status"),
    [
        ("manager", "d1", 200),
        ("clerk", "d1", 200),
        ("owner", "d4", 200),
        ("owner", "d1", 403),
        ("restricted", "d2", 403),
        ("viewer", "d1", 403),
        ("outsider", "d1", 403),
    ],
)
def test_updates(world: World, user: str, doc: str, status: int) -> None:
    client, name = world.user(user), world.docs[doc]
    v1 = client.put(f"/api/resource/{world.doctype}/{name}", json={"title": f"{doc} by {user}"})
    assert v1.status_code == status, v1.text
    v2 = client.patch(f"/api/v2/document/{world.doctype}/{name}", json={"title": f"{doc} v2 by {user}"})
    assert v2.status_code == status
    rpc = client.post(
        "/api/method/frappe.client.set_value",
        json={"doctype": world.doctype, "name": name, "fieldname": "title", "value": f"{doc} rpc"},
    )
    assert rpc.status_code == status


def test_restricted_user_cannot_point_a_link_outside_their_values(world: World) -> None:
    client = world.user("restricted")
    refused = client.post(f"/api/resource/{world.doctype}", json={"title": "x", "region": world.docs["r2"]})
    assert refused.status_code == 403 and refused.json()["exc_type"] == "PermissionError"
    allowed = client.post(
        f"/api/v2/document/{world.doctype}", json={"title": "y", "region": world.docs["r1"]}
    )
    assert allowed.status_code == 200
    moved = client.put(f"/api/resource/{world.doctype}/{world.docs['d1']}", json={"region": world.docs["r2"]})
    assert moved.status_code == 403
    region_list = names_v1(client, world.region)
    assert region_list == {world.docs["r1"]}


def test_creates(world: World) -> None:
    for user, status in (
        ("manager", 200),
        ("clerk", 200),
        ("owner", 200),
        ("viewer", 403),
        ("outsider", 403),
    ):
        client = world.user(user)
        assert client.post(f"/api/resource/{world.doctype}", json={"title": user}).status_code == status, user
        v2 = client.post(f"/api/v2/document/{world.doctype}", json={"title": user})
        assert v2.status_code == status
        rpc = client.post(
            "/api/method/frappe.client.insert", json={"doc": {"doctype": world.doctype, "title": user}}
        )
        assert rpc.status_code == status


def test_deletes(world: World, admin: SiteClient) -> None:
    for user, status in (("clerk", 403), ("viewer", 403), ("outsider", 403), ("manager", 202)):
        name = _new_doc(admin, world)
        response = world.user(user).delete(f"/api/resource/{world.doctype}/{name}")
        assert response.status_code == status, user
        v2 = world.user(user).delete(f"/api/v2/document/{world.doctype}/{name}")
        assert v2.status_code == (404 if status == 202 else status), user
    own = ok(world.user("owner").post(f"/api/resource/{world.doctype}", json={"title": "own"}))["data"][
        "name"
    ]
    assert world.user("owner").delete(f"/api/v2/document/{world.doctype}/{own}").status_code == 202
    other = _new_doc(admin, world)
    assert world.user("owner").delete(f"/api/resource/{world.doctype}/{other}").status_code == 403


# -- child tables -------------------------------------------------------------------------------------


def test_child_rows_follow_their_parent(world: World, admin: SiteClient) -> None:
    doc = ok(admin.get(f"/api/resource/{world.doctype}/{world.docs['d2']}"))["data"]
    row = doc["items"][0]["name"]
    assert world.user("clerk").get(f"/api/resource/{world.child}/{row}").status_code == 200
    assert world.user("restricted").get(f"/api/resource/{world.child}/{row}").status_code == 403
    assert world.user("owner").get(f"/api/v2/document/{world.child}/{row}").status_code == 403
    listed = world.user("restricted").get(
        f"/api/resource/{world.child}",
        params={"parent": world.doctype, "fields": json.dumps(["parent"]), "limit_page_length": 0},
    )
    parents = {r["parent"] for r in ok(listed)["data"]}
    assert world.docs["d2"] not in parents and world.docs["d1"] in parents
    no_parent = world.user("clerk").get(f"/api/resource/{world.child}")
    assert no_parent.status_code == 403
    edit = world.user("restricted").put(f"/api/resource/{world.child}/{row}", json={"item": "nope"})
    assert edit.status_code == 403


# -- shares -------------------------------------------------------------------------------------------


def test_shares_grant_read_then_write_on_one_document(world: World, admin: SiteClient) -> None:
    outsider = world.user("outsider")
    name = _new_doc(admin, world)
    share = ok(admin.post("/api/method/frappe.share.add", json={
        "doctype": world.doctype, "name": name, "user": outsider.name,  # type: ignore[attr-defined]
    }))["message"]  # fmt: skip
    assert share["read"] == 1 and share["write"] == 0
    assert names_v1(outsider, world.doctype) == {name}
    assert names_v2(outsider, world.doctype) == {name}
    assert count_v2(outsider, world.doctype) == 1
    read = ok(outsider.get(f"/api/resource/{world.doctype}/{name}"))["data"]
    assert read["title"] == "w" and "secret" not in read  # shares grant level 0 only
    assert outsider.put(f"/api/resource/{world.doctype}/{name}", json={"title": "x"}).status_code == 403
    assert outsider.get(f"/api/resource/{world.doctype}/{world.docs['d1']}").status_code == 403
    ok(admin.post("/api/method/frappe.share.add", json={
        "doctype": world.doctype, "name": name, "user": outsider.name, "write": 1,  # type: ignore[attr-defined]
    }))  # fmt: skip
    assert (
        ok(outsider.put(f"/api/resource/{world.doctype}/{name}", json={"title": "shared edit"}))["data"][
            "title"
        ]
        == "shared edit"
    )
    assert outsider.delete(f"/api/resource/{world.doctype}/{name}").status_code == 403
    perm = ok(
        outsider.get(
            "/api/method/frappe.client.has_permission",
            params={"doctype": world.doctype, "docname": name, "perm_type": "write"},
        )
    )
    assert perm["message"] == {"has_permission": True}
    ok(admin.post("/api/method/frappe.share.remove", json={
        "doctype": world.doctype, "name": name, "user": outsider.name,  # type: ignore[attr-defined]
    }))  # fmt: skip
    assert outsider.get(f"/api/resource/{world.doctype}/{name}").status_code == 403


def test_shares_widen_a_restricted_list_and_sharing_needs_the_share_right(
    world: World, admin: SiteClient
) -> None:
    restricted, clerk = world.user("restricted"), world.user("clerk")
    name = _new_doc(admin, world, region=world.docs["r2"])
    assert name not in names_v1(restricted, world.doctype)
    refused = clerk.post(
        "/api/method/frappe.share.add", json={"doctype": world.doctype, "name": name, "user": restricted.name}
    )  # type: ignore[attr-defined]
    assert refused.status_code == 403
    ok(
        world.user("manager").post(
            "/api/method/frappe.share.add",
            json={"doctype": world.doctype, "name": name, "user": restricted.name},
        )
    )  # type: ignore[attr-defined]
    assert name in names_v1(restricted, world.doctype)
    assert restricted.get(f"/api/v2/document/{world.doctype}/{name}").status_code == 200
    everyone = _new_doc(admin, world)
    ok(
        admin.post(
            "/api/method/frappe.share.add", json={"doctype": world.doctype, "name": everyone, "everyone": 1}
        )
    )
    assert world.user("outsider").get(f"/api/resource/{world.doctype}/{everyone}").status_code == 200


# -- frappe.client permission methods ------------------------------------------------------------------


def test_has_permission_and_get_doc_permissions(world: World) -> None:
    def has(user: str, doc: str, ptype: str) -> bool:
        params = {"doctype": world.doctype, "docname": world.docs[doc], "perm_type": ptype}
        return ok(world.user(user).get("/api/method/frappe.client.has_permission", params=params))["message"][
            "has_permission"
        ]

    assert has("manager", "d1", "delete") and not has("clerk", "d1", "delete")
    assert has("clerk", "d2", "write") and not has("restricted", "d2", "read")
    assert has("owner", "d4", "delete") and not has("owner", "d1", "read")
    assert not has("manager", "d1", "submit")  # not submittable
    perms = ok(
        world.user("owner").get(
            "/api/method/frappe.client.get_doc_permissions",
            params={"doctype": world.doctype, "docname": world.docs["d4"]},
        )
    )
    rights = perms["message"]["permissions"]
    assert rights["read"] == 1 and rights["delete"] == 1 and rights["share"] == 0 and rights["submit"] == 0
    other = ok(
        world.user("owner").get(
            "/api/method/frappe.client.get_doc_permissions",
            params={"doctype": world.doctype, "docname": world.docs["d1"]},
        )
    )
    assert other["message"]["permissions"]["read"] == 0 and other["message"]["permissions"]["write"] == 0
    v2 = world.user("restricted").get(
        "/api/v2/method/frappe.client.has_permission",
        params={"doctype": world.doctype, "docname": world.docs["d1"]},
    )
    assert ok(v2)["data"] == {"has_permission": True}
    missing = world.user("outsider").get(
        "/api/method/frappe.client.has_permission", params={"doctype": world.doctype, "docname": "nope"}
    )
    assert missing.status_code == 403


# -- standard DocTypes with controller rules -------------------------------------------------------------


@pytest.fixture(scope="module")
def people(admin: SiteClient, sites_root: Path) -> dict[str, SiteClient]:
    desk = make_role(admin, "Matrix Desk")
    return {
        "a": make_user(admin, sites_root, [desk]),
        "b": make_user(admin, sites_root, [desk]),
        "sm": make_user(admin, sites_root, ["System Manager"]),
    }


def test_todo_is_private_to_the_people_it_concerns(people: dict[str, SiteClient], admin: SiteClient) -> None:
    a, b, sm = people["a"], people["b"], people["sm"]
    own = ok(a.post("/api/resource/ToDo", json={"description": "a's own"}))["data"]["name"]
    for_b = ok(admin.post("/api/resource/ToDo", json={"description": "for b", "allocated_to": b.name}))[
        "data"
    ]["name"]  # type: ignore[attr-defined]
    assert a.get(f"/api/resource/ToDo/{own}").status_code == 200
    assert b.get(f"/api/resource/ToDo/{own}").status_code == 403
    assert b.get(f"/api/v2/document/ToDo/{for_b}").status_code == 200
    assert a.get(f"/api/v2/document/ToDo/{for_b}").status_code == 403
    assert a.put(f"/api/resource/ToDo/{for_b}", json={"status": "Closed"}).status_code == 403
    assert sm.get(f"/api/resource/ToDo/{own}").status_code == 200  # System Manager holds ToDo rights
    a_names, b_names, sm_names = names_v1(a, "ToDo"), names_v2(b, "ToDo"), names_v1(sm, "ToDo")
    assert own in a_names and for_b not in a_names
    assert for_b in b_names and own not in b_names
    assert {own, for_b} <= sm_names
    counted = ok(
        b.get("/api/v2/doctype/ToDo/count", params={"filters": json.dumps([["name", "in", [own, for_b]]])})
    )
    assert counted["data"] == 1


def test_notes_are_private_unless_public_even_for_system_managers(
    people: dict[str, SiteClient], admin: SiteClient
) -> None:
    a, b, sm = people["a"], people["b"], people["sm"]
    private = ok(a.post("/api/resource/Note", json={"title": "mine", "public": 1}))["data"]
    assert private["public"] == 0  # level 1 is not writable for Desk Users: reset silently
    assert b.get(f"/api/resource/Note/{private['name']}").status_code == 403
    assert sm.get(f"/api/resource/Note/{private['name']}").status_code == 403
    assert private["name"] not in names_v1(sm, "Note")
    public = ok(sm.post("/api/resource/Note", json={"title": "for all", "public": 1}))["data"]
    assert public["public"] == 1
    assert ok(b.get(f"/api/resource/Note/{public['name']}"))["data"]["title"] == "for all"
    assert b.put(f"/api/resource/Note/{public['name']}", json={"title": "edited"}).status_code == 403
    assert public["name"] in names_v2(b, "Note") and private["name"] not in names_v2(b, "Note")
    assert (
        ok(a.put(f"/api/resource/Note/{private['name']}", json={"title": "still mine"}))["data"]["title"]
        == "still mine"
    )
    assert ok(admin.get(f"/api/resource/Note/{private['name']}"))["data"]["title"] == "still mine"


def test_user_records(people: dict[str, SiteClient], admin: SiteClient) -> None:
    a, b, sm = people["a"], people["b"], people["sm"]
    for client in (a, sm):
        assert client.get("/api/resource/User/Administrator").status_code == 403
        assert client.get("/api/v2/document/User/Guest").status_code == 403
        listed = names_v1(client, "User")
        assert "Administrator" not in listed and "Guest" not in listed
    me = ok(a.get(f"/api/resource/User/{a.name}"))["data"]  # type: ignore[attr-defined]
    assert me["email"] == a.name and me["roles"] == []  # own record via self-share; roles are level 1  # type: ignore[attr-defined]
    assert "api_secret" not in me or set(me["api_secret"]) == {"*"}
    assert a.get(f"/api/resource/User/{b.name}").status_code == 403  # type: ignore[attr-defined]
    grab = a.put(
        f"/api/resource/User/{a.name}", json={"first_name": "Renamed", "roles": [{"role": "System Manager"}]}
    )  # type: ignore[attr-defined]
    assert ok(grab)["data"]["first_name"] == "Renamed"
    stored = ok(admin.get(f"/api/resource/User/{a.name}"))["data"]  # type: ignore[attr-defined]
    assert "System Manager" not in {r["role"] for r in stored["roles"]}
    assert ok(sm.get(f"/api/resource/User/{b.name}"))["data"]["roles"]  # type: ignore[attr-defined]
    assert sm.put("/api/resource/User/Administrator", json={"first_name": "x"}).status_code == 403
    assert "new_password" not in stored or stored["new_password"] in (None, "")


def test_guest_is_refused_everywhere(guest: SiteClient, world: World) -> None:
    for url in ("/api/resource/ToDo", f"/api/resource/{world.doctype}/{world.docs['d1']}", "/api/v2/document/Note",
                "/api/v2/doctype/User/count", "/api/resource/User/Administrator"):  # fmt: skip
        assert guest.get(url).status_code == 403, url
    assert guest.post("/api/resource/ToDo", json={"description": "x"}).status_code == 403
    assert guest.get("/api/method/frappe.client.get_list", params={"doctype": "ToDo"}).status_code == 403
