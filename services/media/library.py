"""The media library: photos, videos and files with caption, author, date, the event or
visit they belong to, licence and the consent of the people in them.

An upload is checked by its content (filetype), not its name, and against the size
limit of its kind; nothing is kept from a refused one. A photo loses its GPS and other
location data before it is stored (the GPS block of its EXIF, and the XMP and IPTC
packets that can carry places too): a picture of a child at a school opening must not
tell where the child lives. Pillow rewrites the picture without them, keeping the
orientation, the camera and the date, and makes the thumbnail.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import filetype
from sqlalchemy import or_, select

from meria.auth import User
from meria.db import Database
from meria.problems import Problem
from services.media.contacts import now
from services.media.models import LibraryItem
from services.media.schemas import LibraryItemUpdate, Licence, PeopleConsent
from services.media.settings import MediaSettings
from services.media.storage import Storage

PHOTOS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/tiff": "tif"}
VIDEOS = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}
FILES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "audio/mpeg": "mp3",
}
KINDS = {"photo": PHOTOS, "video": VIDEOS, "file": FILES}
GPS_IFD = 0x8825
# EXIF tags outside the GPS block that can name a place (Microsoft's XPSubject/XPComment
# are free text where phones put locations too).
PLACE_TAGS = (0x9C9F, 0x9C9C)
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    kind: str
    media_type: str
    extension: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    location_removed: bool = False


def kind_of(media_type: str | None) -> str | None:
    for kind, types in KINDS.items():
        if media_type in types:
            return kind
    return None


def limit_of(kind: str, settings: MediaSettings) -> int:
    return {
        "photo": settings.max_photo_bytes,
        "video": settings.max_video_bytes,
        "file": settings.max_file_bytes,
    }[kind]


def _spool(source: IO[bytes], limit: int, kind: str) -> tempfile.SpooledTemporaryFile[bytes]:
    """Copy the upload aside, refusing it as soon as it passes its kind's limit."""
    # Handed to the caller, who closes it once the file is stored.
    spooled = tempfile.SpooledTemporaryFile(max_size=16 * CHUNK)  # noqa: SIM115
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > limit:
            spooled.close()
            raise Problem(
                413,
                "File too large",
                f"A {kind} may be at most {limit // (1024 * 1024)} MB.",
            )
        spooled.write(chunk)
    spooled.seek(0)
    return spooled


