"""An information request's page in the staff portal over real HTTP, with the media
service, the worker, NATS and Temporal running: the requester's "request sent" is gone
once the department has answered, and the page says it is answered."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from services.portal.i18n import TBILISI
from tests.conftest import DatabaseFactory
from tests.support.portal import Person, add_account, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

COUNCIL = ("sakrebulo.aparati", "საკრებულოს აპარატი", ["requester"])
PRESS_OFFICER = ("giorgi.media", "გიორგი ხიზანიშვილი", ["media_officer"])
SENT = "მოთხოვნა გაგზავნილია"


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["media", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *COUNCIL)
        await add_account(stack, http, *PRESS_OFFICER)
        yield stack


async def person(stack: Stack, username: str) -> Person:
    someone = Person(stack, username)
    assert (await someone.sign_in()).status_code == 303
    await someone.get("/language?to=ka&next=/requests")
    return someone


def state(page: httpx.Response) -> str:
    found = re.search(r'id="request-state">([^<]*)<', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def test_request_sent_is_no_longer_said_once_the_request_is_answered(
    portal: Stack,
) -> None:
    # The council's office asks; its page says the request is sent.
    council = await person(portal, COUNCIL[0])
    needed_by = (datetime.now(TBILISI) + timedelta(days=5)).strftime("%Y-%m-%dT18:00")
    asked = await council.post("/requests/new", {
        "requester_unit": "საკრებულოს აპარატი", "title": "ტურისტების რაოდენობა 2026",
        "question": "რამდენმა ტურისტმა მოინახულა თუშეთი 2026 წლის ზაფხულში?",
        "needed_by": needed_by,
    })  # fmt: skip
    assert asked.status_code == 303, asked.text[:300]
    address = asked.headers["location"]
    assert address.endswith("?done=asked")
    page = await council.get(address)
    assert SENT in page.text

    # The press office answers it and sends the answer.
    head = await person(portal, PRESS_OFFICER[0])
    request_path = address.split("?")[0]
    sent = await head.post(f"{request_path}/answer", {
        "answer": "2026 წლის ზაფხულში თუშეთს 14 200 ტურისტი ეწვია.", "action": "send",
    })  # fmt: skip
    assert sent.status_code == 303, re.findall(r'id="form-errors">(.*?)</div>', sent.text, re.S)

    # The requester's page, from the same address: answered, and no "request sent".
    again = await council.get(address)
    assert state(again) == "პასუხი გაცემულია"
    assert SENT not in again.text
    assert "14 200 ტურისტი" in again.text
