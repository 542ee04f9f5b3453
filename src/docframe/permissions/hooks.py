"""Controller permission hooks: the two override points a controller may declare.

Frappe lets a DocType add a document rule (its ``has_permission`` hook) and a list rule
(``permission_query_conditions``) through app hooks found by name. docframe declares them once, on
:class:`PermissionHooks`: a controller that needs them subclasses it next to
:class:`~docframe.model.document.Document` and overrides one or both class methods (the document rule is ``document_permission``, because
``has_permission`` is Frappe's boolean Document method, ``doc.has_permission(ptype)``). A document rule
can only *deny* (it runs before the role rules, which still have to grant); a list rule returns one
SQLAlchemy clause that is ANDed into every list and count of the DocType.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table
from sqlalchemy.sql import ColumnElement

from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.meta.schema import Meta

__all__ = ["PermissionHooks", "controller_hooks"]


class PermissionHooks:
    """Mixin for controllers with their own permission rules (ToDo, Note, User, ...)."""

    @classmethod
    def document_permission(cls, ctx: Context, doc: Any, ptype: str, user: User) -> bool:
        """Whether ``user`` may ``ptype`` this document as far as the controller is concerned.

        ``False`` denies; ``True`` lets the role rules decide. Never called for the Administrator.
        """
        return True

    @classmethod
    def permission_query_conditions(
        cls, ctx: Context, table: Table, user: User
    ) -> ColumnElement[bool] | None:
        """A WHERE clause limiting lists of this DocType for ``user`` (``None``: no limit)."""
        return None


def controller_hooks(ctx: Context, meta: Meta) -> type[PermissionHooks] | None:
    """The controller class of ``meta`` when it declares permission hooks."""
    cls = ctx.site.controllers.get(meta)
    if cls is not None and _declares_hooks(cls):
        return cast("type[PermissionHooks]", cls)
    return None


@lru_cache(maxsize=1024)
def _declares_hooks(cls: type) -> bool:
    """Whether controller class ``cls`` declares permission hooks: worked out once per class (a
    refused class raises on every call: an error is not cached)."""
    if not issubclass(cls, PermissionHooks):
        return False
    if isinstance(inspect.getattr_static(cls, "has_permission", None), classmethod):
        # The document rule's former name: ignoring it would silently widen access.
        raise TypeError(
            f"{cls.__qualname__}: the controller's document rule is now the class method "
            "document_permission(ctx, doc, ptype, user); has_permission is Document's boolean check"
        )
    return True
