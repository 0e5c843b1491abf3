"""Search across everything published, in Georgian and English, across case endings.

Every published text is indexed as the stems of its words (`services.website.georgian`),
so `ახმეტა` finds `ახმეტაში` and `ფანჯარა` finds `ფანჯრის`. On SQLite the stems go into an
FTS5 table ranked by BM25; on PostgreSQL into a `simple` tsvector with a GIN index, ranked
by ts_rank. The passage shown under a result is cut from the original text around the
first matching word, with the matching words marked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.website.georgian import stem, tokens
from services.website.models import PublicDocument, SearchEntry

TAGS = re.compile(r"<[^>]+>")
WORD = re.compile(r"[\w\u10A0-\u10FF]+(?:[-'][\w\u10A0-\u10FF]+)*", re.UNICODE)
PASSAGE_WORDS = 36


def plain_text(fragment: str | None) -> str:
    """Visible text of sanitised HTML."""
    if not fragment:
        return ""
    return " ".join(html.unescape(TAGS.sub(" ", fragment)).split())


async def index_document(session: AsyncSession, document: PublicDocument) -> None:
    """(Re)index a document's current public text in both languages."""
    await unindex_document(session, document.document_id)
    is_sqlite = session.bind.dialect.name == "sqlite" if session.bind else True
    for language in ("ka", "en"):
        title = document.title_ka if language == "ka" else document.title_en
        if not title:
            continue
        summary = document.summary_ka if language == "ka" else document.summary_en
        body = document.body_html_ka if language == "ka" else document.body_html_en
        number = document.register_number or ""
        body_text = " ".join(part for part in (plain_text(summary), plain_text(body)) if part)
        stems = " ".join(tokens(f"{title} {number} {body_text}"))
        entry = SearchEntry(
            document_id=document.document_id,
            language=language,
            title=title,
            text=body_text,
            stems=stems,
            published_at=document.published_at,
        )
        session.add(entry)
        await session.flush()
        if is_sqlite:
            await session.execute(
                text("INSERT INTO search_fts(rowid, stems) VALUES (:id, :stems)"),
                {"id": entry.id, "stems": stems},
            )


async def unindex_document(session: AsyncSession, document_id: int) -> None:
    is_sqlite = session.bind.dialect.name == "sqlite" if session.bind else True
    if is_sqlite:
        await session.execute(
            text(
                "DELETE FROM search_fts WHERE rowid IN "
                "(SELECT id FROM search_entries WHERE document_id = :id)"
            ),
            {"id": document_id},
        )
    await session.execute(delete(SearchEntry).where(SearchEntry.document_id == document_id))


@dataclass(frozen=True)
class Hit:
    document_id: int
    document_type: str
    language: str
    title: str
    passage_html: str
    published_at: datetime
    register_number: str | None
    slug: str | None


def query_stems(query: str) -> list[str]:
    return list(dict.fromkeys(tokens(query)))


async def search(
    session: AsyncSession, query: str, *, limit: int = 20, offset: int = 0
) -> tuple[list[Hit], int]:
    """Ranked hits for every word of the query (all must occur), and how many in all."""
    stems = query_stems(query)
    if not stems:
        return [], 0
    is_sqlite = session.bind.dialect.name == "sqlite" if session.bind else True
    if is_sqlite:
        match = " ".join(f'"{term.replace(chr(34), "")}"' for term in stems)
        ranked = (
            "SELECT rowid AS id, bm25(search_fts) AS rank FROM search_fts "
            "WHERE search_fts MATCH :match"
        )
        parameters: dict[str, object] = {"match": match}
    else:
        ranked = (
            "SELECT id, -ts_rank(to_tsvector('simple', stems), q) AS rank "
            "FROM search_entries, plainto_tsquery('simple', :match) AS q "
            "WHERE to_tsvector('simple', stems) @@ q"
        )
        parameters = {"match": " ".join(stems)}
    total = await session.scalar(text(f"SELECT count(*) FROM ({ranked}) AS hits"), parameters)
    rows = (
        await session.execute(
            text(f"{ranked} ORDER BY rank LIMIT :limit OFFSET :offset"),
            {**parameters, "limit": limit, "offset": offset},
        )
    ).all()
    ids = [row.id for row in rows]
    if not ids:
        return [], int(total or 0)
    entries = {
        entry.id: entry
        for entry in await session.scalars(select(SearchEntry).where(SearchEntry.id.in_(ids)))
    }
    documents = {
        document.document_id: document
        for document in await session.scalars(
            select(PublicDocument).where(
                PublicDocument.document_id.in_({entry.document_id for entry in entries.values()})
            )
        )
    }
    hits = []
    for entry_id in ids:
        entry = entries[entry_id]
        document = documents[entry.document_id]
        hits.append(
            Hit(
                document_id=entry.document_id,
                document_type=document.document_type,
                language=entry.language,
                title=entry.title,
                passage_html=passage(entry.text or entry.title, set(stems)),
                published_at=entry.published_at,
                register_number=document.register_number,
                slug=document.slug,
            )
        )
    return hits, int(total or 0)


def passage(text_: str, stems: set[str]) -> str:
    """A window of the text around the first matching word, matches in <mark>, escaped."""
    words = list(WORD.finditer(text_))
    matching = [index for index, word in enumerate(words) if stem(word.group()) in stems]
    marked = set(matching)
    if not words:
        return html.escape(text_[:300])
    first = matching[0] if matching else 0
    start = max(0, first - PASSAGE_WORDS // 3)
    end = min(len(words), start + PASSAGE_WORDS)
    begin_at, end_at = words[start].start(), words[end - 1].end()
    pieces = []
    cursor = begin_at
    for index in range(start, end):
        word = words[index]
        pieces.append(html.escape(text_[cursor : word.start()]))
        escaped = html.escape(word.group())
        pieces.append(f"<mark>{escaped}</mark>" if index in marked else escaped)
        cursor = word.end()
    pieces.append(html.escape(text_[cursor:end_at]))
    prefix = "… " if begin_at > 0 else ""
    suffix = " …" if end_at < len(text_) else ""
    return prefix + "".join(pieces) + suffix
