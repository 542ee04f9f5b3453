"""The enabled webhooks of a site, read once and cached per (DocType, event).

The cache is dropped whenever a Webhook is saved or deleted: the Webhook controller records a
metadata change (:meth:`docframe.sites.Site.metadata_changed`), so this process drops it after the
commit and every other process at its next metadata check (a write always checks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from docframe.db.repos.webhooks import enabled_webhooks, webhook_children
from docframe.services import SlotKey

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = ["WebhookDef", "forget_webhooks", "webhooks_for"]

#: Enabled webhooks by (DocType, event); emptied when Webhook definitions change.
WEBHOOK_INDEX: SlotKey[Index] = SlotKey("webhooks")


log = logging.getLogger("docframe.webhooks")
Index = dict[tuple[str, str], tuple["WebhookDef", ...]]


@dataclass(frozen=True)
class WebhookDef:
    """One enabled Webhook, as the trigger and the request builder need it (no secret)."""

    name: str
    doctype: str
    event: str
    condition: str
    request_url: str
    is_dynamic_url: bool
    request_method: str
    request_structure: str
    data: tuple[tuple[str, str], ...]  # (fieldname, key)
    webhook_json: str
    headers: tuple[tuple[str, str], ...]  # (key, value)
    enable_security: bool
    timeout: int
    queue: str


def forget_webhooks(site: Site) -> None:
    """Drop the site's cached webhooks (read again on next use)."""
    site.services.slot(WEBHOOK_INDEX).clear()


def _listen(site: Site) -> None:
    services = site.services
    if services.webhooks_listening:
        return
    with services.lock:
        if services.webhooks_listening:
            return
        services.webhooks_listening = True

        def dropped(doctype: str | None) -> None:
            if doctype in (None, "Webhook"):
                forget_webhooks(site)

        site.on_metadata_forgotten(dropped)


def _rows(ctx: Context, doctype: str) -> dict[str, list[Any]]:
    table = ctx.site.tables.get(ctx.meta(doctype))
    out: dict[str, list[Any]] = {}
    for row in webhook_children(ctx.conn, table):
        out.setdefault(str(row.parent), []).append(row)
    return out


def _load(ctx: Context) -> Index:
    table = ctx.site.tables.get(ctx.meta("Webhook"))
    hooks = enabled_webhooks(ctx.conn, table)
    if not hooks:
        return {}
    data, headers = _rows(ctx, "Webhook Data"), _rows(ctx, "Webhook Header")
    index: dict[tuple[str, str], list[WebhookDef]] = {}
    for row in hooks:
        hook = WebhookDef(
            name=str(row.name), doctype=str(row.webhook_doctype or ""), event=str(row.webhook_docevent or ""),
            condition=str(row.condition or "").strip(), request_url=str(row.request_url or "").strip(),
            is_dynamic_url=bool(row.is_dynamic_url), request_method=str(row.request_method or "POST"),
            request_structure=str(row.request_structure or ""),
            data=tuple((str(r.fieldname), str(r.key)) for r in data.get(str(row.name), []) if r.fieldname),
            webhook_json=str(row.webhook_json or ""),
            headers=tuple((str(r.key), str(r.value)) for r in headers.get(str(row.name), []) if r.key and r.value),
            enable_security=bool(row.enable_security), timeout=int(row.timeout or 5) or 5,
            queue=str(row.background_jobs_queue or "default"),
        )  # fmt: skip
        index.setdefault((hook.doctype, hook.event), []).append(hook)
    return {key: tuple(value) for key, value in index.items()}


def _read(ctx: Context) -> Index:
    """Read the index in a savepoint, so a site not migrated yet (no Webhook table) keeps working."""
    try:
        with ctx.conn.begin_nested():
            return _load(ctx)
    except SQLAlchemyError:
        log.warning("could not read the Webhook table (run `docframe migrate`?)", exc_info=True)
        return {}


def webhooks_for(ctx: Context, doctype: str, event: str) -> tuple[WebhookDef, ...]:
    """The enabled webhooks of ``doctype`` for ``event`` (from the cache)."""
    site = ctx.site
    index = site.services.slot(WEBHOOK_INDEX).peek()
    if index is None:
        _listen(site)
        index = _read(ctx)
        site.services.slot(WEBHOOK_INDEX).put(index)
    return index.get((doctype, event), ())
