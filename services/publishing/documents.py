"""Publishing's use cases for documents and their editions: write, edit, attach, read.

The edition moving through approval is changed only here and in `lifecycle` (where the
workflow's transitions land); both go through `apply`, the one place a state changes
and an audit entry is written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    TextClause,
    and_,
    column,
    func,
    or_,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only, noload, selectinload

from meria.auth import User
from meria.contracts import LocalizedText
from meria.db import Database, count_of
from meria.inputs import whole_number
from meria.markup import clean_html
from meria.problems import Problem
from services.publishing import acts, text_diff
from services.publishing import attachments as files
from services.publishing.acts import TBILISI
from services.publishing.models import Attachment, AuditEntry, Document, Edition, Issuer
from services.publishing.schemas import (
    LEGAL_ACT_TYPES,
    DiffSegment,
    DocumentCreate,
    DocumentUpdate,
    EditionCreate,
    EditionDiff,
    EntryIntoForceTerms,
)
from services.publishing.settings import PublishingSettings
from services.publishing.site_models import check_nav_section
from services.publishing.states import (
    PUBLIC_STATES,
    UNPUBLISHED_STATES,
    Action,
    State,
    TransitionRefused,
    next_state,
)


def now() -> datetime:
    return datetime.now(UTC)


def today_in_tbilisi() -> date:
    return datetime.now(TBILISI).date()


def sanitize(html: str | None) -> str | None:
    """Published HTML keeps structure and links, never scripts, styles or handlers."""
    if html is None:
        return None
    return clean_html(html)


def refused(error: TransitionRefused) -> Problem:
    return Problem(
        409,
        "Not allowed in this state",
        str(error)[0].upper() + str(error)[1:] + ".",
        state=error.state.value,
        allowed=[action.value for action in error.allowed],
    )


# Reading.


async def load(session: AsyncSession, document_id: int, *, lock: bool = False) -> Document:
    document = await session.get(Document, document_id, with_for_update=lock)
    if document is None:
        raise Problem(404, "No such document", f"There is no document {document_id}.")
    return document


def working_edition(document: Document) -> Edition | None:
    """The edition not yet public, if any (a document has at most one)."""
    return next((e for e in document.editions if e.state in UNPUBLISHED_STATES), None)


def public_edition(document: Document) -> Edition | None:
    return next((e for e in reversed(document.editions) if e.state in PUBLIC_STATES), None)


def current_edition(document: Document) -> Edition:
    """What staff see first: the edition in progress, else the latest."""
    return working_edition(document) or document.editions[-1]


def edition_of(document: Document, number: int) -> Edition:
    for edition in document.editions:
        if edition.number == number:
            return edition
    raise Problem(404, "No such edition", f"Document {document.id} has no edition {number}.")


def case_facts(edition: Edition) -> dict[str, Any]:
    """What events about an edition on its route tell its people: the title, and who
    wrote and who submitted it (the portal notifies them of decisions)."""
    authors = [edition.created_by]
    if edition.submitted_by and edition.submitted_by != edition.created_by:
        authors.append(edition.submitted_by)
    return {"title": LocalizedText(ka=edition.title_ka, en=edition.title_en), "authors": authors}


def require_working(document: Document) -> Edition:
    edition = working_edition(document)
    if edition is None:
        latest = document.editions[-1]
        raise Problem(
            409,
            "No edition in progress",
            f"Document {document.id} has no unpublished edition (the latest is "
            f"{latest.state}); create a new edition to change it.",
            state=latest.state,
        )
    return edition


async def get_document(database: Database, document_id: int) -> Document:
    async with database.session() as session:
        return await load(session, document_id)


def filtered(
    *,
    document_type: str | None = None,
    state: str | None = None,
    issuer: str | None = None,
    year: int | None = None,
    number: str | None = None,
    text: str | None = None,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
    author: str | None = None,
    text_index: bool = False,
) -> Select[tuple[Document]]:
    """Documents, newest first, by the filters. `text` is found anywhere in an edition's
    titles, summary or text, through `editions_fts` where the database has it (SQLite)."""
    query = select(Document).order_by(Document.id.desc())
    if document_type:
        query = query.where(Document.document_type == document_type)
    if issuer:
        query = query.where(Document.issuer_code == issuer)
    if year:
        query = query.where(Document.register_year == year)
    if number:
        query = query.where(
            or_(Document.register_number == number, Document.register_sequence == _int(number))
        )
    if state or text or published_from or published_to or author:
        editions = select(Edition.document_id)
        if author:
            # Whose edition it is: who submitted it, or who wrote a draft not yet sent.
            editions = editions.where(
                or_(
                    Edition.submitted_by == author,
                    and_(Edition.submitted_by.is_(None), Edition.created_by == author),
                )
            )
        if published_from:
            editions = editions.where(Edition.published_at >= published_from)
        if published_to:
            editions = editions.where(Edition.published_at < published_to)
        if state:
            editions = editions.where(Edition.state == state)
        if text:
            editions = editions.where(_containing(text, text_index))
        query = query.where(Document.id.in_(editions))
    return query


# A word most documents hold (the municipality's name) matches nearly every edition, and
# reading all of its matches takes the trigram index a second at 100,000 documents; a
# search reads the newest editions that match, this many, and says when there were more.
TEXT_WINDOW = 1000


def _matching(phrase: str, window: int) -> TextClause:
    """The newest `window` editions whose titles, summary or text hold the phrase, read
    along the index in its rowid (the edition's id) order, which stops at `window`."""
    return sql_text(
        "SELECT rowid FROM editions_fts WHERE editions_fts MATCH :phrase"
        " ORDER BY rowid DESC LIMIT :window"
    ).bindparams(phrase=phrase, window=window)


def _phrase(words: str) -> str:
    return '"' + words.replace('"', '""') + '"'


def _indexed(words: str, text_index: bool) -> bool:
    return text_index and len(words) >= 3


def _containing(words: str, text_index: bool) -> ColumnElement[bool]:
    """Editions with `words` in their titles, summary or text. The trigram index finds
    three characters or more as a phrase, among the newest TEXT_WINDOW editions that
    hold it, without reading the texts; shorter words are looked for in the texts."""
    if _indexed(words, text_index):
        found = _matching(_phrase(words), TEXT_WINDOW).columns(column("rowid", Integer))
        return Edition.id.in_(found)
    pattern = f"%{words}%"
    return or_(
        Edition.title_ka.ilike(pattern),
        Edition.title_en.ilike(pattern),
        Edition.summary_ka.ilike(pattern),
        Edition.body_ka.ilike(pattern),
    )


def _int(value: str) -> int:
    found = whole_number(value.split("/", 1)[0])
    return -1 if found is None else found


@dataclass(frozen=True)
class Found:
    documents: list[Document]
    total: int
    # The words were in more editions than a search reads (TEXT_WINDOW): the list and
    # its total are of the newest of them.
    windowed: bool = False


async def list_documents(
    database: Database, *, limit: int = 50, offset: int = 0, **filters: Any
) -> Found:
    query = filtered(**filters, text_index=database.is_sqlite)
    words = filters.get("text")
    async with database.session() as session:
        windowed = False
        if words and _indexed(words, database.is_sqlite):
            beyond = (
                _matching(_phrase(words), TEXT_WINDOW + 1)
                .columns(column("rowid", Integer))
                .subquery()
            )
            windowed = (await session.scalar(select(func.count()).select_from(beyond)) or 0) > (
                TEXT_WINDOW
            )
        total = await session.scalar(count_of(query))
        documents = list(await session.scalars(query.limit(limit).offset(offset)))
    return Found(documents, int(total or 0), windowed)


def register_query(limit: int, offset: int) -> Select[tuple[Document]]:
    """A page of the register: numbered documents with what of their editions the
    register shows (no texts, no files), in one statement for the documents and one for
    their editions, whatever the register's size."""
    return (
        select(Document)
        .where(Document.register_number.is_not(None))
        .options(
            noload(Document.issuer),
            selectinload(Document.editions).options(
                load_only(
                    Edition.document_id,
                    Edition.number,
                    Edition.state,
                    Edition.title_ka,
                    Edition.date_signed,
                    Edition.published_at,
                ),
                noload(Edition.attachments),
                noload(Edition.changes),
            ),
        )
        .limit(limit)
        .offset(offset)
    )


async def edition_diff(database: Database, document_id: int, number: int) -> EditionDiff:
    """The edition's Georgian text against the published edition before it, word by word
    (against nothing for the first)."""
    async with database.session() as session:
        document = await load(session, document_id)
        edition = edition_of(document, number)
    earlier = [e for e in acts.were_public(document) if e.number < number]
    previous = earlier[-1] if earlier else None
    segments, truncated = await asyncio.to_thread(
        text_diff.diff, previous.body_ka if previous else "", edition.body_ka
    )
    return EditionDiff(
        against=previous.number if previous else None,
        changes=[DiffSegment(op=s.op, text=s.text) for s in segments],
        truncated=truncated,
    )


async def audit_trail(database: Database, document_id: int) -> list[AuditEntry]:
    async with database.session() as session:
        await load(session, document_id)
        entries = await session.scalars(
            select(AuditEntry).where(AuditEntry.document_id == document_id).order_by(AuditEntry.id)
        )
        return list(entries)


# Changing state, in one place.


def apply(
    session: AsyncSession,
    document: Document,
    edition: Edition,
    action: Action,
    actor: str,
    *,
    step: str | None = None,
    comment: str | None = None,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> AuditEntry:
    """Move the edition along the transition table and keep who, when, what and why."""
    origin = State(edition.state)
    try:
        target = next_state(origin, action)
    except TransitionRefused as error:
        raise refused(error) from None
    edition.state = target.value
    edition.updated_at = now()
    entry = AuditEntry(
        document_id=document.id,
        edition_number=edition.number,
        at=edition.updated_at,
        actor=actor,
        action=action.value,
        from_state=origin.value,
        to_state=target.value,
        step=step,
        comment=comment,
        details=details or {},
        idempotency_key=idempotency_key,
    )
    session.add(entry)
    return entry


# Writing.


async def create_document(database: Database, data: DocumentCreate, author: User) -> Document:
    moment = now()
    async with database.transaction() as session:
        if data.issuer_code and await session.get(Issuer, data.issuer_code) is None:
            raise Problem(
                422,
                "Unknown issuer",
                f"There is no issuer {data.issuer_code!r}; see GET /issuers.",
            )
        await check_nav_section(session, data.nav_section)
        changes = await acts.checked_changes(session, None, data.changes)
        document = Document(
            document_type=data.document_type,
            issuer_code=data.issuer_code,
            slug=data.slug,
            nav_section=data.nav_section,
            nav_order=data.nav_order,
            external_registration_code=data.external_registration_code,
            created_by=author.id,
            created_at=moment,
            owner=data.owner,
            review_every_months=data.review_every_months,
            next_review_at=data.next_review_at,
        )
        edition = Edition(
            number=1,
            state=State.DRAFT.value,
            revision=1,
            **_content(data.model_dump(include=CONTENT_FIELDS)),
            publish_at=data.publish_at,
            created_by=author.id,
            created_at=moment,
            updated_at=moment,
            review_pending_roles=[],
        )
        if document.document_type in LEGAL_ACT_TYPES:
            acts.set_terms(edition, data.entry_into_force or EntryIntoForceTerms())
            edition.changes = changes
        document.editions.append(edition)
        session.add(document)
        try:
            await session.flush()
        except IntegrityError:
            raise Problem(
                409, "Address already taken", f"Another page already has the slug {data.slug!r}."
            ) from None
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=1,
                at=moment,
                actor=author.id,
                action="create",
                from_state="",
                to_state=State.DRAFT.value,
                details={},
            )
        )
    return document


