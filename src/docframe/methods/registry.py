"""Registry: which dotted names may be called over HTTP, by whom, and with which HTTP methods.

``@whitelist(allow_guest=False, methods=None)`` marks a function (or a method of a
:class:`~docframe.model.document.Document` subclass). :func:`resolve` turns a dotted name into its
:class:`MethodSpec` in Frappe's order:

1. the site's ``override_whitelisted_methods`` hooks (the replacement name is resolved instead);
2. Frappe-name aliases (``frappe.client.insert`` is served by docframe's own implementation);
   docframe's built-in method modules and any module an app passes to :func:`register_module`
   declare them with :func:`alias`;
3. the dotted path itself: ``package.module.function`` where ``package`` is docframe or an app
   installed on the site. Anything else is a 417 "Failed to get method ...".

A function whose first parameter is named ``ctx`` receives the request's context. Document
methods are found by :func:`doc_method_spec`: a ``@whitelist()`` method of the controller class,
else one of the standard document methods (``submit``, ``cancel``, ``rename``, ``add_comment``)
registered with :func:`standard_doc_method`.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from docframe import errors
from docframe.hooks import installed

if TYPE_CHECKING:
    from docframe.model.document import Document

__all__ = [
    "ALIASES",
    "BUILTIN_MODULES",
    "DEFAULT_METHODS",
    "MethodSpec",
    "Whitelisted",
    "alias",
    "doc_method_spec",
    "method_modules",
    "not_whitelisted",
    "parameters",
    "register_module",
    "resolve",
    "standard_doc_method",
    "standard_doc_methods",
    "whitelist",
    "whitelist_mark",
]

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
_MARK = "__docframe_method__"
#: Frappe's dotted names (and bare legacy names) -> docframe's implementations.
ALIASES: dict[str, str] = {}
#: docframe's modules of whitelisted methods, imported on first lookup (their aliases register).
BUILTIN_MODULES: tuple[str, ...] = (
    "docframe.methods.builtin",
    "docframe.methods.client_read",
    "docframe.methods.client_write",
    "docframe.methods.auth",
    "docframe.methods.documents",
    "docframe.methods.files",
    "docframe.methods.jobs",
    "docframe.methods.bulk",
    "docframe.methods.realtime",
    "docframe.methods.desk",
    "docframe.doctypes.user.user",
)
_registered: list[str] = []
_loaded: set[str] = set()
_lock = threading.Lock()
#: Standard whitelisted methods every document has: name -> function(ctx, doc, **kwargs).
_STANDARD_DOC_METHODS: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True, slots=True)
class Whitelisted:
    """What ``@whitelist`` records on a function."""

    allow_guest: bool
    methods: frozenset[str]
    xss_safe: bool = False


@dataclass(frozen=True)
class MethodSpec:
    """A callable that may be reached over HTTP."""

    path: str
    func: Callable[..., Any]
    allow_guest: bool
    methods: frozenset[str]
    #: Standard document methods take ``(ctx, doc, **kwargs)``.
    doc_function: bool = False

    @functools.cached_property
    def wants_ctx(self) -> bool:
        """Whether the function's first parameter is ``ctx``."""
        params = parameters(self.func)
        return bool(params) and params[0].name == "ctx"


@functools.lru_cache(maxsize=4096)
def _plain_parameters(func: Callable[..., Any]) -> tuple[inspect.Parameter, ...]:
    return tuple(inspect.signature(func).parameters.values())


def parameters(func: Callable[..., Any]) -> tuple[inspect.Parameter, ...]:
    """The parameters of ``func`` (cached per function; a bound method's ``self`` is left out)."""
    if inspect.ismethod(func):
        return _plain_parameters(func.__func__)[1:]
    return _plain_parameters(func)


def whitelist(
    *, allow_guest: bool = False, methods: Iterable[str] | None = None, xss_safe: bool = False
) -> Callable[[F], F]:
    """Allow calling the decorated function (or controller method) over HTTP.

    ``methods`` limits the HTTP methods (default GET, POST, PUT, DELETE); ``allow_guest`` lets
    Guest call it too.
    """
    allowed = frozenset(m.upper() for m in methods) if methods else DEFAULT_METHODS

    def mark(func: F) -> F:
        setattr(func, _MARK, Whitelisted(allow_guest, allowed, xss_safe))
        return func

    return mark


def whitelist_mark(func: Any) -> Whitelisted | None:
    """The ``@whitelist`` record of ``func`` (bound methods are unwrapped), or None."""
    target = getattr(func, "__func__", func)
    mark = getattr(target, _MARK, None)
    return mark if isinstance(mark, Whitelisted) else None


def alias(*names: str) -> Callable[[F], F]:
    """Also serve the decorated function under Frappe's dotted ``names``."""

    def register(func: F) -> F:
        for name in names:
            ALIASES[name] = f"{func.__module__}.{func.__qualname__}"
        return func

    return register


def register_module(path: str) -> None:
    """Import ``path`` on the next lookup so that its :func:`alias` declarations apply (apps)."""
    with _lock:
        if path not in _registered:
            _registered.append(path)


def _load_modules() -> None:
    for path in (*BUILTIN_MODULES, *_registered):
        if path in _loaded:
            continue
        try:
            importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
        _loaded.add(path)


def method_modules() -> tuple[str, ...]:
    """Every module of whitelisted methods (docframe's and the apps'), imported."""
    _load_modules()
    return (*BUILTIN_MODULES, *_registered)


def standard_doc_methods() -> dict[str, Callable[..., Any]]:
    """The standard document methods by name (a copy)."""
    _load_modules()
    return dict(_STANDARD_DOC_METHODS)


