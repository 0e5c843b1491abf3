"""A legal act as the PDF its signer signs: PDF/A-2b in the municipality's layout.

fpdf2 writes it with Noto Sans Georgian embedded (Debian's fonts-noto-core), so the text
reads the same in any viewer for as long as PDF/A is read. The layout is the
municipality's from settings: its name in Georgian and English, its coat of arms when
one is set; then the act's type, number, date and place, its title and text, and whose
signature it carries. Rendering is CPU work: call `render` in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from meria.problems import Problem

TYPES = {
    "mayor_order": ("ბრძანება", "Order"),
    "mayor_ordinance": ("განკარგულება", "Ordinance"),
    "official_document": ("ოფიციალური დოკუმენტი", "Official document"),
}


@dataclass(frozen=True)
class Layout:
    municipality_ka: str
    municipality_en: str
    place_ka: str
    coat_of_arms: Path | None
    fonts: Path


@dataclass(frozen=True)
class ActSheet:
    """What the signed PDF of an act says: ids and text, read once from the edition."""

    document_type: str
    register_number: str | None
    date_signed: date | None
    issuer_ka: str | None
    title_ka: str
    title_en: str | None
    body_html_ka: str
    signer_name: str


def _font(path: Path) -> str:
    if not path.exists():
        raise Problem(
            503,
            "Font missing",
            f"The font {path} that carries Georgian is not installed (Debian: fonts-noto-core).",
        )
    return str(path)


def render(sheet: ActSheet, layout: Layout) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm", enforce_compliance="PDF/A-2B")
    type_ka, type_en = TYPES.get(sheet.document_type, (sheet.document_type, sheet.document_type))
    number = f" № {sheet.register_number}" if sheet.register_number else ""
    pdf.set_title(f"{type_ka}{number}: {sheet.title_ka}")
    pdf.set_author(sheet.issuer_ka or layout.municipality_ka)
    pdf.set_creator(layout.municipality_en)
    pdf.set_lang("ka")
    pdf.add_font("georgian", "", _font(layout.fonts / "NotoSansGeorgian-Regular.ttf"))
    pdf.add_font("georgian", "B", _font(layout.fonts / "NotoSansGeorgian-Bold.ttf"))
    pdf.add_font("latin", "", _font(layout.fonts / "NotoSans-Regular.ttf"))
    pdf.add_font("latin", "B", _font(layout.fonts / "NotoSans-Bold.ttf"))
    # Georgian first; what it lacks (Latin letters, some signs) comes from Noto Sans.
    pdf.set_fallback_fonts(["latin"], exact_match=False)
    pdf.set_margins(25, 20, 20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    if layout.coat_of_arms is not None and layout.coat_of_arms.exists():
        size = 22
        pdf.image(str(layout.coat_of_arms), x=(pdf.w - size) / 2, w=size)
        pdf.ln(2)
    pdf.set_font("georgian", "B", 13)
    pdf.multi_cell(width, 6, layout.municipality_ka, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("georgian", "", 9)
    pdf.multi_cell(width, 5, layout.municipality_en, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    pdf.set_font("georgian", "B", 15)
    pdf.multi_cell(width, 8, f"{type_ka}{number}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("georgian", "", 10)
    day = f"{sheet.date_signed:%d.%m.%Y}" if sheet.date_signed else ""
    pdf.cell(width / 2, 6, day, new_x="RIGHT")
    pdf.cell(width / 2, 6, layout.place_ka, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("georgian", "B", 12)
    pdf.multi_cell(width, 6.5, sheet.title_ka, align="C", new_x="LMARGIN", new_y="NEXT")
    if sheet.title_en:
        pdf.set_font("georgian", "", 9)
        pdf.multi_cell(width, 5, sheet.title_en, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("georgian", "", 11)
    pdf.write_html(sheet.body_html_ka or "", font_family="georgian")
    pdf.ln(10)

    pdf.set_font("georgian", "B", 11)
    pdf.multi_cell(width, 6, sheet.issuer_ka or "", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("georgian", "", 11)
    pdf.multi_cell(width, 6, sheet.signer_name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("georgian", "", 8)
    pdf.multi_cell(
        width,
        4,
        f"ხელმოწერილია ელექტრონულად ({type_en}{number}) · Signed electronically (PAdES)",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
