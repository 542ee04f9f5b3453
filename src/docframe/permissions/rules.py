"""Permission rules: may this user do this to this DocType (or to this document)?

The evaluation is Frappe's (``documents.md`` 6.2/6.3), in order:

1. the Administrator may do everything (System Manager is an ordinary role);
2. ``share`` is refused when System Settings ``disable_document_sharing`` is on;
3. a child DocType is judged through its parent document;
4. with a document: the controller's rule (:mod:`docframe.permissions.hooks`) may deny, then the
   role rules with the owner switch, then User Permissions (:mod:`~docframe.permissions.user_permissions`);
5. without one: the role rules (``submit``/``import`` only where the DocType allows them);
6. a refused read/write/share/submit/email/print falls back to DocShare (:mod:`~docframe.permissions.shares`).

Role rules come from the DocPerm rows in effect (:mod:`~docframe.permissions.docperms`) at
permlevel 0 and are computed once per (DocType rows, role set) and cached on the Meta object.

Every check takes the request's :class:`~docframe.context.Context` explicitly and judges its user
(``ctx.user``); the context gives the Custom DocPerm rows, the controller rules, the User
Permissions and the shares. There is no ambient fallback: a check called without a context refuses
(it never answers from the role rules alone). A DocType-level question (no document) ignores
shares, like Frappe's ``check_doctype_permission`` (pass ``include_shares=True`` for Frappe's full
``has_permission``).

The rules sit below the model, so they take documents (:class:`~docframe.model.document.Document`
or a row's mapping) as parameters and never import the model. The one document they load
themselves, the parent of a child row that does not carry it, comes through
:func:`use_parent_loader`, which :mod:`docframe.model.persistence` calls when it is imported; without
a loader such a row has no parent and is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.auth.settings import auth_settings
from docframe.context import Context
from docframe.meta.schema import PERM_TYPES, DocPermDef, Meta
from docframe.permissions import shares as share_rules
from docframe.permissions import user_permissions
from docframe.permissions.docperms import RoleCache, for_roles
from docframe.permissions.fields import level_access
from docframe.permissions.hooks import controller_hooks
from docframe.users import User

if TYPE_CHECKING:
    from docframe.model.document import Document

__all__ = [
    "SHAREABLE",
    "RoleRights",
    "check_permission",
    "doc_rights",
    "has_permission",
    "parent_of",
    "role_rights",
    "use_parent_loader",
]

#: Rights a DocShare can grant (email and print are checked as read).
SHAREABLE = frozenset({"read", "write", "share", "submit", "email", "print"})

#: Loads a document by name (``DoesNotExistError`` when missing): the model's ``load_doc``.
ParentLoader = Callable[[Context, Meta, Any], Any]
_parent_loader: list[ParentLoader] = []


def use_parent_loader(load: ParentLoader) -> None:
    """Load the parents of child rows with ``load`` (installed by :mod:`docframe.model.persistence`)."""
    _parent_loader[:] = [load]


@dataclass(frozen=True, slots=True)
class RoleRights:
    """What a role set's level-0 rows grant on one DocType.

    ``full``: rights some non-owner rule grants (``create`` counts from any rule).
    ``owner_only``: rights only ``if_owner`` rules grant; they hold on documents the user owns.
    """

    full: frozenset[str]
    owner_only: frozenset[str]

    @property
    def has_if_owner(self) -> bool:
        """Whether some right depends on owning the document."""
        return bool(self.owner_only)

    @property
    def doctype_level(self) -> frozenset[str]:
        """Rights without a document (owner-only ``select``/``read`` count, so the list is reachable)."""
        return self.full | (self.owner_only & {"select", "read"})

    def for_document(self, is_owner: bool) -> frozenset[str]:
        """Rights on one document."""
        return self.full | self.owner_only if is_owner else self.full

    @property
    def owner_constraint(self) -> bool:
        """Whether lists must be limited to the user's own documents (read/select only via if_owner)."""
        return bool(self.owner_only & {"select", "read"}) and not (self.full & {"select", "read"})


def _compute(perms: tuple[DocPermDef, ...], roles: frozenset[str]) -> RoleRights:
    plain: set[str] = set()
    owner: set[str] = set()
    for perm in perms:
        if perm.permlevel == 0 and perm.role in roles:
            (owner if perm.if_owner else plain).update(perm.rights)
    if "create" in owner:
        plain.add("create")
    return RoleRights(frozenset(plain), frozenset(owner - plain - {"create"}))


def role_rights(ctx: Context, meta: Meta, user: User) -> RoleRights:
    """The role rules of ``meta`` for ``user`` (cached per DocPerm rows and role set)."""
    if user.is_admin:
        return RoleRights(frozenset(PERM_TYPES), frozenset())
    return for_roles(ctx, meta, user.roles, ctx.site.services.role_rights.get(RoleCache), _compute)


def _refuse_without_context(ctx: object) -> bool:
    """True when a check was called without a request context (it then refuses)."""
    return not isinstance(ctx, Context)


def _allow_import(meta: Meta) -> bool:
    value = meta.raw.get("allow_import")
    return str(value) not in ("0", "", "None", "False")


