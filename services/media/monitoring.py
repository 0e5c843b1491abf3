"""Monitoring of press, TV, radio and online outlets: items recorded by staff or read from
the outlets' RSS and Atom feeds on a schedule (feedparser; the same story read twice is
one item), the sentiment staff set, "response needed" that starts a media response, the
enquiries journalists send, and the monthly coverage view.
"""

from __future__ import annotations

import asyncio
import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

import feedparser
import httpx
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from meria import municipality
from meria.auth import User
from meria.bus import Outbox
from meria.contracts import LocalizedText, MonitoringItemRecorded
from meria.db import Database, count_of
from meria.logging import get_logger
from meria.problems import Problem
from meria.runtime import Runtime
from meria.singleton import one_replica
from services.media import responses
from services.media.contacts import load_journalist, load_outlet, note, now
from services.media.models import (
    Enquiry,
    MediaResponse,
    MonitoringFeed,
    MonitoringItem,
    Outlet,
)
from services.media.schemas import (
    TOPICS,
    Count,
    CoverageReport,
    EnquiryCreate,
    FeedCreate,
    FeedReading,
    ItemCreate,
    ItemUpdate,
    ResponseRequest,
)
from services.media.settings import MediaSettings

log = get_logger(__name__)

MEDIUM_LABELS = {
    "print": "ბეჭდვითი",
    "tv": "ტელევიზია",
    "radio": "რადიო",
    "online": "ონლაინ",
    "agency": "სააგენტო",
}
SENTIMENT_LABELS = {
    "positive": "დადებითი",
    "neutral": "ნეიტრალური",
    "negative": "უარყოფითი",
    "unset": "შეუფასებელი",
}
FEED_TIMEOUT = 20.0
MAX_FEED_BYTES = 5 * 1024 * 1024


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of a month written `YYYY-MM`."""
    try:
        year, number = (int(part) for part in month.split("-"))
        last = calendar.monthrange(year, number)[1]
        return date(year, number, 1), date(year, number, last)
    except ValueError:
        raise Problem(422, "The request is not valid", "month: write it as YYYY-MM") from None


async def load_item(session: AsyncSession, item_id: int) -> MonitoringItem:
    item = await session.get(MonitoringItem, item_id)
    if item is None:
        raise Problem(404, "No such item", f"There is no monitoring item {item_id}.")
    return item


def _recorded(item: MonitoringItem, outlet: Outlet) -> MonitoringItemRecorded:
    return MonitoringItemRecorded(
        item_id=item.id,
        outlet_id=outlet.id,
        outlet=LocalizedText(ka=outlet.name_ka, en=outlet.name_en),
        medium=item.medium,
        published_on=item.published_on,
        title=item.title,
        link=item.link,
        topic=item.topic,
        source=item.source,
        response_needed=item.response_needed,
    )


async def create_item(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: MediaSettings,
    data: ItemCreate,
    user: User,
) -> MonitoringItem:
    async with database.transaction() as session:
        outlet = await load_outlet(session, data.outlet_id)
        moment = now()
        link = str(data.link) if data.link else None
        if link is not None:
            known = await session.scalar(
                select(MonitoringItem.id).where(
                    MonitoringItem.outlet_id == outlet.id, MonitoringItem.guid == link
                )
            )
            if known is not None:
                raise Problem(
                    409, "Already recorded", f"Item {known} is this story.", item_id=known
                )
        item = MonitoringItem(
            **data.model_dump(
                mode="json",
                exclude={
                    "outlet_id",
                    "medium",
                    "link",
                    "published_on",
                    "response_owner",
                    "response_due_at",
                },
            ),
            outlet_id=outlet.id,
            published_on=data.published_on,
            medium=data.medium or outlet.medium,
            link=link,
            guid=link,
            source="staff",
            recorded_by=user.id,
            recorded_at=moment,
            updated_at=moment,
        )
        item.outlet = outlet
        session.add(item)
        await session.flush()
        await outbox.add(session, _recorded(item, outlet), about=f"monitoring_item:{item.id}")
        if item.response_needed:
            await _ask_response(
                session,
                temporal,
                outbox,
                settings,
                item,
                user,
                data.response_owner,
                data.response_due_at,
            )
    return item


async def _ask_response(
    session: AsyncSession,
    temporal: Client,
    outbox: Outbox,
    settings: MediaSettings,
    item: MonitoringItem,
    user: User,
    owner: str | None,
    due_at: datetime | None,
) -> MediaResponse:
    if item.response_id is not None:
        found = await session.get(MediaResponse, item.response_id)
        assert found is not None
        return found
    return await responses.open_response(
        session,
        temporal,
        outbox,
        settings,
        subject=item.title,
        user=user,
        owner=owner,
        due_at=due_at,
        approval_required=True,
        item=item,
    )


async def update_item(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: MediaSettings,
    item_id: int,
    data: ItemUpdate,
    user: User,
) -> MonitoringItem:
    changes = data.model_dump(mode="json", exclude_unset=True)
    owner = changes.pop("response_owner", None)
    async with database.transaction() as session:
        item = await load_item(session, item_id)
        if item.response_needed and changes.get("response_needed") is False and item.response_id:
            raise Problem(
                409,
                "A response is under way",
                f"Response {item.response_id} is asked for; cancel it instead.",
            )
        if "published_on" in changes:
            changes["published_on"] = data.published_on
        for field, value in changes.items():
            setattr(item, field, value)
        item.updated_at = now()
        if item.response_needed:
            await _ask_response(session, temporal, outbox, settings, item, user, owner, None)
    return item


async def ask_response(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: MediaSettings,
    item_id: int,
    data: ResponseRequest,
    user: User,
) -> MediaResponse:
    async with database.transaction() as session:
        item = await load_item(session, item_id)
        item.response_needed = True
        item.updated_at = now()
        return await _ask_response(
            session, temporal, outbox, settings, item, user, data.owner, data.due_at
        )


def filtered(
    *,
    month: str | None = None,
    outlet_id: int | None = None,
    medium: str | None = None,
    topic: str | None = None,
    sentiment: str | None = None,
    response_needed: bool | None = None,
    text: str | None = None,
) -> Any:
    query = select(MonitoringItem).order_by(
        MonitoringItem.published_on.desc(), MonitoringItem.id.desc()
    )
    if month:
        first, last = month_bounds(month)
        query = query.where(MonitoringItem.published_on.between(first, last))
    if outlet_id:
        query = query.where(MonitoringItem.outlet_id == outlet_id)
    if medium:
        query = query.where(MonitoringItem.medium == medium)
    if topic:
        query = query.where(MonitoringItem.topic == topic)
    if sentiment == "unset":
        query = query.where(MonitoringItem.sentiment.is_(None))
    elif sentiment:
        query = query.where(MonitoringItem.sentiment == sentiment)
    if response_needed is not None:
        query = query.where(MonitoringItem.response_needed.is_(response_needed))
    if text:
        pattern = f"%{text}%"
        query = query.where(
            or_(MonitoringItem.title.ilike(pattern), MonitoringItem.summary.ilike(pattern))
        )
    return query


async def list_items(
    database: Database, *, limit: int = 50, offset: int = 0, **filters: Any
) -> tuple[list[tuple[MonitoringItem, MediaResponse | None]], int]:
    query = filtered(**filters)
    async with database.session() as session:
        total = await session.scalar(count_of(query))
        items = list(await session.scalars(query.limit(limit).offset(offset)))
        ids = [item.response_id for item in items if item.response_id]
        found = {
            r.id: r
            for r in await session.scalars(select(MediaResponse).where(MediaResponse.id.in_(ids)))
        }
    return [(item, found.get(item.response_id or 0)) for item in items], int(total or 0)


async def get_item(database: Database, item_id: int) -> tuple[MonitoringItem, MediaResponse | None]:
    async with database.session() as session:
        item = await load_item(session, item_id)
        response = await session.get(MediaResponse, item.response_id) if item.response_id else None
    return item, response


# Feeds.


async def add_feed(database: Database, data: FeedCreate, user: User) -> MonitoringFeed:
    async with database.transaction() as session:
        await load_outlet(session, data.outlet_id)
        url = str(data.url)
        if await session.scalar(select(MonitoringFeed.id).where(MonitoringFeed.url == url)):
            raise Problem(409, "Already read", f"The feed {url} is already on the list.")
        feed = MonitoringFeed(
            outlet_id=data.outlet_id,
            url=url,
            keywords=list(data.keywords),
            active=True,
            items_found=0,
            created_by=user.id,
            created_at=now(),
        )
        session.add(feed)
    return feed


async def list_feeds(
    database: Database, *, limit: int | None = None, offset: int = 0
) -> list[MonitoringFeed]:
    query = select(MonitoringFeed).order_by(MonitoringFeed.id).limit(limit).offset(offset)
    async with database.session() as session:
        return list(await session.scalars(query))


def _about_us(entry: Any, keywords: list[str]) -> bool:
    words = " ".join(str(entry.get(name, "")) for name in ("title", "summary")).casefold()
    return any(keyword.casefold() in words for keyword in keywords)


def _entry_date(entry: Any) -> date:
    for name in ("published_parsed", "updated_parsed"):
        parsed = entry.get(name)
        if parsed:
            year, month, day = parsed[:3]
            return date(year, month, day)
    return datetime.now(UTC).date()


def _plain(text: str | None) -> str | None:
    if not text:
        return None
    import nh3

    cleaned = nh3.clean(text, tags=set()).strip()
    return cleaned[:20_000] or None


async def read_feed(
    database: Database,
    outbox: Outbox,
    settings: MediaSettings,
    feed_id: int,
    http: httpx.AsyncClient,
) -> FeedReading:
    """Read one feed now: entries about the municipality become items, once each."""
    async with database.session() as session:
        feed = await session.get(MonitoringFeed, feed_id)
        if feed is None:
            raise Problem(404, "No such feed", f"There is no feed {feed_id}.")
        url, etag, modified = feed.url, feed.etag, feed.modified
        keywords = (
            list(feed.keywords) or list(settings.feed_keywords) or municipality.current().keywords()
        )
    headers = {
        "User-Agent": f"Meria media monitoring ({municipality.current().municipality('en')})"
    }
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    try:
        answer = await http.get(url, headers=headers, timeout=FEED_TIMEOUT, follow_redirects=True)
        if answer.status_code == 304:
            await _feed_read(database, feed_id, None, etag, modified, 0)
            return FeedReading(feed_id=feed_id, entries=0, recorded=0, duplicates=0, not_about_us=0)
        answer.raise_for_status()
        if len(answer.content) > MAX_FEED_BYTES:
            raise ValueError(f"the feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB")
        parsed = await asyncio.to_thread(feedparser.parse, answer.content)
        if parsed.bozo and not parsed.entries:
            raise ValueError(f"not a feed: {parsed.get('bozo_exception')}")
    except (httpx.HTTPError, ValueError) as error:
        message = f"{type(error).__name__}: {error}"[:1000]
        await _feed_read(database, feed_id, message, etag, modified, 0)
        return FeedReading(
            feed_id=feed_id, entries=0, recorded=0, duplicates=0, not_about_us=0, error=message
        )
    recorded = duplicates = not_about_us = 0
    async with database.transaction() as session:
        feed = await session.get(MonitoringFeed, feed_id)
        assert feed is not None
        outlet = feed.outlet
        for entry in parsed.entries:
            guid = str(entry.get("id") or entry.get("link") or "").strip()[:1000]
            title = _plain(entry.get("title")) or ""
            if not guid or not title:
                continue
            if not _about_us(entry, keywords):
                not_about_us += 1
                continue
            known = await session.scalar(
                select(MonitoringItem.id).where(
                    MonitoringItem.outlet_id == outlet.id,
                    or_(MonitoringItem.guid == guid, MonitoringItem.link == entry.get("link")),
                )
            )
            if known is not None:
                duplicates += 1
                continue
            moment = now()
            item = MonitoringItem(
                outlet_id=outlet.id,
                published_on=_entry_date(entry),
                medium=outlet.medium,
                title=title[:1000],
                link=(entry.get("link") or None),
                summary=_plain(entry.get("summary")),
                officials_mentioned=[],
                response_needed=False,
                source="feed",
                guid=guid,
                feed_id=feed.id,
                recorded_by="feed",
                recorded_at=moment,
                updated_at=moment,
            )
            item.outlet = outlet
            session.add(item)
            await session.flush()
            await outbox.add(session, _recorded(item, outlet), about=f"monitoring_item:{item.id}")
            recorded += 1
        feed.last_read_at = now()
        feed.last_error = None
        feed.etag = answer.headers.get("etag")
        feed.modified = answer.headers.get("last-modified")
        feed.items_found += recorded
    return FeedReading(
        feed_id=feed_id,
        entries=len(parsed.entries),
        recorded=recorded,
        duplicates=duplicates,
        not_about_us=not_about_us,
    )


async def _feed_read(
    database: Database,
    feed_id: int,
    error: str | None,
    etag: str | None,
    modified: str | None,
    recorded: int,
) -> None:
    async with database.transaction() as session:
        feed = await session.get(MonitoringFeed, feed_id)
        if feed is not None:
            feed.last_read_at = now()
            feed.last_error = error
            feed.etag, feed.modified = etag, modified
            feed.items_found += recorded


async def read_all_feeds(
    database: Database, outbox: Outbox, settings: MediaSettings, http: httpx.AsyncClient
) -> list[FeedReading]:
    readings = []
    for feed in await list_feeds(database):
        if feed.active:
            readings.append(await read_feed(database, outbox, settings, feed.id, http))
    return readings


@one_replica
async def keep_reading_feeds(runtime: Runtime) -> None:
    """Read every active feed on a schedule; one failing feed is noted on it, not here."""
    settings = runtime.settings
    assert isinstance(settings, MediaSettings) and runtime.outbox is not None
    async with httpx.AsyncClient() as http:
        while True:
            try:
                readings = await read_all_feeds(runtime.db(), runtime.outbox, settings, http)
                found = sum(reading.recorded for reading in readings)
                if found:
                    log.info("media.feeds_read", feeds=len(readings), recorded=found)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("media.feeds_failed", error=str(error))
            await asyncio.sleep(settings.feed_poll_seconds)


# Enquiries.


async def log_enquiry(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: MediaSettings,
    data: EnquiryCreate,
    user: User,
) -> Enquiry:
    """A journalist's question or interview request, logged with the outlet and deadline;
    its answer is a response in the owner's inbox."""
    async with database.transaction() as session:
        journalist = (
            await load_journalist(session, data.journalist_id) if data.journalist_id else None
        )
        outlet_id = data.outlet_id or (journalist.outlet_id if journalist else None)
        if outlet_id is not None:
            await load_outlet(session, outlet_id)
        enquiry = Enquiry(
            kind=data.kind,
            journalist_id=data.journalist_id,
            outlet_id=outlet_id,
            subject=data.subject,
            question=data.question,
            channel=data.channel,
            received_at=data.received_at or now(),
            deadline=data.deadline,
            logged_by=user.id,
        )
        session.add(enquiry)
        await session.flush()
        await session.refresh(enquiry, ["journalist", "outlet"])
        note(
            session,
            data.journalist_id,
            "enquiry_logged",
            user.id,
            enquiry_id=enquiry.id,
            details={"kind": data.kind, "subject": data.subject},
        )
        await responses.open_response(
            session,
            temporal,
            outbox,
            settings,
            subject=data.subject,
            user=user,
            owner=data.owner,
            due_at=data.deadline,
            approval_required=settings.enquiry_approval_required,
            enquiry=enquiry,
            channel="outlet",
        )
    return enquiry


