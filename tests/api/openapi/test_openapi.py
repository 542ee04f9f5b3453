"""/api/openapi.json, /api/docs and the discovery API through the in-process client (SQLite site)."""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from docframe.meta.loader import load_meta
from docframe.sites import Site
from tests.api.test_permissions_matrix import make_role, make_user, rule
from tests.conftest import SiteClient, api_key_for


@pytest.fixture(scope="module")
def admin_client(sqlite_site: Site, sites_root: Path) -> SiteClient:
    return SiteClient(sqlite_site, sites_root, api_key_for(sqlite_site))


@pytest.fixture()
def guest_client(sqlite_site: Site, sites_root: Path) -> SiteClient:
    return SiteClient(sqlite_site, sites_root)


def spec_of(client: SiteClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def make_doctype(
    admin: SiteClient, perms: list[dict[str, Any]], fields: list[dict[str, Any]] | None = None
) -> str:
    name = f"OA Thing {secrets.token_hex(3)}"
    body = {
        "name": name, "module": "Custom", "custom": 1, "autoname": "hash", "permissions": perms,
        "fields": fields or [
            {"fieldname": "title", "fieldtype": "Data", "label": "Title", "reqd": 1, "length": 60},
            {"fieldname": "secret", "fieldtype": "Data", "label": "Secret", "permlevel": 1},
        ],
    }  # fmt: skip
    response = admin.post("/api/resource/DocType", json=body)
    assert response.status_code == 200, response.text
    return name


def test_the_administrators_spec_is_valid_openapi_31_with_concrete_todo_paths(
    admin_client: SiteClient,
) -> None:
    spec = spec_of(admin_client)
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    paths = spec["paths"]
    assert set(paths["/api/resource/ToDo"]) == {"get", "post"}
    assert set(paths["/api/resource/ToDo/{name}"]) == {"parameters", "get", "put", "delete"}
    assert set(paths["/api/v2/document/ToDo/{name}"]) == {"parameters", "get", "put", "patch", "delete"}
    for extra in ("/copy", "/method/add_comment"):
        assert f"/api/v2/document/ToDo/{{name}}{extra}" in paths
    for route in ("meta", "count", "search"):
        assert f"/api/v2/doctype/ToDo/{route}" in paths
    for bulk in ("bulk_insert", "bulk_update", "bulk_delete"):
        assert f"/api/v2/document/ToDo/{bulk}" in paths
    assert not any("{doctype}" in p for p in paths), "DocType paths are concrete, never templates"
    for method in ("login", "logout", "ping", "upload_file", "frappe.client.get_list"):
        assert f"/api/method/{method}" in paths
    assert set(paths["/api/method/frappe.client.insert"]) == {"post", "put"}
    assert set(paths["/api/v2/method/logout"]) == {"post"}
    # No OAuth provider: a Bearer token is refused, so no Bearer scheme is offered.
    assert set(spec["components"]["securitySchemes"]) == {"sid", "token", "basic"}


def test_query_parameters_and_envelopes_have_their_real_shapes(admin_client: SiteClient) -> None:
    spec = spec_of(admin_client)
    v1_list = spec["paths"]["/api/resource/ToDo"]["get"]
    params = {p["name"]: p for p in v1_list["parameters"]}
    assert {
        "fields",
        "filters",
        "or_filters",
        "order_by",
        "group_by",
        "limit_start",
        "limit_page_length",
        "expand",
    } <= set(params)
    assert params["fields"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert params["filters"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ToDoFilters"
    }
    filters = spec["components"]["schemas"]["ToDoFilters"]["anyOf"]
    assert "status" in filters[0]["propertyNames"]["enum"]
    assert "like" in filters[1]["items"]["prefixItems"][1]["enum"]
    v2_params = {p["name"] for p in spec["paths"]["/api/v2/document/ToDo"]["get"]["parameters"]}
    assert {"start", "limit", "include", "expand"} <= v2_params
    read_v1 = v1_list["responses"]["200"]["content"]["application/json"]["schema"]
    assert read_v1["required"] == ["data"]
    method_v1 = spec["paths"]["/api/method/ping"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert method_v1["properties"]["message"] == {"type": "string"}
    method_v2 = spec["paths"]["/api/v2/method/ping"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    assert method_v2["properties"]["data"] == {"type": "string"}
    create = spec["paths"]["/api/v2/document/ToDo"]["post"]["responses"]
    assert create["417"] == {"$ref": "#/components/responses/V2Error417"}
    assert spec["paths"]["/api/resource/ToDo"]["post"]["responses"]["409"] == {
        "$ref": "#/components/responses/V1Error409"
    }
    assert spec["components"]["schemas"]["V2Error"]["required"] == ["errors"]


def test_method_parameters_come_from_type_hints_and_docstrings(admin_client: SiteClient) -> None:
    spec = spec_of(admin_client)
    get_value = spec["paths"]["/api/method/frappe.client.get_value"]["post"]
    body = get_value["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["doctype"] == {"type": "string"}
    assert "doctype" in body["required"]
    assert get_value["summary"].startswith("Values of the first matching row")
    upload = spec["paths"]["/api/method/upload_file"]["post"]["requestBody"]["content"]
    assert "file" in upload["multipart/form-data"]["schema"]["properties"]


def test_todo_schema_from_its_fields(admin_client: SiteClient) -> None:
    schema = spec_of(admin_client)["components"]["schemas"]["ToDo"]
    props = schema["properties"]
    assert props["status"]["enum"] == ["", "Open", "Closed", "Cancelled", None]
    assert props["date"]["format"] == "date"
    assert props["allocated_to"]["maxLength"] == 140
    assert props["name"]["readOnly"] is True and props["modified"]["readOnly"] is True
    assert schema["required"] == ["description"]
    patch = spec_of(admin_client)["components"]["schemas"]["ToDoPatch"]
    assert "name" not in patch["properties"] and "required" not in patch


def test_a_read_only_role_gets_no_writes_and_no_hidden_fields(
    admin_client: SiteClient, sites_root: Path
) -> None:
    role = make_role(admin_client, "OA Reader")
    name = make_doctype(
        admin_client, [rule("System Manager", read=1, write=1, create=1, delete=1), rule(role, read=1)]
    )
    reader = make_user(admin_client, sites_root, [role])
    spec = spec_of(reader)
    validate(spec)
    assert set(spec["paths"][f"/api/resource/{name}"]) == {"get"}
    assert set(spec["paths"][f"/api/v2/document/{name}/{{name}}"]) == {"parameters", "get"}
    assert f"/api/v2/document/{name}/bulk_insert" not in spec["paths"]
    assert "/api/resource/DocType" not in spec["paths"]  # no rule for the role on DocType
    component = spec["components"]["schemas"][name.replace(" ", "_")]
    assert "title" in component["properties"] and "secret" not in component["properties"]
    assert component["properties"]["title"]["maxLength"] == 60
    full = spec_of(admin_client)["components"]["schemas"][name.replace(" ", "_")]
    assert "secret" in full["properties"]


def test_guest_sees_only_guest_methods_and_login(guest_client: SiteClient) -> None:
    spec = spec_of(guest_client)
    validate(spec)
    paths = set(spec["paths"])
    assert "/api/method/login" in paths and "/api/method/ping" in paths
    assert not any(p.startswith(("/api/resource", "/api/v2/document")) for p in paths)
    assert "/api/method/frappe.client.get_list" not in paths
    assert "/api/v2/method/frappe.client.insert" not in paths
    # Nothing about DocTypes a Guest cannot read, not even their child tables' fields.
    assert set(spec["components"]["schemas"]) == {"ServerMessage", "V1Error", "V2Error"}
    assert set(spec["tags"][i]["name"] for i in range(len(spec["tags"]))) == {"Auth", "Methods"}


def test_a_doctype_created_at_run_time_is_in_the_next_fetch(admin_client: SiteClient) -> None:
    before = admin_client.get("/api/openapi.json").content
    assert admin_client.get("/api/openapi.json").content == before  # cached: same bytes
    name = make_doctype(admin_client, [rule("System Manager", read=1, write=1, create=1, delete=1)])
    spec = spec_of(admin_client)
    assert f"/api/resource/{name}" in spec["paths"]
    assert name.replace(" ", "_") in spec["components"]["schemas"]


def test_one_odd_doctype_never_breaks_the_document(
    admin_client: SiteClient, sqlite_site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    odd = load_meta({
        "name": "OA Odd", "module": "Custom", "custom": 1,
        "fields": [{"fieldname": "blob", "fieldtype": "Hologram"}, {"fieldname": "note", "fieldtype": "Data"}],
        "permissions": [{"role": "System Manager", "read": 1}],
    })  # fmt: skip
    original = sqlite_site.metas.all_names
    sqlite_site.metas.put(odd)
    sqlite_site.metas.all_names = lambda conn=None: [*original(conn), "OA Odd"]  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.WARNING, logger="docframe.openapi"):
            spec = spec_of(admin_client)
    finally:
        sqlite_site.metas.all_names = original  # type: ignore[method-assign]
        sqlite_site.metas.invalidate("OA Odd")
    validate(spec)
    assert spec["components"]["schemas"]["OA_Odd"]["properties"]["blob"] == {"type": ["string", "null"]}
    assert any("Hologram" in r.getMessage() for r in caplog.records)
    assert "/api/resource/ToDo" in spec["paths"]


def test_docs_page_and_assets(admin_client: SiteClient, guest_client: SiteClient) -> None:
    page = guest_client.get("/api/docs", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "/api/docs/assets/swagger-ui-bundle.js" in page.text and "http" not in page.text.replace(
        "http-equiv", ""
    )
    bundle = guest_client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    assert "Apache License" in guest_client.get("/api/docs/assets/LICENSE").text
    assert bundle.headers["cache-control"] == "public, max-age=86400"
    assert guest_client.get("/api/docs/assets/..%2Fdocs.html").status_code == 404
    assert guest_client.get("/api/docs/assets/nothing.js").status_code == 404


def test_discovery_is_for_system_managers_only(
    admin_client: SiteClient, guest_client: SiteClient, sites_root: Path
) -> None:
    root = admin_client.get("/api/v2/discovery").json()["data"]
    assert (
        root["type"] == "discovery"
        and root["links"]["doctype_method"] == "/api/v2/discovery/doctype/{doctype}/method/{method}"
    )
    assert root["resources"]["methods"] > 10
    assert guest_client.get("/api/v2/discovery").status_code == 403
    nobody = make_user(admin_client, sites_root, [])
    for path in ("/api/v2/discovery", "/api/v2/discovery/method", "/api/v2/discovery/search?q=get"):
        response = nobody.get(path)
        assert response.status_code == 403, path
        assert response.json()["errors"][0]["type"] == "PermissionError"


def test_discovery_documents(admin_client: SiteClient) -> None:
    index = admin_client.get("/api/v2/discovery/method").json()["data"]
    assert index["type"] == "method_index"
    entry = next(m for m in index["methods"] if m.get("path") == "frappe.client.get_list")
    assert entry["kind"] == "rpc" and entry["description"]
    found = admin_client.get("/api/v2/discovery/search", params={"q": "client get_list"}).json()["data"]
    assert found["query"] == "client get_list"
    assert [r["path"] for r in found["results"]] == ["frappe.client.get_list"]
    assert found["results"][0]["type"] == "method"
    one = admin_client.get("/api/v2/discovery/method/frappe.client.get_list").json()["data"]
    assert one["endpoint"] == "/api/v2/method/frappe.client.get_list" and one["name"] == "get_list"
    assert one["http_methods"] == ["DELETE", "GET", "POST", "PUT"] and one["allow_guest"] is False
    assert {"name": "doctype", "required": True, "type": "str"} in one["params"]
    assert admin_client.get("/api/v2/discovery/method/nope.nothing").status_code == 404
    todo = admin_client.get("/api/v2/discovery/doctype/ToDo").json()["data"]
    assert todo["doctype"] == "ToDo" and {m["method"] for m in todo["methods"]} >= {"add_comment"}
    method = admin_client.get("/api/v2/discovery/doctype/ToDo/method/add_comment").json()["data"]
    assert method["endpoint"] == "/api/v2/document/ToDo/{name}/method/add_comment"
    assert method["permission"] == {"GET": "read", "POST": "write"} and method["kind"] == "doctype"
    assert admin_client.get("/api/v2/discovery/doctype/ToDo/method/validate").status_code == 404
    assert admin_client.get("/api/v2/discovery/doctype/Has Role").status_code == 404
    assert admin_client.get("/api/v2/discovery/doctype/No Such Thing").status_code == 404


def test_cli_exports_the_spec(sqlite_site: Site, sites_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "spec.json"
    done = subprocess.run(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "openapi", "--site", sqlite_site.name, "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    spec = json.loads(out.read_text())
    validate(spec)
    assert "/api/resource/ToDo" in spec["paths"]
    as_guest = subprocess.run(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "openapi", "--site", sqlite_site.name, "--user", "Guest"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert as_guest.returncode == 0, as_guest.stderr
    assert "/api/resource/ToDo" not in json.loads(as_guest.stdout)["paths"]


def test_the_spec_on_every_backend(admin: SiteClient, backend: str) -> None:
    spec = spec_of(admin)
    validate(spec)
    assert set(spec["paths"]["/api/v2/document/ToDo"]) == {"get", "post"}
    assert spec["info"]["title"] == f"{admin.site.name} API"
