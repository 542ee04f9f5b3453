"""User Permission controller: one allowed value of a DocType for one user.

Refuses duplicates and a second default for the same user and DocType, drops ``applicable_for``
when the entry applies to all DocTypes, and clears the compiled user permissions after a change.
"""

from __future__ import annotations

from sqlalchemy import and_, select

from docframe import errors
from docframe.model.document import Document
from docframe.permissions.user_permissions import user_permission_cache


class UserPermission(Document):
    """The User Permission DocType."""

    def validate(self) -> None:
        """Normalise ``applicable_for``; refuse duplicates and a second default."""
        if self.apply_to_all_doctypes:
            self.set("applicable_for", None)
        table = self.ctx.site.tables.get(self.meta)
        same = [table.c.user == self.user, table.c.allow == self.allow]
        if self.name is not None:
            same.append(table.c.name != self.name)
        conn = self.ctx.conn
        if self.applicable_for:
            scope = table.c.applicable_for == self.applicable_for
        else:
            scope = table.c.apply_to_all_doctypes == 1
        duplicate = select(table.c.name).where(and_(*same, table.c.for_value == self.for_value, scope))
        if conn.execute(duplicate.limit(1)).first() is not None:
            raise errors.DuplicateEntryError("User permission already exists")
        if self.is_default:
            other = select(table.c.for_value).where(and_(*same, table.c.is_default == 1)).limit(1)
            found = conn.execute(other).first()
            if found is not None:
                raise errors.ValidationError(
                    f"{found[0]} has already assigned default value for {self.allow}."
                )

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
