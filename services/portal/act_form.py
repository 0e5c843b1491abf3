"""A legal act's own part of the document form: when it enters into force, and what it
does to earlier acts, one row per act changed.

The rows are numbered fields (`change-0-number`, `change-0-kind`, …), so the form works
without JavaScript: a few empty rows, and "more rows" sends the form back with everything
typed and more empty rows beneath. An empty row is no change. The editor types an act's
register number as it is printed ("12/2026", or "12" when one year has it); the portal
finds the act in the publishing service's register, for the issuer and type the row
names (this act's own unless chosen), before anything is saved. A number the register
has for no act, or for several (the same number in several years), is said beside the
row in the reader's language, and the form comes back as it was typed.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from meria.auth import User
from meria.legal_acts import ARTICLE
from services.portal.acts import LEGAL_ACTS
from services.portal.clients import ServiceRefused, Services, field_message
from services.portal.forms import KeptForm, text
from services.portal.i18n import N_, _
from services.portal.labels import DOCUMENT_TYPES, label

ENTRY_KINDS = ("publication", "date", "condition")
CHANGE_KINDS = ("amends", "repeals", "suspends")
ROW_FIELDS = ("number", "type", "issuer", "kind", "articles", "from")
ENTRY_FIELDS = ("entry_kind", "entry_on", "condition_ka", "condition_en")
NEW_ROWS = 3
MORE_ROWS = 3
MAX_ROWS = 60
# "12/2026", "№ 12/2026", "N12", "12": the sequence, and the year when given.
NUMBER = re.compile(r"^(?:№|N[o°.]?)?\s*(\d{1,6})\s*(?:/\s*(\d{4}))?$", re.IGNORECASE)
ARTICLE_FORM = re.compile(ARTICLE)
# The service's names of a change's fields, and the row's fields that show them.
API_ROW_FIELDS = {
    "target_document_id": "number",
    "target_register_number": "number",
    "kind": "kind",
    "articles": "articles",
    "effective_on": "from",
}
API_ENTRY_FIELDS = {"kind": "entry_kind", "on": "entry_on", "condition_ka": "condition_ka",
                    "condition": "condition_ka", "condition_en": "condition_en"}  # fmt: skip


def field(row: int, name: str) -> str:
    """A row's field, by name and id: `change-2-articles`."""
    return f"change-{row}-{name}"


def row_count(form: Any) -> int:
    found = text(form, "change_rows")
    rows = int(found) if found.isdigit() else NEW_ROWS
    return min(max(rows, 1), MAX_ROWS)


def values_from_form(form: Any, *, more: bool = False) -> dict[str, str]:
    """The act's part of a sent form, as typed; `more` adds empty rows beneath."""
    rows = row_count(form)
    values = {name: text(form, name) for name in ENTRY_FIELDS}
    for row in range(rows):
        for name in ROW_FIELDS:
            values[field(row, name)] = text(form, field(row, name))
    values["change_rows"] = str(min(rows + MORE_ROWS, MAX_ROWS) if more else rows)
    return values


def values_from_edition(edition: dict[str, Any], issuers: dict[int, str]) -> dict[str, str]:
    """The act's part of the form as the edition holds it; `issuers` the issuer of each
    act it changes (by id), shown in the row only where it is not this act's own."""
    entry = edition.get("entry_into_force") or {}
    condition = entry.get("condition") or {}
    values = {
        "entry_kind": entry.get("kind") or "publication",
        "entry_on": entry.get("on") or "",
        "condition_ka": entry.get("condition_ka") or condition.get("ka") or "",
        "condition_en": entry.get("condition_en") or condition.get("en") or "",
    }
    changes = edition.get("changes") or []
    for row, change in enumerate(changes):
        values[field(row, "number")] = change.get("target_register_number") or ""
        values[field(row, "type")] = change.get("target_document_type") or ""
        values[field(row, "issuer")] = issuers.get(change["target_document_id"], "")
        values[field(row, "kind")] = change.get("kind") or ""
        values[field(row, "articles")] = ", ".join(change.get("articles") or [])
        values[field(row, "from")] = change.get("effective_on") or ""
    values["change_rows"] = str(min(max(NEW_ROWS, len(changes) + 1), MAX_ROWS))
    return values


