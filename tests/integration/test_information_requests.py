"""The information desk over real HTTP, with the media service, the worker, NATS and the
Temporal dev server running: a request of the municipal council becomes one task in the
department's inbox; its answer (text and checked files) reaches the requester only when
sent, is found again by the stems of its words, and is offered as a starting point for the
next similar request; a request is declined with its reason, withdrawn by whoever asked,
and one left unanswered past its deadline is reminded and then reported overdue. Bad
input is refused and changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.temporal import connect
from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.media import MediaDesk, kind, wait_for_events
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

QUESTION = (
    "საკრებულოს ტურიზმის კომისიას სჭირდება ინფორმაცია 2026 წელს ახმეტის მუნიციპალიტეტში "
    "ჩამოსული ტურისტების რაოდენობის და თუშეთის სეზონის შესახებ."
)
ANSWER = (
    "2026 წელს თუშეთს 18 400 ტურისტი ეწვია, მათ შორის 6 200 უცხოელი. "
    "ცხრილი თანდართულია; წყარო: ტურიზმის საინფორმაციო ცენტრი."
)
TABLE = "თვე,ტურისტები,უცხოელები\nივნისი,3100,900\nივლისი,6800,2600\n".encode()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Desk:
    stack: Stack
    council: MediaDesk
    finance: MediaDesk
    officer: MediaDesk
    head: MediaDesk
    editor: MediaDesk

    async def ask(self, asker: MediaDesk, **fields: Any) -> dict[str, Any]:
        body = {
            "requester_unit": "საკრებულოს აპარატი",
            "title": "ტურისტების რაოდენობა თუშეთში 2026 წელს",
            "question": QUESTION,
            "sources": ["ტურიზმის საინფორმაციო ცენტრი", "თუშეთის დაცული ტერიტორიები"],
            "needed_by": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        } | fields
        created: dict[str, Any] = await asker.ok("POST", "/information-requests", json=body)
        return created

    async def until_stage(self, request_id: int, stage: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.officer.wait_for(
            f"/information-requests/{request_id}/status",
            # An open request is waiting once its answer is a task.
            lambda s: s["stage"] == stage and (stage != "open" or s["task"] is not None),
            f"reached {stage}",
        )
        return found

    async def count(self) -> int:
        return int((await self.head.ok("GET", "/information-requests"))["total"])


@pytest.fixture
async def desk(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Desk]:
    async with (
        running_stack(
            ["media", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        yield Desk(
            stack,
            MediaDesk(stack, http, "sakrebulo.aparati", "requester"),
            MediaDesk(stack, http, "finance.service", "requester"),
            MediaDesk(stack, http, "giorgi.media", "media_officer"),
            MediaDesk(stack, http, "tamar.gelashvili", "head_of_department"),
            MediaDesk(stack, http, "nino.beridze", "editor"),
        )


async def test_a_request_is_one_inbox_task_answered_with_files_and_found_again(
    desk: Desk, temporal_server: TemporalDevServer
) -> None:
    asked = await desk.ask(desk.council)
    request_id = asked["id"]
    path = f"/information-requests/{request_id}"
    assert asked["status"] == "open" and asked["requester"] == "sakrebulo.aparati"
    status = await desk.until_stage(request_id, "open")
    assert status["awaiting"] == ["media_officer"]

    # One task in the department's inbox, found by its search attributes.
    client = await connect(temporal_server.address, "meria")
    query = (
        f"MeriaRef = 'information_request:{request_id}' AND MeriaKind = 'task' "
        "AND ExecutionStatus = 'Running'"
    )
    rows: list[Any] = []
    async with asyncio.timeout(20):
        while not rows:
            rows = [execution async for execution in client.list_workflows(query)]
            await asyncio.sleep(0.2)
    assert [row.id for row in rows] == [f"information-request-{request_id}-task-answer"]

    # Bad input changes nothing.
    before = await desk.count()
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    problem = await desk.council.refused(
        422, "POST", "/information-requests", json={
            "requester_unit": "საკრებულოს აპარატი", "title": "ძველი ვადა",
            "question": QUESTION, "needed_by": past,
        },
    )  # fmt: skip
    assert "needed_by" in problem["detail"]
    await desk.council.refused(
        422, "POST", "/information-requests",
        json={"requester_unit": "ს", "title": "?", "question": "მოკლე", "needed_by": past},
    )  # fmt: skip
    assert await desk.count() == before
    await desk.editor.refused(403, "PUT", f"{path}/answer", json={"text": ANSWER})
    await desk.finance.refused(404, "GET", path)  # another unit's request is not theirs
    await desk.officer.refused(409, "POST", f"{path}/send")  # nothing written yet
    refused = await desk.officer.refused(
        415, "POST", f"{path}/files", files={"file": ("script.csv", b"\x7fELF\x02\x01\x01" * 40)}
    )
    assert "its content is" in refused["detail"]

    # The answer, with a table and a PDF; the requester sees none of it until it is sent.
    await desk.officer.ok("PUT", f"{path}/answer", json={"text": ANSWER})
    table = await desk.officer.ok(
        "POST", f"{path}/files", files={"file": ("ტურისტები-2026.csv", TABLE, "text/csv")}
    )
    assert table["media_type"] == "text/csv"
    assert table["sha256"] == hashlib.sha256(TABLE).hexdigest()
    pdf = await desk.officer.ok("POST", f"{path}/files", files={"file": ("ანგარიში.pdf", PDF)})
    assert pdf["media_type"] == "application/pdf"
    unsent = await desk.council.ok("GET", path)
    assert unsent["answer_text"] is None and unsent["files"] == []
    await desk.council.refused(404, "GET", f"{path}/files/{table['id']}")

    await desk.officer.ok("POST", f"{path}/send")
    await desk.until_stage(request_id, "answered")
    answered = await desk.council.ok("GET", path)
    assert answered["status"] == "answered" and answered["answered_by"] == "giorgi.media"
    assert answered["answer_text"] == ANSWER
    assert [f["filename"] for f in answered["files"]] == ["ტურისტები-2026.csv", "ანგარიში.pdf"]
    download = await desk.council.call("GET", f"{path}/files/{table['id']}")
    assert download.status_code == 200 and download.content == TABLE
    assert download.headers["x-content-sha256"] == table["sha256"]
    events = await wait_for_events(
        desk.stack, {"information_request.received", "information_request.answered"}
    )
    answered_event = next(e for e in events if kind(e) == "information_request.answered")
    assert answered_event["data"]["files"] == 2 and answered_event["data"]["on_time"] is True
    await desk.officer.refused(409, "PUT", f"{path}/answer", json={"text": "ახალი ტექსტი"})

    # Kept and searchable: another form of the words finds it.
    found = await desk.head.ok("GET", "/information-requests", params={"text": "ტურისტებს თუშეთში"})
    assert [item["id"] for item in found["items"]] == [request_id]
    nothing = await desk.head.ok("GET", "/information-requests", params={"text": "ბიუჯეტი"})
    assert nothing["total"] == 0

    # The next similar request, from another service, starts from the earlier answer.
    again = await desk.ask(
        desk.finance,
        requester_unit="ფინანსური სამსახური",
        title="თუშეთში ჩამოსული ტურისტები",
        question="გთხოვთ მოგვაწოდოთ თუშეთში ჩამოსული ტურისტების რაოდენობა ბიუჯეტისთვის.",
    )
    seen_by_desk = await desk.officer.ok("GET", f"/information-requests/{again['id']}")
    similar = seen_by_desk["similar"]
    assert [s["request_id"] for s in similar] == [request_id]
    assert similar[0]["files"] == 2 and similar[0]["excerpt"].startswith("2026 წელს")
    assert (await desk.finance.ok("GET", f"/information-requests/{again['id']}"))["similar"] == []
    mine = await desk.finance.ok("GET", "/information-requests")
    assert [item["id"] for item in mine["items"]] == [again["id"]]

    # Declined: the reason is required, and goes back with the event.
    await desk.until_stage(again["id"], "open")
    await desk.officer.refused(
        422, "POST", f"/information-requests/{again['id']}/decline", json={"reason": ""}
    )
    await desk.officer.ok(
        "POST",
        f"/information-requests/{again['id']}/decline",
        json={"reason": "ინფორმაცია ფინანსურ სამსახურს უკვე გადაეცა 12 ნოემბერს."},
    )
    await desk.until_stage(again["id"], "declined")
    events = await wait_for_events(desk.stack, {"information_request.declined"})
    declined = next(e for e in events if kind(e) == "information_request.declined")
    assert declined["data"]["reason"].startswith("ინფორმაცია ფინანსურ")


async def test_an_unanswered_request_is_reminded_reported_overdue_and_withdrawn(
    desk: Desk,
) -> None:
    due = datetime.now(UTC) + timedelta(seconds=8)
    asked = await desk.ask(desk.council, needed_by=due.isoformat())
    request_id = asked["id"]
    path = f"/information-requests/{request_id}"
    await desk.until_stage(request_id, "open")
    events = await wait_for_events(desk.stack, {"information_request.overdue"}, timeout=40)
    overdue = next(e for e in events if kind(e) == "information_request.overdue")
    assert overdue["data"]["request_id"] == request_id
    assert "head_of_department" in overdue["data"]["awaiting"]
    history = [entry["action"] for entry in (await desk.head.ok("GET", path))["history"]]
    assert history == ["received", "reminder", "overdue"]
    listed = await desk.council.ok("GET", "/information-requests")
    assert listed["items"][0]["overdue"] is True

    # Only whoever asked withdraws it; then it is no one's task.
    await desk.finance.refused(404, "POST", f"{path}/withdraw", json={"reason": "აღარ გვჭირდება"})
    await desk.council.ok("POST", f"{path}/withdraw", json={"reason": "სხდომა გადაიდო."})
    await desk.until_stage(request_id, "withdrawn")
    await wait_for_events(desk.stack, {"information_request.withdrawn"})
    await desk.officer.refused(409, "POST", f"{path}/send")
