"""Controllers: which Python class runs the hooks of each DocType.

A standard DocType's controller is the class named after the DocType (spaces and hyphens removed,
``Has Role`` -> ``HasRole``) in the module beside its JSON file. Custom DocTypes have none. Resolved
once per DocType and cached. This registry only finds the class; :mod:`docframe.model.controllers`
requires it to subclass :class:`~docframe.model.document.Document` and falls back to ``Document``
itself, so the site (which holds the registry) does not depend on the model.
"""

from __future__ import annotations

import importlib
import threading

from docframe.meta.registry import MetaRegistry
from docframe.meta.schema import Meta

__all__ = ["ControllerRegistry", "controller_class_name"]


def controller_class_name(doctype: str) -> str:
    """``Has Role`` -> ``HasRole``."""
    return doctype.replace(" ", "").replace("-", "")


class ControllerRegistry:
    """Per-site map of DocType -> controller class (``None``: the DocType has none)."""

    def __init__(self, metas: MetaRegistry) -> None:
        self._metas = metas
        self._cache: dict[str, type | None] = {}
        self._lock = threading.Lock()

    def get(self, meta: Meta) -> type | None:
        """The controller class of ``meta``, ``None`` when it has none."""
        try:
            return self._cache[meta.name]
        except KeyError:
            pass
        cls = self._resolve(meta)
        with self._lock:
            self._cache[meta.name] = cls
        return cls

    def _resolve(self, meta: Meta) -> type | None:
        module_path = self._metas.module_of.get(meta.name)
        if meta.custom or not module_path:
            return None
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as exc:
            if exc.name != module_path:
                raise
            return None
        cls = getattr(module, controller_class_name(meta.name), None)
        if cls is None:
            return None
        if not isinstance(cls, type):
            raise TypeError(
                f"{module_path}.{controller_class_name(meta.name)} must subclass docframe Document"
            )
        return cls
