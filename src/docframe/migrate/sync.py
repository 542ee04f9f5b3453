"""Install and migrate a site: tables follow the metadata, built-in records follow the files.

:func:`install_site` runs on a new site; :func:`migrate_site` on every upgrade. Both are
idempotent: tables and columns are only added, DocType records are rewritten only when their
file's ``modified`` changed, and standard roles and users are created when missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import select

from docframe.auth import passwords
from docframe.context import Context
from docframe.db.versions import ensure_version_row
from docframe.meta.loader import normalise_definition
from docframe.migrate.apply import sync_table
from docframe.model import lifecycle, persistence, validation
from docframe.model.coerce import parse_datetime
from docframe.model.naming import make_hash
from docframe.sites import Site
from docframe.users import ADMINISTRATOR, GUEST, User

__all__ = ["install_site", "migrate_site", "sync_doctype_record", "sync_schema"]

STANDARD_ROLES = ("Administrator", "System Manager", "All", "Guest", "Desk User")
Progress = Callable[[str], None]


def _noop(_text: str) -> None:
    return None


def sync_schema(ctx: Context, progress: Progress = _noop) -> list[str]:
    """Create or extend the framework tables and every DocType's table."""
    site = ctx.site
    done: list[str] = []
    for table in site.tables.framework.all():
        done += sync_table(ctx.conn, table)
    ensure_version_row(ctx.conn, site.tables.framework.versions)
    # Standard DocTypes first: the custom ones are listed from tabDocType, which is one of them.
    for name in site.metas.standard_names:
        done += _sync_doctype_table(ctx, name, progress)
    for name in site.metas.all_names(ctx.conn):
        if not site.metas.is_standard(name):
            done += _sync_doctype_table(ctx, name, progress)
    return done


def _sync_doctype_table(ctx: Context, name: str, progress: Progress) -> list[str]:
    meta = ctx.meta(name)
    if not meta.has_table:
        return []
    progress(name)
    return sync_table(ctx.conn, ctx.site.tables.get(meta))


def sync_doctype_record(ctx: Context, definition: dict[str, Any]) -> bool:
    """Write a standard DocType's definition into tabDocType (+ fields, permissions); True if changed."""
    metas = ctx.site.metas
    doctype_meta = metas.get("DocType", ctx.conn)
    data = normalise_definition(definition)
    name = data["name"]
    table = ctx.site.tables.get(doctype_meta)
    digest = hashlib.sha1(orjson.dumps(definition, option=orjson.OPT_SORT_KEYS)).hexdigest()
    stored = ctx.conn.execute(select(table.c.migration_hash).where(table.c.name == name)).first()
    if stored is not None and stored[0] == digest:
        return False
    file_modified = _as_datetime(data.get("modified")) or ctx.now()
    if stored is not None:
        persistence.delete_row(ctx, persistence.load_doc(ctx, doctype_meta, name))
    doc = persistence.new_document(ctx, doctype_meta)
    doc.update(
        {k: v for k, v in data.items() if k not in ("fields", "permissions", "actions", "links", "states")},
        with_name=True,
    )
    for key in ("fields", "permissions"):
        for row in data.get(key) or []:
            doc.append(key, {k: v for k, v in row.items() if k not in ("name", "parent", "doctype")})
    doc.update(
        {"name": name, "owner": ADMINISTRATOR, "modified_by": ADMINISTRATOR, "creation": _as_datetime(data.get("creation")) or file_modified,
         "modified": file_modified, "docstatus": 0, "custom": 0, "migration_hash": digest},
        with_name=True,
    )  # fmt: skip
    for row in doc.all_children():
        row.update({"name": make_hash(), "parent": name, "owner": ADMINISTRATOR, "modified_by": ADMINISTRATOR,
                    "creation": doc.creation, "modified": file_modified}, with_name=True)  # fmt: skip
    validation.coerce_values(ctx, doc)
    persistence.insert_doc(ctx, doc)
    return True


