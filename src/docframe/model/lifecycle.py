"""Lifecycle: the ordered steps of insert, save (with submit / cancel / update after submit) and delete.

Each action is a tuple of named steps (:data:`INSERT_STEPS`, :data:`SAVE_STEPS`, :data:`DELETE_STEPS`)
run in order over one :class:`Run`. The docstatus transition table (:data:`TRANSITIONS`) decides
which save action a document is going through, and :data:`HOOKS_BEFORE` / :data:`HOOKS_AFTER` which
controller hooks that action calls. App ``doc_events`` hooks run after each controller hook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.auth.passwords import store_password_fields
from docframe.meta.schema import Meta
from docframe.model import naming, persistence, sanitize, validation, versions
from docframe.model.document import Document, bind_actions
from docframe.model.field_levels import reset_unwritable
from docframe.permissions.rules import check_permission, has_permission
from docframe.realtime.publish import doc_changed

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "DELETE_STEPS",
    "INSERT_STEPS",
    "SAVE_STEPS",
    "TRANSITIONS",
    "Run",
    "delete_doc",
    "insert",
    "run_hook",
    "save",
]

DOCSTATUS_LABEL = {0: "0 (Draft)", 1: "1 (Submitted)", 2: "2 (Cancelled)"}

#: (stored docstatus, new docstatus) -> action. New documents use stored = None.
TRANSITIONS: dict[tuple[int | None, int], str] = {
    (None, 0): "save",
    (None, 1): "submit",
    (0, 0): "save",
    (0, 1): "submit",
    (1, 1): "update_after_submit",
    (1, 2): "cancel",
}
HOOKS_BEFORE: dict[str, tuple[str, ...]] = {
    "save": ("before_validate", "validate", "before_save"),
    "submit": ("before_validate", "validate", "before_submit"),
    "cancel": ("before_cancel",),
    "update_after_submit": ("before_update_after_submit",),
}
HOOKS_AFTER: dict[str, tuple[str, ...]] = {
    "save": ("on_update",),
    "submit": ("on_update", "on_submit"),
    "cancel": ("on_cancel",),
    "update_after_submit": ("on_update_after_submit",),
}
#: Hooks that ``flags.ignore_validate`` skips.
VALIDATE_HOOKS = frozenset(
    {"validate", "before_save", "before_submit", "before_cancel", "before_update_after_submit"}
)
#: DocTypes whose links never block a delete (Frappe's ``ignore_links_on_delete``).
IGNORE_LINKS_ON_DELETE = frozenset(
    {"Communication", "ToDo", "DocShare", "Email Unsubscribe", "Activity Log", "File", "Version",
     "Document Follow", "Comment", "View Log", "Tag Link", "Notification Log", "Email Queue",
     "Document Share Key", "Integration Request", "Unhandled Email", "Webhook Request Log", "Workspace",
     "Route History", "Access Log", "Permission Log", "Deleted Document", "Error Log", "API Request Log"}
)  # fmt: skip


@dataclass
class Run:
    """The state one action carries from step to step."""

    ctx: Context
    doc: Document
    action: str = "save"
    stored: Document | None = None
    set_name: Any = None


Step = Callable[[Run], None]


def run_hook(doc: Document, hook: str) -> None:
    """Call controller hook ``hook``, then every app ``doc_events`` handler for it."""
    if hook in VALIDATE_HOOKS and doc.flags.ignore_validate:
        return
    doc.run_method(hook)


def _check(run: Run, ptype: str) -> None:
    if not run.doc.flags.ignore_permissions:
        check_permission(run.ctx, run.doc.meta, ptype, run.doc)


# -- steps shared by insert and save ---------------------------------------------------------------


def _docstatus(run: Run) -> None:
    doc = run.doc
    value = validation._int_standard(doc._data.get("docstatus"), "docstatus")
    doc._data["docstatus"] = value
    for row in doc.all_children():
        row._data["docstatus"] = value


def _timestamps(run: Run) -> None:
    doc, ctx = run.doc, run.ctx
    now = ctx.now()
    doc._data["modified"] = now
    doc._data["modified_by"] = ctx.user.name
    if doc.is_new() or (doc.meta.issingle and doc._data.get("creation") is None):
        doc._data["creation"] = now
        doc._data["owner"] = ctx.user.name
    for row in doc.all_children():
        row._data["modified"] = now
        row._data["modified_by"] = ctx.user.name
        if row._data.get("creation") is None:
            row._data["creation"] = doc._data["creation"]
        if row._data.get("owner") is None:
            row._data["owner"] = doc._data["owner"]


def _transition(run: Run) -> None:
    doc = run.doc
    stored_status = None if run.stored is None else run.stored.docstatus
    new_status = doc.docstatus
    if doc.meta.issingle:
        run.action = "save"
        return
    if stored_status == 2:
        raise errors.ValidationError("Cannot edit cancelled document")
    action = TRANSITIONS.get((stored_status, new_status))
    if action is None:
        raise errors.DocstatusTransitionError(
            f"Cannot change docstatus from {DOCSTATUS_LABEL.get(stored_status or 0)} to {DOCSTATUS_LABEL.get(new_status, new_status)}"
        )
    run.action = action


def _links(run: Run) -> None:
    if run.action != "cancel":
        validation.check_links(run.ctx, run.doc)


def _hooks_before(run: Run) -> None:
    for hook in HOOKS_BEFORE[run.action]:
        run_hook(run.doc, hook)


def _framework_validation(run: Run) -> None:
    if run.action == "cancel":
        return
    ctx, doc = run.ctx, run.doc
    validation.coerce_values(ctx, doc, run.stored)
    validation.check_mandatory(ctx, doc)
    validation.check_data_options(ctx, doc)
    validation.check_select(ctx, doc)
    validation.check_non_negative(ctx, doc)
    sanitize.sanitize_document(doc, run.stored)
    validation.check_length(ctx, doc)
    _sync_autoname_field(doc)
    if run.stored is not None:
        validation.check_set_only_once(ctx, doc, run.stored)


def _sync_autoname_field(doc: Document) -> None:
    if doc.meta.naming_rule == "field":
        fieldname = doc.meta.autoname.split(":", 1)[1].strip()
        if fieldname in doc._data and doc.name is not None:
            doc._data[fieldname] = doc.name


def _hooks_after(run: Run) -> None:
    for hook in HOOKS_AFTER[run.action]:
        run_hook(run.doc, hook)
    if run.action == "cancel":
        _check_no_submitted_links(run.ctx, run.doc)
    run_hook(run.doc, "on_change")


def _announce(run: Run) -> None:
    """Queue ``doc_update`` / ``list_update`` for after the commit (see docframe.realtime)."""
    doc_changed(run.ctx, run.doc)


def _announce_delete(run: Run) -> None:
    doc_changed(run.ctx, run.doc, deleted=True)


def _done(run: Run) -> None:
    run.doc.mark_new(False)
    for row in run.doc.all_children():
        row.mark_new(False)
    run.doc.flags.in_insert = False
    object.__setattr__(run.doc, "_loaded_modified", run.doc._data.get("modified"))


# -- insert ---------------------------------------------------------------------------------------


def _insert_start(run: Run) -> None:
    run.doc.remember_stored(None)
    run.doc.mark_new(True)
    run.doc.flags.in_insert = True
    validation.set_defaults(run.ctx, run.doc)


def _insert_permission(run: Run) -> None:
    _check(run, "create")
    if run.action == "submit":
        _check(run, "submit")


def _field_levels(run: Run) -> None:
    if not run.doc.flags.ignore_permissions:
        reset_unwritable(run.ctx, run.doc, run.stored)


def _before_insert(run: Run) -> None:
    run_hook(run.doc, "before_insert")


def _name(run: Run) -> None:
    naming.set_new_name(run.ctx, run.doc, set_name=run.set_name)


def _amend_source_cancelled(run: Run) -> None:
    source = run.doc.get("amended_from") if "amended_from" in run.doc.meta.fields_by_name else None
    if not source:
        return
    if persistence.docstatus_of(run.ctx, run.doc.meta, source) != 2:
        raise errors.ValidationError(
            f"{source} cannot be amended because it is not cancelled. Please cancel the document before creating an amendment.",
            title="Amendment Not Allowed",
        )


def _passwords(run: Run) -> None:
    doc = run.doc
    meta = doc.meta
    if meta.password_fields and doc.is_new() and doc.flags.name_generated:
        # Secrets are stored under the document's name before its row is inserted: a generated
        # name that is taken must be replaced first, or the other document's secrets are overwritten.
        persistence.free_generated_name(run.ctx, doc, naming.make_hash)
    if meta.password_fields or meta.table_fields:
        store_password_fields(run.ctx, doc)


def _db_insert(run: Run) -> None:
    doc = run.doc
    # A random name (of the document or a row) that happens to be taken is replaced (Frappe retries
    # a hash too); secrets stored under the document's first name by the passwords step follow it.
    first = doc.name
    persistence.insert_doc(run.ctx, doc, new_name=naming.make_hash)
    if doc.name != first:
        persistence.move_secrets(run.ctx, doc.meta, first, doc.name)


def _after_insert(run: Run) -> None:
    run_hook(run.doc, "after_insert")


INSERT_STEPS: tuple[Step, ...] = (
    _insert_start,
    _timestamps,
    _docstatus,
    _transition,
    _links,
    _insert_permission,
    _before_insert,
    _name,
    _field_levels,
    _hooks_before,
    _framework_validation,
    _amend_source_cancelled,
    _passwords,
    _db_insert,
    _after_insert,
    _hooks_after,
    _done,
    _announce,
)


def insert(
    ctx: Context, doc: Document, *, set_name: Any = None, ignore_permissions: bool = False
) -> Document:
    """Insert a new document through :data:`INSERT_STEPS`; returns it (named, with timestamps)."""
    doc.attach(ctx)
    if ignore_permissions:
        doc.flags.ignore_permissions = True
    run = Run(ctx, doc, set_name=set_name)
    for step in INSERT_STEPS:
        step(run)
    return doc


# -- save -----------------------------------------------------------------------------------------


def _save_start(run: Run) -> None:
    validation.set_defaults(run.ctx, run.doc, new_rows_only=True)
    run.stored = _stored_copy(run)
    run.doc.remember_stored(run.stored)


def _stored_copy(run: Run) -> Document:
    doc = run.doc
    # A caller that loaded the document with a row lock in this transaction passes that state in.
    stored = run.stored or persistence.load_doc(run.ctx, doc.meta, doc.name, for_update=True)
    original, current = doc._data.get("modified"), stored._data.get("modified")
    never_saved_single = doc.meta.issingle and current is None
    unchanged = current == original and type(current) is type(original)
    if not never_saved_single and not unchanged and str(current) != str(original):
        raise errors.TimestampMismatchError(
            f"Error: {doc.name} ({doc.doctype}) has been modified after you have opened it "
            f"({stored._data.get('modified')}, {original}). Please refresh to get the latest document.",
            title="Document has been modified",
        )
    return stored


def _save_permission(run: Run) -> None:
    _check(run, "write")
    if run.action in ("submit", "update_after_submit"):
        _check(run, "submit")
    elif run.action == "cancel":
        _check(run, "cancel")


def _name_new_rows(run: Run) -> None:
    naming._name_children(run.doc)


def _update_after_submit(run: Run) -> None:
    if run.action == "update_after_submit" and run.stored is not None:
        validation.coerce_values(run.ctx, run.doc)
        validation.check_update_after_submit(run.ctx, run.doc, run.stored)


def _db_update(run: Run) -> None:
    persistence.update_doc(run.ctx, run.doc, new_name=naming.make_hash)


SAVE_STEPS: tuple[Step, ...] = (
    _save_start,
    _docstatus,
    _transition,
    _save_permission,
    _timestamps,
    _name_new_rows,
    _field_levels,
    _links,
    _hooks_before,
    _framework_validation,
    _update_after_submit,
    _passwords,
    _db_update,
    _hooks_after,
    _done,
    versions.record_version,
    _announce,
)


def save(
    ctx: Context, doc: Document, *, ignore_permissions: bool = False, stored: Document | None = None
) -> Document:
    """Save an existing document through :data:`SAVE_STEPS` (a new one is inserted instead).

    ``stored`` is the document as locked and loaded earlier in this transaction (see
    :func:`docframe.model.persistence.snapshot`); without it the stored copy is read again.
    """
    if doc.is_new() or doc.name in (None, ""):
        if doc.meta.issingle:
            doc._data["name"] = doc.meta.name
            doc.mark_new(False)
        else:
            return insert(ctx, doc, ignore_permissions=ignore_permissions)
    doc.attach(ctx)
    if ignore_permissions:
        doc.flags.ignore_permissions = True
    if doc.meta.issingle and doc._data.get("modified") is None:
        return _save_single_first_time(ctx, doc)
    run = Run(ctx, doc, stored=stored)
    for step in SAVE_STEPS:
        step(run)
    return doc


def _save_single_first_time(ctx: Context, doc: Document) -> Document:
    run = Run(ctx, doc, action="save")
    for step in (_docstatus, _save_permission, _timestamps, _name_new_rows, _links, _hooks_before,
                 _framework_validation, _passwords, _db_update, _hooks_after, _done, _announce):  # fmt: skip
        step(run)
    return doc


# -- delete ---------------------------------------------------------------------------------------


def _delete_permission(run: Run) -> None:
    _check(run, "delete")
    doc = run.doc
    if doc.meta.is_submittable and doc.docstatus == 1:
        raise errors.ValidationError(
            f"{doc.doctype} {doc.name}: Submitted Record cannot be deleted. You must Cancel it first."
        )


def _on_trash(run: Run) -> None:
    run.doc.flags.in_delete = True
    run_hook(run.doc, "on_trash")
    run_hook(run.doc, "on_change")


def _check_links_on_delete(run: Run) -> None:
    ctx, doc = run.ctx, run.doc
    for ref in ctx.site.metas.links_to(doc.doctype, ctx.conn):
        if ref.doctype in IGNORE_LINKS_ON_DELETE or ref.issingle:
            continue
        found = _find_linking_row(ctx, ref.doctype, ref.fieldname, doc, dynamic_field=ref.doctype_field)
        if found is None:
            continue
        linked_doctype, linked_name = found
        if linked_doctype == doc.doctype and str(linked_name) == str(doc.name):
            continue
        if _has_enabled_field(doc.meta):
            raise errors.LinkExistsError(f"You can disable this {doc.doctype} instead of deleting it.")
        raise errors.LinkExistsError(
            f"Cannot delete or cancel because {doc.doctype} {doc.name} is linked with {linked_doctype} {linked_name}",
            title="Cannot delete or cancel",
        )


def _has_enabled_field(meta: Meta) -> bool:
    return "enabled" in meta.fields_by_name or "disabled" in meta.fields_by_name


def _find_linking_row(
    ctx: Context,
    doctype: str,
    fieldname: str,
    doc: Document,
    *,
    dynamic_field: str = "",
    min_docstatus: int = 0,
) -> tuple[str, Any] | None:
    meta = ctx.meta(doctype)
    if not meta.has_table:
        return None
    return persistence.linking_row(
        ctx, meta, fieldname, doc, dynamic_field=dynamic_field, min_docstatus=min_docstatus
    )


def _check_no_submitted_links(ctx: Context, doc: Document) -> None:
    for ref in ctx.site.metas.links_to(doc.doctype, ctx.conn):
        if ref.fieldname == "amended_from" or ref.issingle or ref.doctype in IGNORE_LINKS_ON_DELETE:
            continue
        found = _find_linking_row(
            ctx, ref.doctype, ref.fieldname, doc, dynamic_field=ref.doctype_field, min_docstatus=1
        )
        if found is not None:
            raise errors.LinkExistsError(
                f"Cannot delete or cancel because {doc.doctype} {doc.name} is linked with {found[0]} {found[1]}",
                title="Cannot delete or cancel",
            )


def _revert_series(run: Run) -> None:
    naming.revert_series_if_last(run.ctx, run.doc)


def _db_delete(run: Run) -> None:
    persistence.delete_row(run.ctx, run.doc)


def _after_delete(run: Run) -> None:
    run_hook(run.doc, "after_delete")


def _tombstone(run: Run) -> None:
    ctx, doc = run.ctx, run.doc
    if doc.doctype == "Deleted Document" or not ctx.meta_exists("Deleted Document"):
        return
    meta = ctx.meta("Deleted Document")
    tomb = persistence.new_document(ctx, meta)
    tomb._data.update(
        {"deleted_doctype": doc.doctype, "deleted_name": str(doc.name),
         "data": orjson.dumps(doc.as_dict(), default=str).decode(), "restored": 0}
    )  # fmt: skip
    insert(ctx, tomb, ignore_permissions=True)


DELETE_STEPS: tuple[Step, ...] = (
    _delete_permission,
    _on_trash,
    _check_links_on_delete,
    _revert_series,
    _db_delete,
    _after_delete,
    _tombstone,
    _announce_delete,
)


def delete_doc(ctx: Context, doctype: str, name: Any, *, ignore_permissions: bool = False) -> None:
    """Delete a document through :data:`DELETE_STEPS`; 404 when it does not exist."""
    meta = ctx.meta(doctype)
    doc = persistence.load_doc(ctx, meta, name, for_update=True)
    if ignore_permissions:
        doc.flags.ignore_permissions = True
    run = Run(ctx, doc)
    for step in DELETE_STEPS:
        step(run)


# -- the actions behind Document.insert / save / delete / reload / db_set / check_permission ----------


class _LifecycleActions:
    """:class:`~docframe.model.document.DocumentActions` through this module and persistence."""

    def insert(self, doc: Document, *, set_name: Any, ignore_permissions: bool) -> None:
        insert(doc.ctx, doc, set_name=set_name, ignore_permissions=ignore_permissions)

    def save(self, doc: Document, *, ignore_permissions: bool) -> None:
        save(doc.ctx, doc, ignore_permissions=ignore_permissions)

    def delete(self, doc: Document, *, ignore_permissions: bool) -> None:
        delete_doc(doc.ctx, doc.doctype, doc.name, ignore_permissions=ignore_permissions)

    def load(self, doc: Document) -> Document:
        return persistence.load_doc(doc.ctx, doc.meta, doc.name)

    def write_values(self, doc: Document, values: dict[str, Any]) -> None:
        persistence.update_columns(doc.ctx, doc, values)

    def read_value(self, doc: Document, fieldname: str) -> Any:
        return persistence.read_column(doc.ctx, doc, fieldname)

    def notify(self, doc: Document) -> None:
        doc_changed(doc.ctx, doc)

    def has_permission(self, doc: Document, ptype: str) -> bool:
        return has_permission(doc.ctx, doc.meta, ptype, doc)

    def check_permission(self, doc: Document, ptype: str) -> None:
        check_permission(doc.ctx, doc.meta, ptype, doc)


bind_actions(_LifecycleActions())