CONTENT_FIELDS = {
    "title_ka",
    "title_en",
    "summary_ka",
    "summary_en",
    "body_ka",
    "body_en",
    "translation_pending",
    "photos",
    "video_url",
}


def _content(values: dict[str, Any]) -> dict[str, Any]:
    for field in ("body_ka", "body_en"):
        if field in values and values[field] is not None:
            values[field] = sanitize(values[field])
    return values


def apply_edit(edition: Edition, data: DocumentUpdate) -> list[str]:
    """Write the changed fields; return their names (nothing when nothing changed)."""
    changes = _content(data.model_dump(include=CONTENT_FIELDS | {"publish_at"}, exclude_unset=True))
    changed = [name for name, value in changes.items() if getattr(edition, name) != value]
    if "title_ka" in changes and changes["title_ka"] is None:
        raise Problem(422, "The request is not valid", "title_ka: the Georgian title is required")
    for name in changed:
        setattr(edition, name, changes[name])
    return changed


async def create_edition(
    database: Database, document_id: int, data: EditionCreate, author: User
) -> Document:
    """A new draft edition of a published document, starting from its public text."""
    moment = now()
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        base = _base_of_new_edition(document)
        edition = next_edition(document, base, author, moment)
        edition.change_note = data.change_note
        edition.change_kind = data.change_kind
        await session.flush()
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=edition.number,
                at=moment,
                actor=author.id,
                action="new_edition",
                from_state="",
                to_state=State.DRAFT.value,
                comment=data.change_note,
                details={"change_kind": data.change_kind},
            )
        )
    return document


