"""Accreditation badges: an A6 PDF in Georgian and English with a QR code the door scans.

fpdf2 embeds a TrueType font that carries the Georgian script (Noto Sans Georgian from
Debian's fonts-noto-core); segno draws the QR code. The code holds only the badge's
unguessable token, never the journalist's details.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from meria import municipality
from meria.made import MadeFiles
from meria.problems import Problem
from services.media.accreditation import badge_code, typed_code
from services.media.models import Accreditation
from services.media.settings import MediaSettings

TBILISI = ZoneInfo("Asia/Tbilisi")
ROLES = {
    "journalist": ("ჟურნალისტი", "Journalist"),
    "photographer": ("ფოტოგრაფი", "Photographer"),
    "camera_operator": ("ოპერატორი", "Camera operator"),
    "technician": ("ტექნიკური პერსონალი", "Technician"),
}


def _font(path: Path) -> Path:
    if not path.exists():
        raise Problem(
            503,
            "Badge font missing",
            f"The font {path} that carries Georgian is not installed (Debian: fonts-noto-core).",
        )
    return path


def check_badge(accreditation: Accreditation) -> None:
    if accreditation.status != "approved":
        raise Problem(
            409,
            "Not approved",
            f"Accreditation {accreditation.id} is {accreditation.status}; only an approved "
            "one has a badge.",
            status_now=accreditation.status,
        )


# Raised when the layout below changes, so no badge made before is served again.
LAYOUT = 1


def badge_inputs(accreditation: Accreditation, settings: MediaSettings) -> dict[str, Any]:
    """Everything `badge_pdf` reads: the badge's name (`meria.made`)."""
    window, outlet = accreditation.window, accreditation.outlet
    return {
        "layout": LAYOUT, "id": accreditation.id, "status": accreditation.status,
        "name": accreditation.journalist.full_name,
        "outlet": outlet.name_ka if outlet else (accreditation.outlet_name or ""),
        "role": accreditation.role, "code": badge_code(accreditation),
        "title_ka": window.title_ka, "title_en": window.title_en,
        "starts_at": window.starts_at.isoformat(), "fonts": str(settings.badge_fonts),
    }  # fmt: skip


def badge_pdf(accreditation: Accreditation, settings: MediaSettings) -> bytes:
    # Imported here: they take a second or two to import, and few requests need them.
    import segno
    from fpdf import FPDF

    check_badge(accreditation)
    window = accreditation.window
    journalist = accreditation.journalist
    outlet = accreditation.outlet
    pdf = FPDF(format=(105, 148), unit="mm")  # A6
    pdf.set_title(f"Accreditation {accreditation.id}")
    place = municipality.current()
    pdf.set_author(place.city_hall("en"))
    folder = settings.badge_fonts
    pdf.add_font("georgian", "", str(_font(folder / "NotoSansGeorgian-Regular.ttf")))
    pdf.add_font("georgian", "B", str(_font(folder / "NotoSansGeorgian-Bold.ttf")))
    pdf.add_font("latin", "", str(_font(folder / "NotoSans-Regular.ttf")))
    pdf.add_font("latin", "B", str(_font(folder / "NotoSans-Bold.ttf")))
    # Georgian first; a letter it lacks (Latin, digits' neighbours) comes from Noto Sans.
    pdf.set_fallback_fonts(["latin"], exact_match=False)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width = pdf.w - 2 * pdf.l_margin

    pdf.set_font("georgian", "B", 9)
    pdf.multi_cell(width, 4.5, place.city_hall("ka"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("georgian", "", 7)
    pdf.multi_cell(width, 3.5, place.city_hall("en"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("georgian", "B", 12)
    pdf.multi_cell(width, 6, "პრესა · PRESS", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("georgian", "B", 14)
    pdf.multi_cell(width, 6.5, journalist.full_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("georgian", "", 9)
    outlet_name = outlet.name_ka if outlet else (accreditation.outlet_name or "")
    if outlet_name:
        pdf.multi_cell(width, 4.5, outlet_name, align="C", new_x="LMARGIN", new_y="NEXT")
    role_ka, role_en = ROLES.get(accreditation.role, (accreditation.role, accreditation.role))
    pdf.multi_cell(width, 4.5, f"{role_ka} · {role_en}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    qr = segno.make(badge_code(accreditation), error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=8, border=2)
    image.seek(0)
    size = 38
    pdf.image(image, x=(pdf.w - size) / 2, w=size, h=size)
    # The code again in letters, for a door without a camera: the check-in form takes it
    # typed, with or without the spaces.
    pdf.set_font("latin", "", 7)
    pdf.multi_cell(
        width, 3.5, typed_code(accreditation.badge_token), align="C", new_x="LMARGIN",
        new_y="NEXT",
    )  # fmt: skip
    pdf.ln(1)

    pdf.set_font("georgian", "B", 8)
    pdf.multi_cell(width, 4, window.title_ka, align="C", new_x="LMARGIN", new_y="NEXT")
    if window.title_en:
        pdf.set_font("georgian", "", 7)
        pdf.multi_cell(width, 3.5, window.title_en, align="C", new_x="LMARGIN", new_y="NEXT")
    starts = window.starts_at.astimezone(TBILISI)
    pdf.set_font("georgian", "", 8)
    pdf.multi_cell(
        width,
        4,
        f"{starts:%d.%m.%Y %H:%M} (თბილისი · Tbilisi)",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("georgian", "", 6)
    pdf.multi_cell(width, 3, f"№ A-{accreditation.id}", align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# The badges asked for lately: the door and the journalist open the same one again.
BADGES = MadeFiles(badge_pdf, size=128)
