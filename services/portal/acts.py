"""What the portal shows of a legal act beyond its text: when it enters into force, what
it changes and what has changed it, its standing today, and its versions (the original,
then consolidated texts as of a day); and what the reader may do about it (prepare a
consolidated version, record the day a condition was met).

The facts are the publishing service's (`DocumentPublic.changed_by`, `in_force_on`, an
edition's `entry_into_force`, `changes`, `consolidated_as_of`); the standing is asked of
`meria.legal_acts`, the same rules the website's registry applies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from meria.auth import User
from meria.legal_acts import Change, Entry, standing
from services.portal.clients import Services
from services.portal.i18n import TBILISI

LEGAL_ACTS = ("mayor_order", "mayor_ordinance", "official_document")
# Who prepares a consolidated text, and who records that a condition was met.
CONSOLIDATORS = ("editor", "legal_reviewer")
# Editions that were public once.
WERE_PUBLIC = ("published", "superseded", "withdrawn")
RECORDERS = ("legal_reviewer",)


def is_legal_act(document: dict[str, Any] | None) -> bool:
    return document is not None and document["document_type"] in LEGAL_ACTS


def is_consolidation(edition: dict[str, Any]) -> bool:
    return edition.get("change_kind") == "consolidation"


def today() -> date:
    """The city hall's calendar day."""
    return datetime.now(TBILISI).date()


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass
class Version:
    """One edition of the act as a version of its text."""

    number: int
    state: str
    change_kind: str | None
    change_note: str | None
    published_at: str | None
    consolidated_as_of: str | None = None
    incorporates: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, summary: dict[str, Any]) -> Version:
        return cls(
            number=summary["number"],
            state=summary["state"],
            change_kind=summary.get("change_kind"),
            change_note=summary.get("change_note"),
            published_at=summary.get("published_at"),
            consolidated_as_of=summary.get("consolidated_as_of"),
        )

    @property
    def original(self) -> bool:
        return self.number == 1

    def wrote_in(self, change: dict[str, Any]) -> bool:
        """Whether this published consolidated text applied the change: it names the
        changing act and stands on the change's day or later (the service's rule)."""
        day = change.get("takes_effect_on")
        return (
            self.change_kind == "consolidation"
            and self.state in WERE_PUBLIC
            and day is not None
            and self.consolidated_as_of is not None
            and change["document_id"] in self.incorporates
            and self.consolidated_as_of >= day
        )


@dataclass
class ActFacts:
    entry: dict[str, Any]
    in_force_on: str | None
    standing: str | None
    changes: list[dict[str, Any]]
    changed_by: list[dict[str, Any]]
    versions: list[Version]
    # The day a new consolidated text would stand on, offered in its form.
    as_of: str = ""
    may_consolidate: bool = False
    may_record_entry: bool = False

    @property
    def waits_on_condition(self) -> bool:
        return self.entry.get("kind") == "condition" and not self.in_force_on


def entry_of(edition: dict[str, Any]) -> dict[str, Any]:
    """The edition's entry into force, its condition's text in both languages at hand."""
    entry = dict(edition.get("entry_into_force") or {"kind": "publication"})
    condition = entry.get("condition") or {}
    entry.setdefault("condition_ka", condition.get("ka"))
    entry.setdefault("condition_en", condition.get("en"))
    return entry


def standing_today(document: dict[str, Any], entry: dict[str, Any]) -> str | None:
    """The act's standing today; None before it is published (it stands nowhere yet)."""
    if document.get("published_edition") is None:
        return None
    entered = Entry(entry.get("kind") or "publication", _day(document.get("in_force_on")))
    changes = [
        Change(item["kind"], tuple(item.get("articles") or ()), _day(item.get("takes_effect_on")))
        for item in document.get("changed_by") or []
    ]
    return str(standing(entered, changes, today()))


async def versions_of(services: Services, user: User, document: dict[str, Any]) -> list[Version]:
    """Every edition as a version, newest first; a published consolidated text with the
    acts it wrote in (asked of its edition: the list of editions does not carry them)."""
    versions = [Version.of(item) for item in document.get("editions") or []]
    current = document["current"]
    asked = [
        v for v in versions
        if v.change_kind == "consolidation" and (v.state in WERE_PUBLIC or not v.consolidated_as_of)
    ]  # fmt: skip
    found = await asyncio.gather(*(
        edition_of(services, user, document["id"], v.number, current) for v in asked
    ))  # fmt: skip
    for version, edition in zip(asked, found, strict=True):
        version.consolidated_as_of = edition.get("consolidated_as_of")
        version.incorporates = list(edition.get("incorporates") or [])
    return sorted(versions, key=lambda v: v.number, reverse=True)


async def edition_of(
    services: Services, user: User, document_id: int, number: int, current: dict[str, Any]
) -> dict[str, Any]:
    if current["number"] == number:
        return current
    found: dict[str, Any] = await services.get(
        user, "publishing", f"/documents/{document_id}/editions/{number}"
    )
    return found


def act_facts(user: User, document: dict[str, Any], versions: list[Version]) -> ActFacts:
    current = document["current"]
    entry = entry_of(current)
    changed_by = [
        item | {"written_in": next((v for v in reversed(versions) if v.wrote_in(item)), None)}
        for item in document.get("changed_by") or []
    ]
    changed_by.sort(key=lambda item: (item.get("takes_effect_on") or "9999", item["document_id"]))
    facts = ActFacts(
        entry=entry,
        in_force_on=document.get("in_force_on"),
        standing=standing_today(document, entry),
        changes=current.get("changes") or [],
        changed_by=changed_by,
        versions=versions,
    )
    # What no published consolidated text has written in yet, from the day it takes effect.
    pending = sorted(
        item["takes_effect_on"]
        for item in changed_by
        if item.get("takes_effect_on") and item["written_in"] is None
    )
    if pending:
        now = today().isoformat()
        facts.as_of = max((d for d in pending if d <= now), default=pending[0])
    published = current["state"] == "published"
    facts.may_consolidate = bool(pending) and published and user.has_any(*CONSOLIDATORS)
    facts.may_record_entry = (
        facts.waits_on_condition
        and document.get("published_edition") is not None
        and user.has_any(*RECORDERS)
    )
    return facts


async def diff_of(
    services: Services, user: User, document_id: int, number: int
) -> dict[str, Any] | None:
    """An edition's text against the published text before it (`against` its number,
    None when there was none)."""
    found: dict[str, Any] = await services.get(
        user, "publishing", f"/documents/{document_id}/editions/{number}/diff"
    )
    return found
