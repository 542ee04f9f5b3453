"""Call: bind the form dict to a whitelisted function's parameters and call it.

Unknown keys are dropped (unless the function takes ``**kwargs``); ``ignore_permissions`` and
``flags`` are always dropped; a missing required argument or a value of the wrong annotated type
is a 417 :class:`~docframe.errors.FrappeTypeError`, never a 500.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.methods.registry import MethodSpec, _not_whitelisted

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["call_method", "check_access"]

_ALWAYS_DROPPED = frozenset({"ignore_permissions", "flags"})


def check_access(ctx: Context, spec: MethodSpec, http_method: str) -> None:
    """Guests only for ``allow_guest`` methods; the HTTP method must be one the method allows."""
    if ctx.user.is_guest and not spec.allow_guest:
        raise _not_whitelisted(spec.path)
    if http_method not in spec.methods and not (http_method == "HEAD" and "GET" in spec.methods):
        raise errors.PermissionError("Not permitted")


_KINDS: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str, "dict": dict, "list": list}
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def _annotation_kind(annotation: Any) -> type | None:
    if isinstance(annotation, type):
        return annotation if annotation in _KINDS.values() else None
    if isinstance(annotation, str):
        return _KINDS.get(annotation.split("|")[0].strip())
    return None


def _convert(kind: type, value: Any) -> Any:
    """``value`` as ``kind``; raises ValueError when it cannot be one."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if kind is bool:
        low = str(value).strip().lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        if isinstance(value, int | float):
            return bool(value)
    elif kind in (int, float) and isinstance(value, str | int | float) and not isinstance(value, bool):
        return kind(float(value)) if kind is int else float(value)
    elif kind in (dict, list) and isinstance(value, str):
        parsed = orjson.loads(value)
        if isinstance(parsed, kind):
            return parsed
    elif kind is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(value)


def _coerce(name: str, spec: MethodSpec, annotation: Any, value: Any) -> Any:
    kind = _annotation_kind(annotation)
    if kind is None or value is None:
        return value
    try:
        return _convert(kind, value)
    except (ValueError, TypeError, OverflowError, orjson.JSONDecodeError):
        raise errors.FrappeTypeError(
            f"Argument '{name}' in '{spec.path}' should be of type '{kind.__name__}' but got '{type(value).__name__}' instead.",
            title="Invalid Argument",
        ) from None


def call_method(ctx: Context, spec: MethodSpec, form: dict[str, Any]) -> Any:
    """Call ``spec`` with the form dict's matching values."""
    signature = inspect.signature(spec.func)
    params = list(signature.parameters.values())
    if spec.wants_ctx:
        params = params[1:]
    takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    kwargs: dict[str, Any] = {}
    for p in params:
        if p.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            continue
        if p.name in form and p.name not in _ALWAYS_DROPPED:
            kwargs[p.name] = _coerce(p.name, spec, p.annotation, form[p.name])
        elif p.default is inspect.Parameter.empty:
            raise errors.FrappeTypeError(
                f"{spec.path}() missing required argument: '{p.name}'", title="Missing Argument"
            )
    if takes_kwargs:
        for key, value in form.items():
            if key not in kwargs and key not in _ALWAYS_DROPPED:
                kwargs[key] = value
    if spec.wants_ctx:
        return spec.func(ctx, **kwargs)
    return spec.func(**kwargs)
