"""Side-by-side differences between two versions of a document's texts, word by word.

Each field (title, summary, body, in each language) is split into words and compared
with difflib; the result is two lists of segments, the old side marking what went and
the new side marking what came, for templates to show as `<del>` and `<ins>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from services.portal.texts import to_markdown

FIELDS = ("title_ka", "summary_ka", "body_ka", "title_en", "summary_en", "body_en")
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class FieldDiff:
    field: str
    old: list[Segment]
    new: list[Segment]

    @property
    def changed(self) -> bool:
        return any(segment.changed for segment in (*self.old, *self.new))


def content_of(edition: dict[str, Any]) -> dict[str, str]:
    """The texts as their author wrote them: bodies as Markdown, not as stored HTML."""
    content = {name: str(edition.get(name) or "") for name in FIELDS}
    for name in ("body_ka", "body_en"):
        content[name] = to_markdown(content[name])
    return content


def compare_text(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    old_words, new_words = _WORDS.findall(old), _WORDS.findall(new)
    old_side: list[Segment] = []
    new_side: list[Segment] = []
    matcher = SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for tag, a_from, a_to, b_from, b_to in matcher.get_opcodes():
        before = "".join(old_words[a_from:a_to])
        after = "".join(new_words[b_from:b_to])
        if tag == "equal":
            old_side.append(Segment(before, False))
            new_side.append(Segment(after, False))
            continue
        if before:
            old_side.append(Segment(before, True))
        if after:
            new_side.append(Segment(after, True))
    return old_side, new_side


def compare(old: dict[str, str], new: dict[str, str]) -> list[FieldDiff]:
    diffs = []
    for name in FIELDS:
        before, after = old.get(name, ""), new.get(name, "")
        if not before and not after:
            continue
        old_side, new_side = compare_text(before, after)
        diffs.append(FieldDiff(name, old_side, new_side))
    return diffs
