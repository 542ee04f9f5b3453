"""Passwords and secrets: argon2 hashes of user passwords and SHA-256 digests of API secrets.

Both live in the ``__Auth`` table, never in a DocType column and never in an API response.
User passwords use argon2id (slow on purpose). API secrets are random 15+ character tokens, so a
SHA-256 digest is enough to make a stolen database useless and keeps the per-request check cheap.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from docframe.db.repos import auth_values
from docframe.secret_box import SecretBoxError

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["check_password", "digest_secret", "get_auth_value", "set_auth_value", "set_password"]

#: OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): slow for attackers, bearable per login.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
#: A fixed hash verified when the user is unknown, so timing does not tell whether a user exists.
_DUMMY_HASH = _HASHER.hash("docframe-dummy-password")


def set_auth_value(
    ctx: Context, doctype: str, name: str, fieldname: str, value: str, *, encrypted: int = 0
) -> None:
    """Store ``value`` in ``__Auth`` for (doctype, name, fieldname), replacing any old value."""
    auth_values.set_value(
        ctx.conn, ctx.site.tables.framework.auth, doctype, name, fieldname, value, encrypted
    )


def get_auth_value(ctx: Context, doctype: str, name: str, fieldname: str) -> str | None:
    """The stored ``__Auth`` value, or ``None``."""
    return auth_values.get_value(ctx.conn, ctx.site.tables.framework.auth, doctype, name, fieldname)


def set_password(ctx: Context, user: str, password: str) -> None:
    """Store the argon2 hash of ``user``'s password."""
    set_auth_value(ctx, "User", user, "password", _HASHER.hash(password))


def check_password(ctx: Context, user: str, password: str) -> bool:
    """Whether ``password`` is ``user``'s password (same cost whether or not the user exists).

    A hash made with older parameters is replaced after a successful check, so every stored hash
    ends up costing what the dummy costs.
    """
    stored = get_auth_value(ctx, "User", user, "password")
    try:
        valid = _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if valid and stored is not None and _HASHER.check_needs_rehash(stored):
        set_password(ctx, user, password)
    return valid


def digest_secret(secret: str) -> str:
    """The stored form of an API secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(stored_digest: str | None, secret: str) -> bool:
    """Constant-time comparison of an API secret against its stored digest."""
    return stored_digest is not None and hmac.compare_digest(stored_digest, digest_secret(secret))


__all__ += ["secret_matches"]


def delete_auth_value(ctx: Context, doctype: str, name: str, fieldname: str) -> None:
    """Forget the stored ``__Auth`` value of (doctype, name, fieldname)."""
    auth_values.delete_value(ctx.conn, ctx.site.tables.framework.auth, doctype, name, fieldname)


def set_secret(ctx: Context, doctype: str, name: str, fieldname: str, value: str) -> None:
    """Store a Password-field value, encrypted with the site key (retrievable by ``get_secret``)."""
    set_auth_value(
        ctx,
        doctype,
        name,
        fieldname,
        ctx.site.secrets.seal(value),
        encrypted=1,
    )


def get_secret(ctx: Context, doctype: str, name: str, fieldname: str) -> str | None:
    """The clear value of a Password field stored by :func:`set_secret` (None when absent)."""
    stored = get_auth_value(ctx, doctype, name, fieldname)
    if stored is None:
        return None
    try:
        return ctx.site.secrets.open(stored)
    except SecretBoxError:
        return None


def store_password_fields(ctx: Context, doc: Any) -> None:
    """Move Password-field values of a document (and its rows) into ``__Auth``; columns keep ``*``.

    A value made only of ``*`` means "unchanged"; an empty value forgets the stored secret.
    """
    for row in (doc, *doc.all_children()):
        for field in row.meta.data_fields:
            if field.fieldtype != "Password":
                continue
            value = row.get(field.fieldname)
            if value is None:
                continue
            text = str(value)
            if text and set(text) == {"*"}:
                continue
            if text:
                set_secret(ctx, row.doctype, str(row.name), field.fieldname, text)
                row.set(field.fieldname, "*" * len(text))
            else:
                delete_auth_value(ctx, row.doctype, str(row.name), field.fieldname)
