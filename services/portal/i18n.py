"""The portal's words: Babel message catalogs, Georgian by default, English by switch.

Strings are written in English in the code and templates (`_("Sign in")`) and translated
through `locale/<language>/LC_MESSAGES/messages.po`; `make messages` extracts new ones
and updates the catalogs. The catalogs are compiled in memory when the process starts,
so no generated `.mo` file lives in the repository. Dates and times are shown in
Asia/Tbilisi in the reader's language through Babel's locale data.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

Language = Literal["ka", "en"]
LANGUAGES: tuple[Language, ...] = ("ka", "en")
DEFAULT_LANGUAGE: Language = "ka"
LOCALE_DIR = Path(__file__).parent / "locale"
TBILISI = ZoneInfo("Asia/Tbilisi")

current_language: ContextVar[Language] = ContextVar("portal_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: Language) -> Translations:
    catalog_file = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with catalog_file.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, count)


_ = gettext


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; `_()` translates it where shown."""
    return message


def when(moment: datetime | None, style: str = "d MMM y, HH:mm") -> str:
    if moment is None:
        return ""
    return format_datetime(moment, style, tzinfo=TBILISI, locale=current_language.get())


def day(value: str | date | None) -> str:
    """A calendar day as the reader's language writes it."""
    if not value:
        return ""
    found = date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(found, "d MMM y", locale=current_language.get())


def parse_language(value: str | None) -> Language | None:
    return value if value in LANGUAGES else None