@dataclass(frozen=True)
class Row:
    """One filled row: the act named by its number, issuer and type, and the change."""

    index: int
    sequence: int
    year: int | None
    document_type: str
    issuer: str
    kind: str
    articles: tuple[str, ...]
    effective_on: str

    @property
    def number(self) -> str:
        return f"{self.sequence}/{self.year}" if self.year else str(self.sequence)


def rows_of(form: KeptForm) -> int:
    return int(form.get("change_rows") or NEW_ROWS)


def is_empty(form: KeptForm, row: int) -> bool:
    return not any(form.get(field(row, name)) for name in ("number", "articles", "from"))


def check_entry(form: KeptForm) -> None:
    kind = form.get("entry_kind") or "publication"
    if kind not in ENTRY_KINDS:
        form.errors["entry_kind"] = _("Choose when the act enters into force.")
    elif kind == "date":
        if not form.get("entry_on"):
            form.errors["entry_on"] = _("Give the day the act enters into force.")
        elif not is_day(form.get("entry_on")):
            form.errors["entry_on"] = _("Give the date as the calendar shows it.")
    elif kind == "condition" and not form.get("condition_ka"):
        form.errors["condition_ka"] = _("Write the condition in Georgian: the act enters "
                                        "into force when it is met.")  # fmt: skip


def check_rows(form: KeptForm, own_type: str, own_issuer: str) -> list[Row]:
    """The filled rows, each checked; what is wrong goes beside its field."""
    rows = []
    for index in range(rows_of(form)):
        if is_empty(form, index):
            continue
        row = check_row(form, index, own_type, own_issuer)
        if row is not None:
            rows.append(row)
    return rows


def check_row(form: KeptForm, index: int, own_type: str, own_issuer: str) -> Row | None:
    errors = form.errors
    number = NUMBER.match(form.get(field(index, "number")))
    if not form.get(field(index, "number")):
        errors[field(index, "number")] = _("Give the register number of the act this one changes.")
    elif number is None:
        errors[field(index, "number")] = _("Write the register number as it is printed on the "
                                           "act, for example 12/2026.")  # fmt: skip
    document_type = form.get(field(index, "type")) or own_type
    if document_type not in LEGAL_ACTS:
        errors[field(index, "type")] = _("Choose the kind of act this one changes.")
    kind = form.get(field(index, "kind"))
    if kind not in CHANGE_KINDS:
        errors[field(index, "kind")] = _("Choose whether this act amends, repeals or suspends it.")
    articles = split_articles(form.get(field(index, "articles")))
    wrong = [article for article in articles if not ARTICLE_FORM.match(article)]
    if wrong:
        errors[field(index, "articles")] = _(
            "“%(article)s” is not an article's number: write them as the act numbers them, "
            "separated by commas, for example 2, 3.1"
        ) % {"article": wrong[0]}
    effective_on = form.get(field(index, "from"))
    if effective_on and not is_day(effective_on):
        errors[field(index, "from")] = _("Give the date as the calendar shows it.")
    if any(key.startswith(f"change-{index}-") for key in errors) or number is None:
        return None
    return Row(
        index=index,
        sequence=int(number.group(1)),
        year=int(number.group(2)) if number.group(2) else None,
        document_type=document_type,
        issuer=form.get(field(index, "issuer")) or own_issuer,
        kind=kind,
        articles=tuple(dict.fromkeys(articles)),
        effective_on=effective_on,
    )


def split_articles(typed: str) -> list[str]:
    """ "2, 3.1; 5 ა" → ["2", "3.1", "5 ა"]; "მუხლი 2" is read as "2"."""
    found = []
    for part in re.split(r"[,;]", typed):
        article = re.sub(r"^(?:მუხლი|მუხ\.|art(?:icle)?\.?)\s*", "", part.strip(), flags=re.I)
        if article:
            found.append(article)
    return found


def is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def entry_of(form: KeptForm) -> dict[str, Any]:
    """When the act enters into force, as the publishing service takes it."""
    kind = form.get("entry_kind") or "publication"
    if kind == "date":
        return {"kind": "date", "on": form.get("entry_on")}
    if kind == "condition":
        return {"kind": "condition", "condition_ka": form.get("condition_ka"),
                "condition_en": form.get("condition_en") or None}  # fmt: skip
    return {"kind": "publication"}


