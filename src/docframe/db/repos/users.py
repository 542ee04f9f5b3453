"""Users and roles as identity and login read them (the ``User``, ``Role`` and ``Has Role`` tables)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlalchemy.engine import Connection

__all__ = ["assigned_roles", "desk_role_among", "find_login_user", "grantable_roles", "role_names"]

LOGIN_COLUMNS = (
    "name", "enabled", "first_name", "last_name", "user_image", "simultaneous_sessions", "last_ip",
)  # fmt: skip


def find_login_user(conn: Connection, users: Table, key: str, *, by_mobile: bool, by_username: bool) -> Any:
    """The user whose name, e-mail (any case), mobile number or username is ``key`` (first by name)."""
    matches = [users.c.name == key, func.lower(users.c.email) == key.lower()]
    if by_mobile:
        matches.append(users.c.mobile_no == key)
    if by_username:
        matches.append(users.c.username == key)
    stmt = select(*(users.c[c] for c in LOGIN_COLUMNS)).where(or_(*matches))
    return conn.execute(stmt.order_by(users.c.name).limit(1)).first()


def role_names(conn: Connection, roles: Table) -> list[str]:
    """Every role's name."""
    return [str(r) for r in conn.execute(select(roles.c.name)).scalars()]


def assigned_roles(conn: Connection, has_role: Table, user: str) -> list[str]:
    """The roles assigned to ``user`` (its ``roles`` table rows)."""
    stmt = select(has_role.c.role).where(
        has_role.c.parent == user, has_role.c.parenttype == "User", has_role.c.parentfield == "roles"
    )
    return [str(r) for r in conn.execute(stmt).scalars()]


def desk_role_among(conn: Connection, roles: Table, names: Collection[str]) -> bool:
    """Whether one of ``names`` is a role with desk access."""
    stmt = select(roles.c.name).where(roles.c.name.in_(list(names)), roles.c.desk_access == 1).limit(1)
    return conn.execute(stmt).first() is not None


def grantable_roles(conn: Connection, roles: Table, leave_out: Collection[str]) -> list[str]:
    """Enabled roles not restricted to a domain, minus ``leave_out``."""
    stmt = select(roles.c.name).where(
        roles.c.name.not_in(list(leave_out)),
        or_(roles.c.disabled.is_(None), roles.c.disabled == 0),
        or_(roles.c.restrict_to_domain.is_(None), roles.c.restrict_to_domain == ""),
    )
    return [str(name) for name in conn.execute(stmt).scalars()]
