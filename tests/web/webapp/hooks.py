"""Hooks of the test app: a single-page app at /spa with a boot function, and the home page."""

home_page = "/spa"

single_page_apps = [
    {"route": "/spa", "index": "public/spa/index.html", "boot": "tests.web.webapp.boot.get_boot"},
]
