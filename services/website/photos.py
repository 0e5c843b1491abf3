"""Photos on the website: the media library's public renditions, served from the site.

The site's Content-Security-Policy shows images from the site only, and a reader's
browser never talks to the media service. So the site asks media for a rendition
(`/public/photos/{id}/{width}.webp`, which media serves only while the photo's licence
and consent allow), keeps the copy for `photo_cache_seconds` and serves it. Media saying
404 removes the copy at once; media unreachable leaves the copy served. Which photos a
page shows comes from the bus (`PhotoRef` on documents and events), alt text with each.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from meria.inputs import Id
from meria.pictures import RENDITION_WIDTHS, RenditionWidth
from meria.problems import Problem
from meria.web import RuntimeDep
from services.website.settings import WebsiteSettings

router = APIRouter(include_in_schema=False)
MEDIA_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
HEADERS = {"Cache-Control": "public, max-age=3600"}


def srcset(item_id: int) -> str:
    return ", ".join(f"/photos/{item_id}/{width}.webp {width}w" for width in RENDITION_WIDTHS)


def src(item_id: int, width: int = 960) -> str:
    return f"/photos/{item_id}/{width}.webp"


def refs(photos: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The photos a row holds, as the templates read them (None: none)."""
    return list(photos or [])


def _fresh(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except FileNotFoundError:
        return False


def _keep(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


@router.get("/photos/{item_id}/{width}.webp")
async def photo(item_id: Id, width: RenditionWidth, runtime: RuntimeDep) -> Response:
    """Anyone: a published photo's rendition, as the media service allows it today."""
    settings = runtime.settings
    assert isinstance(settings, WebsiteSettings) and settings.files_dir is not None
    if width not in RENDITION_WIDTHS:
        raise Problem(404, "Not found", "There is no such published photo.")
    path = settings.files_dir / "photos" / f"{item_id}-{width}.webp"
    if not await asyncio.to_thread(_fresh, path, settings.photo_cache_seconds):
        url = f"{settings.media_url.rstrip('/')}/public/photos/{item_id}/{width}.webp"
        answer: httpx.Response | None = None
        try:
            async with httpx.AsyncClient(timeout=MEDIA_TIMEOUT) as http:
                answer = await http.get(url)
        except httpx.HTTPError:
            answer = None  # media is down: the copy kept, if any, is served
        if answer is not None and answer.status_code == 404:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise Problem(404, "Not found", "There is no such published photo.")
        webp = answer is not None and answer.headers.get("content-type", "") == "image/webp"
        if answer is not None and answer.status_code == 200 and webp:
            await asyncio.to_thread(_keep, path, answer.content)
        if not await asyncio.to_thread(path.exists):
            raise Problem(
                503, "Not available yet", "The photo is on its way to the website.",
                headers={"Retry-After": "30"},
            )  # fmt: skip
    return FileResponse(path, media_type="image/webp", headers=HEADERS)
