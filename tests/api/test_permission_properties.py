"""Property test of the permission layer: a caller never learns what it may not read (issue 10).

Hypothesis draws a world: a DocType whose fields sit at random ``permlevel`` s (with a child table
whose Table field and child fields have levels too, and a Link to a fixed target DocType), random
DocPerm rows for three roles (plain or owner-only read at level 0, read at levels 1 and 2), a user
with a random subset of those roles, and documents owned by the Administrator and by the user.
The test models, independently of docframe, which documents and levels the user may read, then asks
through v1, v2 and ``frappe.client`` (lists, counts, ``get_value``, ``get``, ``expand``, child
fields) and checks that

* no response contains a value of a field the user may not read, or any trace of a document the
  user may not read (its name or any of its values);
* for every field the user may not read, a condition, grouping or ordering on it gets the same
  answer for a true guess as for a false one (it is refused), while on a readable field the two
  answers differ (so the comparison can see a leak);
* no response is a 5xx.

It runs on SQLite with a bounded number of examples (each builds its own DocTypes and user).
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docframe.sites import Site
from tests.api.test_permissions_matrix import make_user, ok, rule
from tests.conftest import SiteClient, api_key_for

ROLES = ("r0", "r1", "r2")
COUNTER = itertools.count()


@dataclass
class Base:
    admin: SiteClient
    sites_root: Path
    roles: dict[str, str]
    target: str
    #: target documents: name -> (public token, level-1 token)
    target_docs: dict[str, tuple[str, str]]


@pytest.fixture(scope="module")
def base(sqlite_site: Site, sites_root: Path) -> Base:
    admin = SiteClient(sqlite_site, sites_root, api_key_for(sqlite_site))
    tag = secrets.token_hex(3)
    roles = {}
    for key in ROLES:
        roles[key] = f"Prop {key} {tag}"
        ok(admin.post("/api/resource/Role", json={"role_name": roles[key], "desk_access": 1}))
    target = f"Prop Target {tag}"
    ok(admin.post("/api/resource/DocType", json={
        "name": target, "custom": 1, "module": "Custom",
        "fields": [{"fieldname": "tpublic", "fieldtype": "Data"},
                   {"fieldname": "tsecret", "fieldtype": "Data", "permlevel": 1}],
        "permissions": [rule(r, read=1) for r in roles.values()] + [rule(roles["r2"], 1, read=1)],
    }))  # fmt: skip
    docs = {}
    for i in range(2):
        public, hidden = f"tgpub{tag}{i}", f"tgsec{tag}{i}"
        made = ok(admin.post(f"/api/resource/{target}", json={"tpublic": public, "tsecret": hidden}))
        docs[made["data"]["name"]] = (public, hidden)
    return Base(admin, sites_root, roles, target, docs)


@dataclass(frozen=True)
class Spec:
    #: main fields: (fieldtype, level)
    fields: tuple[tuple[str, int], ...]
    child_fields: tuple[int, ...]
    table_level: int
    link_level: int
    #: per role: (level-0 access "none" | "read" | "owner", reads level 1, reads level 2)
    perms: tuple[tuple[str, bool, bool], ...]
    user_roles: frozenset[str]


specs = st.builds(
    Spec,
    fields=st.lists(st.tuples(st.sampled_from(["Data", "Int"]), st.integers(0, 2)), min_size=1, max_size=4).map(
        tuple
    ),
    child_fields=st.lists(st.integers(0, 2), min_size=1, max_size=2).map(tuple),
    table_level=st.integers(0, 2),
    link_level=st.integers(0, 1),
    perms=st.tuples(*[st.tuples(st.sampled_from(["none", "read", "owner"]), st.booleans(), st.booleans())] * 3),
    user_roles=st.frozensets(st.sampled_from(ROLES), max_size=3),
)  # fmt: skip


@dataclass
class World:
    spec: Spec
    doctype: str
    child: str
    user: SiteClient
    #: name -> {fieldname: value} (child values under "c<i>", the link under "ref")
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    visible: set[str] = field(default_factory=set)
    levels: set[int] = field(default_factory=set)
    can_list: bool = False


def _build(base: Base, spec: Spec) -> World:
    n = next(COUNTER)
    tag = f"{secrets.token_hex(2)}{n}"
    child, doctype = f"Prop Row {tag}", f"Prop Doc {tag}"
    ok(base.admin.post("/api/resource/DocType", json={
        "name": child, "custom": 1, "module": "Custom", "istable": 1,
        "fields": [{"fieldname": f"c{i}", "fieldtype": "Data", "permlevel": lvl}
                   for i, lvl in enumerate(spec.child_fields)],
    }))  # fmt: skip
    fields: list[dict[str, Any]] = [
        {"fieldname": f"f{i}", "fieldtype": kind, "permlevel": lvl}
        for i, (kind, lvl) in enumerate(spec.fields)
    ]
    fields += [
        {"fieldname": "rows", "fieldtype": "Table", "options": child, "permlevel": spec.table_level},
        {"fieldname": "ref", "fieldtype": "Link", "options": base.target, "permlevel": spec.link_level},
    ]
    perms = [rule("System Manager", read=1, write=1, create=1)]
    for key, (zero, one, two) in zip(ROLES, spec.perms, strict=True):
        role = base.roles[key]
        if zero == "none":
            continue  # (a level above 0 needs a level-0 row for the same role)
        perms.append({**rule(role, read=1, write=1, create=1), "if_owner": int(zero == "owner")})
        perms += [rule(role, level, read=1) for level, on in ((1, one), (2, two)) if on]
    ok(base.admin.post("/api/resource/DocType", json={
        "name": doctype, "custom": 1, "module": "Custom", "fields": fields, "permissions": perms,
    }))  # fmt: skip
    user = make_user(base.admin, base.sites_root, [base.roles[r] for r in sorted(spec.user_roles)])
    world = World(spec, doctype, child, user)
    mine = [spec.perms[ROLES.index(r)] for r in spec.user_roles]
    world.can_list = any(z != "none" for z, _, _ in mine)
    mine = [m for m in mine if m[0] != "none"]
    world.levels = {0} | {1 for _, one, _ in mine if one} | {2 for _, _, two in mine if two}
    every = any(z == "read" for z, _, _ in mine)
    targets = sorted(base.target_docs)
    for d in range(3):
        values = _values(spec, tag, d, targets[d % 2])
        if d == 2 and world.can_list:
            name = ok(user.post(f"/api/resource/{doctype}", json={"f0": None}))["data"]["name"]
            ok(base.admin.put(f"/api/resource/{doctype}/{name}", json=_body(values)))
        else:
            name = ok(base.admin.post(f"/api/resource/{doctype}", json=_body(values)))["data"]["name"]
        world.docs[name] = values
        if world.can_list and (every or d == 2):
            world.visible.add(name)
    return world


def _values(spec: Spec, tag: str, d: int, target: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i, (kind, _lvl) in enumerate(spec.fields):
        values[f"f{i}"] = f"tk{tag}d{d}f{i}x" if kind == "Data" else 7000 + 10 * d + i
    for i, _lvl in enumerate(spec.child_fields):
        values[f"c{i}"] = f"tk{tag}d{d}c{i}x"
    values["ref"] = target
    return values


def _body(values: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in values.items() if k.startswith("c")}
    return {**{k: v for k, v in values.items() if not k.startswith("c")}, "rows": [row]}


def _readable(world: World, fieldname: str) -> bool:
    spec = world.spec
    if fieldname.startswith("f"):
        return spec.fields[int(fieldname[1:])][1] in world.levels
    if fieldname.startswith("c"):
        return spec.table_level in world.levels and spec.child_fields[int(fieldname[1:])] in world.levels
    return spec.link_level in world.levels


def _forbidden_text(base: Base, world: World) -> list[str]:
    """Strings no response may contain: hidden values, and every trace of an unreadable document."""
    out = []
    for name, values in world.docs.items():
        if name not in world.visible:
            out.append(name)
            out += [v for k, v in values.items() if isinstance(v, str) and k != "ref"]
            continue
        out += [v for k, v in values.items() if isinstance(v, str) and k != "ref" and not _readable(world, k)]
    may_read_target = bool(world.spec.user_roles)
    if not may_read_target or "r2" not in world.spec.user_roles:
        out += [hidden for _, hidden in base.target_docs.values()]
    if not may_read_target:
        out += [public for public, _ in base.target_docs.values()]
    return out


def _j(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _reads(world: World) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """Every read the user can make: (method, url, params or body, the document name it names)."""
    dt = world.doctype
    all_fields = ["*", *[f"f{i}" for i in range(len(world.spec.fields))], "ref", "rows.c0",
                  {"rows": [f"c{i}" for i in range(len(world.spec.child_fields))]}]  # fmt: skip
    plain = {"fields": _j(all_fields[1:]), "limit_page_length": 0}
    out: list[tuple[str, str, dict[str, Any], str | None]] = [
        ("GET", f"/api/resource/{dt}", plain, None),
        ("GET", f"/api/resource/{dt}", {"fields": '["*"]', "limit_page_length": 0}, None),
        ("GET", f"/api/v2/document/{dt}", {"fields": _j(all_fields), "expand": '["ref"]', "limit": 100}, None),
        ("GET", f"/api/v2/document/{dt}", {"fields": '["*"]', "expand": '["*"]', "limit": 100}, None),
        ("GET", f"/api/v2/doctype/{dt}/count", {}, None),
        ("POST", "/api/method/frappe.client.get_list", {"doctype": dt, "fields": all_fields[1:], "limit_page_length": 0}, None),
        ("POST", "/api/method/frappe.client.get_count", {"doctype": dt}, None),
        ("POST", "/api/method/frappe.client.get_value", {"doctype": dt, "fieldname": all_fields[1:-1]}, None),
        ("POST", "/api/method/frappe.desk.search.search_link", {"doctype": dt, "txt": ""}, None),
    ]  # fmt: skip
    for name in world.docs:
        out += [
            ("GET", f"/api/resource/{dt}/{name}", {}, name),
            ("GET", f"/api/v2/document/{dt}/{name}", {"expand": '["ref"]'}, name),
            ("POST", "/api/method/frappe.client.get", {"doctype": dt, "name": name}, name),
            ("POST", "/api/method/frappe.client.validate_link", {"doctype": dt, "docname": name, "fields": all_fields[1:-2]}, name),
            ("POST", "/api/method/frappe.client.get_value", {"doctype": dt, "fieldname": "f0", "filters": name}, name),
        ]  # fmt: skip
    return out


def _send(client: SiteClient, method: str, url: str, params: dict[str, Any]) -> Any:
    response = client.get(url, params=params) if method == "GET" else client.post(url, json=params)
    assert response.status_code < 500, response.text[:2000]
    return response


def _questions(world: World, fieldname: str, guess: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Requests whose answer would depend on ``fieldname`` = ``guess`` if the field were used."""
    dt = world.doctype
    if fieldname.startswith("c"):
        cond: Any = [[world.child, fieldname, "=", guess]]
    else:
        cond = [[fieldname, "=", guess]]
    f = _j(cond)
    return [
        ("GET", f"/api/resource/{dt}", {"filters": f}),
        ("GET", f"/api/resource/{dt}", {"or_filters": f}),
        ("GET", f"/api/v2/document/{dt}", {"filters": f}),
        ("GET", f"/api/v2/doctype/{dt}/count", {"filters": f}),
        ("POST", "/api/method/frappe.client.get_count", {"doctype": dt, "filters": cond}),
        ("POST", "/api/method/frappe.client.get_list", {"doctype": dt, "filters": cond}),
        (
            "POST",
            "/api/method/frappe.client.get_value",
            {"doctype": dt, "fieldname": "name", "filters": cond},
        ),
        ("POST", "/api/method/frappe.desk.reportview.get_count", {"doctype": dt, "filters": cond}),
        # the reported attack: a prefix at a time with ``like`` on the v2 count
        ("GET", f"/api/v2/doctype/{dt}/count", {"filters": _j(_like(cond, guess))}),
    ]


