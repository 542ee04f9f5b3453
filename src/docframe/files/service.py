"""Files service: turn uploads into File documents, check them, and keep disk and database in step.

:func:`upload` is ``upload_file`` without HTTP: who may upload (Guests only when System Settings
``allow_guests_to_upload_files``; users without desk access only common document and image
types), write permission on the document the file is attached to, then a File insert.
:func:`store_content` (called by the File controller) enforces the size limit (System Settings
``max_file_size`` in MB, else the site's ``max_file_size`` in bytes, else 25 MiB) and the allowed
extensions (System Settings ``allowed_file_extensions``), reuses a stored file with the same
content, else writes a new one.

Disk and database stay consistent with the transaction: a file written during a transaction that
rolls back is removed, and after a commit any written or released file that no File row refers
to any more is removed (this also covers savepoints rolled back by bulk operations).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.db.repos import rows
from docframe.files.storage import Storage, check_file_name, is_local_url, storage_for
from docframe.model import lifecycle, operations, persistence
from docframe.model.document import Document
from docframe.permissions.rules import check_permission
from docframe.services import SlotKey

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = [
    "ALLOWED_MIMETYPES",
    "FileTypeNotAllowed",
    "FolderNotEmpty",
    "MaxFileSizeReachedError",
    "decode_content",
    "ensure_folder",
    "max_file_size",
    "release_after_commit",
    "site_storage",
    "store_content",
    "upload",
]

#: The site's file storage.
STORAGE: SlotKey[Storage] = SlotKey("storage")


DEFAULT_MAX_FILE_SIZE = 25 * 1024 * 1024
#: What Guests and users without desk access may upload (Frappe's list, plus CSV and GIF).
ALLOWED_MIMETYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "application/pdf", "application/msword",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
     "text/plain", "video/quicktime", "video/mp4", "text/csv"}
)  # fmt: skip


class MaxFileSizeReachedError(errors.ValidationError):
    """The file is larger than the site allows."""


class FileTypeNotAllowed(errors.ValidationError):
    """The file's extension is not in System Settings ``allowed_file_extensions``."""


class FolderNotEmpty(errors.ValidationError):
    """A folder that still holds files cannot be deleted."""


def site_storage(site: Site) -> Storage:
    """The site's storage (built once per site)."""
    return site.services.slot(STORAGE).get(lambda: storage_for(site.settings))


def _system_settings(ctx: Context) -> Document:
    return persistence.load_single(ctx, ctx.meta("System Settings"))


def _cint(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def max_file_size(ctx: Context) -> int:
    """The largest file a user may store, in bytes."""
    megabytes = _cint(_system_settings(ctx).get("max_file_size"))
    if megabytes > 0:
        return megabytes * 1024 * 1024
    return ctx.site.settings.max_body_size or DEFAULT_MAX_FILE_SIZE


def _extension(file_name: str) -> str:
    return file_name.rsplit(".", 1)[1].upper() if "." in file_name else ""


def _check_content(ctx: Context, file_name: str, content: bytes) -> None:
    limit = max_file_size(ctx)
    if len(content) > limit:
        raise MaxFileSizeReachedError(f"File size exceeded the maximum allowed size of {limit / 1048576} MB")
    allowed = str(_system_settings(ctx).get("allowed_file_extensions") or "").strip()
    if allowed:
        extensions = {line.strip().lstrip(".").upper() for line in allowed.splitlines() if line.strip()}
        if _extension(file_name) not in extensions:
            raise FileTypeNotAllowed(f"File type of {_extension(file_name) or file_name} is not allowed")


# -- keeping disk and database in step ----------------------------------------------------------


def _settle(site: Site, url: str) -> None:
    """Remove the stored file of ``url`` unless a committed File row refers to it."""
    meta = site.metas.get("File")
    table = site.tables.get(meta)
    with site.connect() as conn:
        used = rows.exists(conn, table, {"file_url": url})
    if not used:
        site_storage(site).delete(url)


def _written(ctx: Context, url: str) -> None:
    site = ctx.site
    ctx.after_commit.append(lambda: _settle(site, url))

    ctx.after_rollback.append(lambda: site_storage(site).delete(url))


def release_after_commit(ctx: Context, url: str) -> None:
    """After the commit, remove the stored file of ``url`` if no File row refers to it any more."""
    if is_local_url(url):
        site = ctx.site
        ctx.after_commit.append(lambda: _settle(site, url))


# -- content -------------------------------------------------------------------------------------


def decode_content(content: Any, decode: bool) -> bytes:
    """Bytes from text or base64 text (``data:...;base64,`` prefixes are accepted)."""
    if isinstance(content, bytes):
        return content
    text = str(content or "")
    if not decode:
        return text.encode()
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text.encode(), validate=False)
    except (binascii.Error, ValueError):
        raise errors.ValidationError("File data is not valid base64") from None


def _same_content_url(ctx: Context, digest: str, private: bool) -> str | None:
    table = ctx.site.tables.get(ctx.meta("File"))
    urls = rows.values(
        ctx.conn,
        table,
        "file_url",
        {"content_hash": digest, "is_private": int(private), "is_folder": 0},
        limit=5,
    )
    storage = site_storage(ctx.site)
    for url in urls:
        if is_local_url(url) and bool(str(url).startswith("/private/")) == private and storage.exists(url):
            return str(url)
    return None