def _base_of_new_edition(document: Document) -> Edition:
    if working_edition(document) is not None:
        raise Problem(
            409,
            "An edition is already in progress",
            f"Document {document.id} already has an unpublished edition; finish or "
            "withdraw it first.",
        )
    base = public_edition(document)
    if base is None:
        raise Problem(409, "Nothing published yet", "A new edition starts from a published one.")
    return base


def next_edition(document: Document, base: Edition, author: User, moment: datetime) -> Edition:
    """A draft after the document's last edition, with `base`'s text, files and, for a
    legal act, its entry into force and what it changes."""
    edition = Edition(
        number=document.editions[-1].number + 1,
        state=State.DRAFT.value,
        revision=1,
        **{field: getattr(base, field) for field in CONTENT_FIELDS},
        created_by=author.id,
        created_at=moment,
        updated_at=moment,
        review_pending_roles=[],
    )
    # The signed original is the old edition's: the new one is signed when approved.
    for attachment in [a for a in base.attachments if not a.is_signed_original]:
        edition.attachments.append(
            Attachment(
                filename=attachment.filename,
                stored_name=attachment.stored_name,
                media_type=attachment.media_type,
                size=attachment.size,
                sha256=attachment.sha256,
                created_by=attachment.created_by,
                created_at=attachment.created_at,
            )
        )
    acts.carry_over(document, base, edition)
    document.editions.append(edition)
    return edition


