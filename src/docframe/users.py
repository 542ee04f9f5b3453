"""User: the value object for "who is making this request", with the roles that decide access.

Roles follow Frappe: ``Guest`` has only the Guest role; the ``Administrator`` has every Role
record; everyone else has the roles of their ``Has Role`` rows (automatic roles in those rows are
ignored) plus ``All`` and ``Guest``, plus ``Desk User`` when they are a System User.

A plain value with no imports, so the unit of work (:mod:`docframe.context`) and the site
(:mod:`docframe.sites`) can carry one; ``docframe.auth`` finds and authenticates users above them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ADMINISTRATOR",
    "AUTOMATIC_ROLES",
    "DESK_USER_ROLE",
    "GUEST",
    "STANDARD_USERS",
    "User",
    "effective_roles",
]

ADMINISTRATOR = "Administrator"
GUEST = "Guest"
STANDARD_USERS = (ADMINISTRATOR, GUEST)
DESK_USER_ROLE = "Desk User"
#: Roles given by the kind of user, never by a Has Role row.
AUTOMATIC_ROLES: frozenset[str] = frozenset({GUEST, "All", DESK_USER_ROLE, ADMINISTRATOR})


def effective_roles(assigned: Iterable[str], user_type: str) -> frozenset[str]:
    """The roles of an ordinary user: assigned roles (minus automatic ones) + All + Guest (+ Desk User)."""
    roles = {r for r in assigned if r and r not in AUTOMATIC_ROLES} | {"All", GUEST}
    if user_type == "System User":
        roles.add(DESK_USER_ROLE)
    return frozenset(roles)


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated (or guest) user and its effective roles."""

    name: str
    roles: frozenset[str]
    user_type: str = "System User"
    full_name: str = ""
    enabled: bool = True

    @property
    def is_admin(self) -> bool:
        """Only the Administrator bypasses permission checks (System Manager does not)."""
        return self.name == ADMINISTRATOR

    @property
    def is_guest(self) -> bool:
        """Whether nobody is logged in."""
        return self.name == GUEST

    @property
    def is_system_user(self) -> bool:
        """System Users may see tracebacks and use the desk."""
        return not self.is_guest and self.user_type == "System User"

    @classmethod
    def guest(cls) -> User:
        """The anonymous user (one shared, immutable instance)."""
        return _GUEST_USER

    @classmethod
    def administrator(cls, roles: frozenset[str] = frozenset()) -> User:
        """The Administrator (every role; ``roles`` adds the site's other Role records)."""
        return cls(
            ADMINISTRATOR,
            roles | {ADMINISTRATOR, "System Manager", "All", GUEST, DESK_USER_ROLE},
            full_name=ADMINISTRATOR,
        )


_GUEST_USER = User(GUEST, frozenset({GUEST}), user_type="Website User", full_name=GUEST)