def not_whitelisted(path: str) -> errors.PermissionError:
    """Frappe's 403 for a function that is not whitelisted (or not for Guest)."""
    return errors.PermissionError(
        "<details><summary>You are not permitted to access this resource.</summary>"
        f"Function <b>{path}</b> is not whitelisted.</details>",
        title="Method Not Allowed",
    )


def _not_found(path: str, reason: str, v2: bool) -> errors.ValidationError:
    head = f"Failed to get method {path}" if v2 else f"Failed to get method for command {path}"
    return errors.ValidationError(f"{head} with {reason}")


def _import_target(target: str, path: str, apps: tuple[str, ...], v2: bool) -> Any:
    module_path, _, attr = target.rpartition(".")
    if not module_path or not all(p.isidentifier() for p in target.split(".")):
        raise _not_found(path, f"No module named '{target}'", v2)
    if not installed(target, apps):
        raise _not_found(path, f"App {target.split('.', 1)[0]} is not installed", v2)
    try:
        module = importlib.import_module(module_path)
    except ImportError as exc:
        raise _not_found(path, str(exc), v2) from None
    func = getattr(module, attr, None)
    if func is None:
        raise _not_found(path, f"module '{module_path}' has no attribute '{attr}'", v2)
    return func


_RESOLVED: dict[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...], bool], MethodSpec] = {}


def resolve(
    path: str, overrides: dict[str, str] | None = None, *, apps: Iterable[str] = (), v2: bool = False
) -> MethodSpec:
    """The method called ``path``; 417 when it cannot be found, 403 when it is not whitelisted.

    Successful resolutions are remembered (imports and whitelist checks run once per name).
    """
    key = (path, tuple(sorted(overrides.items())) if overrides else (), tuple(apps), v2)
    spec = _RESOLVED.get(key)
    if spec is None:
        spec = _resolve(path, overrides, apps=apps, v2=v2)
        if len(_RESOLVED) < 10_000:
            _RESOLVED[key] = spec
    return spec


def _resolve(path: str, overrides: dict[str, str] | None, *, apps: Iterable[str], v2: bool) -> MethodSpec:
    _load_modules()
    if overrides and path in overrides:
        path = overrides[path]
    target = ALIASES.get(path, path)
    func = _import_target(target, path, tuple(apps), v2)
    mark = whitelist_mark(func)
    # Standard document methods take the document from the route, never from a plain call.
    if mark is None or not callable(func) or func in _STANDARD_DOC_METHODS.values():
        raise not_whitelisted(target)
    return MethodSpec(target, func, mark.allow_guest, mark.methods)


def standard_doc_method(name: str, *, methods: Iterable[str] | None = None) -> Callable[[F], F]:
    """Register ``func(ctx, doc, **kwargs)`` as the standard whitelisted document method ``name``."""
    allowed = frozenset(m.upper() for m in methods) if methods else DEFAULT_METHODS

    def register(func: F) -> F:
        setattr(func, _MARK, Whitelisted(False, allowed))
        _STANDARD_DOC_METHODS[name] = func
        return func

    return register


#: The module of the base ``Document`` (whose own API methods are never whitelisted).
_DOCUMENT_MODULE = "docframe.model.document"

#: Frappe's public Document API that every controller inherits but that is not whitelisted: calling
#: one over HTTP is Frappe's 403 "not whitelisted", never a 404, whether or not docframe's own
#: ``Document`` implements it under that name.
FRAPPE_DOCUMENT_API = frozenset({
    "add_comment", "add_seen", "add_tag", "add_viewed", "append", "as_dict", "as_json", "cancel_all_linked_docs",
    "check_if_latest", "check_no_back_links_exist", "check_permission", "db_get", "db_insert", "db_set",
    "db_update", "delete", "delete_key", "extend", "get", "get_all_children", "get_doc_before_save",
    "get_formatted", "get_latest", "get_onload", "get_parent_doc", "get_password", "get_signature",
    "get_tags", "get_title", "get_url", "get_valid_dict", "has_permission", "has_value_changed", "insert",
    "is_child_table_same", "is_new", "load_from_db", "lock", "notify_update", "queue_action", "reload",
    "run_method", "run_notifications", "run_post_save_methods", "run_trigger", "save", "set",
    "set_new_name", "set_onload", "set_parent_in_children", "unlock", "update", "update_child_table",
    "validate", "validate_value",
})  # fmt: skip


def doc_method_spec(doc: Document, name: str) -> MethodSpec:
    """The whitelisted method ``name`` of ``doc``: 404 when there is none, 403 when not whitelisted."""
    _load_modules()
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise errors.DoesNotExistError(f"Method {name} not found")
    cls = type(doc)
    attr = inspect.getattr_static(cls, name, None)
    if name in _STANDARD_DOC_METHODS and getattr(attr, "__module__", None) == _DOCUMENT_MODULE:
        attr = None  # docframe's own Document.submit/cancel: HTTP runs the standard whitelisted method
    if attr is None:
        standard = _STANDARD_DOC_METHODS.get(name)
        if standard is None and name in FRAPPE_DOCUMENT_API:
            raise not_whitelisted(f"{cls.__module__}.{cls.__name__}.{name}")
        if standard is None:
            raise errors.DoesNotExistError(f"Method {name} not found")
        mark = whitelist_mark(standard)
        methods = mark.methods if mark else DEFAULT_METHODS
        return MethodSpec(f"{standard.__module__}.{name}", standard, False, methods, doc_function=True)
    func = attr.__func__ if isinstance(attr, staticmethod | classmethod) else attr
    mark = whitelist_mark(func)
    path = f"{getattr(func, '__module__', cls.__module__)}.{name}"
    if mark is None or not callable(func):
        raise not_whitelisted(path)
    return MethodSpec(path, getattr(doc, name), mark.allow_guest, mark.methods)
