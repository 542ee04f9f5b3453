"""Role controller: standard roles stay enabled; disabling a role takes it away from every user."""

from __future__ import annotations

from docframe import errors
from docframe.auth.identity import identity_cache
from docframe.db.repos import rows
from docframe.model.document import Document

#: Roles that cannot be renamed, disabled or deleted.
STANDARD_ROLES = ("Administrator", "System Manager", "Script Manager", "All", "Guest", "Desk User")


class Role(Document):
    """The Role DocType."""

    def validate(self) -> None:
        """Standard roles cannot be disabled; Guest never has desk access."""
        if self.name in STANDARD_ROLES and self.disabled:
            raise errors.ValidationError(f"Standard roles cannot be disabled: {self.name}")
        if self.name == "Guest":
            self.set("desk_access", 0)

    def on_update(self) -> None:
        """A disabled role is removed from every user."""
        if self.disabled:
            self._remove_assignments()
        self.ctx.after_commit.append(identity_cache(self.ctx.site).invalidate)

    def on_trash(self) -> None:
        """Standard roles cannot be deleted; a deleted role is removed from every user."""
        if self.name in STANDARD_ROLES:
            raise errors.ValidationError(f"Standard roles cannot be deleted: {self.name}")
        self._remove_assignments()
        self.ctx.after_commit.append(identity_cache(self.ctx.site).invalidate)

    def _remove_assignments(self) -> None:
        has_role = self.ctx.site.tables.get(self.ctx.site.metas.get("Has Role", self.ctx.conn))
        rows.delete_rows(self.ctx.conn, has_role, {"role": self.name})
