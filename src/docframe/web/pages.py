"""Built-in pages: ``/login`` (a plain login form) and ``/app`` / ``/me`` (the home page after login).

docframe has no Desk. A login answers ``home_page`` ``/app`` for System Users and ``/me`` for Website
Users (Frappe's values) unless an installed app declares ``home_page`` in its hooks; both built-in
pages exist so that a client following ``home_page`` lands on a real page: it names the user and
links to the site's single-page apps. A guest asking for ``/app`` or ``/me`` is sent to
``/login?redirect-to=...`` as Frappe does.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from docframe.web.spa import SinglePageApp

__all__ = ["home_html", "login_html"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2937}"
    "input,button{font:inherit;padding:.4rem .6rem;margin:.2rem 0;width:100%;box-sizing:border-box}"
    "button{cursor:pointer}#error{color:#b91c1c}"
)


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style>'
        f"</head><body>{body}</body></html>"
    ).encode()


def home_html(site_name: str, user: str, full_name: str, apps: Iterable[SinglePageApp]) -> bytes:
    """The home page of a logged-in user: who they are and the site's front ends."""
    links = "".join(
        f'<li><a href="{escape(spa.route)}/">{escape(spa.route)}</a> ({escape(spa.app)})</li>' for spa in apps
    )
    listing = f"<ul>{links}</ul>" if links else "<p>No app on this site ships a front end.</p>"
    return _page(
        site_name,
        f"<h1>{escape(site_name)}</h1><p>Logged in as <b>{escape(full_name or user)}</b> ({escape(user)}).</p>"
        f"<h2>Apps</h2>{listing}<p>The API is at <code>/api/method</code>, <code>/api/resource</code> and "
        f'<code>/api/v2</code>.</p><p><a href="#" id="logout">Log out</a></p>'
        "<script>document.getElementById('logout').onclick=async e=>{e.preventDefault();"
        "await fetch('/api/method/logout',{method:'POST',headers:{'X-Frappe-CSRF-Token':window.csrf_token||''}});"
        "location.href='/login'}</script>",
    )


def login_html(site_name: str, redirect_to: str) -> bytes:
    """A login form that posts to ``/api/method/login`` and follows the answer's ``home_page``."""
    # Only a path on this site: "//host" and "/\\host" would leave it (browsers read "\\" as "/").
    local = redirect_to.startswith("/") and not redirect_to.startswith("//") and "\\" not in redirect_to
    target = redirect_to if local else ""
    return _page(
        f"Login - {site_name}",
        f"<h1>{escape(site_name)}</h1><form id='login'>"
        "<input name='usr' placeholder='User name or e-mail' autocomplete='username' required>"
        "<input name='pwd' type='password' placeholder='Password' autocomplete='current-password' required>"
        "<button type='submit'>Log in</button><p id='error'></p></form>"
        f"<script>const target={_js_string(target)};"
        "document.getElementById('login').onsubmit=async e=>{e.preventDefault();"
        "const form=new FormData(e.target);"
        "const r=await fetch('/api/method/login',{method:'POST',headers:{'Content-Type':'application/json',"
        "Accept:'application/json'},body:JSON.stringify({usr:form.get('usr'),pwd:form.get('pwd')})});"
        "const body=await r.json();if(!r.ok){document.getElementById('error').textContent=body.message||'Login failed';"
        "return}location.href=target||body.home_page||'/app'}</script>",
    )


def _js_string(text: str) -> str:
    out = text.replace("\\", "\\\\").replace("'", "\\'").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"'{out}'"