async def delete_draft(database: Database, document_id: int, user: User) -> Document:
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = require_working(document)
        apply(session, document, edition, Action.DELETE, user.id)
    return document


async def add_attachment(
    database: Database,
    settings: PublishingSettings,
    document_id: int,
    upload: UploadFile,
    user: User,
) -> Attachment:
    folder: Path = settings.attachments_dir  # type: ignore[assignment]
    async with database.session() as session:
        document = await load(session, document_id)
        _require_attachable(require_working(document))
    stored = await files.store(upload, folder, settings)
    try:
        async with database.transaction() as session:
            document = await load(session, document_id, lock=True)
            edition = require_working(document)
            _require_attachable(edition)
            attachment = Attachment(
                filename=stored.filename,
                stored_name=stored.stored_name,
                media_type=stored.media_type,
                size=stored.size,
                sha256=stored.sha256,
                created_by=user.id,
                created_at=now(),
            )
            edition.attachments.append(attachment)
            edition.revision += 1
            edition.updated_at = now()
    except BaseException:
        # Refused after the file was written: keep nothing of it.
        await asyncio.to_thread((folder / stored.stored_name).unlink, missing_ok=True)
        raise
    return attachment


def _require_attachable(edition: Edition) -> None:
    if edition.state not in (State.DRAFT, State.CHANGES_REQUESTED):
        raise Problem(
            409,
            "Attachments are fixed now",
            f"Attachments change only in a draft or when changes are requested; the edition "
            f"is {edition.state}.",
            state=edition.state,
        )


async def remove_attachment(database: Database, document_id: int, attachment_id: int) -> None:
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = require_working(document)
        _require_attachable(edition)
        attachment = next((a for a in edition.attachments if a.id == attachment_id), None)
        if attachment is None:
            raise Problem(404, "No such attachment", f"Attachment {attachment_id} is not here.")
        edition.attachments.remove(attachment)
        await session.delete(attachment)
        edition.revision += 1
        edition.updated_at = now()


async def attachment_file(
    database: Database,
    settings: PublishingSettings,
    document_id: int,
    number: int,
    attachment_id: int,
    user: User | None,
    *,
    reads_drafts: bool,
) -> tuple[Attachment, Path]:
    """A published edition's files are public; an unpublished one's follow its document:
    only who may read the document (`reads_drafts`) may read them."""
    async with database.session() as session:
        document = await load(session, document_id)
        edition = edition_of(document, number)
        attachment = next((a for a in edition.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise Problem(404, "No such attachment", f"Attachment {attachment_id} is not here.")
    if edition.state not in (*PUBLIC_STATES, State.SUPERSEDED) and not reads_drafts:
        if user is None:
            raise Problem(401, "Authentication required", "This file is not published.")
        raise Problem(
            403, "Not allowed", "This file is not published, and its document is not yours to read."
        )
    path = settings.attachments_dir / attachment.stored_name  # type: ignore[operator]
    return attachment, path
