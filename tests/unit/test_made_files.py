"""Files made from data are made once per inputs, kept for the last few, and a browser
that holds one is answered 304."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from meria.made import MadeFiles, fingerprint


def summary_pdf(year: int, visitors: int) -> bytes:
    return f"%PDF {year}: {visitors} ვიზიტორი".encode()


async def test_the_same_inputs_make_the_file_once_and_the_oldest_are_let_go() -> None:
    made = MadeFiles(summary_pdf, size=2)
    first, tag = await made.get({"year": 2025, "visitors": 41200}, 2025, 41200)
    again, same = await made.get({"year": 2025, "visitors": 41200}, 2025, 41200)
    assert first == again == "%PDF 2025: 41200 ვიზიტორი".encode() and tag == same
    assert made.made == 1
    # Another figure is another file.
    changed, other = await made.get({"year": 2025, "visitors": 41201}, 2025, 41201)
    assert other != tag and changed.endswith("41201 ვიზიტორი".encode()) and made.made == 2
    # Two kept: a third pushes out the least recently asked (2025/41200 was asked before
    # 41201), which is made again when asked.
    await made.get({"year": 2026, "visitors": 9}, 2026, 9)
    await made.get({"year": 2025, "visitors": 41201}, 2025, 41201)
    assert made.made == 3
    await made.get({"year": 2025, "visitors": 41200}, 2025, 41200)
    assert made.made == 4


def test_a_fingerprint_names_every_input_in_any_order() -> None:
    assert fingerprint({"a": 1, "b": "თელავი"}) == fingerprint({"b": "თელავი", "a": 1})
    assert fingerprint({"a": 1, "b": "თელავი"}) != fingerprint({"a": 1, "b": "ახმეტა"})


async def test_a_browser_holding_the_file_is_answered_not_modified() -> None:
    made = MadeFiles(summary_pdf)
    app = FastAPI()

    @app.get("/summary/{year}.pdf")
    async def summary(year: int, request: Request) -> Response:
        return await made.response(request, {"year": year}, year, 100, media_type="application/pdf")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://meria"
    ) as http:
        first = await http.get("/summary/2025.pdf")
        assert first.status_code == 200 and first.headers["etag"].startswith('"')
        assert "private" in first.headers["cache-control"]
        held = await http.get("/summary/2025.pdf", headers={"If-None-Match": first.headers["etag"]})
        assert held.status_code == 304 and held.content == b""
        other = await http.get(
            "/summary/2024.pdf", headers={"If-None-Match": first.headers["etag"]}
        )
        assert other.status_code == 200 and other.content.startswith(b"%PDF 2024")
    assert made.made == 2