def store_content(ctx: Context, doc: Document, content: bytes) -> None:
    """Check ``content`` and give ``doc`` a stored ``file_url`` (reusing identical stored content)."""
    file_name = check_file_name(str(doc.file_name or ""))
    _check_content(ctx, file_name, content)
    private = bool(_cint(doc.is_private))
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    doc.update(
        {"file_name": file_name, "is_private": int(private), "content_hash": digest,
         "file_size": len(content), "file_type": _extension(file_name) or None}
    )  # fmt: skip
    url = _same_content_url(ctx, digest, private)
    if url is None:
        url = site_storage(ctx.site).write_new(file_name, content, private=private)
        _written(ctx, url)
    doc.set("file_url", url)


def describe_local_file(ctx: Context, doc: Document) -> None:
    """For a File given a local ``file_url``: check it is safe and stored, fill hash and size."""
    url = str(doc.file_url)
    storage = site_storage(ctx.site)
    if not storage.exists(url):
        raise errors.ValidationError(f"File {url} does not exist")
    content = storage.read(url)
    doc.set("is_private", int(url.startswith("/private/")))
    doc.set("file_size", len(content))
    doc.set("content_hash", doc.content_hash or hashlib.md5(content, usedforsecurity=False).hexdigest())
    if not doc.file_type and doc.file_name:
        doc.set("file_type", _extension(str(doc.file_name)) or None)


# -- folders -------------------------------------------------------------------------------------


def ensure_folder(ctx: Context, name: str) -> None:
    """Create the ``Home`` or ``Home/Attachments`` folder when it does not exist yet."""
    meta = ctx.meta("File")
    if persistence.doc_exists(ctx, meta, name):
        return
    parent, _, leaf = name.rpartition("/")
    if parent:
        ensure_folder(ctx, parent)
    folder = persistence.new_document(ctx, meta)
    folder.update({"file_name": leaf, "is_folder": 1, "folder": parent or None,
                   "is_home_folder": int(name == "Home"),
                   "is_attachments_folder": int(name == "Home/Attachments")})  # fmt: skip
    try:
        with ctx.conn.begin_nested():
            lifecycle.insert(ctx, folder, ignore_permissions=True)
    except errors.DuplicateEntryError:
        pass  # created by a concurrent upload


# -- permissions ---------------------------------------------------------------------------------


def _check_uploader(ctx: Context, file_name: str | None, has_content: bool) -> bool:
    """Who may upload; returns whether permissions are to be ignored (Guest uploads)."""
    user = ctx.user
    if user.is_guest and not _cint(_system_settings(ctx).get("allow_guests_to_upload_files")):
        raise errors.PermissionError("Guests are not allowed to upload files", title="Not Permitted")
    if has_content and (user.is_guest or not user.is_system_user):
        kind = mimetypes.guess_type(file_name or "")[0]
        if kind not in ALLOWED_MIMETYPES:
            raise errors.ValidationError(
                "You can only upload JPG, PNG, PDF, TXT, CSV or Microsoft documents."
            )
    return user.is_guest


def _check_target(ctx: Context, doctype: Any, docname: Any) -> None:
    """Write permission on the document a file is attached to (or on its DocType)."""
    if not isinstance(doctype, str):
        raise errors.ValidationError("'doctype' must be a string")
    meta = operations.read_meta(ctx, doctype)
    if docname in (None, ""):
        check_permission(ctx, meta, "write")
    elif not meta.issingle and not persistence.doc_exists(ctx, meta, docname):
        check_permission(ctx, meta, "write", persistence.new_document(ctx, meta))
    else:
        operations.get_document(ctx, doctype, docname, ptype="write")


def _library_file(ctx: Context, name: Any) -> dict[str, Any]:
    source = operations.get_document(ctx, "File", name)
    return {"is_private": source.is_private, "file_url": source.file_url, "file_name": source.file_name}


def upload(
    ctx: Context,
    *,
    content: bytes | None,
    file_name: str | None = None,
    file_url: str | None = None,
    is_private: Any = 0,
    folder: str | None = None,
    doctype: str | None = None,
    docname: Any = None,
    fieldname: str | None = None,
    library_file_name: str | None = None,
    check_target: bool = True,
) -> Document:
    """Create a File document from an upload (bytes) or a URL; returns the saved File."""
    if library_file_name:
        picked = _library_file(ctx, library_file_name)
        is_private, file_url, file_name, content = (
            picked["is_private"],
            picked["file_url"],
            picked["file_name"],
            None,
        )
    ignore_permissions = _check_uploader(ctx, file_name, content is not None)
    if doctype and check_target and not ctx.user.is_guest:
        _check_target(ctx, doctype, docname)
    ensure_folder(ctx, "Home/Attachments")
    meta = ctx.meta("File")
    doc = persistence.new_document(ctx, meta)
    doc.update({"file_name": file_name, "file_url": file_url, "is_private": _cint(is_private),
                "folder": folder or None, "attached_to_doctype": doctype or None,
                "attached_to_name": None if docname in (None, "") else str(docname),
                "attached_to_field": fieldname or None})  # fmt: skip
    if content is not None:
        doc.flags.extra["content"] = content
    return lifecycle.insert(ctx, doc, ignore_permissions=ignore_permissions)
