"""Methods: the whitelisted functions the API serves, with JSON Schemas from their type hints.

:func:`whitelisted_methods` lists every function reachable under ``/api/method/<dotted.path>``: the
functions Frappe names alias (one entry per function, under its most common Frappe name, the other
names listed as aliases) and every ``@whitelist`` function of docframe's method modules and of the
modules apps register. :func:`parameter_schemas` turns a signature into JSON Schemas; the first
``ctx`` parameter and the request-filled keyword parameters are not the client's to send.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docframe.meta.schema import Meta
from docframe.methods.call import INJECTED
from docframe.methods.registry import (
    ALIASES,
    MethodSpec,
    method_modules,
    parameters,
    standard_doc_methods,
    whitelist_mark,
)

__all__ = [
    "MethodInfo",
    "ParamInfo",
    "annotation_schema",
    "docstring_parts",
    "doctype_methods",
    "parameter_schemas",
    "whitelisted_methods",
]

Schema = dict[str, Any]
#: Names served by dedicated endpoints or internal to the desk: not listed as plain methods.
_SKIPPED = frozenset(
    {"run_doc_method", "runserverobj", "frappe.handler.run_doc_method", "frappe.handler.runserverobj"}
)
_SIMPLE: dict[Any, Schema] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    dict: {"type": "object"},
    list: {"type": "array"},
    tuple: {"type": "array"},
    set: {"type": "array"},
    frozenset: {"type": "array"},
    bytes: {"type": "string"},
}


@dataclass(frozen=True)
class MethodInfo:
    """One whitelisted function as the API exposes it."""

    path: str
    target: str
    func: Callable[..., Any]
    allow_guest: bool
    methods: frozenset[str]
    aliases: tuple[str, ...] = ()

    @property
    def spec(self) -> MethodSpec:
        """The registry's record of it."""
        return MethodSpec(self.target, self.func, self.allow_guest, self.methods)


@dataclass(frozen=True)
class ParamInfo:
    """One parameter the client sends."""

    name: str
    schema: Schema
    required: bool
    default: Any = None
    annotation: str | None = None


def _preference(name: str) -> tuple[int, int, str]:
    if "." not in name:
        rank = 0
    elif name.startswith("frappe.client."):
        rank = 1
    elif name.startswith("frappe."):
        rank = 2
    else:
        rank = 3
    return (rank, len(name), name)


def _module_functions(module_name: str) -> list[tuple[str, Callable[..., Any]]]:
    module = sys.modules.get(module_name)
    if module is None:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return []
    found = []
    for attr, value in vars(module).items():
        if callable(value) and getattr(value, "__module__", None) == module_name and whitelist_mark(value):
            found.append((f"{module_name}.{attr}", value))
    return found


def whitelisted_methods() -> list[MethodInfo]:
    """Every whitelisted function, sorted by public name."""
    modules = method_modules()
    by_target: dict[str, list[str]] = {}
    for name, target in ALIASES.items():
        by_target.setdefault(target, []).append(name)
    funcs: dict[str, Callable[..., Any]] = {}
    for module_name in modules:
        funcs.update(_module_functions(module_name))
    for standard in standard_doc_methods().values():  # reached through documents only
        funcs.pop(f"{standard.__module__}.{standard.__name__}", None)
    for target in by_target:
        if target not in funcs:
            module_name, _, attr = target.rpartition(".")
            found = getattr(sys.modules.get(module_name), attr, None)
            if callable(found) and whitelist_mark(found):
                funcs[target] = found
    out: list[MethodInfo] = []
    for target, func in funcs.items():
        mark = whitelist_mark(func)
        if mark is None:
            continue
        names = sorted((n for n in by_target.get(target, []) if n not in _SKIPPED), key=_preference)
        if by_target.get(target) and not names:
            continue
        path = names[0] if names else target
        out.append(MethodInfo(path, target, func, mark.allow_guest, mark.methods, tuple(names[1:])))
    return sorted(out, key=lambda m: m.path)


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    """Evaluated annotations; one that names a type-checking-only import stays a string (any value)."""
    target = getattr(func, "__func__", func)
    try:
        return typing.get_type_hints(target)
    except Exception:  # e.g. ``ctx: Context`` imported under TYPE_CHECKING: evaluate one by one
        pass
    scope = dict(getattr(target, "__globals__", {}))
    out: dict[str, Any] = {}
    for name, annotation in (getattr(target, "__annotations__", {}) or {}).items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, scope)  # annotations are code of the function's own module
            except Exception:
                pass
        out[name] = annotation
    return out


