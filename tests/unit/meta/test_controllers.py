"""The controller registry finds the class beside a DocType; the model requires a Document subclass."""

from __future__ import annotations

import pytest

from docframe.doctypes.todo.todo import ToDo
from docframe.meta.controllers import ControllerRegistry, controller_class_name
from docframe.meta.loader import load_meta
from docframe.meta.registry import MetaRegistry
from docframe.model.document import Document, controller_class
from docframe.sites import Site

HERE = __name__


class NotADocument:
    """Named after the DocType "Not A-Document", but no Document subclass."""


ControllerNotAClass = "a module attribute that is no class"


def registry(**module_of: str) -> ControllerRegistry:
    return ControllerRegistry(MetaRegistry({}, module_of=module_of))


def test_the_class_name_drops_spaces_and_hyphens() -> None:
    assert controller_class_name("Has Role") == "HasRole"
    assert controller_class_name("Not A-Document") == "NotADocument"


def test_the_registry_finds_the_class_named_after_the_doctype_in_its_module() -> None:
    found = registry(**{"Not A-Document": HERE})
    assert found.get(load_meta({"name": "Not A-Document"})) is NotADocument


def test_no_module_no_class_or_a_custom_doctype_has_no_controller() -> None:
    assert registry().get(load_meta({"name": "Nowhere"})) is None
    assert registry(**{"Missing": HERE}).get(load_meta({"name": "Missing"})) is None
    assert (
        registry(**{"Not A-Document": HERE}).get(load_meta({"name": "Not A-Document", "custom": 1})) is None
    )


def test_an_attribute_that_is_not_a_class_is_refused() -> None:
    with pytest.raises(TypeError, match=r"\.ControllerNotAClass must subclass docframe Document"):
        registry(**{"Controller Not A Class": HERE}).get(load_meta({"name": "Controller Not A Class"}))


def test_controller_class_is_the_controller_or_document(sqlite_site: Site) -> None:
    assert controller_class(sqlite_site, sqlite_site.metas.get("ToDo")) is ToDo
    assert controller_class(sqlite_site, load_meta({"name": "Custom Thing", "custom": 1})) is Document


def test_controller_class_refuses_a_class_that_is_no_document(sqlite_site: Site) -> None:
    kept = sqlite_site.controllers
    sqlite_site.controllers = registry(**{"Not A-Document": HERE})
    try:
        with pytest.raises(TypeError, match=r"NotADocument must subclass docframe Document"):
            controller_class(sqlite_site, load_meta({"name": "Not A-Document"}))
    finally:
        sqlite_site.controllers = kept
