"""The monthly press digest on the stack as `make run` starts it: publishing, events, visits
and media with the worker, NATS and the Temporal dev server.

A month with a published order and press release, a press conference and a ceremony
held, a delegation received and a visit abroad, and a story in the media answered with a
statement gives a digest with each in its section, in order; it is created in publishing as a
`press_digest` document and submitted for approval, with a PDF whose text carries the
Georgian titles. One digest per month: starting it again is refused. The schedule's next
run is the first working day of the next month at 10:00 in Tbilisi, and it stays paused
across a renewal of its calendar.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
import httpx
import pytest
from pypdf import PdfReader
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from meria.cases.digest import SCHEDULE_ID, start_digest
from meria.temporal import connect
from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.events import EventsDesk, setup_office
from tests.support.media import MediaDesk
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk, published_events
from tests.support.stack import Stack, running_stack
from tests.support.visits import TBILISI, VisitsDesk, delegation, study_trip
from workflows.digest import DigestStatus, ensure_schedule

pytestmark = pytest.mark.database

CEREMONY = "ახმეტის ახალი საბავშვო ბაღის გახსნა"
STORY = "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა"


async def publish(stack: Stack, http: httpx.AsyncClient, body: dict[str, object]) -> int:
    editor = Desk(stack, http, "nino.beridze", "editor")
    created = await editor.create(body)
    await editor.submit(created["id"])
    steps = (
        [("levan.kapanadze", "legal_reviewer"), ("tamar.gelashvili", "head_of_department"),
         ("mayor.akhmeta", "mayor")]
        if body["document_type"] == "mayor_order"
        else [("tamar.gelashvili", "head_of_department")]
    )  # fmt: skip
    for user, role in steps:
        decider = Desk(stack, http, user, role)
        for _ in range(100):
            answer = await decider.decide(created["id"])
            if answer.status_code == 200:
                break
            await asyncio.sleep(0.2)  # the step's task is on its way
        assert answer.status_code == 200, answer.text
    await editor.wait_for_state(created["id"], "published")
    return int(created["id"])


async def test_a_month_of_every_kind_gives_a_digest_in_publishing(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    now = datetime.now(TBILISI)
    if (now + timedelta(minutes=2)).month != now.month:
        pytest.skip("too close to the end of the month in Tbilisi for a month's digest")
    month = f"{now:%Y-%m}"
    async with (
        running_stack(
            ["publishing", "events", "visits", "media", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            readiness_gate_days=0,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        # A delegation that arrives and leaves within the day.
        protocol = VisitsDesk(stack, http, "ana.protocol", "protocol_officer")
        mayor = VisitsDesk(stack, http, "mayor.akhmeta", "mayor")
        visit = await protocol.ok(
            "POST", "/visits", json=delegation(
                now.date(), days=1, arrives_at=(now + timedelta(seconds=25)).isoformat(),
                departs_at=(now + timedelta(seconds=30)).isoformat(),
            ),
        )  # fmt: skip
        trip = await protocol.ok(
            "POST", "/visits", json=study_trip(
                now.date(), departure_on=now.date().isoformat(),
                arrives_at=(now + timedelta(seconds=25)).isoformat(),
                departs_at=(now + timedelta(seconds=30)).isoformat(),
            ),
        )  # fmt: skip
        for requested in (visit, trip):
            await protocol.wait_for_stage(requested["id"], "requested", tasks=1)
            await mayor.ok(
                "POST", f"/visits/{requested['id']}/decisions", json={"outcome": "approve"}
            )

        # A press conference and a ceremony, over within seconds.
        planner = EventsDesk(stack, http, "ana.protocol", "protocol_officer")
        venues = await setup_office(EventsDesk(stack, http, "setup", "head_of_department"), planner)
        moment = datetime.now(TBILISI)
        soon, later = moment + timedelta(seconds=6), moment + timedelta(seconds=12)
        conference = await planner.create(
            {"kind": "press_conference", "schedule": True, "public": True,
             "title_ka": "მერის პრესკონფერენცია საბავშვო ბაღების შესახებ",
             "venue_id": venues["hall"], "officials": ["mayor"], "responsible": "giorgi.media",
             "starts_at": soon.isoformat(), "ends_at": later.isoformat()}
        )  # fmt: skip
        ceremony = await planner.create(
            {"kind": "ceremony", "schedule": True, "public": True, "title_ka": CEREMONY,
             "title_en": "Opening of Akhmeta's new kindergarten", "place_ka": "ახმეტა",
             "starts_at": (now - timedelta(minutes=1)).isoformat(),
             "ends_at": (now + timedelta(seconds=1)).isoformat()}
        )  # fmt: skip

        # A story in the media; an order and a press release published.
        media = MediaDesk(stack, http, "giorgi.media", "media_officer")
        outlet = await media.ok("POST", "/outlets", json={"name_ka": "რადიო ჰერეთი",
                                                            "medium": "radio"})  # fmt: skip
        item = await media.ok("POST", "/monitoring-items", json={
            "outlet_id": outlet["id"], "published_on": now.date().isoformat(), "title": STORY,
            "response_needed": True, "response_owner": "giorgi.media",
        })  # fmt: skip
        # The story's response: drafted, approved, published as a statement.
        response_path = f"/responses/{item['response_id']}"
        media_head = MediaDesk(stack, http, "tamar.gelashvili", "head_of_department")
        await media.wait_for(f"{response_path}/status", lambda s: s["task"], "a draft task")
        await media.ok("PUT", f"{response_path}/draft", json={
            "channel": "statement", "text_ka": "საბავშვო ბაღი 120 ბავშვს მიიღებს.",
        })  # fmt: skip
        await media.ok("POST", f"{response_path}/submit")
        await media.wait_for(
            f"{response_path}/status",
            lambda s: s["stage"] == "awaiting_approval" and s["task"],
            "awaiting approval",
        )
        await media_head.ok("POST", f"{response_path}/decisions", json={"outcome": "approve"})
        admin = Desk(stack, http, "portal.admin", "admin")
        await admin.ok("PUT", "/issuers/mayor", json={"name_ka": "ახმეტის მერი"})
        order_id = await publish(stack, http, LEGAL_ACT)
        release_id = await publish(stack, http, PRESS_RELEASE)

        await planner.wait_for(
            conference["id"], lambda s: s["stage"] in ("held", "follow_up", "done"), "held", 60
        )
        await planner.ok("POST", f"/events/{ceremony['id']}/complete")
        await protocol.wait_for_status(visit["id"], "report_due", timeout=60)
        await protocol.wait_for_status(trip["id"], "report_due", timeout=60)
        await media.wait_for(response_path, lambda r: r["status"] == "published", "published")

        client = await connect(temporal_server.address, "meria")
        task_queue = stack.settings("worker").temporal_task_queue
        workflow_id = await start_digest(client, task_queue, month, "tamar.gelashvili")
        assert workflow_id == f"digest-{month}"
        status = DigestStatus.model_validate(await client.get_workflow_handle(workflow_id).result())
        assert status.stage == "submitted" and status.document_id is not None
        assert status.entries == {
            "acts": 1, "press_releases": 1, "press_conferences": 1, "events": 1,
            "visits_received": 1, "visits_made": 1, "media": 2, "responses": 1,
        }  # fmt: skip
        with pytest.raises(WorkflowAlreadyStartedError):
            await start_digest(client, task_queue, month, "tamar.gelashvili")

        # In publishing: a press digest waiting for the head of department.
        head = Desk(stack, http, "tamar.gelashvili", "head_of_department")
        document = await head.document(status.document_id)
        assert document["document_type"] == "press_digest"
        assert document["state"] in ("submitted", "in_review")  # its route has begun
        year, number = now.year, now.month
        assert document["title_ka"].startswith(f"პრესდაიჯესტი: {year} წლის ")
        body = document["current"]["body_ka"]
        order = [
            LEGAL_ACT["title_ka"], PRESS_RELEASE["title_ka"],
            "მერის პრესკონფერენცია საბავშვო ბაღების შესახებ", CEREMONY,
            "ბირშტონასის მუნიციპალიტეტის დელეგაციის ვიზიტი ახმეტაში",
            "ახმეტის მერიის ოფიციალური ვიზიტი ნალენჩუვში", "სულ 1 მასალა მედიაში",
            "მედიისთვის გაცემული პასუხები: 1", STORY,
        ]  # fmt: skip
        positions = [body.index(str(text)) for text in order]
        assert positions == sorted(positions)
        website = stack.settings("worker").website_url.rstrip("/")
        # Written as HTML, each entry linking to its own page on the site.
        assert "<h2>" in body and "##" not in body
        assert f'href="{website}/acts/{order_id}"' in body
        assert f'href="{website}/press-releases/{release_id}"' in body
        assert f'href="{website}/events/{ceremony["id"]}"' in body
        assert "Press digest" in document["current"]["title_en"]

        # On the bus, once, with what the digest tells.
        compiled: list[dict[str, object]] = []
        for _ in range(100):
            compiled = [
                e for e in await published_events(stack)
                if e["type"].startswith("ge.meria.publishing.digest.compiled")
            ]  # fmt: skip
            if compiled:
                break
            await asyncio.sleep(0.1)
        [event] = compiled
        assert event["data"]["month"] == month  # type: ignore[index]
        assert event["data"]["document_id"] == status.document_id  # type: ignore[index]
        assert event["data"]["requested_by"] == "tamar.gelashvili"  # type: ignore[index]
        audit = await head.audit(status.document_id)
        assert [e["action"] for e in audit].count("digest_compiled") == 1

        # Its PDF, with the Georgian titles in its text.
        [attachment] = document["current"]["attachments"]
        assert attachment["filename"] == f"digest-{month}.pdf"
        pdf = await head.call(
            "GET", f"/documents/{status.document_id}/editions/1/attachments/{attachment['id']}"
        )
        assert pdf.status_code == 200, pdf.text[:300]
        pages = PdfReader(io.BytesIO(pdf.content)).pages
        text = " ".join(" ".join(page.extract_text().split()) for page in pages)
        assert CEREMONY in text and str(LEGAL_ACT["title_ka"]) in text
        assert f"{year} წლის" in text and number >= 1


def first_working_day_of_next_month(today: date) -> date:
    """Worked out here on its own: the first weekday of next month that is no holiday."""
    day = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    georgian = holidays.country_holidays("GE", years=day.year)
    while day.weekday() >= 5 or day in georgian:
        day += timedelta(days=1)
    return day


async def test_the_schedule_runs_on_the_first_working_day_of_next_month(
    temporal_server: TemporalDevServer,
) -> None:
    client: Client = await connect(temporal_server.address, "meria")
    now = datetime.now(TBILISI)
    await ensure_schedule(client, "digest-test-queue", now=now)
    handle = client.get_schedule_handle(SCHEDULE_ID)
    described = await handle.describe()
    upcoming = [moment.astimezone(TBILISI) for moment in described.info.next_action_times]
    expected = first_working_day_of_next_month(now.date())
    this_month = now.replace(day=1).date()
    while this_month.weekday() >= 5 or this_month in holidays.country_holidays("GE"):
        this_month += timedelta(days=1)
    if now < datetime(this_month.year, this_month.month, this_month.day, 10, tzinfo=TBILISI):
        expected = this_month  # this month's run is still to come
    assert upcoming[0] == datetime(expected.year, expected.month, expected.day, 10, tzinfo=TBILISI)
    assert all(moment.hour == 10 and moment.day <= 7 for moment in upcoming)

    # Paused by an administrator, it stays paused when the worker renews its calendar.
    await handle.pause(note="დეკემბრის დაიჯესტი ხელით მზადდება")
    await ensure_schedule(client, "digest-test-queue", now=now)
    described = await handle.describe()
    assert described.schedule.state.paused is True
    assert described.schedule.state.note == "დეკემბრის დაიჯესტი ხელით მზადდება"
    await handle.unpause()
    assert (await handle.describe()).schedule.state.paused is False
