"""File methods: ``upload_file`` (multipart), ``get_max_file_size`` and ``frappe.client.attach_file``.

``upload_file`` reads the ``file`` part of a multipart body (its filename names the file) and the
form fields ``is_private`` (Frappe's ``cint``: ``"TRUE"`` is 0, public), ``folder``, ``doctype``,
``docname``, ``fieldname``, ``file_url``, ``file_name`` and ``library_file_name``; it returns
the File document with null fields omitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.files import service
from docframe.methods.registry import alias, whitelist
from docframe.model import lifecycle, operations

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["attach_file", "get_max_file_size", "upload_file"]


def _read_part(part: Any) -> tuple[str, bytes]:
    """The filename and bytes of a multipart file part."""
    name = getattr(part, "filename", None) or ""
    handle = getattr(part, "file", None)
    if handle is None:
        raise errors.ValidationError("The 'file' part of the upload is not a file")
    handle.seek(0)
    return str(name), handle.read()


@alias("upload_file", "frappe.handler.upload_file", "frappe.core.api.file.upload_file")
@whitelist(allow_guest=True, methods=["POST", "PUT"])
def upload_file(
    ctx: Context,
    is_private: Any = 0,
    folder: str | None = None,
    doctype: str | None = None,
    docname: str | int | None = None,
    fieldname: str | None = None,
    file_url: str | None = None,
    file_name: str | None = None,
    library_file_name: str | None = None,
    *,
    uploads: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store the uploaded ``file`` part (or register ``file_url``) as a File document."""
    content = None
    part = (uploads or {}).get("file")
    if part is not None:
        file_name, content = _read_part(part)
    doc = service.upload(
        ctx, content=content, file_name=file_name, file_url=file_url or None, is_private=is_private,
        folder=folder or None, doctype=doctype or None, docname=docname, fieldname=fieldname or None,
        library_file_name=library_file_name or None,
    )  # fmt: skip
    return doc.as_dict(no_nulls=True)


@alias("frappe.core.api.file.get_max_file_size", "frappe.core.doctype.file.file.get_max_file_size")
@whitelist(allow_guest=True)
def get_max_file_size(ctx: Context) -> int:
    """The largest file this site accepts, in bytes."""
    return service.max_file_size(ctx)


@alias("frappe.client.attach_file", "frappe.core.api.document.attach_file")
@whitelist(methods=["POST", "PUT"])
def attach_file(
    ctx: Context,
    filename: str | None = None,
    filedata: str | None = None,
    doctype: str | None = None,
    docname: str | int | None = None,
    folder: str | None = None,
    decode_base64: int | bool | str = False,
    is_private: int | bool | str | None = None,
    docfield: str | None = None,
) -> dict[str, Any]:
    """Attach ``filedata`` (base64 when ``decode_base64``) to a document; ``docfield`` gets the URL."""
    if not doctype or docname in (None, ""):
        raise errors.ValidationError("'doctype' and 'docname' are required to attach a file")
    target = operations.get_document(ctx, doctype, docname)
    if docfield and docfield not in target.meta.fields_by_name:
        raise errors.DataError(f"{docfield} is not a field of {doctype}")
    decode = str(decode_base64).strip().lower() in ("1", "true", "yes")
    content = service.decode_content(filedata, decode)
    file = service.upload(
        ctx, content=content, file_name=filename, is_private=is_private or 0, folder=folder,
        doctype=doctype, docname=docname, fieldname=docfield, check_target=False,
    )  # fmt: skip
    if docfield:
        target = operations.get_document(ctx, doctype, docname, ptype="write", for_update=True)
        target.set(docfield, file.file_url)
        lifecycle.save(ctx, target)
    return file.as_dict(no_nulls=True)
