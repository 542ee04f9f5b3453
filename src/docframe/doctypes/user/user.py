"""User controller: names users by e-mail, derives the user type from the roles, keeps secrets out
of the row, and guards the standard users.

* ``new_password`` is hashed (argon2) into ``__Auth`` and never stored in the row;
  ``api_secret`` is stored as a digest there and shown as asterisks in the row.
* ``user_type`` is System User when any assigned role has desk access, else Website User
  (Administrator and Guest are fixed). A System Manager may still make a user a Website User on
  purpose (on creation, or by changing the type); Frappe would recompute it from the roles.
* A new user is shared with themself (read, write, share), so they can read and edit their own
  record at permlevel 0.
* Only the Administrator can see or change the Administrator and Guest records, and those two can
  never be disabled or deleted.
* After a change commits, cached identities are dropped; disabling a user ends their sessions, and
  a new password ends their other sessions when ``logout_all_sessions`` is set.

The module's whitelisted functions are the ones Frappe's clients call on User
(``/api/v2/method/User/<name>``, or v1 ``frappe.core.doctype.user.user.<name>``): ``get_all_roles``,
``get_roles`` and ``get_timezones``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from sqlalchemy import Table
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.auth import passwords
from docframe.auth.backends import AuthState
from docframe.auth.identity import identity_cache
from docframe.auth.sessions import session_manager
from docframe.db.repos import rows, users
from docframe.methods.registry import alias, whitelist
from docframe.model import lifecycle, persistence
from docframe.model.document import Document
from docframe.permissions.hooks import PermissionHooks
from docframe.permissions.user_permissions import user_permission_cache
from docframe.users import ADMINISTRATOR, AUTOMATIC_ROLES, GUEST, STANDARD_USERS
from docframe.users import User as Identity

if TYPE_CHECKING:
    from docframe.context import Context

_PENDING_PASSWORD = "_pending_password"
_PENDING_SECRET = "_pending_api_secret"


def _unchanged_secret(value: Any) -> bool:
    return value in (None, "") or set(str(value)) == {"*"}


class User(Document, PermissionHooks):
    """The User DocType."""

    @classmethod
    def document_permission(cls, ctx: Context, doc: Any, ptype: str, user: Identity) -> bool:
        """Nobody but the Administrator may touch the Administrator or Guest records."""
        return doc.get("name") not in STANDARD_USERS

    @classmethod
    def permission_query_conditions(
        cls, ctx: Context, table: Table, user: Identity
    ) -> ColumnElement[bool] | None:
        """Lists never show the Administrator and Guest to anyone else."""
        return table.c.name.not_in(STANDARD_USERS)

    def autoname(self) -> None:
        """Administrator and Guest keep their names; everyone else is named by e-mail."""
        if self.first_name in STANDARD_USERS and self.email in ("admin@example.com", "guest@example.com"):
            self.set("name", self.first_name)
        elif self.email:
            self.set("name", str(self.email).strip().lower())

    def validate(self) -> None:
        """Normalise the e-mail, compute names and type, protect the standard users, keep secrets aside."""
        if self.email and self.name not in STANDARD_USERS:
            self.set("email", str(self.email).strip().lower())
        self.set("full_name", " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p))
        if self.name in STANDARD_USERS and not self.enabled:
            raise errors.ValidationError(f"User {self.name} cannot be disabled")
        if self.name == GUEST:
            self.set("roles", [r for r in self.get_table("roles") if r.role == GUEST])
        self.set("user_type", self._user_type())
        self._take_secrets()

    def _user_type(self) -> str:
        if self.name == ADMINISTRATOR:
            return "System User"
        if self.name == GUEST or self._chose_website_user():
            return "Website User"
        assigned = {r.role for r in self.get_table("roles") if r.role and r.role not in AUTOMATIC_ROLES}
        if not assigned:
            return "Website User"
        roles = self.ctx.site.tables.get(self.ctx.site.metas.get("Role", self.ctx.conn))
        return "System User" if users.desk_role_among(self.ctx.conn, roles, assigned) else "Website User"

    def _chose_website_user(self) -> bool:
        """Whether this save sets Website User on purpose (new user, or changed from the stored type)."""
        if self.user_type != "Website User":
            return False
        if self.is_new():
            return True
        table = self.ctx.site.tables.get(self.meta)
        return bool(rows.value(self.ctx.conn, table, "user_type", {"name": self.name}) != "Website User")

    def _take_secrets(self) -> None:
        pending = self.new_password
        if not _unchanged_secret(pending):
            self._extra[_PENDING_PASSWORD] = str(pending)
        self.set("new_password", None)
        secret = self.api_secret
        if not _unchanged_secret(secret):
            self._extra[_PENDING_SECRET] = str(secret)
            self.set("api_secret", "*" * len(str(secret)))

    def after_insert(self) -> None:
        """Share the new user's record with themself (read, write, share)."""
        if self.name in STANDARD_USERS or self.ctx.in_install:
            return
        meta = self.ctx.site.metas.get("DocShare", self.ctx.conn)
        share = persistence.new_document(
            self.ctx,
            meta,
            {"user": self.name, "share_doctype": "User", "share_name": self.name, "read": 1, "write": 1,
             "share": 1, "notify_by_email": 0},
        )  # fmt: skip
        lifecycle.insert(self.ctx, share, ignore_permissions=True)

    def on_update(self) -> None:
        """Store a new password or API secret; end sessions when required; refresh identities."""
        ctx = self.ctx
        password = self._extra.pop(_PENDING_PASSWORD, None)
        if password:
            passwords.set_password(ctx, str(self.name), password)
        secret = self._extra.pop(_PENDING_SECRET, None)
        if secret:
            passwords.set_auth_value(
                ctx, "User", str(self.name), "api_secret", passwords.digest_secret(secret)
            )
        ended = not self.enabled or (password and self.logout_all_sessions and not self.is_new())
        if ended:
            keep = None if not self.enabled else _current_sid(ctx, str(self.name))
            _end_sessions_after_commit(ctx, str(self.name), keep)
        ctx.after_commit.append(identity_cache(ctx.site).invalidate)

    def on_trash(self) -> None:
        """The standard users stay; a deleted user loses sessions, secrets, shares and permissions."""
        if self.name in STANDARD_USERS:
            raise errors.ValidationError(f"User {self.name} cannot be deleted")
        ctx, name = self.ctx, str(self.name)
        rows.delete_rows(ctx.conn, ctx.site.tables.framework.auth, {"doctype": "User", "name": name})
        for doctype, column in (("DocShare", "user"), ("User Permission", "user")):
            rows.delete_rows(ctx.conn, ctx.site.tables.get(ctx.meta(doctype)), {column: name})
        shares = ctx.site.tables.get(ctx.meta("DocShare"))
        rows.delete_rows(ctx.conn, shares, {"share_doctype": "User", "share_name": name})
        _end_sessions_after_commit(ctx, name, None)
        ctx.after_commit.append(identity_cache(ctx.site).invalidate)
        ctx.after_commit.append(user_permission_cache(ctx).invalidate)


