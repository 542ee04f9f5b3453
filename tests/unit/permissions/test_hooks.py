"""Controller permission hooks: a controller still declaring the rule's former name is refused."""

from __future__ import annotations

from typing import Any

import pytest

from docframe.meta.controllers import ControllerRegistry
from docframe.meta.loader import load_meta
from docframe.meta.registry import MetaRegistry
from docframe.model.document import Document
from docframe.permissions.hooks import PermissionHooks, controller_hooks
from docframe.sites import Site
from docframe.users import User

HERE = __name__


class OldRule(Document, PermissionHooks):
    """Declares its document rule under the name it had before ``document_permission``."""

    @classmethod
    def has_permission(cls, ctx: Any, doc: Any, ptype: str, user: User) -> bool:  # type: ignore[override]
        return False


class NewRule(Document, PermissionHooks):
    @classmethod
    def document_permission(cls, ctx: Any, doc: Any, ptype: str, user: User) -> bool:
        return False


@pytest.mark.parametrize(("doctype", "refused"), [("Old Rule", True), ("New Rule", False)])
def test_a_rule_under_its_former_name_is_refused_not_ignored(
    sqlite_site: Site, doctype: str, refused: bool
) -> None:
    kept = sqlite_site.controllers
    sqlite_site.controllers = ControllerRegistry(MetaRegistry({}, module_of={doctype: HERE}))
    try:
        with sqlite_site.unit_of_work(User.administrator()) as ctx:
            meta = load_meta({"name": doctype})
            for _ in range(2):  # the verdict is kept per class; a refusal is not (it is raised each time)
                if refused:  # ignoring it would widen access without a word
                    with pytest.raises(TypeError, match="document_permission"):
                        controller_hooks(ctx, meta)
                else:
                    assert controller_hooks(ctx, meta) is NewRule
    finally:
        sqlite_site.controllers = kept


def test_a_controller_without_hooks_has_none(sqlite_site: Site) -> None:
    with sqlite_site.unit_of_work(User.administrator()) as ctx:
        assert controller_hooks(ctx, ctx.meta("Role")) is None
        assert controller_hooks(ctx, ctx.meta("Role")) is None
        assert controller_hooks(ctx, ctx.meta("ToDo")) is ctx.site.controllers.get(ctx.meta("ToDo"))
