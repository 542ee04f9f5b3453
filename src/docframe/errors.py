"""Error classes: every error docframe raises on purpose, with its HTTP status on the class.

Class names match Frappe's exception names because clients read them from ``exc_type`` (v1) and
``errors[].type`` (v2). Each class carries ``http_status``; subclasses inherit it. Nothing here
builds a response: :mod:`docframe.http.exception_handlers` is the one place that renders errors.

An error may carry user-facing message objects (``messages``): the text a Frappe client shows in a
dialog. ``str(error)`` is the technical text (what Frappe puts after the class name in
``exception``); it defaults to the first message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "AuthenticationError",
    "CSRFTokenError",
    "CancelledLinkError",
    "CannotChangeConstantError",
    "CharacterLengthExceededError",
    "DataError",
    "DocstatusTransitionError",
    "DoesNotExistError",
    "DuplicateEntryError",
    "FrappeError",
    "FrappeTypeError",
    "FrappeValueError",
    "InvalidAuthorizationToken",
    "InvalidColumnName",
    "InvalidEmailAddressError",
    "InvalidNameError",
    "InvalidNamingSeriesError",
    "InvalidPhoneNumberError",
    "InvalidUUIDValue",
    "LinkExistsError",
    "LinkValidationError",
    "MandatoryError",
    "Message",
    "MethodNotAllowed",
    "NameError",
    "NonNegativeError",
    "PermissionError",
    "QueryTimeoutError",
    "RateLimitExceededError",
    "RequestEntityTooLarge",
    "SecurityException",
    "ServiceUnavailable",
    "SessionExpired",
    "TimestampMismatchError",
    "TooManyRequestsError",
    "UniqueValidationError",
    "UpdateAfterSubmitError",
    "ValidationError",
]


@dataclass(slots=True)
class Message:
    """One user-visible message, as Frappe's ``msgprint`` queues it."""

    message: str
    title: str = "Message"
    indicator: str | None = None
    raise_exception: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the wire form (the keys Frappe clients read)."""
        out: dict[str, Any] = {"message": self.message, "title": self.title}
        if self.indicator:
            out["indicator"] = self.indicator
        if self.raise_exception:
            out["raise_exception"] = 1
        out.update(self.extra)
        return out


class FrappeError(Exception):
    """Base of every error with an HTTP status; plain Python errors are 500s."""

    http_status: ClassVar[int] = 500
    #: Module path shown in v1 ``exception`` text, kept for clients that parse it.
    wire_module: ClassVar[str] = "frappe.exceptions"
    #: Whether a traceback may be shown for this error (CSRF and masked 404s say no).
    traceback_allowed: ClassVar[bool] = True

    def __init__(
        self,
        message: str | None = None,
        *,
        title: str | None = None,
        messages: list[Message] | None = None,
        text: str | None = None,
        doctype: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        self.messages: list[Message] = list(messages or [])
        #: Extra top-level keys for the error body (login failures add ``message``).
        self.body: dict[str, Any] = dict(body or {})
        #: Extra response headers (``Retry-After`` on a rate-limit rejection).
        self.headers: dict[str, str] = {}
        if message:
            self.messages.insert(
                0, Message(message, title=title or "Message", indicator="red", raise_exception=True)
            )
        self.doctype = doctype
        super().__init__(text if text is not None else (message or ""))

    @property
    def type_name(self) -> str:
        """The class name clients see."""
        return type(self).__name__


class ValidationError(FrappeError):
    """Input or state that the document model refuses (Frappe's default throw)."""

    http_status = 417


class FrappeValueError(ValidationError):
    """A v2 request's arguments have the wrong shape (Frappe v2's 417 error class)."""


class FrappeTypeError(FrappeError, TypeError):
    """A whitelisted method's argument has the wrong type."""

    http_status = 417


class DataError(ValidationError):
    """A request parameter (field, filter, body) is malformed or not allowed."""


class AuthenticationError(FrappeError):
    """Credentials are missing, wrong, or refer to no user."""

    http_status = 401


class SessionExpired(FrappeError):
    """The session cookie no longer names a live session."""

    http_status = 401


class PermissionError(FrappeError):
    """The user may not do this."""

    http_status = 403


class DoesNotExistError(ValidationError):
    """A DocType, document or route does not exist."""

    http_status = 404


class NameError(FrappeError):
    """The document name is invalid or taken."""

    http_status = 409


class DuplicateEntryError(NameError):
    """A document with this name already exists."""


class MandatoryError(ValidationError):
    """Required values are missing."""


class LinkValidationError(ValidationError):
    """A Link value names a document that does not exist."""


class CancelledLinkError(LinkValidationError):
    """A Link value names a cancelled document."""


class UniqueValidationError(ValidationError):
    """A unique field's value is already used by another document."""

    http_status = 409


class CharacterLengthExceededError(ValidationError):
    """A value is longer than its column allows."""


class NonNegativeError(ValidationError):
    """A negative value in a non-negative field."""


class UpdateAfterSubmitError(ValidationError):
    """A field that is not allow-on-submit changed on a submitted document."""


class DocstatusTransitionError(ValidationError):
    """A docstatus change that the lifecycle does not allow."""


class TimestampMismatchError(ValidationError):
    """The document changed since the client read it (optimistic concurrency)."""


class CannotChangeConstantError(ValidationError):
    """A set-only-once value changed."""


class LinkExistsError(ValidationError):
    """Other documents link to the one being deleted or cancelled."""


class InvalidEmailAddressError(ValidationError):
    """Not a valid e-mail address."""


class InvalidNameError(ValidationError):
    """Not a valid person name."""


class InvalidPhoneNumberError(ValidationError):
    """Not a valid phone number."""


class InvalidColumnName(ValidationError):
    """A fieldname with characters a column may not have."""


class InvalidNamingSeriesError(ValidationError):
    """A naming series with characters it may not have."""


class InvalidUUIDValue(ValidationError):
    """A name that should be a UUID is not one."""


class CSRFTokenError(FrappeError):
    """Missing or wrong CSRF token on a cookie session."""

    http_status = 400
    traceback_allowed = False


class InvalidAuthorizationToken(CSRFTokenError):
    """An Authorization header that cannot be decoded."""


class TooManyRequestsError(FrappeError):
    """A rate limit was hit."""

    http_status = 429


class RateLimitExceededError(ValidationError):
    """A ``@rate_limit`` method was called too often (429, as newer Frappe answers)."""

    http_status = 429


class ServiceUnavailable(FrappeError):
    """A service the site depends on (Redis) cannot be reached."""

    http_status = 503


class QueryTimeoutError(FrappeError):
    """The database gave up waiting (lock or statement timeout)."""


class SecurityException(FrappeError):
    """A security rule stopped the request (for example account lock-out)."""


class MethodNotAllowed(FrappeError):
    """The route exists but not for this HTTP method."""

    http_status = 405

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(text="Method Not Allowed")
        self.allowed = allowed


class RequestEntityTooLarge(FrappeError):
    """The request body is larger than the site allows."""

    http_status = 413
