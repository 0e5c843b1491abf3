"""What the portal's forms share: what the person typed, kept whole when a form is refused,
with messages beside the fields the service named; and times typed on the city hall's
(Tbilisi) clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.portal.clients import ServiceRefused
from services.portal.i18n import TBILISI


def text(form: Any, name: str) -> str:
    """A form field's value, trimmed; "" when it was not sent or is a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def values_of(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {name: text(form, name) for name in names}


def lines(value: str) -> list[str]:
    """One entry per non-empty line of a text area."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def tbilisi(value: str) -> datetime:
    """A time typed in the form (`2027-06-01T11:00`), read on the city hall's clock."""
    return datetime.fromisoformat(value).replace(tzinfo=TBILISI)


def local_input(moment: str | datetime | None) -> str:
    """A moment as a `datetime-local` field shows it, in Tbilisi time."""
    if not moment:
        return ""
    found = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return found.astimezone(TBILISI).strftime("%Y-%m-%dT%H:%M")


@dataclass
class KeptForm:
    """What the person typed, kept whole when the form is refused."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def take_refusal(self, refused: ServiceRefused) -> str:
        """Messages beside the fields the service named; the rest for the form's top."""
        named = refused.field_errors
        for name, message in named.items():
            self.errors[name] = message
        self.keep_what_fits(refused)
        return "" if named else (refused.detail or refused.title)

    def keep_what_fits(self, refused: ServiceRefused) -> None:
        """A field longer than the service takes comes back cut to what it takes (a title
        of megabytes would make a page of megabytes); its message says how long it may be."""
        for item in refused.body.get("errors") or []:
            if not isinstance(item, dict) or item.get("type") != "string_too_long":
                continue
            name, limit = str(item.get("field", "")).split(".")[0], item.get("max_length")
            if isinstance(limit, int) and len(self.values.get(name, "")) > limit:
                self.values[name] = self.values[name][:limit]
