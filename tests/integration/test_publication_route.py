"""The document approval-to-publication workflow against the running publishing service,
a real Temporal dev server and a real nats-server, as the department's staff use it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from services.publishing import signing
from tests.conftest import DatabaseFactory
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk, published_events
from tests.support.stack import Stack, running_stack


@dataclass
class Office:
    stack: Stack
    editor: Desk
    lawyer: Desk
    head: Desk
    mayor: Desk
    admin: Desk


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["publishing", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        office = Office(
            stack,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            lawyer=Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
            mayor=Desk(stack, http, "mayor.akhmeta", "mayor"),
            admin=Desk(stack, http, "admin", "admin"),
        )
        await office.admin.ok(
            "PUT",
            "/issuers/mayor",
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        yield office


async def test_a_legal_act_goes_through_three_roles_and_is_numbered_and_signed(
    office: Office,
) -> None:
    editor, lawyer, head, mayor = office.editor, office.lawyer, office.head, office.mayor
    document = await editor.create(LEGAL_ACT)
    document_id = document["id"]
    await editor.submit(document_id)

    # Legal review, then the head of department, then the mayor's signature.
    for desk, step in ((lawyer, "legal_review"), (head, "department_review"), (mayor, "signature")):
        status = await editor.wait_for_stage(document_id, step)
        assert status["awaiting"] == [
            {"legal_review": "legal_reviewer", "department_review": "head_of_department",
             "signature": "mayor"}[step]
        ]  # fmt: skip
        decided = await desk.decide(document_id, comment="თანახმა ვარ")
        assert decided.status_code == 200, decided.text
        assert decided.json()["decided_by"] == desk.user

    published = await editor.wait_for_state(document_id, "published")
    edition = published["current"]
    assert published["register_number"] == f"1/{edition['date_signed'][:4]}"
    # Georgian text survives every hop byte for byte.
    assert edition["title_ka"] == LEGAL_ACT["title_ka"]
    assert edition["body_ka"] == LEGAL_ACT["body_ka"]

    # The publication record is signed with the municipality's key.
    public_key = (await editor.call("GET", "/signing-key")).text
    record = edition["publication_record"]
    assert record["register_number"] == published["register_number"]
    assert record["content_sha256"] == edition["content_sha256"]
    assert signing.verify(public_key, record, edition["signature"])
    assert not signing.verify(
        public_key, {**record, "register_number": "2/2026"}, edition["signature"]
    )

    # Every transition is kept, who and from what to what.
    trail = [(entry["action"], entry["actor"]) for entry in await editor.audit(document_id)]
    assert trail == [
        ("create", "nino.beridze"),
        ("submit", "nino.beridze"),
        ("start_review", "meria-worker"),
        ("approve_step", "levan.kapanadze"),
        ("approve_step", "tamar.gelashvili"),
        ("approve_step", "mayor.akhmeta"),
        ("approve", "meria-worker"),
        ("publish", "meria-worker"),
    ]

    # And the bus carries the story, the published text intact.
    for _ in range(100):
        events = await published_events(office.stack)
        if any(event["type"].endswith("document.published.v1") for event in events):
            break
        await asyncio.sleep(0.1)
    kinds = [event["type"].split(".")[-2] for event in events]
    assert kinds == ["submitted", "step_approved", "step_approved", "step_approved",
                     "approved", "published"]  # fmt: skip
    published_event = events[-1]["data"]
    assert published_event["title"]["ka"] == LEGAL_ACT["title_ka"]
    assert published_event["register_number"] == published["register_number"]
    assert published_event["signature"] == edition["signature"]


async def test_a_press_release_needs_only_the_head_of_department(office: Office) -> None:
    document = await office.editor.create(PRESS_RELEASE)
    await office.editor.submit(document["id"])
    await office.editor.wait_for_stage(document["id"], "department_review")
    assert (await office.head.decide(document["id"])).status_code == 200
    published = await office.editor.wait_for_state(document["id"], "published")
    assert published["register_number"] is None