async def list_enquiries(
    database: Database, *, journalist_id: int | None = None, limit: int = 100, offset: int = 0
) -> list[tuple[Enquiry, MediaResponse | None]]:
    query = (
        select(Enquiry)
        .order_by(Enquiry.received_at.desc(), Enquiry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if journalist_id:
        query = query.where(Enquiry.journalist_id == journalist_id)
    async with database.session() as session:
        found = list(await session.scalars(query))
        ids = [e.response_id for e in found if e.response_id]
        answers = {
            r.id: r
            for r in await session.scalars(select(MediaResponse).where(MediaResponse.id.in_(ids)))
        }
    return [(e, answers.get(e.response_id or 0)) for e in found]


# Coverage.


def _counts(rows: list[tuple[str | None, int]], labels: dict[str, str]) -> list[Count]:
    merged: dict[str, int] = {}
    for key, count in rows:
        merged[key or "unset"] = merged.get(key or "unset", 0) + int(count)
    return [
        Count(key=key, label=labels.get(key, key), count=count)
        for key, count in sorted(merged.items(), key=lambda pair: (-pair[1], pair[0]))
    ]


async def coverage(database: Database, month: str) -> CoverageReport:
    """A month of coverage: counts by outlet, medium, topic and sentiment, and how many of
    the month's responses went out on time, late, or not yet."""
    first, last = month_bounds(month)
    within = MonitoringItem.published_on.between(first, last)
    async with database.session() as session:

        async def grouped(column: Any) -> list[tuple[Any, int]]:
            rows = await session.execute(
                select(column, func.count()).where(within).group_by(column)
            )
            return [(key, int(count)) for key, count in rows.all()]

        total = int(
            await session.scalar(select(func.count()).select_from(MonitoringItem).where(within))
            or 0
        )
        by_outlet_rows = await session.execute(
            select(Outlet.id, Outlet.name_ka, func.count())
            .join(MonitoringItem, MonitoringItem.outlet_id == Outlet.id)
            .where(within)
            .group_by(Outlet.id, Outlet.name_ka)
        )
        by_outlet = sorted(
            (
                Count(key=str(oid), label=name, count=int(count))
                for oid, name, count in by_outlet_rows
            ),
            key=lambda c: (-c.count, c.label),
        )
        by_medium = _counts(await grouped(MonitoringItem.medium), MEDIUM_LABELS)
        by_topic = _counts(await grouped(MonitoringItem.topic), {t: t for t in TOPICS})
        by_sentiment = _counts(await grouped(MonitoringItem.sentiment), SENTIMENT_LABELS)
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = start + timedelta(days=(last - first).days + 1)
        asked = list(
            await session.scalars(
                select(MediaResponse).where(
                    MediaResponse.created_at >= start, MediaResponse.created_at < end
                )
            )
        )
    done = [r for r in asked if r.outcome in ("published", "sent") and r.completed_at]
    on_time = sum(1 for r in done if r.completed_at and r.completed_at <= r.due_at)
    open_count = sum(1 for r in asked if r.completed_at is None)
    return CoverageReport(
        month=month,
        total=total,
        by_outlet=by_outlet,
        by_medium=by_medium,
        by_topic=by_topic,
        by_sentiment=by_sentiment,
        responses_on_time=on_time,
        responses_late=len(done) - on_time,
        responses_open=open_count,
    )
