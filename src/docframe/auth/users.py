"""The :class:`~docframe.users.User` value type under the import path apps already use.

``User`` lives in :mod:`docframe.users`, below the unit of work and the site (both carry a user);
this module re-exports it for app code (``from docframe.auth.users import User``).
"""

from docframe.users import (
    ADMINISTRATOR,
    AUTOMATIC_ROLES,
    DESK_USER_ROLE,
    GUEST,
    STANDARD_USERS,
    User,
    effective_roles,
)

__all__ = [
    "ADMINISTRATOR",
    "AUTOMATIC_ROLES",
    "DESK_USER_ROLE",
    "GUEST",
    "STANDARD_USERS",
    "User",
    "effective_roles",
]