def _like(cond: list[list[Any]], guess: Any) -> list[list[Any]]:
    prefix = f"{str(guess)[:3]}%"
    return [[*c[:-2], "like", prefix] for c in cond]


def _orderings(world: World, fieldname: str) -> list[tuple[tuple[str, str, dict[str, Any]], ...]]:
    dt = world.doctype
    pairs: list[tuple[tuple[str, str, dict[str, Any]], ...]] = []
    for direction in ("asc", "desc"):
        pairs.append((
            ("GET", f"/api/resource/{dt}", {"order_by": f"{fieldname} {direction}", "limit_page_length": 0}),
            ("GET", f"/api/v2/document/{dt}", {"order_by": f"{fieldname} {direction}"}),
            ("GET", f"/api/resource/{dt}", {"fields": '["count(name) as n"]', "group_by": fieldname,
                                            "order_by": f"n {direction}"}),
        ))  # fmt: skip
    return pairs


def _answer(response: Any) -> tuple[int, str]:
    return response.status_code, response.text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(spec=specs)
def test_a_caller_never_learns_what_it_may_not_read(base: Base, spec: Spec) -> None:
    world = _build(base, spec)
    user = world.user
    forbidden = _forbidden_text(base, world)
    for method, url, params, named in _reads(world):
        response = _send(user, method, url, params)
        leaked = [text for text in forbidden if text in response.text and text != named]
        assert not leaked, (url, params, response.text[:2000])
    names = [f"f{i}" for i, (kind, _) in enumerate(spec.fields)] + [
        f"c{i}" for i in range(len(spec.child_fields))
    ]
    shown = sorted(world.visible)
    for fieldname in names:
        source = world.docs[shown[0] if shown else next(iter(world.docs))]
        right, wrong = source[fieldname], ("nope-guess" if isinstance(source[fieldname], str) else -1)
        for question_true, question_false in zip(
            _questions(world, fieldname, right), _questions(world, fieldname, wrong), strict=True
        ):
            true_answer = _answer(_send(user, *question_true))
            false_answer = _answer(_send(user, *question_false))
            if not _readable(world, fieldname) or not world.can_list:
                assert true_answer == false_answer, (fieldname, question_true, true_answer, false_answer)
            elif shown and question_true[1].endswith("/count"):
                assert true_answer != false_answer  # a readable field is a working question
        if not _readable(world, fieldname):
            asc, desc = _orderings(world, fieldname)
            for one, other in zip(asc, desc, strict=True):
                first, second = _answer(_send(user, *one)), _answer(_send(user, *other))
                assert (first[0] in (403, 417) and first == second) or not world.can_list, (
                    one,
                    first,
                    second,
                )