def _as_datetime(value: Any) -> Any:
    if not value:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        return None


def _ensure(ctx: Context, doctype: str, name: str, values: dict[str, Any]) -> bool:
    meta = ctx.meta(doctype)
    if persistence.doc_exists(ctx, meta, name):
        return False
    doc = persistence.new_document(ctx, meta, values)
    doc.flags.ignore_links = True
    lifecycle.insert(ctx, doc, set_name=name, ignore_permissions=True)
    return True


def ensure_standard_records(ctx: Context) -> None:
    """Roles named anywhere in DocPerms, User Types, and the Administrator and Guest users."""
    roles = set(STANDARD_ROLES)
    for name in ctx.site.metas.all_names(ctx.conn):
        roles.update(p.role for p in ctx.meta(name).permissions if p.role)
    for role in sorted(roles):
        _ensure(ctx, "Role", role, {"role_name": role, "desk_access": 0 if role == GUEST else 1})
    modules = {"Custom"} | {ctx.meta(n).module for n in ctx.site.metas.standard_names}
    for module in sorted(modules):
        _ensure(
            ctx,
            "Module Def",
            module,
            {"module_name": module, "app_name": "docframe" if module != "Custom" else "custom"},
        )
    for user_type in ("System User", "Website User"):
        _ensure(ctx, "User Type", user_type, {"is_standard": 1})
    _ensure(
        ctx, "User", ADMINISTRATOR,
        {"email": "admin@example.com", "first_name": ADMINISTRATOR, "user_type": "System User",
         "roles": [{"role": r} for r in sorted(roles - {GUEST})]},
    )  # fmt: skip
    _ensure(ctx, "User", GUEST, {"email": "guest@example.com", "first_name": GUEST, "user_type": "Website User",
                                 "roles": [{"role": GUEST}]})  # fmt: skip
    _ensure(ctx, "Language", "en", {"language_code": "en", "language_name": "English", "enabled": 1})
    _ensure_system_settings(ctx)


#: Values System Settings requires that have no default of their own.
SYSTEM_DEFAULTS = {
    "language": "en",
    "date_format": "dd-mm-yyyy",
    "time_format": "HH:mm:ss",
    "number_format": "#,###.##",
}


def _ensure_system_settings(ctx: Context) -> None:
    """Save System Settings once with its defaults, so it can be read and edited through the API."""
    meta = ctx.meta("System Settings")
    doc = persistence.load_single(ctx, meta)
    if doc.get("modified") is not None:
        return
    values = {**SYSTEM_DEFAULTS, "time_zone": ctx.site.settings.time_zone or "UTC"}
    for key, value in values.items():
        if key in doc and not doc.get(key):
            doc.set(key, value)
    lifecycle.save(ctx, doc, ignore_permissions=True)


def migrate_site(site: Site, progress: Progress = _noop) -> list[str]:
    """Sync tables, built-in DocType records and standard records; returns what was done."""
    with site.unit_of_work(User.administrator()) as ctx:
        ctx.in_install = True
        done = sync_schema(ctx, progress)
    with site.unit_of_work(User.administrator()) as ctx:
        ctx.in_install = True
        for name in site.metas.standard_names:
            definition = site.metas.standard_definition(name)
            if definition is not None and sync_doctype_record(ctx, definition):
                done.append(f"synced DocType {name}")
        ensure_standard_records(ctx)
    site.metas.invalidate()
    if site.db.backend == "sqlite":
        # SQLite keeps no statistics on its own (PostgreSQL's autovacuum and InnoDB do).
        site.db.analyze()
    return done


def install_site(site: Site, admin_password: str, progress: Progress = _noop) -> list[str]:
    """Set up a new site: everything :func:`migrate_site` does, plus the Administrator password."""
    done = migrate_site(site, progress)
    with site.unit_of_work(User.administrator()) as ctx:
        passwords.set_password(ctx, ADMINISTRATOR, admin_password)
    return done