async def register_entries(services: Services, user: User, row: Row) -> list[dict[str, Any]]:
    """The register's acts of the row's issuer and type that carry its number."""
    params: dict[str, Any] = {"issuer": row.issuer, "document_type": row.document_type,
                              "limit": 5000}  # fmt: skip
    if row.year:
        params["year"] = row.year
    found: list[dict[str, Any]] = await services.get(user, "publishing", "/register", params=params)
    if row.year:
        return [entry for entry in found if entry["register_number"] == row.number]
    return [entry for entry in found if entry["sequence"] == row.sequence]


async def changes_of(
    services: Services, user: User, form: KeptForm, rows: list[Row], own_id: int | None
) -> list[dict[str, Any]]:
    """The rows as the publishing service takes them, each act found in the register;
    an act not found, found twice, or this act itself is said beside its row. Without an
    issuer (not chosen yet for this act, which the form says) a row names no act yet."""
    rows = [row for row in rows if row.issuer]
    found = await asyncio.gather(*(register_entries(services, user, row) for row in rows))
    changes = []
    for row, entries in zip(rows, found, strict=True):
        name = field(row.index, "number")
        kind = label(DOCUMENT_TYPES, row.document_type)
        if not entries:
            form.errors[name] = _(
                "The register has no %(kind)s № %(number)s of this issuer: check the number, "
                "the kind of act and the issuer."
            ) % {"kind": kind, "number": row.number}
            continue
        if len(entries) > 1:
            numbers = ", ".join(f"№ {entry['register_number']}" for entry in entries)
            form.errors[name] = _(
                "Several acts have this number (%(numbers)s): write it with its year."
            ) % {"numbers": numbers}
            continue
        if entries[0]["document_id"] == own_id:
            form.errors[name] = _("An act cannot change itself: give the number of an earlier act.")
            continue
        changes.append({
            "kind": row.kind,
            "target_document_id": entries[0]["document_id"],
            "articles": list(row.articles),
            "effective_on": row.effective_on or None,
        })  # fmt: skip
    return changes


# The service's refusals of the act a row names (`changes[1]: …` in its detail), by
# their title, in the reader's language.
ROW_REFUSALS = {
    "Not a change": N_("An act cannot change itself: give the number of an earlier act."),
    "No such act": N_("This act is no longer in the register: check the number."),
    "Not a legal act": N_("Only a legal act is amended, repealed or suspended."),
    "Not a published act": N_(
        "This act is not published, or no longer in force: only a published act is amended, "
        "repealed or suspended."
    ),
}
REPEATED = N_("This row says again what another row says of the same act and articles.")
ROW = re.compile(r"changes\[(\d+)\]")


def take_act_refusal(form: KeptForm, refused: ServiceRefused, rows: list[Row]) -> bool:
    """The service's word on a change or on the entry into force, beside the row or field
    it names (`changes.1.articles`, `entry_into_force.on`, or `changes[1]: …` in its
    message); True when it named one."""
    named = False
    for item in refused.body.get("errors") or []:
        if not isinstance(item, dict):
            continue
        parts = str(item.get("field", "")).split(".")
        if parts[0] == "changes" and len(parts) > 1 and parts[1].isdigit():
            name = API_ROW_FIELDS.get(parts[2] if len(parts) > 2 else "", "number")
            named |= _on_row(form, rows, int(parts[1]), name, field_message(item))
        elif parts[0] == "entry_into_force":
            name = API_ENTRY_FIELDS.get(parts[1] if len(parts) > 1 else "", "entry_kind")
            form.errors[name] = field_message(item)
            named = True
        elif found := ROW.search(str(item.get("message", ""))):
            # Rows that repeat each other: the later one is named.
            named |= _on_row(form, rows, int(found.group(1)), "articles", _(REPEATED))
    found = ROW.search(refused.detail or "")
    if found and refused.title in ROW_REFUSALS:
        message = _(ROW_REFUSALS[refused.title])
        named |= _on_row(form, rows, int(found.group(1)), "number", message)
    return named


def _on_row(form: KeptForm, rows: list[Row], position: int, name: str, message: str) -> bool:
    """`message` beside the field of the row the service knows as `changes[position]`."""
    if position >= len(rows):
        return False
    form.errors[field(rows[position].index, name)] = message
    return True
