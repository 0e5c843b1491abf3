"""The monthly press digest's content and its two renderings: the document's text
(Markdown, which the publishing service turns into the web page's HTML) and the PDF
(fpdf2 with Noto Sans Georgian, so Georgian glyphs are embedded and correct).

The digest has a fixed order of sections: legal acts, press releases and news, press
conferences, events and meetings, delegations received, visits abroad, media coverage,
responses given to the media. A section with nothing this month says so instead of
standing empty.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from meria import municipality
from meria.cases.digest import SECTIONS

MONTHS_KA = ("იანვარი", "თებერვალი", "მარტი", "აპრილი", "მაისი", "ივნისი", "ივლისი",
             "აგვისტო", "სექტემბერი", "ოქტომბერი", "ნოემბერი", "დეკემბერი")  # fmt: skip
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip


class DigestEntry(BaseModel):
    title_ka: str
    title_en: str | None = None
    url: str | None = None
    day: date | None = None
    note_ka: str | None = None
    note_en: str | None = None


class DigestSection(BaseModel):
    key: str
    entries: list[DigestEntry] = Field(default_factory=list)


class DigestContent(BaseModel):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    sections: list[DigestSection]
    requested_by: str | None = None

    def section(self, key: str) -> DigestSection:
        return next((s for s in self.sections if s.key == key), DigestSection(key=key))

    @property
    def has_english(self) -> bool:
        return any(e.title_en for s in self.sections for e in s.entries)


def month_words(month: str, language: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    if language == "ka":
        return f"{year} წლის {MONTHS_KA[number - 1]}"
    return f"{MONTHS_EN[number - 1]} {year}"


def title(month: str, language: str) -> str:
    if language == "ka":
        return f"პრესდაიჯესტი: {month_words(month, 'ka')}"
    return f"Press digest: {month_words(month, 'en')}"


def summary(content: DigestContent, language: str) -> str:
    counts = {key: len(content.section(key).entries) for key, *_ in SECTIONS}
    place = municipality.current()
    if language == "ka":
        return (
            f"{place.forms('ka').genitive} მუნიციპალიტეტის ადგილობრივი თვითმმართველობის "
            "საქმიანობა — "
            f"{month_words(content.month, 'ka')}: {counts['acts']} სამართლებრივი აქტი, "
            f"{counts['press_releases']} პრესრელიზი, {counts['events']} ღონისძიება."
        )
    return (
        f"The work of {place.municipality('en')}'s local self-government in "
        f"{month_words(content.month, 'en')}: {counts['acts']} legal acts, "
        f"{counts['press_releases']} press releases, {counts['events']} events."
    )


def _day(day: date | None, language: str) -> str:
    if day is None:
        return ""
    if language == "ka":
        return f"{day.day} {MONTHS_KA[day.month - 1]}"
    return f"{day.day} {MONTHS_EN[day.month - 1]}"


def _escape(text: str) -> str:
    return text.replace("[", "(").replace("]", ")").replace("\n", " ")


def _line(entry: DigestEntry, language: str) -> str:
    name = entry.title_ka if language == "ka" else (entry.title_en or entry.title_ka)
    name = _escape(name)
    shown = f"[{name}]({entry.url})" if entry.url else name
    when = _day(entry.day, language)
    note = entry.note_ka if language == "ka" else (entry.note_en or entry.note_ka)
    return f"- {when + ' — ' if when else ''}{shown}{f' ({_escape(note)})' if note else ''}"


def markdown(content: DigestContent, language: str) -> str:
    """The document's text: one heading per section, in order, each entry a line with its
    link; an empty section says there was nothing."""
    lines: list[str] = []
    for key, heading_ka, heading_en, empty_ka, empty_en in SECTIONS:
        lines.append(f"## {heading_ka if language == 'ka' else heading_en}")
        lines.append("")
        entries = content.section(key).entries
        if entries:
            lines.extend(_line(entry, language) for entry in entries)
        else:
            lines.append(empty_ka if language == "ka" else empty_en)
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def pdf(content: DigestContent, fonts: Path) -> bytes:
    """The digest as an A4 PDF: the Georgian text first, then the English where the
    sources have it; every entry with a link is a link."""
    from fpdf import FPDF

    document = FPDF(format="A4", unit="mm")
    document.set_title(title(content.month, "ka"))
    document.set_author(municipality.current().city_hall("ka"))
    document.set_creator("Meria")
    for family, style, name in (
        ("georgian", "", "NotoSansGeorgian-Regular.ttf"),
        ("georgian", "B", "NotoSansGeorgian-Bold.ttf"),
        ("latin", "", "NotoSans-Regular.ttf"),
        ("latin", "B", "NotoSans-Bold.ttf"),
    ):
        path = fonts / name
        if not path.exists():
            raise FileNotFoundError(
                f"The font {path} is not installed (Debian: fonts-noto-core); "
                "the digest's PDF needs it for Georgian."
            )
        document.add_font(family, style, str(path))
    document.set_fallback_fonts(["latin"], exact_match=False)
    document.set_auto_page_break(auto=True, margin=18)
    languages = ["ka", "en"] if content.has_english else ["ka"]
    for language in languages:
        document.add_page()
        document.set_font("georgian", "B", 17)
        document.multi_cell(0, 9, title(content.month, language), new_x="LMARGIN", new_y="NEXT")
        document.set_font("georgian", "", 10)
        document.multi_cell(0, 5.5, summary(content, language), new_x="LMARGIN", new_y="NEXT")
        document.ln(3)
        for key, heading_ka, heading_en, empty_ka, empty_en in SECTIONS:
            document.set_font("georgian", "B", 13)
            heading = heading_ka if language == "ka" else heading_en
            document.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
            document.set_font("georgian", "", 10)
            entries = content.section(key).entries
            if not entries:
                empty = empty_ka if language == "ka" else empty_en
                document.multi_cell(0, 5.5, empty, new_x="LMARGIN", new_y="NEXT")
            for entry in entries:
                line = _line(entry, language).removeprefix("- ")
                if entry.url:
                    # The link's text as it reads, the link itself on the words.
                    name = (
                        entry.title_ka if language == "ka" else (entry.title_en or entry.title_ka)
                    )
                    line = line.replace(f"[{_escape(name)}]({entry.url})", _escape(name))
                document.multi_cell(
                    0, 5.5, f"• {line}", new_x="LMARGIN", new_y="NEXT", link=entry.url or ""
                )
            document.ln(2)
    return bytes(document.output())
