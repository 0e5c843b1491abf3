"""A newsroom's contact list as a CSV file, read line by line for the media service's import.

Each line becomes a journalist with their consents, or a message naming what is wrong on
that line, so the person fixes the file once and not once per error. The media service
checks every entry again and records all of them or none; a line it refuses comes back
beside that line too (`lines_of_refusal`).

The file's first line names the columns (`COLUMNS`); the order is free and only
`full_name` is required. Lists inside a cell (beats, languages, consents) are separated
by semicolons.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.portal.i18n import N_, _

COLUMNS = (
    "full_name",
    "outlet",
    "position",
    "email",
    "phone",
    "beats",
    "languages",
    "consents",
    "consent_date",
    "consent_method",
)
CONSENT_PURPOSES = {
    "press_distribution": N_("Press releases by email"),
    "accreditation": N_("Accreditation"),
    "enquiries": N_("Enquiries and interviews"),
    "contact": N_("Other contact"),
}
CONSENT_METHODS = {
    "written": N_("In writing"),
    "email": N_("By email"),
    "public_form": N_("The public form"),
    "verbal_recorded": N_("Spoken, recorded"),
}
# The service's own patterns, so that a wrong line is named before anything is sent.
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{5,50}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_BYTES = 2_000_000
MAX_LINES = 2_000


@dataclass
class Line:
    """One line of the file: its number as a spreadsheet shows it, and what became of it."""

    number: int
    name: str
    entry: dict[str, Any] | None = None
    outlet: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class FileRefused(ValueError):
    """The file as a whole cannot be read (its message is for the form's top)."""


def decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 2 MB: split it into several."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            _("The file is not UTF-8 text: save it from the spreadsheet as CSV UTF-8.")
        ) from None


def read(text: str, outlets: dict[str, int]) -> list[Line]:
    """Every line of the CSV text; `outlets` maps an outlet's name (lower case, Georgian or
    English) to its id."""
    rows = csv.DictReader(io.StringIO(text, newline=""))
    names = [name.strip() for name in rows.fieldnames or []]
    if "full_name" not in names:
        raise FileRefused(_("The first line must name the columns, full_name among them."))
    unknown = [name for name in names if name and name not in COLUMNS]
    if unknown:
        raise FileRefused(_("Unknown column: %(name)s.") % {"name": unknown[0]})
    rows.fieldnames = names
    lines = []
    for row in rows:
        if rows.line_num - 1 > MAX_LINES:
            raise FileRefused(_("At most %(count)d lines at once.") % {"count": MAX_LINES})
        values = {key: (value or "").strip() for key, value in row.items() if key}
        if not any(values.values()):
            continue
        lines.append(read_line(rows.line_num, values, outlets))
    if not lines:
        raise FileRefused(_("The file has no journalists under its first line."))
    return lines


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def read_line(number: int, values: dict[str, str], outlets: dict[str, int]) -> Line:
    line = Line(number, values.get("full_name", ""), outlet=values.get("outlet", ""))
    problems = line.problems
    if not 2 <= len(line.name) <= 200:
        problems.append(_("The name is required (2 to 200 characters)."))
    outlet_id = None
    if line.outlet:
        outlet_id = outlets.get(line.outlet.casefold())
        if outlet_id is None:
            problems.append(_("No outlet of this name: %(name)s.") % {"name": line.outlet})
    email, phone = values.get("email", ""), values.get("phone", "")
    if email and (len(email) > 300 or not EMAIL.match(email)):
        problems.append(_("The email address is not valid: %(value)s.") % {"value": email})
    if phone and not PHONE.match(phone):
        problems.append(_("The phone number is not valid: %(value)s.") % {"value": phone})
    beats, languages = _list(values.get("beats", "")), _list(values.get("languages", ""))
    wrong = [beat for beat in beats if not KEY.match(beat)]
    if wrong:
        problems.append(_("A beat is one word in Latin letters: %(value)s.") % {"value": wrong[0]})
    wrong = [language for language in languages if not LANGUAGE.match(language)]
    if wrong:
        problems.append(_("A language is a code like ka or en: %(value)s.") % {"value": wrong[0]})
    consents = _consents(values, problems)
    if (email or phone) and not consents:
        problems.append(_("Contact details are kept only with a consent: add its purpose, date."))
    if problems:
        return line
    line.entry = {
        "full_name": line.name,
        "outlet_id": outlet_id,
        "position": values.get("position") or None,
        "email": email or None,
        "phone": phone or None,
        "beats": beats,
        "languages": languages or ["ka"],
        "consents": consents,
    }
    return line


def _consents(values: dict[str, str], problems: list[str]) -> list[dict[str, Any]]:
    purposes = _list(values.get("consents", ""))
    if not purposes:
        return []
    wrong = [purpose for purpose in purposes if purpose not in CONSENT_PURPOSES]
    if wrong:
        problems.append(_("Unknown consent purpose: %(value)s.") % {"value": wrong[0]})
    method = values.get("consent_method") or "written"
    if method not in CONSENT_METHODS:
        problems.append(_("Unknown consent method: %(value)s.") % {"value": method})
    try:
        given_on = date.fromisoformat(values.get("consent_date", ""))
    except ValueError:
        problems.append(_("The consent's date is required, as 2026-09-15."))
        return []
    if given_on > date.today():
        problems.append(_("The consent's date is in the future."))
    return [
        {"purpose": purpose, "given_on": given_on.isoformat(), "method": method}
        for purpose in dict.fromkeys(purposes)
    ]


def lines_of_refusal(lines: list[Line], errors: list[dict[str, Any]]) -> bool:
    """The service's refusal of the entries sent (`journalists.<n>.<field>`) put beside
    their lines; whether any was placed."""
    sent = [line for line in lines if line.entry is not None]
    placed = False
    for error in errors:
        parts = str(error.get("field", "")).split(".")
        if len(parts) >= 2 and parts[0] == "journalists" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(sent):
                where = ".".join(parts[2:])
                message = str(error.get("message", ""))
                sent[index].problems.append(f"{where}: {message}" if where else message)
                placed = True
    return placed
