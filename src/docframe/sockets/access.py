"""Access: who a socket is, and what it may subscribe to or receive (blocking; run in a thread).

Every function here opens its own read-only unit of work, so callers on the event loop run them
with ``asyncio.to_thread``. The rules are the HTTP API's (:mod:`docframe.permissions.rules`): a
socket joins ``doctype:<dt>`` only with read permission on the DocType (rights through shares
count), ``doc:<dt>/<name>`` and ``open_doc:...`` only with read permission on that document, and an
event about a document is delivered only to the sockets whose user can read it at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from docframe import errors
from docframe.auth.backends import RequestCredentials, authenticate
from docframe.auth.identity import identity_cache
from docframe.context import Context
from docframe.model import persistence
from docframe.model.document import Document
from docframe.permissions import rules
from docframe.permissions.hooks import controller_hooks
from docframe.permissions.user_permissions import user_permission_cache
from docframe.sites import Site
from docframe.users import User

__all__ = ["Identity", "can_read_doc", "can_read_doctype", "identify", "unreadable_by", "unreadable_many"]

#: Longest DocType name or document name accepted in a subscription.
MAX_NAME = 140


@dataclass(frozen=True, slots=True)
class Identity:
    """The user a socket acts for."""

    user: str
    user_type: str
    #: The session id it was opened with (``None`` for token authentication and Guests).
    sid: str | None = None


def identify(site: Site, sid: str | None, authorization: str | None) -> Identity:
    """Resolve a handshake's credentials as the HTTP API does.

    An unknown or expired ``sid`` is a Guest (as in Frappe); a bad ``Authorization`` header raises
    the HTTP API's :class:`~docframe.errors.AuthenticationError` (or 400 for a malformed one).
    """
    with site.unit_of_work(User.guest(), write=False) as ctx:
        state = authenticate(ctx, RequestCredentials(sid=sid, authorization=authorization))
        if state.user == "Guest":
            return Identity("Guest", "Website User")
        user = identity_cache(site).user(ctx, state.user)
        if user is None:
            raise errors.AuthenticationError(text="User disabled or missing")
        return Identity(user.name, user.user_type, state.sid if state.via == "session" else None)


def _user(ctx: Context, name: str) -> User | None:
    if name == "Guest":
        return User.guest()
    return identity_cache(ctx.site).user(ctx, name)


def valid_name(value: Any) -> bool:
    """Whether a client sent a usable DocType or document name."""
    return isinstance(value, str | int) and not isinstance(value, bool) and 0 < len(str(value)) <= MAX_NAME


def can_read_doctype(site: Site, user_name: str, doctype: str) -> bool:
    """Whether ``user_name`` may read some documents of ``doctype`` (a subscription to its list)."""
    with site.unit_of_work(User.guest(), write=False) as ctx:
        user = _user(ctx, user_name)
        if user is None or not ctx.meta_exists(doctype):
            return False
    with site.unit_of_work(user, write=False) as ctx:
        return rules.has_permission(ctx, ctx.meta(doctype), "read", include_shares=True)


def can_read_doc(site: Site, user_name: str, doctype: str, name: str) -> bool:
    """Whether ``user_name`` may read document ``name`` of ``doctype`` (which must exist)."""
    with site.unit_of_work(User.guest(), write=False) as ctx:
        user = _user(ctx, user_name)
        if user is None or not ctx.meta_exists(doctype):
            return False
    with site.unit_of_work(user, write=False) as ctx:
        meta = ctx.meta(doctype)
        try:
            doc = persistence.load_doc(ctx, meta, name)
        except (errors.DoesNotExistError, errors.ValidationError):
            return False
        return rules.has_permission(ctx, meta, "read", doc)


def _needs_document(ctx: Context, meta: Any, user: User) -> bool:
    """Whether reading one document of ``meta`` depends on the document itself for ``user``."""
    if controller_hooks(ctx, meta) is not None or meta.istable:
        return True
    if "read" not in rules.role_rights(ctx, meta, user).full:
        return True  # if_owner rules or shares decide
    return bool(user_permission_cache(ctx).get(ctx, user))


def unreadable_by(
    site: Site, doctype: str, name: str, snapshot: dict[str, Any] | None, users: Iterable[str]
) -> set[str]:
    """Which of ``users`` may not read document ``name`` (judged on ``snapshot`` once deleted)."""
    return unreadable_many(site, [(doctype, name, snapshot, users)])[0]


#: One question for :func:`unreadable_many`: doctype, name, snapshot (deleted) or None, users.
Check = tuple[str, str, dict[str, Any] | None, Iterable[str]]


def unreadable_many(site: Site, checks: Sequence[Check]) -> list[set[str]]:
    """:func:`unreadable_by` for several documents at once (one answer each).

    The realtime server asks once per batch of events, so a burst of writes costs one trip to a
    thread, one read-only unit of work to sort the users out, and one more per distinct user whose
    right depends on the document (judged as that user, as the HTTP API judges it).
    """
    answers: list[set[str]] = [set() for _ in checks]
    with site.unit_of_work(User.guest(), write=False) as ctx:
        users: dict[str, User | None] = {}
        pending: dict[str, list[int]] = {}
        for index, (doctype, _name, _snapshot, names) in enumerate(checks):
            if not ctx.meta_exists(doctype):
                answers[index] = set(names)
                continue
            meta = ctx.meta(doctype)
            for user_name in names:
                if user_name not in users:
                    users[user_name] = _user(ctx, user_name)
                user = users[user_name]
                if user is None:
                    answers[index].add(user_name)
                elif not user.is_admin and _needs_document(ctx, meta, user):
                    pending.setdefault(user_name, []).append(index)
        docs: dict[int, Document | None] = {}
        for user_name, indexes in pending.items():
            user = users[user_name]
            assert user is not None
            with site.unit_of_work(user, write=False) as as_user:
                for index in indexes:
                    doctype, name, snapshot, _names = checks[index]
                    meta = as_user.meta(doctype)
                    if index not in docs:
                        docs[index] = _document(ctx, meta, name, snapshot)
                    doc = docs[index]
                    if doc is None or not rules.has_permission(as_user, meta, "read", doc):
                        answers[index].add(user_name)
    return answers


def _document(ctx: Context, meta: Any, name: str, snapshot: dict[str, Any] | None) -> Document | None:
    if snapshot is not None:
        doc = persistence.new_document(ctx, meta, snapshot)
        doc.mark_new(False)
        return doc
    try:
        return persistence.load_doc(ctx, meta, name)
    except (errors.DoesNotExistError, errors.ValidationError):
        return None