def strip_location(data: bytes, media_type: str, thumbnail_pixels: int) -> tuple[bytes, Upload]:
    """The picture without location data, its size and its thumbnail."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise Problem(422, "Not a picture", f"The photo cannot be read: {error}") from None
    exif = image.getexif()
    removed = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
    for tag in (GPS_IFD, *PLACE_TAGS):
        if tag in exif:
            removed = True
            del exif[tag]
    info = image.info
    packets = [key for key in ("xmp", "XML:com.adobe.xmp", "iptc", "photoshop") if key in info]
    removed = removed or bool(packets)
    for key in packets:
        # Pillow would write an XMP packet it read back into the new file.
        del info[key]
    options: dict[str, Any] = {"exif": exif.tobytes()}
    if "icc_profile" in info:
        options["icc_profile"] = info["icc_profile"]
    if image.format == "JPEG":
        # The same quantisation tables as the camera's: no visible loss from the rewrite.
        options |= {"quality": "keep", "subsampling": "keep"}
    elif image.format == "WEBP":
        options |= {"lossless": info.get("lossless", False), "quality": 95}
    output = io.BytesIO()
    image.save(output, format=image.format, **options)
    cleaned = output.getvalue()
    width, height = image.size
    preview = ImageOps.exif_transpose(image)
    preview.thumbnail((thumbnail_pixels, thumbnail_pixels))
    if preview.mode not in ("RGB", "L"):
        preview = preview.convert("RGB")
    small = io.BytesIO()
    preview.save(small, format="JPEG", quality=85)
    return cleaned, Upload(
        kind="photo",
        media_type=media_type,
        extension=PHOTOS[media_type],
        size=len(cleaned),
        sha256=hashlib.sha256(cleaned).hexdigest(),
        width=width,
        height=height,
        thumbnail=small.getvalue(),
        location_removed=removed,
    )


def _examine(
    source: IO[bytes], settings: MediaSettings, declared: str | None
) -> tuple[IO[bytes], Upload]:
    head = source.read(8192)
    guess = filetype.guess(head)
    media_type = guess.mime if guess is not None else None
    kind = kind_of(media_type)
    if kind is None or media_type is None:
        raise Problem(
            415,
            "File type not accepted",
            f"Its content says {media_type or 'unknown'}: the library takes photos (JPEG, PNG, "
            "WebP, TIFF), videos (MP4, MOV, WebM) and files (PDF, DOCX, PPTX, ODT, MP3).",
        )
    if declared and declared != kind:
        raise Problem(
            422,
            "Not what it says",
            f"The upload is called a {declared}, but its content is a {kind} ({media_type}).",
        )
    source.seek(0)
    spooled = _spool(source, limit_of(kind, settings), kind)
    if kind == "photo":
        cleaned, upload = strip_location(spooled.read(), media_type, settings.thumbnail_pixels)
        spooled.close()
        return io.BytesIO(cleaned), upload
    digest = hashlib.sha256()
    size = 0
    while chunk := spooled.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    spooled.seek(0)
    upload = Upload(kind, media_type, KINDS[kind][media_type], size, digest.hexdigest())
    return spooled, upload


@dataclass(frozen=True)
class Details:
    caption_ka: str
    caption_en: str | None
    author: str
    taken_on: date | None
    event_id: int | None
    visit_id: int | None
    licence: Licence
    consent: PeopleConsent
    consent_note: str | None
    kind: str | None = None


async def add(
    database: Database,
    storage: Storage,
    settings: MediaSettings,
    source: IO[bytes],
    filename: str,
    details: Details,
    user: User,
) -> LibraryItem:
    content, upload = await asyncio.to_thread(_examine, source, settings, details.kind)
    stored_name = f"{uuid.uuid4().hex}.{upload.extension}"
    thumbnail_name = f"thumbnails/{stored_name}.jpg" if upload.thumbnail else None
    try:
        await storage.write(stored_name, content)
        if thumbnail_name and upload.thumbnail:
            await storage.write_bytes(thumbnail_name, upload.thumbnail)
        async with database.transaction() as session:
            item = LibraryItem(
                kind=upload.kind,
                caption_ka=details.caption_ka,
                caption_en=details.caption_en,
                author=details.author,
                taken_on=details.taken_on,
                event_id=details.event_id,
                visit_id=details.visit_id,
                licence=details.licence,
                consent=details.consent,
                consent_note=details.consent_note,
                filename=(filename or stored_name)[:300],
                stored_name=stored_name,
                media_type=upload.media_type,
                size=upload.size,
                sha256=upload.sha256,
                width=upload.width,
                height=upload.height,
                thumbnail_name=thumbnail_name,
                location_removed=upload.location_removed,
                uploaded_by=user.id,
                uploaded_at=now(),
            )
            session.add(item)
    except BaseException:
        # Nothing is kept from an upload that was not recorded.
        await storage.delete(stored_name)
        if thumbnail_name:
            await storage.delete(thumbnail_name)
        raise
    finally:
        content.close()
    return item


async def load(database: Database, item_id: int) -> LibraryItem:
    async with database.session() as session:
        item = await session.get(LibraryItem, item_id)
    if item is None:
        raise Problem(404, "No such item", f"The library has no item {item_id}.")
    return item


async def search(
    database: Database,
    *,
    kind: str | None = None,
    event_id: int | None = None,
    visit_id: int | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[LibraryItem]:
    query = select(LibraryItem).order_by(LibraryItem.uploaded_at.desc(), LibraryItem.id.desc())
    if kind:
        query = query.where(LibraryItem.kind == kind)
    if event_id:
        query = query.where(LibraryItem.event_id == event_id)
    if visit_id:
        query = query.where(LibraryItem.visit_id == visit_id)
    if text:
        pattern = f"%{text}%"
        query = query.where(
            or_(
                LibraryItem.caption_ka.ilike(pattern),
                LibraryItem.caption_en.ilike(pattern),
                LibraryItem.author.ilike(pattern),
            )
        )
    async with database.session() as session:
        return list(await session.scalars(query.limit(limit).offset(offset)))


async def update(
    database: Database, item_id: int, data: LibraryItemUpdate, user: User
) -> LibraryItem:
    changes = data.model_dump(exclude_unset=True)
    async with database.transaction() as session:
        item = await session.get(LibraryItem, item_id)
        if item is None:
            raise Problem(404, "No such item", f"The library has no item {item_id}.")
        for name in ("caption_ka", "author", "licence", "consent"):
            if name in changes and changes[name] is None:
                raise Problem(422, "Required", f"{name} cannot be emptied.")
        for name, value in changes.items():
            setattr(item, name, value)
    return item
