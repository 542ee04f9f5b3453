"""User: the value object for "who is making this request", with the roles that decide access."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ADMINISTRATOR", "AUTOMATIC_ROLES", "GUEST", "User"]

ADMINISTRATOR = "Administrator"
GUEST = "Guest"
#: Roles every logged-in user has without a Has Role row.
AUTOMATIC_ROLES: frozenset[str] = frozenset({"All"})


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
        """The anonymous user."""
        return cls(GUEST, frozenset({GUEST}), user_type="Website User", full_name=GUEST)

    @classmethod
    def administrator(cls, roles: frozenset[str] = frozenset()) -> User:
        """The Administrator (all roles)."""
        return cls(
            ADMINISTRATOR, roles | {ADMINISTRATOR, "System Manager", "All", GUEST}, full_name=ADMINISTRATOR
        )
