"""Activities of the monthly press digest: gather the month through the services' APIs,
then create the digest as a `press_digest` document in publishing (with its PDF) and
submit it, so it goes through the normal approval to publication."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from temporalio import activity

from meria.config import Settings
from meria.markup import from_markdown
from workflows.activities.clients import ServiceClient, activity_key
from workflows.digest_content import DigestContent, DigestEntry, DigestSection, markdown, pdf
from workflows.digest_content import summary as summary_of
from workflows.digest_content import title as title_of

TBILISI = ZoneInfo("Asia/Tbilisi")
LEGAL_ACTS = ("mayor_order", "mayor_ordinance", "official_document")
PRESS = ("press_release", "news", "announcement")
# Where the public website shows each kind of document (its sections' paths).
SITE_SECTIONS = {
    **dict.fromkeys(LEGAL_ACTS, "acts"),
    "press_release": "press-releases",
    "news": "news",
    "announcement": "announcements",
}
HAPPENED = ("under_way", "report_due", "closed")


class DigestRequest(BaseModel):
    month: str
    requested_by: str | None = None


class DigestResult(BaseModel):
    document_id: int
    state: str


RESPONSES_PAGE = 500


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month in Tbilisi, as moments: [first midnight, next month's first midnight)."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return (
        datetime.combine(first, time(0), tzinfo=TBILISI),
        datetime.combine(following, time(0), tzinfo=TBILISI),
    )


def _local_day(moment: str | None) -> date | None:
    if not moment:
        return None
    return datetime.fromisoformat(moment).astimezone(TBILISI).date()


class DigestActivities:
    def __init__(self, clients: dict[str, ServiceClient], settings: Settings) -> None:
        self.publishing = clients["publishing"]
        self.events = clients["events"]
        self.visits = clients["visits"]
        self.media = clients["media"]
        self.website = settings.website_url.rstrip("/")
        # The worker reads the month in its own name; the digest document is written in
        # the name of its author, an editor, as publishing wants a person behind a document.
        self.author = str(getattr(settings, "digest_author", "meria-digest"))
        self.fonts = Path(str(getattr(settings, "digest_fonts", "/usr/share/fonts/truetype/noto")))

    # Gathering.

    async def _documents(self, types: tuple[str, ...], month: str) -> list[DigestEntry]:
        start, end = month_bounds(month)
        found: list[dict[str, Any]] = []
        for document_type in types:
            page = await self.publishing.request(
                "GET",
                "/documents",
                params={"document_type": document_type, "state": "published",
                        "published_from": start.isoformat(), "published_to": end.isoformat(),
                        "limit": 500},
            )  # fmt: skip
            found.extend(page.json()["items"])

        def published_at(document: dict[str, Any]) -> str:
            return max((e["published_at"] or "" for e in document["editions"]), default="")

        found.sort(key=lambda d: (published_at(d), d["id"]))
        return [
            DigestEntry(
                title_ka=d["title_ka"],
                title_en=d["title_en"],
                url=f"{self.website}/{SITE_SECTIONS[d['document_type']]}/{d['id']}",
                day=_local_day(published_at(d)),
                note_ka=f"№ {d['register_number']}" if d["register_number"] else None,
                note_en=f"No. {d['register_number']}" if d["register_number"] else None,
            )
            for d in found
        ]

    async def _events(self, month: str) -> tuple[list[DigestEntry], list[DigestEntry]]:
        page = await self.events.request(
            "GET",
            "/events",
            params={"month": month, "state": "completed", "limit": 2000},
        )
        conferences: list[DigestEntry] = []
        others: list[DigestEntry] = []
        # Held means over: an event marked completed while still to come is not yet held.
        moment = datetime.now(TBILISI)
        for event in sorted(page.json()["items"], key=lambda e: (e["starts_at"], e["id"])):
            if event["kind"] == "visit_programme":
                continue  # told with its visit
            if datetime.fromisoformat(event["ends_at"]) > moment:
                continue
            entry = DigestEntry(
                title_ka=event["title_ka"],
                title_en=event.get("title_en"),
                url=f"{self.website}/events/{event['id']}" if event.get("public") else None,
                day=_local_day(event["starts_at"]),
                note_ka=event.get("place_ka"),
                note_en=event.get("place_en") or event.get("place_ka"),
            )
            (conferences if event["kind"] == "press_conference" else others).append(entry)
        return conferences, others

    async def _visits(self, month: str) -> tuple[list[DigestEntry], list[DigestEntry]]:
        start, end = month_bounds(month)
        page = await self.visits.request(
            "GET",
            "/visits",
            params={"arriving_from": start.date().isoformat(),
                    "arriving_to": (end.date() - timedelta(days=1)).isoformat(),
                    "status": ",".join(HAPPENED), "limit": 500},
        )  # fmt: skip
        received: list[DigestEntry] = []
        made: list[DigestEntry] = []
        for visit in sorted(page.json()["items"], key=lambda v: (v["arrival_on"], v["id"])):
            partner = visit.get("partner") or {}
            entry = DigestEntry(
                title_ka=visit["title_ka"],
                title_en=visit.get("title_en"),
                day=date.fromisoformat(visit["arrival_on"]),
                note_ka=partner.get("name_ka"),
                note_en=partner.get("name_en") or partner.get("name_ka"),
            )
            (received if visit["direction"] == "incoming" else made).append(entry)
        return received, made

    async def _media(self, month: str) -> tuple[list[DigestEntry], list[DigestEntry]]:
        coverage = (await self.media.request("GET", "/coverage", params={"month": month})).json()
        lines = []
        if coverage["total"]:
            lines.append(
                DigestEntry(
                    title_ka=f"სულ {coverage['total']} მასალა მედიაში",
                    title_en=f"{coverage['total']} stories in the media in all",
                    note_ka=", ".join(f"{c['label']}: {c['count']}" for c in coverage["by_medium"]),
                    note_en=", ".join(f"{c['key']}: {c['count']}" for c in coverage["by_medium"]),
                )
            )
            on_time = coverage["responses_on_time"]
            answered = on_time + coverage["responses_late"]
            if answered:
                lines.append(
                    DigestEntry(
                        title_ka=f"მედიისთვის გაცემული პასუხები: {answered}, "
                        f"მათ შორის ვადაში {on_time}",
                        title_en=f"Responses to the media: {answered}, {on_time} of them on time",
                    )
                )
        start, end = month_bounds(month)
        found = await self._responses_completed(start, end)
        responses = []
        for response in sorted(found, key=lambda r: (r["completed_at"] or "", r["id"])):
            done = response["completed_at"]
            if not done or not start <= datetime.fromisoformat(done) < end:
                continue
            link = response.get("document_id")
            responses.append(
                DigestEntry(
                    title_ka=response["subject"],
                    # A statement is published as a press release.
                    url=f"{self.website}/press-releases/{link}" if link else None,
                    day=_local_day(done),
                    note_ka="განცხადება" if response["outcome"] == "published" else "პასუხი მედიას",
                    note_en="statement"
                    if response["outcome"] == "published"
                    else "sent to the outlet",
                )
            )
        return lines, responses

    async def _responses_completed(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The responses published or sent in the month, a page at a time."""
        found: list[dict[str, Any]] = []
        while True:
            page = (
                await self.media.request(
                    "GET",
                    "/responses",
                    params={
                        "status": "published,sent",
                        "completed_from": start.isoformat(),
                        "completed_before": end.isoformat(),
                        "limit": RESPONSES_PAGE,
                        "offset": len(found),
                    },
                )
            ).json()
            found += page
            if len(page) < RESPONSES_PAGE:
                return found

    @activity.defn(name="digest.gather")
    async def gather(self, request: DigestRequest) -> DigestContent:
        """The month's published acts and press releases, events and press conferences held,
        visits received and made, media coverage and responses, each through its API."""
        month = request.month
        acts, press, events, visits, media = await asyncio.gather(
            self._documents(LEGAL_ACTS, month),
            self._documents(PRESS, month),
            self._events(month),
            self._visits(month),
            self._media(month),
        )
        sections = {
            "acts": acts, "press_releases": press, "press_conferences": events[0],
            "events": events[1], "visits_received": visits[0], "visits_made": visits[1],
            "media": media[0], "responses": media[1],
        }  # fmt: skip
        return DigestContent(
            month=month,
            requested_by=request.requested_by,
            sections=[DigestSection(key=key, entries=found) for key, found in sections.items()],
        )

    # The document.

    @activity.defn(name="digest.publish")
    async def publish(self, content: DigestContent) -> DigestResult:
        """Create the digest document (once: an earlier attempt's is found by its title),
        attach its PDF, and submit it for approval."""
        title_ka = title_of(content.month, "ka")
        existing = await self.publishing.request(
            "GET",
            "/documents",
            params={"document_type": "press_digest", "text": title_ka, "limit": 5},
        )
        same = [d for d in existing.json()["items"] if d["title_ka"] == title_ka]
        if same:
            document = same[0]
        else:
            english = content.has_english
            created = await self.publishing.request(
                "POST",
                "/documents",
                idempotency_key=activity_key("document"),
                json={
                    "document_type": "press_digest",
                    "title_ka": title_ka,
                    "title_en": title_of(content.month, "en"),
                    "summary_ka": summary_of(content, "ka"),
                    "summary_en": summary_of(content, "en"),
                    "body_ka": from_markdown(markdown(content, "ka")),
                    "body_en": from_markdown(markdown(content, "en")) if english else None,
                    "translation_pending": not english,
                    "author": self.author,
                },
            )
            document = created.json()
        document_id = int(document["id"])
        filename = f"digest-{content.month}.pdf"
        if not any(a["filename"] == filename for a in document["current"]["attachments"]):
            data = await asyncio.to_thread(pdf, content, self.fonts)
            await self.publishing.request(
                "POST",
                f"/documents/{document_id}/attachments",
                idempotency_key=activity_key("attachment"),
                files={"file": (filename, data, "application/pdf")},
            )
        fresh = (await self.publishing.request("GET", f"/documents/{document_id}")).json()
        if fresh["state"] == "draft":
            await self.publishing.request(
                "POST", f"/documents/{document_id}/submit", json={},
                idempotency_key=activity_key("submit"),
            )  # fmt: skip
            fresh = (await self.publishing.request("GET", f"/documents/{document_id}")).json()
        await self.publishing.request(
            "POST",
            f"/documents/{document_id}/digest-compiled",
            idempotency_key=activity_key(),
            json={
                "month": content.month,
                "entries": {s.key: len(s.entries) for s in content.sections},
                "requested_by": content.requested_by,
            },
        )
        return DigestResult(document_id=document_id, state=fresh["state"])
