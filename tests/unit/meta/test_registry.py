"""MetaRegistry without a database: standard definitions, caching, invalidation, the link index."""

from __future__ import annotations

import pytest

from docframe.errors import DoesNotExistError
from docframe.meta.registry import LinkRef, MetaRegistry, builtin_doctype_root


@pytest.fixture()
def registry() -> MetaRegistry:
    return MetaRegistry.from_folders([("docframe", builtin_doctype_root().parent, builtin_doctype_root())])


def test_meta_is_cached_until_invalidated(registry: MetaRegistry) -> None:
    first = registry.get("ToDo")
    assert registry.get("ToDo") is first
    version = registry.version
    registry.invalidate("ToDo")
    assert registry.version == version + 1
    second = registry.get("ToDo")
    assert second is not first and second == first
    registry.invalidate()
    assert registry.get("ToDo") is not second


def test_names_are_exact(registry: MetaRegistry) -> None:
    assert registry.exists("ToDo") and not registry.exists("todo") and not registry.exists("")
    with pytest.raises(DoesNotExistError, match="DocType todo not found"):
        registry.get("todo")
    assert registry.module_of["ToDo"] == "docframe.doctypes.todo.todo"


def test_links_to_lists_link_and_dynamic_link_fields(registry: MetaRegistry) -> None:
    refs = registry.links_to("User")
    assert LinkRef("ToDo", "allocated_to", False, False) in refs
    assert LinkRef("ToDo", "assigned_by", False, False) in refs
    assert LinkRef("ToDo", "reference_name", False, False, True, "reference_type") in refs
    assert all(r.dynamic for r in registry.links_to("No Such DocType"))


def test_link_index_is_rebuilt_after_invalidation(registry: MetaRegistry) -> None:
    before = registry.links_to("Role")
    assert registry.links_to("Role") == before
    index = registry._link_index
    registry.links_to("Role")
    assert registry._link_index is index  # reused while nothing changed
    registry.invalidate("Role")
    registry.links_to("Role")
    assert registry._link_index is not index
