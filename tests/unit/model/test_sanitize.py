"""The sanitiser on its own: what is escaped, dropped and kept."""

from __future__ import annotations

import pytest

from docframe.model.sanitize import has_html, sanitize_html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', '<img src="x">'),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
        ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "<img>"),
        ('<p style="color: red; background-image: url(javascript:x)">t</p>', '<p style="color: red;">t</p>'),
        ("<svg onload=alert(1)>", "&lt;svg onload=alert(1)&gt;"),
        ("<iframe src=//evil></iframe>", "&lt;iframe src=//evil&gt;&lt;/iframe&gt;"),
        ("<!-- hidden --><b>bold</b>", "<b>bold</b>"),
        (
            '<a href="https://example.com" target="_blank">ok</a>',
            '<a href="https://example.com" target="_blank">ok</a>',
        ),
        (
            "<table><tr><td colspan=2>c</td></tr></table>",
            '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>',
        ),
    ],
)
def test_sanitize_html(dirty: str, clean: str) -> None:
    assert sanitize_html(dirty) == clean
    assert sanitize_html(clean) == clean  # idempotent


@pytest.mark.parametrize("text", ["1 < 2 and 3 > 2", "a -> b", "x<y", '{"a": "<b>x</b>"}', "[1, 2]", ""])
def test_text_without_tags_and_json_are_left_alone(text: str) -> None:
    assert sanitize_html(text) == text


def test_has_html() -> None:
    assert has_html("<p>x</p>") and has_html("</b>") and not has_html("a < b > c")
