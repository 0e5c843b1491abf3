"""Public renditions of the library's photos: what the public website shows.

The library's files are for staff; a photo becomes public only through its renditions,
and only while its licence lets the municipality publish it and the people in it agreed
(or need not: a public event, nobody recognisable). A photo that stops qualifying (its
consent withdrawn, its licence narrowed) is no longer served; the renditions already
made stay in storage, unreachable, and are made again if it qualifies once more.

Each rendition is WebP at a fixed width (`meria.pictures.RENDITION_WIDTHS`, never wider
than the original), turned upright and written without any of the original's metadata
(EXIF, XMP, ICC): it says nothing of the camera, the day or the place. Pillow works in a
thread, off the event loop; a rendition is made once and kept.
"""

from __future__ import annotations

import asyncio
from io import BytesIO

from PIL import Image, ImageOps

from meria.pictures import RENDITION_WIDTHS
from meria.problems import Problem
from services.media.models import LibraryItem
from services.media.storage import Storage

# The municipality publishes its own photos ("all rights reserved": its own) and openly
# licensed ones; "press use only" and "internal only" never reach the public site.
PUBLIC_LICENCES = frozenset({"all_rights_reserved", "cc_by_4.0", "cc_by_sa_4.0", "cc0"})
PUBLIC_CONSENTS = frozenset({"not_needed", "obtained", "public_event"})
MEDIA_TYPE = "image/webp"


def is_public(item: LibraryItem) -> bool:
    return (
        item.kind == "photo" and item.licence in PUBLIC_LICENCES and item.consent in PUBLIC_CONSENTS
    )


def name_of(item: LibraryItem, width: int) -> str:
    # The hash in the name: a photo replaced under the same id gets new renditions.
    return f"renditions/{item.id}-{item.sha256[:16]}-{width}.webp"


def rendition(data: bytes, width: int) -> bytes:
    """The picture at most `width` pixels wide, upright, as WebP without metadata."""
    with Image.open(BytesIO(data)) as original:
        picture = ImageOps.exif_transpose(original)
        if picture.width > width:
            height = max(1, round(picture.height * width / picture.width))
            picture = picture.resize((width, height), Image.Resampling.LANCZOS)
        if picture.mode not in ("RGB", "RGBA"):
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
        picture.info.clear()  # nothing of the original travels: no EXIF, XMP or ICC
        out = BytesIO()
        picture.save(out, "WEBP", quality=82, method=4)
        return out.getvalue()


async def public_rendition(storage: Storage, item: LibraryItem | None, width: int) -> bytes:
    """The rendition's bytes, made and kept on first asking; 404 for a width not offered
    or an item that is not a public photo (which also does not tell whether it exists)."""
    if item is None or width not in RENDITION_WIDTHS or not is_public(item):
        raise Problem(404, "No such public photo", "There is no public photo at this address.")
    name = name_of(item, width)
    if await storage.exists(name):
        return bytes(await asyncio.to_thread(storage.fs.cat_file, storage.path(name)))
    try:
        original = await asyncio.to_thread(storage.fs.cat_file, storage.path(item.stored_name))
        made = await asyncio.to_thread(rendition, bytes(original), width)
    except OSError:  # the file is gone from storage, or no longer reads as a picture
        raise Problem(
            503, "Photo unavailable", "The photo cannot be read from storage just now."
        ) from None
    await storage.write_bytes(name, made)
    return made
