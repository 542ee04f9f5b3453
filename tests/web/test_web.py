"""Web: an app's single-page app with its boot values, app assets with cache headers, the built-in
login and home pages, and the home page a login points at. In-process, on SQLite (nothing here
depends on the database backend).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from docframe.app import create_app
from docframe.sites import Site
from docframe.web.assets import IMMUTABLE, REVALIDATE, cache_control
from docframe.web.spa import inject_boot, load_single_page_apps
from tests.conftest import ADMIN_PASSWORD, SiteClient, make_site

APP = "tests.web.webapp"
ASSETS = f"/assets/{APP}"


@pytest.fixture(scope="module")
def web_site(sites_root: Path) -> Iterator[Site]:
    site = make_site(
        sites_root, f"web-{secrets.token_hex(3)}.test", "sqlite", {"apps": [APP], "socketio_port": 9123}
    )
    yield site
    site.dispose()


@pytest.fixture()
def browser(web_site: Site, sites_root: Path) -> SiteClient:
    """A cookie-keeping client that asks for pages as a browser does."""
    client = SiteClient(web_site, sites_root)
    client.http.headers["Accept"] = "text/html"
    return client


def _boot(html: str) -> dict[str, object]:
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert script is not None, html
    return {k: json.loads(v) for k, v in re.findall(r"window\.(\w+) = (.*?);(?=window\.|$)", script.group(1))}


def _login(client: SiteClient) -> httpx.Response:
    response = client.post("/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    return response


def test_spa_page_carries_guest_boot_values(browser: SiteClient, web_site: Site) -> None:
    response = browser.get("/spa")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "private, no-store"
    html = response.text
    assert html.index("<script>window.csrf_token") < html.index('<script type="module"')
    boot = _boot(html)
    assert boot["csrf_token"] == "" and boot["site_name"] == web_site.name
    # No separate Socket.IO listener in-process: the page's own port (it serves /socket.io too).
    assert boot["socketio_port"] == 80 and boot["spa_user"] == "Guest"


def test_boot_names_the_socketio_listener_when_there_is_one(web_site: Site, sites_root: Path) -> None:
    app = create_app(sites_root, None, frozenset({9123}))
    app.state.sites._sites[web_site.name] = web_site
    # no `with`: the app's lifespan shutdown would close the shared site (and its request threads)
    client = TestClient(app, headers={"X-Frappe-Site-Name": web_site.name})
    assert _boot(client.get("/spa").text)["socketio_port"] == 9123


def test_client_side_routes_get_the_same_page(browser: SiteClient) -> None:
    for path in ("/spa/", "/spa/todo/42", "/spa/a/b/c?x=1"):
        response = browser.get(path)
        assert response.status_code == 200 and "Test SPA" in response.text, path
    assert browser.get("/spam").status_code == 404  # only the route and paths under it
    assert browser.head("/spa").status_code == 200


def test_boot_values_cannot_close_the_script(browser: SiteClient) -> None:
    html = browser.get("/spa").text
    assert "alert(1)</script>" not in html
    assert _boot(html)["tricky"] == "</script><script>alert(1)</script>"


def test_logged_in_page_has_the_sessions_csrf_token(browser: SiteClient) -> None:
    _login(browser)
    boot = _boot(browser.get("/spa").text)
    token = boot["csrf_token"]
    assert isinstance(token, str) and len(token) >= 32 and boot["spa_user"] == "Administrator"
    assert _boot(browser.get("/spa").text)["csrf_token"] == token  # one token per session
    # Now that the session has a token, unsafe requests need it (Frappe's CSRF rule).
    body = {"description": "from the page"}
    assert browser.post("/api/v2/document/ToDo", json=body).status_code == 400
    headers = {"X-Frappe-CSRF-Token": str(token)}
    assert browser.post("/api/v2/document/ToDo", json=body, headers=headers).status_code == 200


def test_a_post_to_a_spa_route_still_reaches_the_api(browser: SiteClient) -> None:
    response = browser.post("/spa", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json()["exc_type"] == "DoesNotExistError"
    logged = browser.post("/spa", data={"cmd": "ping"}, headers={"Accept": "application/json"})
    assert logged.json() == {"message": "pong"}


# -- assets -------------------------------------------------------------------------------------------


def test_hashed_assets_are_immutable_others_revalidate(browser: SiteClient) -> None:
    js = browser.get(f"{ASSETS}/spa/assets/index-Bx3k9Q1z.js")
    assert js.status_code == 200 and "built" in js.text
    assert js.headers["cache-control"] == IMMUTABLE
    assert js.headers["x-content-type-options"] == "nosniff"
    assert "javascript" in js.headers["content-type"]
    svg = browser.get(f"{ASSETS}/logo.svg")
    assert svg.status_code == 200 and svg.headers["cache-control"] == REVALIDATE
    again = browser.get(f"{ASSETS}/logo.svg", headers={"If-None-Match": svg.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        f"{ASSETS}/missing.js",
        f"{ASSETS}/.hidden",
        f"{ASSETS}/../hooks.py",
        f"{ASSETS}/%2e%2e/hooks.py",
        f"{ASSETS}/spa/../../boot.py",
        "/assets/docframe/app.py",
        "/assets/tests.api.rpc.rpcapp/hooks.py",
        "/assets/",
        f"{ASSETS}/",
    ],
)
def test_assets_outside_public_or_of_other_apps_are_404(browser: SiteClient, path: str) -> None:
    response = browser.get(path)
    assert response.status_code == 404, (path, response.text[:200])
    assert "secret" not in response.text and "def " not in response.text


def test_cache_control_rule() -> None:
    assert cache_control("index-Bx3k9Q1z.js") == IMMUTABLE
    assert cache_control("chunk.4f3a9c1b.css") == IMMUTABLE
    assert cache_control("favicon.png") == REVALIDATE
    assert cache_control("frappe-ui-logo.svg") == REVALIDATE


# -- home page, login page ----------------------------------------------------------------------------


def test_login_points_at_the_apps_home_page_which_exists(browser: SiteClient) -> None:
    home = _login(browser).json()["home_page"]
    assert home == "/spa"
    assert browser.get(home).status_code == 200


def test_builtin_home_page_exists_for_users_and_redirects_guests(
    browser: SiteClient, admin: SiteClient
) -> None:
    guest = browser.get("/app", follow_redirects=False)
    assert guest.status_code == 302 and guest.headers["location"] == "/login?redirect-to=/app"
    login_page = browser.get("/login?redirect-to=/app")
    assert login_page.status_code == 200 and "/api/method/login" in login_page.text
    _login(browser)
    page = browser.get("/app")
    assert page.status_code == 200 and "Administrator" in page.text and 'href="/spa/"' in page.text
    assert browser.get("/me").status_code == 200


def test_without_a_home_page_hook_login_keeps_app(admin: SiteClient, sites_root: Path) -> None:
    client = SiteClient(admin.site, sites_root)
    assert _login(client).json()["home_page"] == "/app"
    assert client.get("/app", headers={"Accept": "text/html"}).status_code == 200


# -- declarations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"route": "/api/x", "index": "public/spa/index.html"}, "not a free path"),
        ({"route": "/assets", "index": "public/spa/index.html"}, "not a free path"),
        ({"route": "spa", "index": "public/spa/index.html"}, "not a free path"),
        ({"route": "/ok", "index": "../../conftest.py"}, "outside the app"),
        ({"route": "/ok", "index": "public/spa/index.html", "boot": "tests.web.webapp.boot.nope"}, "nope"),
        ("/spa", "must be a dict"),
    ],
)
def test_bad_declarations_fail_at_start_up(declaration: object, message: str) -> None:
    with pytest.raises((ValueError, AttributeError), match=message):
        load_single_page_apps([(APP, declaration)])


def test_boot_goes_first_in_head_or_page() -> None:
    assert inject_boot(b"<html><HEAD lang=x><title>t</title>", {"a": 1}).startswith(
        b"<html><HEAD lang=x><script>window.a = 1;</script><title>"
    )
    assert inject_boot(b"<p>x</p>", {"a": "b"}) == b'<script>window.a = "b";</script><p>x</p>'
    with pytest.raises(ValueError):
        inject_boot(b"", {"a-b": 1})


@pytest.mark.parametrize(
    "target", ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"]
)
def test_login_page_never_redirects_off_site(browser: SiteClient, target: str) -> None:
    page = browser.get("/login", params={"redirect-to": target}).text
    assert "const target='';" in page


def test_login_page_keeps_a_local_redirect(browser: SiteClient) -> None:
    assert "const target='/spa/x';" in browser.get("/login", params={"redirect-to": "/spa/x"}).text
