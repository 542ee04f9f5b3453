"""Controllers: which Python class runs the hooks of each DocType.

A standard DocType's controller is the class named after the DocType (spaces and hyphens removed,
``Has Role`` -> ``HasRole``) in the module beside its JSON file, and must subclass
:class:`~docframe.model.document.Document`. Custom DocTypes use ``Document`` itself. Resolved once
per DocType and cached.
"""

from __future__ import annotations

import importlib
import threading

from docframe.meta.registry import MetaRegistry
from docframe.meta.schema import Meta
from docframe.model.document import Document

__all__ = ["ControllerRegistry", "controller_class_name"]


def controller_class_name(doctype: str) -> str:
    """``Has Role`` -> ``HasRole``."""
    return doctype.replace(" ", "").replace("-", "")


class ControllerRegistry:
    """Per-site map of DocType -> controller class."""

    def __init__(self, metas: MetaRegistry) -> None:
        self._metas = metas
        self._cache: dict[str, type[Document]] = {}
        self._lock = threading.Lock()

    def get(self, meta: Meta) -> type[Document]:
        """The controller class of ``meta``."""
        cls = self._cache.get(meta.name)
        if cls is None:
            cls = self._resolve(meta)
            with self._lock:
                self._cache[meta.name] = cls
        return cls

    def _resolve(self, meta: Meta) -> type[Document]:
        module_path = self._metas.module_of.get(meta.name)
        if meta.custom or not module_path:
            return Document
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as exc:
            if exc.name != module_path:
                raise
            return Document
        cls = getattr(module, controller_class_name(meta.name), None)
        if cls is None:
            return Document
        if not (isinstance(cls, type) and issubclass(cls, Document)):
            raise TypeError(
                f"{module_path}.{controller_class_name(meta.name)} must subclass docframe Document"
            )
        return cls
