"""DocShare controller: one document shared with one user (or everyone) with some rights.

Rights cascade down (share, write or submit imply read; submit implies write); sharing needs the
``share`` right on the document itself; ``submit`` only on submittable DocTypes.
"""

from __future__ import annotations

from docframe import errors
from docframe.meta.schema import Meta
from docframe.model import persistence
from docframe.model.document import Document
from docframe.permissions.rules import has_permission


class DocShare(Document):
    """The DocShare DocType."""

    def validate(self) -> None:
        """Check the user, the sharer's right and the rights themselves."""
        if self.everyone:
            self.set("user", None)
        elif not self.user:
            raise errors.MandatoryError("User is mandatory for Share")
        self._check_share_permission()
        meta = self._target_meta()
        if self.get("submit") and not meta.is_submittable:
            raise errors.ValidationError(
                f"Cannot share {self.share_name} with submit permission as the doctype {self.share_doctype} is not submittable"
            )
        if self.share or self.write or self.get("submit"):
            self.set("read", 1)
        if self.get("submit"):
            self.set("write", 1)

    def on_trash(self) -> None:
        """Only someone who may share the document may take a share back."""
        self._check_share_permission()

    def _target_meta(self) -> Meta:
        meta: Meta = self.ctx.site.metas.get(str(self.share_doctype), self.ctx.conn)
        return meta

    def _check_share_permission(self) -> None:
        if self.flags.ignore_permissions:
            return
        meta = self._target_meta()
        target = persistence.load_doc(self.ctx, meta, self.share_name)
        if not has_permission(self.ctx, meta, "share", target):
            raise errors.PermissionError('You need to have "Share" permission', title="Not Permitted")
