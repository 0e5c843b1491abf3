"""Search across everything published, in Georgian and English, across case endings.

Every published text is indexed as the stems of its words (`meria.georgian`),
so `თბილისი` finds `თბილისში` and `ფანჯარა` finds `ფანჯრის`. On SQLite the stems go into an
FTS5 table ranked by BM25; on PostgreSQL into a `simple` tsvector with a GIN index, ranked
by ts_rank. The passage shown under a result is cut from the original text around the
first matching word, with the matching words marked.

A word found in nearly every document (the municipality's own name in its acts) must not make
the page slow. Matches are counted up to `RANKED`; up to there they are ranked by
relevance, every one of them. Past it the count says "more than …" and the newest come
first, straight from the index (FTS5 walks its rowids backwards; entries are numbered as
they are indexed): ranking a hundred thousand matches took a fifth of a second, and a
word that common says little about which of them is meant.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from meria.georgian import stem, tokens
from services.website.models import PublicDocument, SearchEntry

TAGS = re.compile(r"<[^>]+>")
WORD = re.compile(r"[\w\u10A0-\u10FF]+(?:[-'][\w\u10A0-\u10FF]+)*", re.UNICODE)
PASSAGE_WORDS = 36
RANKED = 1000  # the newest matches ranked and counted; beyond, "more than RANKED"


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


class Found(NamedTuple):
    hits: list[Hit]
    # How many matched, counted up to RANKED + 1: more than RANKED shows as "more than".
    total: int

    @property
    def more(self) -> bool:
        return self.total > RANKED

    @property
    def shown(self) -> int:
        """How many can be paged through."""
        return min(self.total, RANKED)


async def search(session: AsyncSession, query: str, *, limit: int = 20, offset: int = 0) -> Found:
    """Hits for every word of the query (all must occur), by relevance or, past RANKED
    matches, newest first; and how many, counted up to RANKED + 1."""
    stems = query_stems(query)
    if not stems:
        return Found([], 0)
    is_sqlite = session.bind.dialect.name == "sqlite" if session.bind else True
    if is_sqlite:
        match = " ".join(f'"{term.replace(chr(34), "")}"' for term in stems)
        matching = "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH :match"
        by_relevance = f"{matching} ORDER BY bm25(search_fts), rowid DESC"
        newest_first = f"{matching} ORDER BY rowid DESC"
        parameters: dict[str, object] = {"match": match}
    else:
        where = "to_tsvector('simple', stems) @@ plainto_tsquery('simple', :match)"
        matching = f"SELECT id FROM search_entries WHERE {where}"
        by_relevance = (
            f"{matching} ORDER BY ts_rank(to_tsvector('simple', stems), "
            "plainto_tsquery('simple', :match)) DESC, id DESC"
        )
        newest_first = f"{matching} ORDER BY id DESC"
        parameters = {"match": " ".join(stems)}
    total = int(
        await session.scalar(
            text(f"SELECT count(*) FROM ({matching} LIMIT :counted) AS hits"),
            {**parameters, "counted": RANKED + 1},
        )
        or 0
    )
    if offset >= RANKED:  # past the last page there is
        return Found([], total)
    page = (newest_first if total > RANKED else by_relevance) + " LIMIT :limit OFFSET :offset"
    limit = min(limit, RANKED - offset)
    ids = list(await session.scalars(text(page), {**parameters, "limit": limit, "offset": offset}))
    if not ids:
        return Found([], total)
    shown = {
        row.id: row
        for row in await session.execute(
            select(
                SearchEntry.id,
                SearchEntry.document_id,
                SearchEntry.language,
                SearchEntry.title,
                SearchEntry.text,
                SearchEntry.published_at,
                PublicDocument.document_type,
                PublicDocument.register_number,
                PublicDocument.slug,
            )
            .join(PublicDocument, PublicDocument.document_id == SearchEntry.document_id)
            .where(SearchEntry.id.in_(ids))
        )
    }
    hits = [
        Hit(
            document_id=row.document_id,
            document_type=row.document_type,
            language=row.language,
            title=row.title,
            passage_html=passage(row.text or row.title, set(stems)),
            published_at=row.published_at,
            register_number=row.register_number,
            slug=row.slug,
        )
        for row in (shown.get(entry_id) for entry_id in ids)
        if row is not None
    ]
    return Found(hits, total)


def passage(text_: str, stems: set[str]) -> str:
    """A window of the text around the first matching word, matches in <mark>, escaped."""
    words: list[re.Match[str]] = []
    first = None
    for word in WORD.finditer(text_):  # up to the window's end: the rest is never shown
        words.append(word)
        if first is None and stem(word.group()) in stems:
            first = len(words) - 1
        if first is not None and len(words) >= first + PASSAGE_WORDS:
            break
    if not words:
        return html.escape(text_[:300])
    start = max(0, (first or 0) - PASSAGE_WORDS // 3)
    end = min(len(words), start + PASSAGE_WORDS)
    begin_at, end_at = words[start].start(), words[end - 1].end()
    pieces = []
    cursor = begin_at
    for word in words[start:end]:
        if stem(word.group()) in stems:
            pieces.append(html.escape(text_[cursor : word.start()]))
            pieces.append(f"<mark>{html.escape(word.group())}</mark>")
            cursor = word.end()
    pieces.append(html.escape(text_[cursor:end_at]))
    prefix = "… " if begin_at > 0 else ""
    suffix = " …" if end_at < len(text_) else ""
    return prefix + "".join(pieces) + suffix
