"""Whitelisted methods over HTTP: resolution, argument binding, access checks, every route form.

Runs on every backend against a site with the test app ``tests.api.rpc.rpcapp`` installed.
"""

from __future__ import annotations

import json

from docframe.methods.registry import register_module
from tests.api.rpc import fixtures
from tests.conftest import ADMIN_PASSWORD, SiteClient

app_site, app_admin, app_guest = fixtures.app_site, fixtures.app_admin, fixtures.app_guest

API = "tests.api.rpc.rpcapp.api"


def _v1_message(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    return json.loads(json.loads(body["_server_messages"])[0])["message"]


def test_dotted_path_v1_and_v2_convert_typed_arguments(app_admin: SiteClient) -> None:
    v1 = app_admin.get(f"/api/method/{API}.add", params={"a": "5", "b": "7"})
    assert v1.status_code == 200 and v1.json() == {"message": 12}
    v2 = app_admin.post(f"/api/v2/method/{API}.add", json={"a": 1})
    assert v2.status_code == 200 and v2.json() == {"data": 11}


def test_unknown_arguments_are_dropped_and_kwargs_functions_get_everything(app_admin: SiteClient) -> None:
    dropped = app_admin.post(f"/api/method/{API}.add", json={"a": 2, "b": 3, "zzz": 1})
    assert dropped.json() == {"message": 5}
    everything = app_admin.post(
        f"/api/method/{API}.everything", json={"x": 1, "y": 2, "flags": {"a": 1}, "ignore_permissions": 1}
    )
    assert everything.json()["message"] == {"user": "Administrator", "keys": ["x", "y"]}


def test_wrong_type_missing_argument_and_bad_json_are_417(app_admin: SiteClient) -> None:
    wrong = app_admin.get(f"/api/v2/method/{API}.add", params={"a": "five"})
    assert wrong.status_code == 417
    error = wrong.json()["errors"][0]
    assert error["type"] == "FrappeTypeError"
    assert error["message"] == f"Argument 'a' in '{API}.add' should be of type 'int' but got 'str' instead."
    missing = app_admin.get(f"/api/method/{API}.add")
    assert missing.status_code == 417 and missing.json()["exc_type"] == "FrappeTypeError"
    assert "missing required argument: 'a'" in _v1_message(missing)
    bad_json = app_admin.get(f"/api/method/{API}.shape", params={"data": "{not json"})
    assert bad_json.status_code == 417 and bad_json.json()["exc_type"] == "FrappeTypeError"
    good = app_admin.get(
        f"/api/method/{API}.shape", params={"data": '{"b": 1, "a": 2}', "items": "[1,2,3]", "flag": "true"}
    )
    assert good.json() == {"message": {"keys": ["a", "b"], "count": 3, "flag": True}}


def test_not_whitelisted_is_403_with_frappes_message(app_admin: SiteClient) -> None:
    response = app_admin.get(f"/api/method/{API}.not_exposed")
    assert response.status_code == 403 and response.json()["exc_type"] == "PermissionError"
    assert _v1_message(response) == (
        "<details><summary>You are not permitted to access this resource.</summary>"
        f"Function <b>{API}.not_exposed</b> is not whitelisted.</details>"
    )
    v2 = app_admin.get(f"/api/v2/method/{API}.not_exposed").json()["errors"][0]
    assert v2["type"] == "PermissionError" and v2["title"] == "Method Not Allowed"


def test_unknown_methods_and_apps_that_are_not_installed_are_417(app_admin: SiteClient) -> None:
    missing = app_admin.get(f"/api/method/{API}.no_such_function")
    assert missing.status_code == 417 and missing.json()["exc_type"] == "ValidationError"
    assert _v1_message(missing).startswith(f"Failed to get method for command {API}.no_such_function with")
    module = app_admin.get("/api/v2/method/tests.api.rpc.rpcapp.nowhere.fn")
    assert module.status_code == 417
    assert module.json()["errors"][0]["message"].startswith(
        "Failed to get method tests.api.rpc.rpcapp.nowhere.fn"
    )
    foreign = app_admin.get("/api/method/os.path.join")
    assert foreign.status_code == 417 and "App os is not installed" in _v1_message(foreign)
    bare = app_admin.get("/api/method/not a name")
    assert bare.status_code == 417


def test_wrong_http_method_is_403_not_permitted(app_admin: SiteClient) -> None:
    response = app_admin.get(f"/api/method/{API}.post_only")
    assert response.status_code == 403 and _v1_message(response) == "Not permitted"
    assert app_admin.post(f"/api/method/{API}.post_only").json() == {"message": "posted"}
    patch = app_admin.patch(f"/api/v2/method/{API}.add", json={"a": 1})
    assert patch.status_code == 403 and patch.json()["errors"][0]["message"] == "Not permitted"


def test_guests_only_reach_allow_guest_methods(app_guest: SiteClient) -> None:
    assert app_guest.get(f"/api/method/{API}.hello", params={"name": "g"}).json() == {"message": "hello g"}
    refused = app_guest.get(f"/api/method/{API}.add", params={"a": 1})
    assert refused.status_code == 403 and "is not whitelisted" in _v1_message(refused)


def test_override_hook_replaces_the_method(app_admin: SiteClient, app_guest: SiteClient) -> None:
    assert app_admin.get(f"/api/method/{API}.original").json() == {"message": "replacement"}
    assert app_guest.get("/api/v2/method/frappe.ping").json() == {"data": "replacement"}
    assert app_guest.get("/api/v2/method/ping").json() == {"data": "pong"}


def test_registered_module_aliases_resolve(app_admin: SiteClient) -> None:
    register_module(API)
    assert app_admin.get("/api/method/rpcapp.short_name").json() == {"message": "aliased"}


def test_v1_ignores_trailing_path_parts_and_none_gives_empty_body(app_admin: SiteClient) -> None:
    trailing = app_admin.get(f"/api/method/{API}.hello/extra/parts/", params={"name": "t"})
    assert trailing.json() == {"message": "hello t"}
    assert app_admin.get(f"/api/method/{API}.returns_none").json() == {}
    assert app_admin.get(f"/api/v2/method/{API}.returns_none").json() == {}


def test_cmd_at_the_root_and_at_any_path(app_admin: SiteClient) -> None:
    root = app_admin.post("/", data={"cmd": f"{API}.add", "a": "40", "b": "2"})
    assert root.status_code == 200 and root.json() == {"message": 42}
    elsewhere = app_admin.get("/api/resource/ToDo", params={"cmd": f"{API}.hello", "name": "cmd"})
    assert elsewhere.json() == {"message": "hello cmd"}


def test_v2_doctype_scoped_method_equals_dotted_path(app_admin: SiteClient) -> None:
    app_admin.post("/api/v2/document/RPC Widget", json={"title": "scoped-1"})
    scoped = app_admin.get("/api/v2/method/RPC Widget/widget_count")
    dotted = app_admin.get("/api/v2/method/tests.api.rpc.rpcapp.doctypes.rpc_widget.rpc_widget.widget_count")
    assert scoped.status_code == 200 and scoped.json() == dotted.json()
    assert scoped.json()["data"] >= 1
    custom = app_admin.get("/api/v2/method/ToDo/anything")
    assert custom.status_code == 417


def test_v2_login_is_a_no_op_and_logout_ends_the_session(app_guest: SiteClient) -> None:
    assert app_guest.post("/api/v2/method/login", json={"usr": "x", "pwd": "y"}).json() == {}
    login = app_guest.post("/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
    assert login.status_code == 200
    who = app_guest.get("/api/v2/method/frappe.auth.get_logged_user")
    assert who.json() == {"data": "Administrator"}
    out = app_guest.post("/api/v2/method/logout")
    assert out.status_code == 200
    assert out.json() == {"message": "No App", "home_page": "/login", "full_name": "Guest"}
    after = app_guest.get("/api/v2/method/frappe.auth.get_logged_user")
    assert after.status_code in (401, 403)
