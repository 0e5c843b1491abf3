"""A field too long for its form, over real HTTP with the publishing and events services:
the form comes back with the message beside the field, in Georgian, and what was typed
kept; the services themselves still refuse with a problem document."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, setup_office
from tests.support.portal import STAFF, Person, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

TITLE = "მერის ბრძანება ზამთრის გზების მოვლის შესახებ"
SUMMARY = "ზამთარში ახმეტის გზები ყოველდღე გაიწმინდება."
TWO_MEGABYTES = "ა" * 700_000  # three bytes each in UTF-8: a field of about 2 MB


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "events", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        await create_staff(stack, http)
        planner = EventsDesk(stack, http, "setup", "protocol_officer")
        await setup_office(EventsDesk(stack, http, "setup", "head_of_department"), planner)
        yield stack


async def person(stack: Stack, who: str) -> Person:
    someone = Person(stack, STAFF[who][0])
    signed = await someone.sign_in()
    assert signed.status_code == 303, signed.text
    await someone.get("/language?to=ka&next=/inbox")
    return someone


def beside(page: httpx.Response, field: str) -> str:
    """The message the form shows for a field (its `…-error` element)."""
    found = re.search(rf'id="{field}-error"[^>]*>(.*?)</', page.text, re.S)
    assert found, f"no message beside {field}"
    return found.group(1).strip()


async def test_a_two_megabyte_title_comes_back_as_the_form_with_its_message(
    portal: Stack,
) -> None:
    editor = await person(portal, "editor")
    await editor.get("/documents/new")
    # The editor pastes two megabytes into the title, as a browser sends a form with files.
    page = await editor.http.post(
        "/documents/new",
        files={"attachments": ("", b"", "application/octet-stream")},
        data={"csrftoken": editor.csrf, "document_type": "news", "title_ka": TWO_MEGABYTES,
              "summary_ka": SUMMARY, "body_ka": "ტექსტი", "action": "save"},
    )  # fmt: skip
    # The form, not a problem document: the message beside the title, in Georgian…
    assert page.status_code == 422, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert "500" in beside(page, "title_ka") and "სიმბოლო" in beside(page, "title_ka")
    # …the rest kept as typed, and the title cut to what a title may hold.
    assert SUMMARY in page.text
    assert "ა" * 500 in page.text and "ა" * 501 not in page.text
    # The service refuses the same with its problem document.
    direct = await editor.http.post(
        f"{portal.urls['publishing']}/documents",
        headers=portal.headers("editor"),
        json={"document_type": "news", "title_ka": TWO_MEGABYTES},
    )
    assert direct.status_code == 422
    assert direct.headers["content-type"] == "application/problem+json"


async def test_a_body_over_a_megabyte_is_saved_and_one_beyond_any_field_is_told_in_georgian(
    portal: Stack,
) -> None:
    editor = await person(portal, "editor")
    await editor.get("/documents/new")
    body = "ახმეტის გზები. " * 80_000  # 1.2 million characters, 3.4 MB
    saved = await editor.http.post(
        "/documents/new",
        files={"attachments": ("", b"", "application/octet-stream")},
        data={"csrftoken": editor.csrf, "document_type": "news", "title_ka": TITLE,
              "body_ka": body, "action": "save"},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text[:300]
    # Beyond what any field may hold (here 27 MB as the form encodes it), nothing is
    # read: a page says so, in Georgian.
    await editor.get("/documents/new")
    huge = await editor.post(
        "/documents/new",
        {"document_type": "news", "title_ka": TITLE, "body_ka": "ა" * 3_000_000},
    )
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("text/html")
    assert "ფორმა" in huge.text and '"type"' not in huge.text


async def test_the_event_form_keeps_its_place_with_a_two_megabyte_title(portal: Stack) -> None:
    protocol = await person(portal, "protocol")
    await protocol.get("/events/new")
    day = (datetime.now(UTC) + timedelta(days=20)).astimezone(TBILISI)
    page = await protocol.post(
        "/events/new",
        {"kind": "ceremony", "title_ka": TWO_MEGABYTES, "description_ka": SUMMARY,
         "starts_at": day.strftime("%Y-%m-%dT11:00"), "ends_at": day.strftime("%Y-%m-%dT12:00"),
         "place_ka": "ახმეტის კულტურის ცენტრი", "action": "schedule"},
    )  # fmt: skip
    assert page.status_code == 422, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert "სიმბოლო" in beside(page, "title_ka")
    assert SUMMARY in page.text and "ახმეტის კულტურის ცენტრი" in page.text
    assert "ა" * 501 not in page.text
