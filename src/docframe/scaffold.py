"""``docframe new-app``: the files of a new app package, laid out like a Frappe app.

::

    library_app/                      the project (pip install ./library_app)
      pyproject.toml  README.md  conftest.py
      library_app/                    the package listed in a site's "apps"
        __init__.py  hooks.py  api.py
        library/                      a module
          doctype/library_book/       one DocType: JSON definition, controller, test
            library_book.json  library_book.py  test_library_book.py
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from string import Template

from docframe.meta.schema import scrub

__all__ = ["AppNameError", "app_files", "check_app_name", "write_app"]


class AppNameError(ValueError):
    """The app or DocType name cannot be used."""


def check_app_name(name: str) -> None:
    """An :class:`AppNameError` unless ``name`` is a usable Python package name."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise AppNameError(
            f"Invalid app name {name!r}: use lower-case letters, digits and underscores, "
            "starting with a letter (for example library_app)"
        )
    if name in ("docframe", "frappe", "test", "tests"):
        raise AppNameError(f"Invalid app name {name!r}: it would shadow another package")


PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "$app"
version = "0.1.0"
description = "$title: a docframe app"
requires-python = ">=3.11"
dependencies = ["docframe"]

[project.optional-dependencies]
test = ["pytest>=8", "httpx>=0.27"]

[tool.setuptools.packages.find]
include = ["$app*"]

[tool.setuptools.package-data]
"*" = ["*.json"]

[tool.pytest.ini_options]
testpaths = ["$app"]
filterwarnings = ["ignore:Using `httpx` with `starlette.testclient`"]
"""

README = """\
# $title

