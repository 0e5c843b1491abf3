"""The media library: photos, videos and files with caption, author, date, the event or
visit they belong to, licence and the consent of the people in them.

An upload goes through the kernel's pipeline (`meria.uploads`): checked by its content,
not its name, against the size limit of its kind; nothing is kept from a refused one. A
photo loses its GPS and other location data before it is stored (the GPS block of its
EXIF, and the XMP and IPTC packets that can carry places too): a picture of a child at a
school opening must not tell where the child lives. Pillow rewrites the picture without
them, keeping the orientation, the camera and the date, and makes the thumbnail. A video
is kept as it came: a phone's MP4 or MOV can say where it was filmed, and removing that
needs a remuxer the library does not have yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import IO

from sqlalchemy import or_, select

from meria import uploads
from meria.auth import User
from meria.db import Database
from meria.problems import Problem
from services.media.contacts import now
from services.media.models import LibraryItem
from services.media.schemas import LibraryItemUpdate, LibraryKind, Licence, PeopleConsent
from services.media.settings import MediaSettings
from services.media.storage import Storage

KINDS: dict[uploads.Family, LibraryKind] = {"image": "photo", "video": "video"}


def kind_of(file_type: uploads.FileType) -> LibraryKind:
    """A picture is a photo, a video a video, anything else a file."""
    return KINDS.get(file_type.family, "file")


def policy(settings: MediaSettings) -> uploads.Policy:
    sizes = {"photo": settings.max_photo_bytes, "video": settings.max_video_bytes}
    return uploads.Policy(
        "A library item",
        {
            name: sizes.get(kind_of(uploads.TYPES[name]), settings.max_file_bytes)
            for name in settings.library_types
        },
        settings.upload_limits(),
        thumbnail_pixels=settings.thumbnail_pixels,
    )


def _declared(checked: uploads.Checked, declared: LibraryKind | None) -> None:
    kind = kind_of(checked.file_type)
    if declared and declared != kind:
        raise Problem(
            422,
            "Not what it says",
            f"The upload is called a {declared}, but its content is a {kind} "
            f"({checked.media_type}).",
        )


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
    kind: LibraryKind | None = None


async def add(
    database: Database,
    storage: Storage,
    settings: MediaSettings,
    source: IO[bytes],
    filename: str,
    details: Details,
    user: User,
) -> LibraryItem:
    checked = await uploads.check(source, filename, policy(settings))
    try:
        _declared(checked, details.kind)
    except Problem:
        checked.close()
        raise
    stored_name = checked.stored_name
    thumbnail_name = f"thumbnails/{stored_name}.jpg" if checked.thumbnail else None
    try:
        await storage.write(stored_name, checked.content)
        if thumbnail_name and checked.thumbnail:
            await storage.write_bytes(thumbnail_name, checked.thumbnail)
        async with database.transaction() as session:
            item = LibraryItem(
                kind=kind_of(checked.file_type),
                caption_ka=details.caption_ka,
                caption_en=details.caption_en,
                author=details.author,
                taken_on=details.taken_on,
                event_id=details.event_id,
                visit_id=details.visit_id,
                licence=details.licence,
                consent=details.consent,
                consent_note=details.consent_note,
                filename=checked.filename,
                stored_name=stored_name,
                media_type=checked.media_type,
                size=checked.size,
                sha256=checked.sha256,
                width=checked.width,
                height=checked.height,
                thumbnail_name=thumbnail_name,
                location_removed=checked.location_removed,
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
        checked.close()
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