def _type_filter(meta: Meta, rights: frozenset[str]) -> frozenset[str]:
    drop = set()
    if not meta.is_submittable:
        drop.add("submit")
    if not _allow_import(meta):
        drop.add("import")
    return rights - drop if drop else rights


def is_owner(doc: Any, user: User) -> bool:
    """Whether ``user`` owns ``doc`` (case-insensitive, as Frappe compares)."""
    return str(doc.get("owner") or "").lower() == user.name.lower()


def doc_rights(ctx: Context, meta: Meta, doc: Any, user: User, ptype: str = "read") -> frozenset[str]:
    """Every right ``user`` has on ``doc`` before shares (Frappe's ``get_doc_permissions``)."""
    if _refuse_without_context(ctx):
        return frozenset()
    if user.is_admin:
        return frozenset(PERM_TYPES)
    hooks = controller_hooks(ctx, meta)
    if hooks is not None and not hooks.document_permission(ctx, doc, ptype, user):
        return frozenset()
    rights = role_rights(ctx, meta, user)
    owner = is_owner(doc, user)
    granted = _type_filter(meta, rights.for_document(owner))
    if not user_permissions.allows_document(ctx, doc, user):
        return _type_filter(meta, rights.owner_only) if owner else frozenset()
    return granted


def parent_of(ctx: Context, meta: Meta, doc: Any) -> tuple[Meta, Any] | None:
    """The parent DocType and document of a child row (``None`` when the row names no valid parent)."""
    parenttype = doc.get("parenttype") if doc is not None else None
    if not parenttype or not ctx.meta_exists(str(parenttype)):
        return None
    parent_meta = ctx.meta(str(parenttype))
    fields = {f.fieldname: f for f in parent_meta.table_fields if f.options == meta.name}
    if parent_meta.istable or doc.get("parentfield") not in fields:
        return None
    parent_doc = getattr(doc, "parent_doc", None)  # a Document's row knows its parent; a mapping does not
    if parent_doc is None:
        if not _parent_loader:
            return None
        try:
            parent_doc = _parent_loader[0](ctx, parent_meta, doc.get("parent"))
        except errors.DoesNotExistError:
            return None
    return parent_meta, parent_doc


def _child_permission(ctx: Context, meta: Meta, ptype: str, doc: Any, user: User) -> bool:
    if doc is None:
        return False
    found = parent_of(ctx, meta, doc)
    if found is None:
        return False
    parent_meta, parent_doc = found
    field = parent_meta.fields_by_name[str(doc.get("parentfield"))]
    if field.permlevel:
        levels = level_access(ctx, parent_meta, user)
        if field.permlevel not in (levels.write if ptype == "write" else levels.read):
            return False
    return has_permission(ctx, parent_meta, ptype, parent_doc)


def _shared(ctx: Context, meta: Meta, ptype: str, doc: Any, user: User) -> bool:
    if ptype not in SHAREABLE:
        return False
    right = "read" if ptype in ("email", "print") else ptype
    if doc is not None:
        return share_rules.is_shared(ctx, meta.name, doc.get("name"), user, right)
    return share_rules.any_shared(ctx, meta.name, user, right)


def has_permission(
    ctx: Context, meta: Meta, ptype: str = "read", doc: Document | Any = None, *, include_shares: bool = False
) -> bool:
    """Whether the context's user may ``ptype`` on ``meta`` (and on ``doc``, when given).

    Without a context (``ctx`` is not a :class:`~docframe.context.Context`) the answer is no.
    """
    if _refuse_without_context(ctx):
        return False
    user = ctx.user
    if user.is_admin:
        return True
    if ptype == "share" and auth_settings(ctx.site, ctx.conn).disable_document_sharing:
        return False
    if meta.istable:
        return _child_permission(ctx, meta, ptype, doc, user)
    if doc is not None:
        allowed = ptype in doc_rights(ctx, meta, doc, user, ptype)
        return allowed or _shared(ctx, meta, ptype, doc, user)
    if (ptype == "submit" and not meta.is_submittable) or (ptype == "import" and not _allow_import(meta)):
        return False
    granted = role_rights(ctx, meta, user).doctype_level
    if ptype in granted or (ptype == "select" and "read" in granted):
        return True
    return include_shares and _shared(ctx, meta, ptype, None, user)


def _is_new(doc: Any) -> bool:
    """Whether ``doc`` is a Document not inserted yet (a mapping never is)."""
    is_new = getattr(doc, "is_new", None)
    return callable(is_new) and bool(is_new())


def _denied_message(meta: Meta, ptype: str, doc: Any) -> str:
    name = doc.get("name") if doc is not None else None
    if doc is None or name in (None, "") or _is_new(doc):
        if ptype in ("read", "select"):
            return f"No permission for {meta.name}"
        return f"You need the '{ptype}' permission on {meta.name} to perform this action."
    if ptype == "read":
        return f"No permission for {meta.name} {name}"
    return f"You need the '{ptype}' permission on {meta.name} {name} to perform this action."


def check_permission(ctx: Context, meta: Meta, ptype: str, doc: Any = None) -> None:
    """Raise :class:`~docframe.errors.PermissionError` (403) unless :func:`has_permission`."""
    if has_permission(ctx, meta, ptype, doc):
        return
    raise errors.PermissionError(_denied_message(meta, ptype, doc), title="Not Permitted", doctype=meta.name)
