"""Published HTML, one policy wherever it is written or shown: structure, emphasis, lists,
tables and links are kept; scripts, styles, event handlers, forms, frames and `<meta>`
never. Links get `rel="noopener noreferrer"`. Cleaning clean HTML changes nothing, so a
text cleaned by publishing hashes the same after the website cleans it again."""

from __future__ import annotations

import re

import nh3

_HEADING = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)


def clean_html(html: str) -> str:
    return nh3.clean(html, link_rel="noopener noreferrer")


def under_heading(html: str, top: int = 2) -> str:
    """A text's headings moved down so its highest is `top`: shown on a page under that
    page's own `<h1>` (the document's title), a `#` of Markdown is a section, not a
    second title. Relative levels stay; nothing goes below `<h6>`. Shown, not stored:
    the published text and its fingerprint stay as written."""
    levels = [int(level) for _slash, level in _HEADING.findall(html)]
    if not levels or min(levels) >= top:
        return html
    shift = top - min(levels)
    return _HEADING.sub(
        lambda found: f"<{found.group(1)}h{min(int(found.group(2)) + shift, 6)}", html
    )


def from_markdown(text: str) -> str:
    """Markdown (CommonMark, raw HTML off) as published HTML, cleaned as every text is."""
    from markdown_it import MarkdownIt

    if not text.strip():
        return ""
    rendered: str = MarkdownIt("commonmark", {"html": False}).render(text)
    return clean_html(rendered)


def looks_like_markdown(text: str) -> bool:
    """A stored text with no HTML element in it, written as Markdown: a digest compiled
    before digests were written as HTML."""
    return bool(text.strip()) and _ELEMENT.search(text) is None


_ELEMENT = re.compile(r"<(p|h[1-6]|ul|ol|li|div|table|br|a)\b", re.IGNORECASE)
