"""A legal act's standing on a given day: in force, amended, suspended, repealed, or not
yet in force, from when it enters into force and what later acts do to it.

Rules as data, without I/O: the website's registry and act pages, and the portal's act
page, ask the same questions of the same facts. The day is the municipality's calendar
day (Tbilisi); a change named without its own day takes effect when the changing act
itself enters into force, and one whose changing act waits on a condition not yet met
takes effect on no day yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Standing(StrEnum):
    NOT_YET_IN_FORCE = "not_yet_in_force"
    IN_FORCE = "in_force"
    AMENDED = "amended"
    SUSPENDED = "suspended"
    REPEALED = "repealed"


# The order the registry offers them in.
STANDINGS = (
    Standing.IN_FORCE,
    Standing.AMENDED,
    Standing.SUSPENDED,
    Standing.REPEALED,
    Standing.NOT_YET_IN_FORCE,
)


@dataclass(frozen=True)
class Entry:
    """When an act enters into force: `kind` publication, date or condition, and the day
    it did or will (publication: the day it was first published; condition: the day the
    condition was recorded as met, None until then)."""

    kind: str
    on: date | None


@dataclass(frozen=True)
class Change:
    """What one act does to another: `kind` amends, repeals or suspends; `articles`
    empty for the whole act; `effective_on` the day it takes effect, None while the
    changing act waits on its condition."""

    kind: str
    articles: tuple[str, ...]
    effective_on: date | None

    @property
    def whole(self) -> bool:
        return not self.articles


def effective_day(named: date | None, changing_act: Entry) -> date | None:
    """The day a change takes effect: its own, else the changing act's entry into force."""
    return named if named is not None else changing_act.on


def standing(entry: Entry, changes: Iterable[Change], on: date) -> Standing:
    """The act's standing on `on`: a whole repeal outranks a whole suspension, which
    outranks any change of some of its articles."""
    if entry.on is None or entry.on > on:
        return Standing.NOT_YET_IN_FORCE
    happened = [c for c in changes if c.effective_on is not None and c.effective_on <= on]
    if any(c.kind == "repeals" and c.whole for c in happened):
        return Standing.REPEALED
    if any(c.kind == "suspends" and c.whole for c in happened):
        return Standing.SUSPENDED
    if happened:
        return Standing.AMENDED
    return Standing.IN_FORCE


@dataclass(frozen=True)
class Version:
    """A published text of an act: `valid_from` the day it speaks for (a consolidated
    text: the day it is consolidated as of; the original: its entry into force, or its
    publication while it waits), `edition` its number."""

    edition: int
    valid_from: date


def version_on(versions: Iterable[Version], on: date) -> Version | None:
    """The text that stood on `on`: the latest valid from that day or before; a later
    edition valid from the same day corrects an earlier one. None: no text yet."""
    earlier = [v for v in versions if v.valid_from <= on]
    if not earlier:
        return None
    return max(earlier, key=lambda v: (v.valid_from, v.edition))


ARTICLE = r"^[0-9]{1,4}(\.[0-9]{1,3}){0,3}(\s?[ა-ჰ])?$"
"""An article as acts name them: "2", "3.1", "12.4.2", "5 ა"."""
