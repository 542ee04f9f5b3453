"""User Permission controller: one allowed value of a DocType for one user.

Refuses duplicates and a second default for the same user and DocType, drops ``applicable_for``
when the entry applies to all DocTypes, and clears the compiled user permissions after a change.
"""

from __future__ import annotations

from docframe import errors
from docframe.db.repos import user_permissions
from docframe.model.document import Document
from docframe.permissions.user_permissions import user_permission_cache


class UserPermission(Document):
    """The User Permission DocType."""

    def validate(self) -> None:
        """Normalise ``applicable_for``; refuse duplicates and a second default."""
        if self.apply_to_all_doctypes:
            self.set("applicable_for", None)
        table = self.ctx.site.tables.get(self.meta)
        conn = self.ctx.conn
        if user_permissions.duplicate_exists(
            conn, table, self.user, self.allow, self.for_value, self.applicable_for, self.name
        ):
            raise errors.DuplicateEntryError("User permission already exists")
        if self.is_default:
            found = user_permissions.default_for(conn, table, self.user, self.allow, self.name)
            if found is not None:
                raise errors.ValidationError(f"{found} has already assigned default value for {self.allow}.")

    def on_update(self) -> None:
        """Recompile the user's permissions after commit."""
        self._forget()

    def on_trash(self) -> None:
        """Recompile the user's permissions after commit."""
        self._forget()

    def _forget(self) -> None:
        cache = user_permission_cache(self.ctx)
        cache.clear()
        self.ctx.after_commit.append(cache.invalidate)
