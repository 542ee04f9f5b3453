"""HTML sanitising on save: text that holds HTML is cleaned with an allow-list (``documents.md`` 5.6.8).

Frappe's rule, applied to every string value of a document and of its child rows that contains
``<`` or ``>`` and actually holds an HTML tag (and is not a JSON document):

* skipped for fields with ``ignore_xss_filter``, for Attach, Attach Image, Barcode and Code fields,
  for Data/Small Text/Text fields with options ``Email``, for a cancelled document, and for a
  submitted one except its ``allow_on_submit`` fields;
* otherwise cleaned with bleach (the library Frappe uses) against the allow-list below: tags that are
  not allowed are **escaped** (``&lt;script&gt;``), not removed; attributes that are not allowed
  (``onerror``, ``onclick`` ...) are dropped; link and image URLs may only use http, https, mailto
  and cid; inline ``style`` keeps only bleach's safe CSS properties.

docframe also leaves Password and JSON fields alone (a password is a secret, not markup) and does
not auto-link URLs in Text Editor values.
"""

from __future__ import annotations

import json
import threading
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import bleach

    from docframe.meta.schema import DocFieldDef
    from docframe.model.document import Document

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "has_html", "sanitize_document", "sanitize_html"]

ALLOWED_TAGS = frozenset(
    {"a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption",
     "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt",
     "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
     "i", "img", "ins", "kbd", "label", "li", "mark", "nav", "ol", "p", "pre", "q", "s", "samp",
     "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
     "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var"}
)  # fmt: skip
_COMMON = ["class", "id", "title", "dir", "lang", "style", "align", "role",
           "data-row", "data-list", "data-language", "data-value", "data-mode", "data-placeholder",
           "data-comment", "data-id", "data-denotation-char", "data-is-group"]  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {
    "*": _COMMON,
    "a": ["href", "target", "rel", "name"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan", "width", "valign"],
    "th": ["colspan", "rowspan", "width", "valign", "scope"],
    "col": ["span", "width"],
    "colgroup": ["span", "width"],
    "ol": ["start", "type", "reversed"],
    "li": ["value"],
    "font": ["color", "face", "size"],
    "table": ["border", "cellpadding", "cellspacing", "width"],
    "time": ["datetime"],
    "details": ["open"],
}
PROTOCOLS = frozenset({"http", "https", "mailto", "cid"})
_LOCAL = threading.local()


def _cleaner() -> bleach.Cleaner:
    """This thread's cleaner (a bleach Cleaner must not be shared between threads)."""
    cleaner: bleach.Cleaner | None = getattr(_LOCAL, "cleaner", None)
    if cleaner is None:
        # bleach (+3.2 MiB with html5lib's parts) is imported by the first value that holds HTML,
        # not by every process that loads the model: plain text never reaches the cleaner.
        import bleach
        from bleach.css_sanitizer import CSSSanitizer

        cleaner = _LOCAL.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=PROTOCOLS,
            strip=False,
            strip_comments=True,
            css_sanitizer=CSSSanitizer(),
        )
    return cleaner


class _TagFinder(HTMLParser):
    """Stops at the first start or end tag (``has_html``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.found = True

    def handle_endtag(self, tag: str) -> None:
        self.found = True


def has_html(text: str) -> bool:
    """Whether ``text`` holds at least one HTML tag (``a < b`` does not)."""
    if "<" not in text:
        return False
    finder = _TagFinder()
    finder.feed(text)
    finder.close()
    return finder.found


def _is_json_document(text: str) -> bool:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def sanitize_html(text: str) -> str:
    """``text`` with disallowed tags escaped, unsafe attributes and URLs removed."""
    if ("<" not in text and ">" not in text) or _is_json_document(text) or not has_html(text):
        return text
    return str(_cleaner().clean(text))


def _skipped(field: DocFieldDef, docstatus: int) -> bool:
    """Whether a field of :attr:`Meta.html_checked_fields` is left alone at this docstatus."""
    return docstatus == 2 or (docstatus == 1 and not field.allow_on_submit)


def _stored_rows(stored: Document | None) -> dict[Any, dict[str, Any]]:
    if stored is None:
        return {}
    rows = {(stored.doctype, stored.name): stored._data}
    for row in stored.all_children():
        rows[(row.doctype, row.name)] = row._data
    return rows


def sanitize_document(doc: Document, stored: Document | None = None) -> None:
    """Sanitise the HTML of ``doc`` and of its child rows in place.

    With ``stored`` (the document as it was loaded for this save), a value equal to the stored one
    was sanitised when it was saved and is not cleaned again.
    """
    docstatus = int(doc._data.get("docstatus") or 0)
    if docstatus == 2:
        return
    before: dict[Any, dict[str, Any]] | None = None
    for row in (doc, *doc.all_children()) if doc.meta.table_fields else (doc,):
        data = row._data
        old: dict[str, Any] | None = None
        for field in row.meta.html_checked_fields:
            value = data.get(field.fieldname)
            if not isinstance(value, str) or ("<" not in value and ">" not in value):
                continue
            if before is None:
                before = _stored_rows(stored)
            if old is None:
                old = before.get((row.doctype, row.name), {})
            if value == old.get(field.fieldname) or _skipped(field, docstatus):
                continue
            data[field.fieldname] = sanitize_html(value)