A [docframe](https://github.com/) app. Install it, list it in a site's apps, and run its tests:

```sh
pip install -e ./$app
docframe install-app $app --site mysite      # adds it to the site's "apps" and creates its tables
cd $app && python -m pytest                   # the app's own tests (a temporary SQLite site)
```

- `$app/hooks.py`: hooks (`doc_events`, `override_whitelisted_methods`).
- `$app/api.py`: whitelisted methods, e.g. `/api/method/$app.api.summary`.
- `$app/$module/doctype/$dt_folder/`: the $doctype DocType (JSON), its controller and its test.
"""

CONFTEST = '''\
"""Test fixtures of $app: a temporary SQLite site with the app installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docframe.sites import Site
from docframe.testing import temporary_site


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """A throw-away site with $app installed (removed after the tests)."""
    with temporary_site(apps=["$app"]) as created:
        yield created
'''

INIT = '''\
"""$title: a docframe app."""

__version__ = "0.1.0"
'''

HOOKS = '''\
"""Hooks of $app, read once when a site that lists the app starts.

doc_events run a function on a document event of any DocType ("*" for all), after the controller's
own method; each is called as handler(doc, event)::

    doc_events = {
        "ToDo": {"before_insert": "$app.events.before_todo_insert"},
    }

override_whitelisted_methods replaces a whitelisted method by another::

    override_whitelisted_methods = {"frappe.ping": "$app.api.ping"}
"""

app_name = "$app"
app_title = "$title"

doc_events: dict[str, dict[str, str | list[str]]] = {}
override_whitelisted_methods: dict[str, str] = {}
'''

API = '''\
"""Whitelisted methods of $app: POST or GET /api/method/$app.api.<name>."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from docframe.context import Context
from docframe.methods.registry import whitelist
from docframe.model import operations


@whitelist()
def summary(ctx: Context, status: str | None = None) -> dict[str, Any]:
    """How many $doctype documents there are (with ``status``, only those)."""
    meta = operations.read_meta(ctx, "$doctype")
    table = ctx.site.tables.get(meta)
    query = select(func.count()).select_from(table)
    if status:
        query = query.where(table.c.status == status)
    return {"doctype": "$doctype", "status": status, "count": int(ctx.conn.execute(query).scalar_one())}
'''

CONTROLLER = '''\
"""Controller of $doctype: Frappe's document hooks as methods (validate, before_save, on_update...)."""

from __future__ import annotations

from docframe import ValidationError
from docframe.methods.registry import whitelist
from docframe.model.document import Document


class $cls(Document):
    """A $doctype."""

    def validate(self) -> None:
        """Tidy the title and refuse one that is only spaces."""
        self.title = (self.title or "").strip()
        if not self.title:
            raise ValidationError("Title cannot be blank")

    @whitelist()
    def mark_done(self) -> str:
        """POST /api/method/run_doc_method (or v2 /api/v2/document/$doctype/<name>/method/mark_done)."""
        from docframe.model import lifecycle

        self.status = "Done"
        lifecycle.save(self.ctx, self)
        return str(self.status)
'''

TEST = '''\
"""Tests of $doctype: the controller, validation and the app's whitelisted method."""

from __future__ import annotations

import pytest

from docframe import ValidationError
from docframe.users import User
from docframe.model import operations
from docframe.sites import Site
from docframe.testing import site_client


def test_title_is_tidied(site: Site) -> None:
    with site.unit_of_work(User.administrator()) as ctx:
        doc = operations.create_document(ctx, "$doctype", {"title": "  First one  "})
        assert doc.title == "First one"
        assert doc.status == "Open"


def test_blank_title_is_refused(site: Site) -> None:
    with pytest.raises(ValidationError), site.unit_of_work(User.administrator()) as ctx:
        operations.create_document(ctx, "$doctype", {"title": "   "})


def test_over_http(site: Site) -> None:
    client = site_client(site)
    created = client.post("/api/resource/$doctype", json={"title": "Over HTTP"})
    assert created.status_code == 200, created.text
    name = created.json()["data"]["name"]
    done = client.post(f"/api/v2/document/$doctype/{name}/method/mark_done")
    assert done.json()["data"] == "Done", done.text
    summary = client.get("/api/method/$app.api.summary", params={"status": "Done"})
    assert summary.json()["message"]["count"] >= 1
'''


def _doctype_json(doctype: str, module: str) -> str:
    definition = {
        "doctype": "DocType",
        "name": doctype,
        "module": module,
        "autoname": "hash",
        "title_field": "title",
        "track_changes": 1,
        "fields": [
            {"fieldname": "title", "fieldtype": "Data", "label": "Title", "reqd": 1, "in_list_view": 1},
            {"fieldname": "status", "fieldtype": "Select", "label": "Status", "options": "Open\nDone",
             "default": "Open", "in_list_view": 1},
            {"fieldname": "notes", "fieldtype": "Small Text", "label": "Notes"},
        ],
        "permissions": [
            {"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1},
        ],
    }  # fmt: skip
    return json.dumps(definition, indent=1) + "\n"


def app_files(app: str, title: str, doctype: str, module: str) -> dict[str, str]:
    """Relative path -> content of every file of the new app."""
    folder = scrub(doctype)
    module_folder = scrub(module)
    values = {
        "app": app, "title": title, "doctype": doctype, "module": module_folder, "dt_folder": folder,
        "cls": re.sub(r"[^0-9A-Za-z_]", "", doctype.replace(" ", "").replace("-", "")),
    }  # fmt: skip

    def fill(text: str) -> str:
        return Template(text).substitute(values)

    base = f"{app}/{module_folder}/doctype/{folder}"
    return {
        "pyproject.toml": fill(PYPROJECT),
        "README.md": fill(README),
        "conftest.py": fill(CONFTEST),
        f"{app}/__init__.py": fill(INIT),
        f"{app}/hooks.py": fill(HOOKS),
        f"{app}/api.py": fill(API),
        f"{app}/{module_folder}/__init__.py": "",
        f"{app}/{module_folder}/doctype/__init__.py": "",
        f"{base}/__init__.py": "",
        f"{base}/{folder}.json": _doctype_json(doctype, module),
        f"{base}/{folder}.py": fill(CONTROLLER),
        f"{base}/test_{folder}.py": fill(TEST),
    }


def write_app(target: Path, app: str, *, doctype: str | None = None, module: str | None = None) -> list[Path]:
    """Write app ``app`` into ``target`` (which must not exist yet); returns the files written."""
    check_app_name(app)
    title = app.replace("_", " ").title()
    doctype = (doctype or f"{title} Item").strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9 _-]*", doctype):
        raise AppNameError(f"Invalid DocType name {doctype!r}: use letters, digits, spaces, - and _")
    module = (module or title).strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9 _]*", module):
        raise AppNameError(f"Invalid module name {module!r}: use letters, digits, spaces and _")
    if target.exists():
        raise AppNameError(f"{target} already exists: choose another name or --path")
    written = []
    for relative, content in app_files(app, title, doctype, module).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        written.append(path)
    return written
