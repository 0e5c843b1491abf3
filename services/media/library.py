"""The media library: photos, videos and files with caption, author, date, the event or
visit they belong to, licence and the consent of the people in them.

Each item says what it shows: a title and caption in Georgian (English beside them), the
photographer, the day, the place, the people shown, and the event or visit. Its words,
its place and its people are kept as search keys (`LibraryKey`), stemmed as Georgian, so
the library is searched and filtered along an index and "თბილისში" finds "თბილისის".

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

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria import uploads
from meria.auth import User
from meria.db import Database
from meria.georgian import tokens
from meria.problems import Problem
from services.media.contacts import now
from services.media.models import LibraryItem, LibraryKey
from services.media.schemas import (
    MAX_PEOPLE,
    LibraryItemUpdate,
    LibraryKind,
    Licence,
    PeopleConsent,
)
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
    title_ka: str | None = None
    title_en: str | None = None
    place: str | None = None
    people: tuple[str, ...] = ()


def people_of(names: list[str] | tuple[str, ...]) -> list[str]:
    """The people shown, each named once, in the order given; a name of 1–200 letters."""
    found: list[str] = []
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        if len(name) > 200:
            raise _field_problem("people", f"A name is at most 200 letters: {name[:40]}…")
        if name not in found:
            found.append(name)
    if len(found) > MAX_PEOPLE:
        raise _field_problem("people", f"At most {MAX_PEOPLE} people can be named on one item.")
    return found


def _field_problem(field: str, message: str) -> Problem:
    return Problem(
        422, "The request is not valid", message, errors=[{"field": field, "message": message}]
    )


def _keys(facet: str, *texts: str | None) -> set[tuple[str, str]]:
    return {(facet, key[:100]) for text in texts if text for key in tokens(text)}


async def _index(session: AsyncSession, item: LibraryItem) -> None:
    """The item's search keys, written anew from what it says now."""
    await session.execute(delete(LibraryKey).where(LibraryKey.item_id == item.id))
    people = " ".join(item.people or [])
    found = _keys("word", item.title_ka, item.title_en, item.caption_ka, item.caption_en,
                  item.author, item.place, people)  # fmt: skip
    found |= _keys("place", item.place) | _keys("person", *(item.people or []))
    session.add_all(LibraryKey(item_id=item.id, facet=f, key=k) for f, k in sorted(found))


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
                title_ka=details.title_ka,
                title_en=details.title_en,
                place=details.place,
                people=people_of(details.people),
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
            await session.flush()
            await _index(session, item)
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


@dataclass(frozen=True)
class Filters:
    """What the library is narrowed by; every one is read along an index."""

    kind: str | None = None
    event_id: int | None = None
    visit_id: int | None = None
    text: str | None = None
    taken_from: date | None = None
    taken_to: date | None = None
    place: str | None = None
    person: str | None = None


def _with_keys(
    query: Select[tuple[LibraryItem]], facet: str, text: str | None
) -> Select[tuple[LibraryItem]]:
    """Items having every key of the text under the facet."""
    for _facet, key in sorted(_keys(facet, text)):
        having = select(LibraryKey.item_id).where(LibraryKey.facet == facet, LibraryKey.key == key)
        query = query.where(LibraryItem.id.in_(having))
    return query


async def search(
    database: Database, filters: Filters, *, limit: int = 50, offset: int = 0
) -> list[LibraryItem]:
    """Newest first. Words are matched by their stems in the titles, captions, author,
    place and people; place and person by the keys of those alone; dates include both
    ends."""
    if filters.taken_from and filters.taken_to and filters.taken_from > filters.taken_to:
        raise _field_problem("taken_to", "The end of the period is before its start.")
    query = select(LibraryItem).order_by(LibraryItem.uploaded_at.desc(), LibraryItem.id.desc())
    if filters.kind:
        query = query.where(LibraryItem.kind == filters.kind)
    if filters.event_id:
        query = query.where(LibraryItem.event_id == filters.event_id)
    if filters.visit_id:
        query = query.where(LibraryItem.visit_id == filters.visit_id)
    if filters.taken_from:
        query = query.where(LibraryItem.taken_on >= filters.taken_from)
    if filters.taken_to:
        query = query.where(LibraryItem.taken_on <= filters.taken_to)
    query = _with_keys(query, "word", filters.text)
    query = _with_keys(query, "place", filters.place)
    query = _with_keys(query, "person", filters.person)
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
        for name in ("caption_ka", "author", "licence", "consent", "people"):
            if name in changes and changes[name] is None:
                raise _field_problem(name, f"{name} cannot be emptied.")
        if "people" in changes:
            changes["people"] = people_of(changes["people"])
        for name, value in changes.items():
            if isinstance(value, str):
                value = value.strip() or None
            setattr(item, name, value)
        if not item.caption_ka or not item.author:
            blank = "caption_ka" if not item.caption_ka else "author"
            raise _field_problem(blank, f"{blank} cannot be blank.")
        await _index(session, item)
    return item
