"""Body text as staff write it (Markdown) and as the services store it (sanitised HTML).

The form takes Markdown, which `markdown-it-py` turns into HTML with raw HTML disabled;
publishing sanitises what it stores once more (nh3). To edit an existing text its HTML
is turned back into Markdown by `markdownify`.
"""

from __future__ import annotations

from markdownify import markdownify

from meria.markup import from_markdown


def to_html(markdown_text: str) -> str:
    return from_markdown(markdown_text)


def to_markdown(html: str | None) -> str:
    if not html:
        return ""
    text: str = markdownify(html, heading_style="ATX", bullets="-")
    return text.strip()
