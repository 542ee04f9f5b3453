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


def _coerce(name: str, spec: MethodSpec, annotation: Any, value: Any) -> Any:
    if annotation in (inspect.Parameter.empty, Any) or value is None:
        return value
    kind = annotation if isinstance(annotation, type) else None
    if isinstance(annotation, str):
        kind = {"int": int, "float": float, "bool": bool, "str": str, "dict": dict, "list": list}.get(
            annotation.split("|")[0].strip()
        )
    if kind is None:
        return value
    try:
        if kind is bool:
            if isinstance(value, str):
                low = value.strip().lower()
                if low in ("true", "1", "yes"):
                    return True
                if low in ("false", "0", "no", ""):
                    return False
                raise ValueError(value)
            return bool(value)
        if kind is int and not isinstance(value, bool):
            return int(value) if not isinstance(value, str) else int(float(value))
        if kind is float and not isinstance(value, bool):
            return float(value)
        if kind in (dict, list) and isinstance(value, str):
            parsed = orjson.loads(value)
            if isinstance(parsed, kind):
                return parsed
            raise ValueError(value)
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        pass
    else:
        if isinstance(value, kind):
            return value
    raise errors.FrappeTypeError(
        f"Argument '{name}' in '{spec.path}' should be of type '{kind.__name__}' but got '{type(value).__name__}' instead.",
        title="Invalid Argument",
    )


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
