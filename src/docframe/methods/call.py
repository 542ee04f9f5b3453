"""Call: bind the form dict to a whitelisted function's parameters and call it.

Unknown keys are dropped (unless the function takes ``**kwargs``); ``ignore_permissions`` and
``flags`` are always dropped; a missing required argument or a value of the wrong annotated type
is a 417 :class:`~docframe.errors.FrappeTypeError`, never a 500. Annotated values are coerced the
way Frappe's lax validation does (``"1"`` -> ``1`` for ``int``, ``"false"`` -> ``False`` for
``bool``, a JSON string -> ``dict``/``list``); a union accepts a value of any of its members.

Some parameters are supplied by the caller, never by the client: a first parameter named ``ctx``
(the unit of work), and the keyword-only parameters named in :data:`INJECTED` — ``http_method``
(the request's method) and ``uploads`` (the multipart file parts).
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import orjson

from docframe import errors
from docframe.methods.registry import MethodSpec, not_whitelisted, parameters

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.model.document import Document

__all__ = [
    "TopLevel",
    "bind_arguments",
    "call_doc_method",
    "call_method",
    "check_access",
    "coerce_argument",
]


@dataclass(frozen=True)
class TopLevel:
    """A method result whose keys go at the top level of the response body, as Frappe's login
    manager writes ``message``, ``home_page`` and ``full_name`` straight into the response."""

    keys: dict[str, Any]


_ALWAYS_DROPPED = frozenset({"ignore_permissions", "flags"})
#: Keyword-only parameters filled from the request itself (never from the form dict).
INJECTED = frozenset({"http_method", "uploads"})
_KINDS: dict[str, type] = {
    "int": int, "float": float, "bool": bool, "str": str, "dict": dict, "list": list,
    "None": type(None), "NoneType": type(None),
}  # fmt: skip
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def check_access(ctx: Context, spec: MethodSpec, http_method: str) -> None:
    """Guests only for ``allow_guest`` methods; the HTTP method must be one the method allows."""
    if ctx.user.is_guest and not spec.allow_guest:
        raise not_whitelisted(spec.path)
    as_get = http_method in ("HEAD", "QUERY") and "GET" in spec.methods  # reads that GET allows
    if http_method not in spec.methods and not as_get:
        raise errors.PermissionError("Not permitted")


def _split_union(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts]


def _annotation_kinds(annotation: Any) -> tuple[type, ...] | None:
    """The plain types an annotation allows, or None when it is not checked (Any, classes, ...)."""
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        names = [p.split("[", 1)[0].strip() for p in _split_union(annotation)]
        kinds = [_KINDS.get(n) for n in names]
        return None if any(k is None for k in kinds) else tuple(k for k in kinds if k is not None)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        found: list[type] = []
        for arg in typing.get_args(annotation):
            member = _annotation_kinds(arg)
            if member is None:
                return None
            found.extend(member)
        return tuple(found)
    origin = typing.get_origin(annotation) or annotation
    if annotation is None or annotation is type(None):
        return (type(None),)
    return (origin,) if origin in _KINDS.values() else None


def _is_instance(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _convert(kind: type, value: Any) -> Any:
    """``value`` as ``kind``; raises ValueError when it cannot be one."""
    if kind is bool:
        low = str(value).strip().lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        if isinstance(value, int | float):
            return bool(value)
    elif kind is int and isinstance(value, str | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer():
            return int(number)
    elif kind is float and isinstance(value, str | int) and not isinstance(value, bool):
        return float(value)
    elif kind in (dict, list) and isinstance(value, str):
        parsed = orjson.loads(value)
        if isinstance(parsed, kind):
            return parsed
    elif kind is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(value)


def _allows_none(annotation: Any) -> bool:
    """Whether a parameter annotated so may be null (unannotated and unchecked ones may)."""
    kinds = _annotation_kinds(annotation)
    return kinds is None or type(None) in kinds


def coerce_argument(name: str, path: str, annotation: Any, value: Any) -> Any:
    """``value`` checked (and converted) against ``annotation``; 417 FrappeTypeError when it does not fit."""
    kinds = _annotation_kinds(annotation)
    if kinds is None or value is None:
        return value
    if any(_is_instance(value, k) for k in kinds):
        return value
    for kind in kinds:
        if kind is type(None):
            continue
        try:
            return _convert(kind, value)
        except (ValueError, TypeError, OverflowError, orjson.JSONDecodeError):
            continue
    wanted = " | ".join(k.__name__ for k in kinds if k is not type(None)) or "None"
    raise errors.FrappeTypeError(
        f"Argument '{name}' in '{path}' should be of type '{wanted}' but got '{type(value).__name__}' instead.",
        title="Invalid Argument",
    )


@dataclass(frozen=True, slots=True)
class _Binding:
    """How a function takes its arguments, read once from its signature."""

    #: (name, annotation, required) of each named parameter the form may fill, in order.
    named: tuple[tuple[str, Any, bool], ...]
    takes_kwargs: bool
    #: Keyword-only parameters named in INJECTED (supplied by the caller, never by the form).
    injected: frozenset[str]


@functools.lru_cache(maxsize=4096)
def _binding(func: Callable[..., Any], skip: int) -> _Binding:
    params = parameters(func)
    keyword_only = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    named = tuple(
        (p.name, p.annotation, p.default is inspect.Parameter.empty)
        for p in params[skip:]
        if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        and not (p.kind is inspect.Parameter.KEYWORD_ONLY and p.name in INJECTED)
    )
    return _Binding(
        named=named,
        takes_kwargs=any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params[skip:]),
        injected=frozenset(keyword_only & INJECTED),
    )


def _binding_of(func: Callable[..., Any], skip: int) -> _Binding:
    # A bound method is cached by its function (one entry per method, not per instance).
    if inspect.ismethod(func):
        return _binding(func.__func__, skip + 1)
    return _binding(func, skip)


def bind_arguments(
    func: Callable[..., Any], form: dict[str, Any], *, path: str, skip: int = 0
) -> dict[str, Any]:
    """Keyword arguments for ``func`` from ``form`` (first ``skip`` parameters are supplied by the caller)."""
    binding = _binding_of(func, skip)
    kwargs: dict[str, Any] = {}
    for name, annotation, required in binding.named:
        if name in form and name not in _ALWAYS_DROPPED:
            value = form[name]
            if value is None and required and not _allows_none(annotation):
                raise errors.FrappeTypeError(
                    f"Argument '{name}' in '{path}' may not be null", title="Invalid Argument"
                )
            kwargs[name] = coerce_argument(name, path, annotation, value)
        elif required:
            raise errors.FrappeTypeError(
                f"{path}() missing required argument: '{name}'", title="Missing Argument"
            )
    if binding.takes_kwargs:
        for key, value in form.items():
            if key not in kwargs and key not in _ALWAYS_DROPPED and isinstance(key, str):
                kwargs[key] = value
    return kwargs


def call_method(
    ctx: Context, spec: MethodSpec, form: dict[str, Any], extras: Mapping[str, Any] | None = None
) -> Any:
    """Call ``spec`` with the form dict's matching values (and the :data:`INJECTED` ``extras``)."""
    wants_ctx = spec.wants_ctx
    kwargs = bind_arguments(spec.func, form, path=spec.path, skip=1 if wants_ctx else 0)
    if extras:
        injected = _binding_of(spec.func, 0).injected
        if injected:
            kwargs.update({name: value for name, value in extras.items() if name in injected})
    if wants_ctx:
        return spec.func(ctx, **kwargs)
    return spec.func(**kwargs)


def call_doc_method(ctx: Context, doc: Document, spec: MethodSpec, form: dict[str, Any]) -> Any:
    """Call a document method (controller method or standard one) with the form's matching values."""
    if spec.doc_function:
        return spec.func(ctx, doc, **bind_arguments(spec.func, form, path=spec.path, skip=2))
    return spec.func(**bind_arguments(spec.func, form, path=spec.path))


@overload
def json_argument(name: str, value: Any, kind: type[dict[str, Any]]) -> dict[str, Any]: ...
@overload
def json_argument(name: str, value: Any, kind: type | tuple[type, ...]) -> Any: ...
def json_argument(name: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    """An argument that may arrive as a JSON string or already parsed; 417 when it is not a ``kind``."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise errors.FrappeTypeError(
                f"Argument '{name}' is not valid JSON", title="Invalid Argument"
            ) from None
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join("a JSON object" if k is dict else "a JSON list" for k in kinds)
        raise errors.FrappeTypeError(f"Argument '{name}' must be {wanted}", title="Invalid Argument")
    return value


__all__ += ["json_argument"]
