"""Comment controller: sanitises ``content`` and keeps the referenced document's ``_comments`` cache.

``content`` always passes an allow-list HTML sanitiser (scripts, styles, event handlers and
``javascript:`` URLs are removed; safe formatting tags stay). A comment of type ``Comment`` is
added to (and, when deleted, removed from) the ``_comments`` JSON list of the document it refers
to, written directly so the document's ``modified`` does not change.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import Any

import orjson

from docframe.db.repos import rows
from docframe.model.document import Document

__all__ = ["Comment", "sanitize_html"]

_ALLOWED_TAGS = frozenset(
    {"a", "b", "i", "u", "em", "strong", "p", "br", "div", "span", "ul", "ol", "li", "blockquote",
     "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "img", "table", "thead", "tbody", "tr", "td",
     "th", "hr", "s", "sub", "sup", "small", "label"}
)  # fmt: skip
_VOID_TAGS = frozenset({"br", "img", "hr"})
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template"})
_ALLOWED_ATTRS = frozenset({"href", "src", "title", "alt", "class", "target", "rel", "colspan", "rowspan",
                            "data-mention-id"})  # fmt: skip
_URL_ATTRS = frozenset({"href", "src"})
_SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:", "/", "#", "data:image/")
_COMMENT_PREVIEW = 100


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0

    def _attrs(self, attrs: list[tuple[str, str | None]]) -> str:
        kept = []
        for key, value in attrs:
            key = key.lower()
            if key not in _ALLOWED_ATTRS or value is None:
                continue
            if key in _URL_ATTRS:
                compact = "".join(value.split()).lower()
                if ":" in compact.split("/", 1)[0] and not compact.startswith(_SAFE_SCHEMES):
                    continue
            kept.append(f' {key}="{escape(value, quote=True)}"')
        return "".join(kept)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.skip_depth += 1
        elif not self.skip_depth and tag in _ALLOWED_TAGS:
            self.out.append(f"<{tag}{self._attrs(attrs)}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip_depth and tag in _ALLOWED_TAGS:
            self.out.append(f"<{tag}{self._attrs(attrs)}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif not self.skip_depth and tag in _ALLOWED_TAGS and tag not in _VOID_TAGS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(escape(data, quote=False))


def sanitize_html(text: str) -> str:
    """``text`` with only safe HTML left (plain text is returned unchanged, apart from escaping)."""
    if "<" not in text and "&" not in text:
        return text
    parser = _Sanitiser()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)


class Comment(Document):
    """The Comment DocType."""

    def validate(self) -> None:
        """Sanitise the content and default the author to the current user."""
        if isinstance(self.content, str):
            self.set("content", sanitize_html(self.content))
        if not self.comment_email:
            self.set("comment_email", self.ctx.user.name)

    def after_insert(self) -> None:
        """Add a ``Comment``-type comment to its document's ``_comments`` cache."""
        if self.comment_type == "Comment":
            self._update_cache(add=True)

    def on_trash(self) -> None:
        """Remove the comment from its document's ``_comments`` cache."""
        if self.comment_type == "Comment":
            self._update_cache(add=False)

    def _update_cache(self, *, add: bool) -> None:
        ctx = self.ctx
        doctype, name = self.reference_doctype, self.reference_name
        if not doctype or not name or not ctx.meta_exists(str(doctype)):
            return
        meta = ctx.meta(str(doctype))
        if not meta.has_table or meta.istable:
            return
        table = ctx.site.tables.get(meta)
        if "_comments" not in table.c:
            return
        raw = rows.value(ctx.conn, table, "_comments", {"name": name})
        entries = _load_list(raw)
        entries = [e for e in entries if not (isinstance(e, dict) and e.get("name") == self.name)]
        if add:
            entries.append({"comment": _preview(self.content), "by": self.comment_email or self.owner,
                            "name": self.name})  # fmt: skip
        rows.update_rows(ctx.conn, table, {"name": name}, {"_comments": orjson.dumps(entries).decode()})


def _load_list(raw: Any) -> list[Any]:
    if not raw:
        return []
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []


def _preview(content: Any) -> str:
    text = str(content or "")
    return text if len(text) <= _COMMENT_PREVIEW else text[: _COMMENT_PREVIEW - 3] + "..."
