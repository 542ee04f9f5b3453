"""Registry: which dotted names may be called over HTTP, by whom, and with which HTTP methods.

``@whitelist(allow_guest=False, methods=None)`` marks a function; :func:`resolve` turns a dotted
name into its :class:`MethodSpec`, applying Frappe-name aliases (``frappe.client.get_list`` is
served by docframe's own implementation) and app ``override_whitelisted_methods`` hooks. A
function whose first parameter is named ``ctx`` receives the request's context.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from docframe import errors

__all__ = ["ALIASES", "MethodSpec", "resolve", "whitelist"]

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
_MARK = "__docframe_method__"
#: Frappe's dotted names (and bare legacy names) -> docframe's implementations.
ALIASES: dict[str, str] = {}


@dataclass(frozen=True)
class MethodSpec:
    """A callable that may be reached over HTTP."""

    path: str
    func: Callable[..., Any]
    allow_guest: bool
    methods: frozenset[str]

    @property
    def wants_ctx(self) -> bool:
        """Whether the function's first parameter is ``ctx``."""
        params = list(inspect.signature(self.func).parameters)
        return bool(params) and params[0] == "ctx"


def whitelist(*, allow_guest: bool = False, methods: list[str] | None = None) -> Callable[[F], F]:
    """Allow calling the decorated function over HTTP."""

    def mark(func: F) -> F:
        allowed = frozenset(m.upper() for m in methods) if methods else DEFAULT_METHODS
        setattr(func, _MARK, (allow_guest, allowed))
        return func

    return mark


def alias(*names: str) -> Callable[[F], F]:
    """Also serve the decorated function under Frappe's dotted ``names``."""

    def register(func: F) -> F:
        for name in names:
            ALIASES[name] = f"{func.__module__}.{func.__qualname__}"
        return func

    return register


def _not_whitelisted(path: str) -> errors.PermissionError:
    return errors.PermissionError(
        f"<details><summary>You are not permitted to access this resource.</summary>Function <b>{path}</b> is not whitelisted.</details>",
        title="Method Not Allowed",
    )


def resolve(path: str, overrides: dict[str, str] | None = None) -> MethodSpec:
    """The method called ``path``; 417 when it cannot be found, 403 when it is not whitelisted."""
    _load_builtins()
    if overrides and path in overrides:
        path = overrides[path]
    target = ALIASES.get(path, path)
    module_path, _, attr = target.rpartition(".")
    if not module_path or not attr or not all(p.isidentifier() for p in target.split(".")):
        raise errors.ValidationError(f"Failed to get method for command {path} with No module named '{path}'")
    try:
        module = importlib.import_module(module_path)
        func = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise errors.ValidationError(f"Failed to get method for command {path} with {exc}") from None
    mark = getattr(func, _MARK, None)
    if mark is None:
        raise _not_whitelisted(path)
    return MethodSpec(path, func, mark[0], mark[1])


def _load_builtins() -> None:
    if not ALIASES:
        importlib.import_module("docframe.methods.builtin")


__all__ += ["_not_whitelisted", "alias"]
