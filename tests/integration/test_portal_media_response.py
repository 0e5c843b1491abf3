"""A media response answered by a statement, on its portal page over real HTTP, with the
publishing and media services, the worker, NATS and Temporal running: the page says
"published" only once publishing has published the statement; until then, that the
statement waits for approval."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.media import IMEDI, MediaDesk
from tests.support.portal import STAFF, Person, create_staff
from tests.support.publishing import Desk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

STORY = {
    "published_on": "2026-11-16",
    "title": "იმედი: თუშეთის გზა ზამთრამდე არ გაიხსნება?",
    "link": "https://imedinews.ge/ge/tusheti-road",
    "summary": "სიუჟეტში მოსახლეობა გზის მდგომარეობას აკრიტიკებს.",
    "topic": "infrastructure",
}
ANSWER = "ომალოს გზის შეკეთება გრაფიკით მიმდინარეობს და 1 დეკემბრამდე დასრულდება."
WAITS = "განცხადება გამოქვეყნებამდე დამტკიცებას ელოდება"
PUBLISHED = "გამოქვეყნდა განცხადების სახით"


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[tuple[Stack, httpx.AsyncClient]]:
    async with (
        running_stack(
            ["publishing", "media", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            relay_poll_seconds=0.1,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        await create_staff(stack, http)
        yield stack, http


def state(page: httpx.Response) -> str:
    found = re.search(r'id="response-state">([^<]*)<', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def test_a_statement_is_published_on_the_page_only_once_publishing_published_it(
    portal: tuple[Stack, httpx.AsyncClient],
) -> None:
    stack, http = portal
    owner = MediaDesk(stack, http, "giorgi.media", "media_officer")
    head = MediaDesk(stack, http, STAFF["head"][0], "head_of_department")
    # A negative story gets a response; its statement is drafted and approved.
    imedi = await owner.ok("POST", "/outlets", json=IMEDI)
    item = await owner.ok("POST", "/monitoring-items", json={**STORY, "outlet_id": imedi["id"]})
    item = await owner.ok(
        "PATCH", f"/monitoring-items/{item['id']}",
        json={"sentiment": "negative", "response_needed": True, "response_owner": "giorgi.media"},
    )  # fmt: skip
    response_id = item["response_id"]
    status_path = f"/responses/{response_id}/status"
    await owner.wait_for(status_path, lambda s: s["stage"] == "drafting" and s["task"], "drafts")
    await owner.ok(
        "PUT", f"/responses/{response_id}/draft", json={"channel": "statement", "text_ka": ANSWER}
    )
    await owner.ok("POST", f"/responses/{response_id}/submit")
    await owner.wait_for(
        status_path, lambda s: s["stage"] == "awaiting_approval" and s["task"], "waits"
    )
    await head.ok("POST", f"/responses/{response_id}/decisions", json={"outcome": "approve"})
    status = await owner.wait_for(status_path, lambda s: s["stage"] == "published", "hands over")
    document_id = status["document_id"]

    # The media service calls it published; publishing has it in review: the page says so.
    person = Person(stack, STAFF["head"][0])
    assert (await person.sign_in()).status_code == 303
    page = await person.get(f"/media/responses/{response_id}?lang=ka")
    assert state(page) == WAITS
    assert PUBLISHED not in page.text

    # The head of department approves the statement in publishing; then it is published.
    editor = Desk(stack, http, STAFF["head"][0], "head_of_department")
    await editor.poll(
        f"/documents/{document_id}/status", lambda s: s.get("tasks"), "opened its review"
    )
    decided = await editor.decide(document_id, "approve")
    assert decided.status_code == 200, decided.text
    await editor.poll(
        f"/documents/{document_id}", lambda d: d["state"] == "published", "was published"
    )
    page = await person.get(f"/media/responses/{response_id}?lang=ka")
    assert state(page) == PUBLISHED
    await person.close()
