"""User controller: names users by e-mail, keeps ``full_name``, stores passwords outside the row."""

from __future__ import annotations

from docframe import errors
from docframe.auth import passwords
from docframe.auth.users import ADMINISTRATOR, GUEST
from docframe.model.document import Document

STANDARD_USERS = (ADMINISTRATOR, GUEST)


class User(Document):
    """The User DocType."""

    def autoname(self) -> None:
        """Administrator and Guest keep their names; everyone else is named by e-mail."""
        if self.first_name in STANDARD_USERS and self.email in ("admin@example.com", "guest@example.com"):
            self._data["name"] = self.first_name
        elif self.email:
            self._data["name"] = str(self.email).strip().lower()

    def validate(self) -> None:
        """Normalise the e-mail, compute the full name, protect the standard users."""
        if self.email and self.name not in STANDARD_USERS:
            self._data["email"] = str(self.email).strip().lower()
        self._data["full_name"] = " ".join(
            p for p in (self.first_name, self.middle_name, self.last_name) if p
        )
        if self.name in STANDARD_USERS and not self.enabled:
            raise errors.ValidationError(f"User {self.name} cannot be disabled")
        pending = self.new_password
        if pending and set(str(pending)) != {"*"}:
            self._extra["_pending_password"] = str(pending)
        self._data["new_password"] = None

    def on_update(self) -> None:
        """Hash a password given as ``new_password`` into the auth table."""
        pending = self._extra.pop("_pending_password", None)
        if pending:
            passwords.set_password(self.ctx, str(self.name), pending)