def _end_sessions_after_commit(ctx: Context, user: str, keep: str | None) -> None:
    def end() -> None:
        session_manager(ctx.site).end_user_sessions(None, user, keep=keep)

    ctx.after_commit.append(end)


def _current_sid(ctx: Context, user: str) -> str | None:
    state = ctx.auth
    info = state.session if isinstance(state, AuthState) else None
    return info.sid if info is not None and info.user == user else None


_MODULE = "frappe.core.doctype.user.user"


@alias(f"{_MODULE}.get_all_roles")
@whitelist()
def get_all_roles(ctx: Context) -> list[str]:
    """The names of every enabled role a user can be given (automatic roles left out), sorted."""
    roles = ctx.site.tables.get(ctx.meta("Role"))
    return sorted(users.grantable_roles(ctx.conn, roles, AUTOMATIC_ROLES))


@alias(f"{_MODULE}.get_roles")
@whitelist()
def get_roles(ctx: Context, arg: Any = None, uid: Any = None) -> list[str]:
    """The roles of the current user; of another user (``uid``) only for a System Manager."""
    user = ctx.user
    wanted = uid or arg
    if wanted and wanted != user.name:
        if not user.is_admin and "System Manager" not in user.roles:
            raise errors.PermissionError("Not permitted", title="Not Permitted")
        other = identity_cache(ctx.site).user(ctx, str(wanted))
        if other is None:
            raise errors.DoesNotExistError(f"User {wanted} not found", doctype="User")
        return sorted(other.roles)
    return sorted(user.roles)


@alias(f"{_MODULE}.get_timezones")
@whitelist()
def get_timezones() -> dict[str, list[str]]:
    """The time zones a user or the system may be set to (``{"timezones": [...]}``)."""
    return {"timezones": sorted(available_timezones())}