def annotation_schema(annotation: Any) -> Schema:
    """The JSON Schema of a type annotation (``{}`` = any value) for what the binder accepts."""
    if annotation is inspect.Parameter.empty or annotation is Any or isinstance(annotation, str):
        return {}
    if annotation in _SIMPLE:
        return dict(_SIMPLE[annotation])
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        members = [annotation_schema(a) for a in args]
        if any(m == {} for m in members):
            return {}
        if all(set(m) == {"type"} and isinstance(m["type"], str) for m in members):
            kinds = list(dict.fromkeys(m["type"] for m in members))
            return {"type": kinds[0] if len(kinds) == 1 else kinds}
        return {"anyOf": members}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, tuple, set, frozenset) or (
        isinstance(origin, type) and issubclass(origin, Sequence) and origin is not str
    ):
        items = annotation_schema(args[0]) if args else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if origin is dict or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return {"type": "object"}
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return {"type": "boolean"}
        for kind, schema in _SIMPLE.items():
            if isinstance(kind, type) and issubclass(annotation, kind):
                return dict(schema)
    return {}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


@functools.lru_cache(maxsize=2048)
def parameter_schemas(func: Callable[..., Any], doc_function: bool = False) -> tuple[ParamInfo, ...]:
    """The parameters a client sends to ``func``, with JSON Schemas from its type hints.

    ``doc_function``: a standard document method ``(ctx, doc, ...)``, whose ``doc`` is the document.
    """
    hints = _hints(func)
    out: list[ParamInfo] = []
    for index, param in enumerate(parameters(func)):
        if (index == 0 and param.name in ("ctx", "self", "cls")) or param.name in INJECTED:
            continue
        if doc_function and index == 1:
            continue
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(param.name, param.annotation)
        schema = annotation_schema(annotation)
        required = param.default is inspect.Parameter.empty
        default = None if required else _jsonable(param.default)
        if not required and default is not None and schema:
            schema = {**schema, "default": default}
        text = None
        if param.annotation is not inspect.Parameter.empty:
            text = (
                param.annotation
                if isinstance(param.annotation, str)
                else inspect.formatannotation(param.annotation)
            )
        out.append(ParamInfo(param.name, schema, required, default, text))
    return tuple(out)


@functools.lru_cache(maxsize=2048)
def return_schema(func: Callable[..., Any]) -> Schema:
    """The JSON Schema of what ``func`` returns (``{}`` when not annotated)."""
    return annotation_schema(_hints(func).get("return", inspect.Parameter.empty))


def doctype_methods(cls: type, meta: Meta) -> list[tuple[str, Callable[..., Any], bool]]:
    """The whitelisted methods of documents of ``meta``: (name, function, is a standard method).

    Controller methods marked ``@whitelist`` first, then the standard ones that apply to the DocType
    (``submit``/``cancel`` only when it is submittable, ``rename`` only when renaming is allowed).
    """
    return list(_doctype_methods(cls, meta.is_submittable, meta.allow_rename))


@functools.lru_cache(maxsize=1024)
def _doctype_methods(
    cls: type, submittable: bool, allow_rename: bool
) -> tuple[tuple[str, Callable[..., Any], bool], ...]:
    found: dict[str, tuple[Callable[..., Any], bool]] = {}
    for klass in reversed(inspect.getmro(cls)):
        for name, attr in vars(klass).items():
            func = attr.__func__ if isinstance(attr, staticmethod | classmethod) else attr
            if callable(func) and not name.startswith("_") and whitelist_mark(func):
                found[name] = (func, False)
    for name, func in standard_doc_methods().items():
        if name in found:
            continue
        if name in ("submit", "cancel") and not submittable:
            continue
        if name == "rename" and not allow_rename:
            continue
        found[name] = (func, True)
    return tuple((name, func, standard) for name, (func, standard) in sorted(found.items()))


def docstring_parts(func: Callable[..., Any]) -> tuple[str | None, str | None]:
    """(first line, whole docstring) of ``func``."""
    text = inspect.getdoc(func)
    if not text:
        return None, None
    return text.splitlines()[0].strip(), text
