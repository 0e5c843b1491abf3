"""Photos and videos shown with published documents and public events.

A photo is chosen from the media library by its id and must come with the words that
stand in for it (alt text, Georgian always): a photo without them is refused, not shown
bare. The media service alone decides whether the picture may be public (its licence and
the consent of the people in it) and serves its public renditions. A video is embedded
only from the hosts in `MERIA_VIDEO_HOSTS`: the public site's Content-Security-Policy
frames those and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meria.contracts import LocalizedText, PhotoRef
from meria.inputs import MAX_INT
from meria.problems import Problem

MAX_PHOTOS = 40
# The sizes (widths in pixels) of every public rendition; the site offers them in srcset.
RENDITION_WIDTHS = (480, 960, 1600)
# A width asked in a path: another than those made answers 404, one past them 422.
RenditionWidth = Annotated[int, Path(ge=1, le=max(RENDITION_WIDTHS))]


class PhotoChoice(BaseModel):
    """A library photo attached to a document or event, with its alt text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_id: int = Field(gt=0, le=MAX_INT, description="The media library item")
    alt_ka: str = Field("", max_length=500, description="What it shows, in Georgian (required)")
    alt_en: str | None = Field(None, max_length=500)
    caption_ka: str | None = Field(None, max_length=1000)
    caption_en: str | None = Field(None, max_length=1000)
    credit: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _described(self) -> PhotoChoice:
        if not self.alt_ka:
            raise ValueError(
                f"photo {self.item_id} has no alt text: say in Georgian (alt_ka) what it "
                "shows, for readers who cannot see it"
            )
        return self

    def ref(self) -> PhotoRef:
        caption = LocalizedText(ka=self.caption_ka, en=self.caption_en) if self.caption_ka else None
        return PhotoRef(
            item_id=self.item_id,
            alt=LocalizedText(ka=self.alt_ka, en=self.alt_en or None),
            caption=caption,
            credit=self.credit or None,
        )


def photo_refs(choices: Iterable[PhotoChoice | dict[str, object]]) -> list[PhotoRef]:
    """Stored choices (JSON) as the bus carries them; each photo once, first kept."""
    found: list[PhotoRef] = []
    for choice in choices:
        chosen = choice if isinstance(choice, PhotoChoice) else PhotoChoice.model_validate(choice)
        if all(ref.item_id != chosen.item_id for ref in found):
            found.append(chosen.ref())
    return found


def allowed_video(url: str | None, hosts: Iterable[str]) -> str | None:
    """The URL of an embedded video, if it is an HTTPS address on an allowed host; else a
    422 that names the hosts allowed."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    allowed = sorted(set(hosts))
    parts = urlsplit(url)
    if parts.scheme != "https" or (parts.hostname or "").lower() not in allowed or parts.username:
        message = (
            f"A video is embedded only over HTTPS from {', '.join(allowed)}; "
            f"{url[:200]} is not one of them."
        )
        raise Problem(
            422,
            "Video host not allowed",
            message,
            errors=[{"field": "video_url", "message": message}],
        )
    return url


def frame_sources(hosts: Iterable[str]) -> str:
    """The CSP `frame-src` sources of the allowed video hosts."""
    return " ".join(f"https://{host}" for host in sorted(set(hosts)))
