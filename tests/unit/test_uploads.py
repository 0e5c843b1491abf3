"""The kernel's upload pipeline on its own: what it keeps, what it cleans, what it refuses
and why, and how a stored file is served."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import Any

import pytest
from PIL import Image

from meria import uploads
from meria.problems import Problem
from meria.uploads import (
    TYPES,
    Checked,
    Limits,
    Policy,
    check_now,
    refusal_of_copy,
    served_headers,
)
from tests.support.files import (
    HTML_AS_TEXT,
    PAGES,
    PLAIN_PDF,
    SCRIPTED_PDF,
    SVG_AS_CSV,
    huge_png,
    location_in,
    office,
    pdf,
    pdf_with_hidden_script,
    photo_with_gps,
    zip_bomb_docx,
)

EVERYTHING = Policy.of("A file", list(TYPES), 50 * 1024 * 1024, Limits(), thumbnail_pixels=320)
TABLE = "თვე,ტურისტები,უცხოელები\nივნისი,3100,900\nივლისი,6800,2600\n".encode()


def checked(content: bytes, name: str, policy: Policy = EVERYTHING) -> Checked:
    return check_now(io.BytesIO(content), name, policy)


def refusal(content: bytes, name: str, policy: Policy = EVERYTHING) -> Problem:
    with pytest.raises(Problem) as refused:
        checked(content, name, policy)
    return refused.value


def test_a_photo_loses_where_it_was_taken_and_keeps_how() -> None:
    original = photo_with_gps((800, 600))
    assert location_in(original) == ["EXIF GPS", "XMP"]
    photo = checked(original, "IMG_4031.JPG")
    content = photo.content.read()
    assert location_in(content) == [] and photo.location_removed
    exif = Image.open(io.BytesIO(content)).getexif()
    assert exif[0x010F] == "Apple" and exif[0x0112] == 6
    assert photo.stored_name.endswith(".jpg") and "IMG" not in photo.stored_name
    assert (photo.width, photo.height) == (800, 600) and photo.thumbnail is not None


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    problem = refusal(huge_png(), "პანორამა.png")
    assert problem.status == 413 and "(200 megapixels)" in (problem.detail or "")
    smaller = Policy.of("A file", ["png"], 10**8, Limits(image_pixels=1_000_000))
    assert refusal(huge_png(2000, 1000), "რუკა.png", smaller).status == 413


def test_an_office_file_that_unpacks_a_thousandfold_is_refused() -> None:
    bomb = zip_bomb_docx()
    assert len(bomb) < 100_000
    problem = refusal(bomb, "ბრძანება.docx")
    assert problem.status == 422 and "times its size" in (problem.detail or "")
    # Within the ratio, but beyond what all entries may unpack to together.
    tight = Policy.of("A file", ["docx"], 10**8, Limits(archive_bytes=1024 * 1024))
    assert refusal(office(extra={"word/media/a.bin": bytes(2 * 1024 * 1024)}), "a.docx", tight)
    assert checked(office(), "ბრძანება.docx").media_type == TYPES["docx"].media_type


def test_office_files_with_macros_or_remote_templates_are_refused() -> None:
    macro = office(extra={"word/vbaProject.bin": b"Attribute VB_Name"})
    assert refusal(macro, "ოქმი.docx").status == 415
    remote = office(
        extra={
            "word/_rels/settings.xml.rels": b'<Relationships><Relationship Id="r1" Type="http://'
            b"schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
            b'" Target="https://example.org/t.dotm" TargetMode="External"/></Relationships>'
        }
    )
    assert "fetches content" in (refusal(remote, "ოქმი.docx").detail or "")


def test_a_pdf_that_acts_when_opened_is_refused_and_a_plain_one_kept() -> None:
    assert refusal(SCRIPTED_PDF, "ანგარიში.pdf").status == 422
    # Names may be spelled with #-escapes; pypdf reads them as a viewer does.
    escaped = pdf(
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        *PAGES,
        "<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
    )
    assert refusal(escaped, "ანგარიში.pdf").status == 422
    launch = pdf("<< /Type /Catalog /Pages 2 0 R /AA << /O 4 0 R >> >>", *PAGES, "<< >>")
    assert "/AA" in (refusal(launch, "a.pdf").detail or "")
    # Packed in a compressed object stream, where no byte spells it: pypdf finds it.
    assert refusal(pdf_with_hidden_script(), "ბროშურა.pdf").status == 422
    # Opening at a page is no action.
    at_page = pdf("<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>", *PAGES)
    assert checked(at_page, "ბრძანება.pdf").media_type == "application/pdf"
    assert checked(PLAIN_PDF, "ბრძანება.pdf").content.read() == PLAIN_PDF


def test_text_must_be_text_and_not_a_page_or_a_drawing() -> None:
    assert refusal(HTML_AS_TEXT, "პასუხი.txt").status == 415
    assert refusal(SVG_AS_CSV, "ცხრილი.csv").status == 415
    assert refusal(b"\x7fELF\x02\x01\x01" * 40, "script.csv").status == 415
    table = checked(TABLE, "ტურისტები-2026.csv")
    assert table.media_type == "text/csv" and table.content.read() == TABLE


def test_the_name_must_agree_with_the_content() -> None:
    problem = refusal(PLAIN_PDF, "ფოტო.jpg")
    assert problem.status == 422 and ".pdf" in (problem.detail or "")
    assert refusal(PLAIN_PDF, "page.html").status == 422
    assert checked(PLAIN_PDF, "ოქმი №12.2026").filename == "ოქმი №12.2026.pdf"
    # No path and no right-to-left override: `photo‮fdp.exe` would read as `photoexe.pdf`.
    assert checked(PLAIN_PDF, "../../etc/photo\u202efdp.exe.pdf").filename == "photofdp.exe.pdf"
    only_pdf = Policy.of("An attachment", ["pdf"], 10**6, Limits())
    assert refusal(photo_with_gps((80, 60)), "ფოტო.jpg", only_pdf).status == 415
    assert refusal(b"", "ცარიელი.pdf").status == 422


def test_only_pictures_and_pdfs_open_in_the_browser_and_nothing_is_sniffed() -> None:
    for media_type, shown in (("image/jpeg", "inline"), ("application/pdf", "inline"),
                              ("text/csv", "attachment"), ("text/html", "attachment"),
                              (TYPES["docx"].media_type, "attachment")):  # fmt: skip
        headers = served_headers(media_type, "ანგარიში")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Disposition"].startswith(f"{shown}; filename*=UTF-8''")
    assert served_headers("text/html", "x.html")["Content-Type"] == "application/octet-stream"
    assert served_headers("text/csv", "x.csv")["Content-Type"] == "text/csv; charset=utf-8"


def test_a_published_copy_is_refused_if_it_is_not_what_it_was_announced_as() -> None:
    assert refusal_of_copy(PLAIN_PDF, "application/pdf") is None
    assert refusal_of_copy(HTML_AS_TEXT, "application/pdf") is not None
    assert "where it was taken" in (refusal_of_copy(photo_with_gps((80, 60)), "image/jpeg") or "")
    assert refusal_of_copy(HTML_AS_TEXT, "text/html") is not None


async def test_checks_run_in_worker_threads_two_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    running: list[int] = []
    most = 0
    lock = threading.Lock()

    def slow_check(*_: Any) -> str:
        nonlocal most
        assert threading.current_thread() is not threading.main_thread()
        with lock:
            running.append(1)
            most = max(most, len(running))
        time.sleep(0.1)  # a picture being re-encoded
        with lock:
            running.pop()
        return "checked"

    monkeypatch.setattr(uploads, "check_now", slow_check)
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(
        *(uploads.check(io.BytesIO(), "ფოტო.jpg", EVERYTHING) for _ in range(5)),
        asyncio.sleep(0.01),  # the loop is free meanwhile
    )
    assert [str(r) for r in results[:5]] == ["checked"] * 5
    assert most == uploads.CONCURRENT_CHECKS
    assert loop.time() - started >= 0.25  # five in turns of two
