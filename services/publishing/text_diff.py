"""Two editions' texts compared as a lawyer reads them: the HTML reduced to paragraphs of
plain words, the paragraphs matched first, then the words within those that differ.

Pure and blocking (it runs in a thread): a text longer than `MAX_CHARS` is compared by
its start only, and a changed stretch too long to compare word by word is shown deleted
and inserted whole, so no text makes a comparison take long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from html.parser import HTMLParser

MAX_CHARS = 200_000
# Word by word within a changed stretch while its old and new words, multiplied, stay
# under this; beyond it the stretch is shown deleted and inserted whole.
WORD_PAIRS = 4_000_000
BLOCKS = frozenset(
    {"p", "div", "li", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
     "section", "article", "table", "ul", "ol", "dt", "dd", "caption", "hr"}
)  # fmt: skip
CELLS = frozenset({"td", "th"})
_TOKENS = re.compile(r"\s+|\S+")


@dataclass(frozen=True)
class Segment:
    op: str  # equal, insert, delete
    text: str


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._words: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in BLOCKS:
            self.end()
        elif tag in CELLS:
            self._words.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self.end()
        elif tag in CELLS:
            self._words.append(" ")

    def handle_data(self, data: str) -> None:
        self._words.append(data)

    def end(self) -> None:
        text = " ".join("".join(self._words).split())
        if text:
            self.paragraphs.append(text)
        self._words = []


def paragraphs(html: str) -> list[str]:
    """The text's paragraphs, each its words separated by single spaces."""
    parser = _Paragraphs()
    parser.feed(html)
    parser.close()
    parser.end()
    return parser.paragraphs


def _capped(html: str) -> tuple[list[str], bool]:
    found = paragraphs(html)
    kept, length = [], 0
    for paragraph in found:
        if length + len(paragraph) > MAX_CHARS:
            kept.append(paragraph[: MAX_CHARS - length])
            return kept, True
        kept.append(paragraph)
        length += len(paragraph) + 1
    return kept, False


def _tokens(block: list[str]) -> list[str]:
    return [token for paragraph in block for token in [*_TOKENS.findall(paragraph), "\n"]]


def _words(old: list[str], new: list[str]) -> list[Segment]:
    before, after = _tokens(old), _tokens(new)
    if len(before) * len(after) > WORD_PAIRS:
        return [Segment("delete", "".join(before)), Segment("insert", "".join(after))]
    found = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "delete", "replace") and i2 > i1:
            found.append(Segment("equal" if tag == "equal" else "delete", "".join(before[i1:i2])))
        if tag in ("insert", "replace") and j2 > j1:
            found.append(Segment("insert", "".join(after[j1:j2])))
    return found


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Adjacent segments of one kind joined, and a space between two changes taken into
    both, so a changed phrase reads as one deletion and one insertion."""
    tidy: list[Segment] = []
    changed = {"delete": "", "insert": ""}

    def flush() -> None:
        tidy.extend(Segment(op, text) for op, text in changed.items() if text)
        changed.update(delete="", insert="")

    for index, segment in enumerate(segments):
        following = segments[index + 1].op if index + 1 < len(segments) else "equal"
        if segment.op != "equal":
            changed[segment.op] += segment.text
        elif any(changed.values()) and segment.text.isspace() and following != "equal":
            changed["delete"] += segment.text
            changed["insert"] += segment.text
        else:
            flush()
            if tidy and tidy[-1].op == "equal":
                tidy[-1] = Segment("equal", tidy[-1].text + segment.text)
            else:
                tidy.append(segment)
    flush()
    return tidy


def diff(old_html: str, new_html: str) -> tuple[list[Segment], bool]:
    """The new text against the old, and whether either was longer than compared."""
    old, old_cut = _capped(old_html)
    new, new_cut = _capped(new_html)
    segments: list[Segment] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(Segment("equal", "".join(_tokens(old[i1:i2]))))
        elif tag == "delete":
            segments.append(Segment("delete", "".join(_tokens(old[i1:i2]))))
        elif tag == "insert":
            segments.append(Segment("insert", "".join(_tokens(new[j1:j2]))))
        else:
            segments.extend(_words(old[i1:i2], new[j1:j2]))
    return _tidy(segments), old_cut or new_cut
