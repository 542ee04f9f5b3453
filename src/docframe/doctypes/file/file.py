"""File controller: names folders by path, stores uploaded bytes, removes stored files on delete.

Permissions are Frappe's File rules (:mod:`docframe.files.permissions`): private files are open
to their owner and to users of the document they are attached to, lists show only what the user
could open, and a File record cannot be made for (or re-pointed at) a private file the user could
not already read.

A new File gets its bytes from ``flags.extra["content"]`` (set by the upload service), or refers
to a remote ``http(s)://`` URL, or to a file already stored under ``/files/`` or
``/private/files/``. Folders (``is_folder``) are named by their path (``Home/Attachments``).
Deleting a File releases its stored file, which is removed after the commit unless another File
still refers to it; ``Home`` and ``Home/Attachments`` cannot be deleted, nor can folders that
still hold files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.db.repos import rows
from docframe.files import permissions, service
from docframe.files.storage import check_file_name, is_local_url
from docframe.model.document import Document
from docframe.permissions.hooks import PermissionHooks
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["File"]

REMOTE_PREFIXES = ("http://", "https://")


class File(Document, PermissionHooks):
    """The File DocType."""

    @classmethod
    def document_permission(cls, ctx: Context, doc: Any, ptype: str, user: User) -> bool:
        """Frappe's File rule: public to read, the owner's, or following the attached document."""
        return permissions.file_permission(ctx, doc, ptype, user)

    @classmethod
    def permission_query_conditions(
        cls, ctx: Context, table: Table, user: User
    ) -> ColumnElement[bool] | None:
        """Only File records the user could open (see :func:`docframe.files.permissions.list_condition`)."""
        return permissions.list_condition(ctx, table, user)

    def autoname(self) -> None:
        """Folders are named by their path; files get a random name."""
        if self.is_folder and self.file_name:
            leaf = check_file_name(str(self.file_name))
            self.set("name", f"{self.folder}/{leaf}" if self.folder else leaf)

    def before_insert(self) -> None:
        """Default the folder, then store the content (or check the URL) of a new file."""
        if not self.folder and not self.is_home_folder and not (self.is_folder and self.file_name == "Home"):
            self.set("folder", "Home/Attachments" if self.attached_to_doctype else "Home")
            service.ensure_folder(self.ctx, str(self.folder))
        if self.is_folder:
            return
        content = self.flags.extra.pop("content", None)
        if content is not None:
            service.store_content(self.ctx, self, content)
            return
        url = self.file_url
        if not url and not self.file_name:
            raise errors.MandatoryError("Fields `file_name` or `file_url` must be set for File")
        if not url:
            raise errors.ValidationError("File content or a file_url is required")
        if not self.file_name:
            self.set("file_name", str(url).rstrip("/").rsplit("/", 1)[-1] or str(url))
        if is_local_url(str(url)):
            permissions.check_may_reference(self.ctx, str(url))
            service.describe_local_file(self.ctx, self)

    def validate(self) -> None:
        """Check attachment references and that a URL is remote or a safe stored path."""
        if self.file_name:
            self.set("file_name", str(self.file_name).replace("/", "").strip() or None)
        if self.is_folder:
            return
        if self.attached_to_doctype and self.attached_to_name in (None, ""):
            raise errors.ValidationError("Attached To Name must be a string or an integer")
        field = self.attached_to_field
        if field and not str(field).replace("_", "").isalnum():
            raise errors.ValidationError("The fieldname you've specified in Attached To Field is invalid")
        url = str(self.file_url or "")
        if url and not url.startswith(REMOTE_PREFIXES):
            if not is_local_url(url):
                raise errors.ValidationError("URL must start with http:// or https://", title="Invalid URL")
            service.site_storage(self.ctx.site).path(url)
            self.set("is_private", int(url.startswith("/private/")))
            if not self.is_new() and url != self._stored_url():
                permissions.check_may_reference(self.ctx, url, exclude=self.name)

    def _stored_url(self) -> str | None:
        table = self.ctx.site.tables.get(self.meta)
        url = rows.value(self.ctx.conn, table, "file_url", {"name": self.name})
        return None if url is None else str(url)

    def on_trash(self) -> None:
        """Refuse to delete the standard folders and folders that still hold files."""
        if self.is_home_folder or self.is_attachments_folder:
            raise errors.ValidationError("Cannot delete Home and Attachments folders")
        if self.is_folder:
            table = self.ctx.site.tables.get(self.meta)
            if rows.exists(self.ctx.conn, table, {"folder": self.name}):
                raise service.FolderNotEmpty(f"Folder {self.name} is not empty")

    def after_delete(self) -> None:
        """Release the stored file (removed after commit when no other File refers to it)."""
        if self.file_url and not self.is_folder:
            service.release_after_commit(self.ctx, str(self.file_url))
