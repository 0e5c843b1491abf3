"""A legal act's form in the portal over real HTTP, against the publishing service: its
entry into force is kept and shown again on the edit form; a row naming an act the
register does not have, a row with a wrong article, and "more rows" each bring the form
back with everything typed; and an act nothing has changed has nothing to consolidate.
No worker runs: nothing here goes along its route."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

TITLE = "ახმეტის მუნიციპალიტეტის მერის ბრძანება ტყის ფონდის დაცვის შესახებ"
CONDITION = "ბრძანება ძალაში შედის ტყის მართვის გეგმის დამტკიცების დღიდან."
ORDER = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": TITLE,
    "body_ka": "მუხლი 1. ტყეში ხის ჭრა ნებართვის გარეშე აიკრძალოს.",
    "change_rows": "3",
}


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        response = await http.put(
            f"{stack.urls['publishing']}/issuers/mayor",
            headers=stack.headers("admin"),
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        assert response.status_code == 200
        yield stack


async def editor_of(stack: Stack) -> Person:
    editor = Person(stack, STAFF["editor"][0])
    assert (await editor.sign_in()).status_code == 303
    return editor


def value_of(page: httpx.Response, field: str) -> str:
    found = re.search(
        rf'id="{re.escape(field)}" name="{re.escape(field)}" value="([^"]*)"', page.text
    )
    assert found, f"no field {field}"
    return found.group(1)


async def documents(stack: Stack) -> int:
    async with httpx.AsyncClient(timeout=20) as http:
        found = await http.get(
            f"{stack.urls['publishing']}/documents", headers=stack.headers("editor")
        )
    total: int = found.json()["total"]
    return total


async def test_rows_naming_no_act_or_a_wrong_article_come_back_as_typed(portal: Stack) -> None:
    editor = await editor_of(portal)
    # An act the register does not have, and an article that is not one: each beside its
    # row in Georgian; nothing is saved.
    refused = await editor.post("/documents/new", {
        **ORDER, "action": "save",
        "change-0-number": "999/2020", "change-0-kind": "amends", "change-0-articles": "2",
        "change-2-number": "3/2026", "change-2-kind": "repeals", "change-2-articles": "2, მესამე",
    })  # fmt: skip
    assert refused.status_code == 422
    assert 'id="change-0-number-error"' in refused.text
    assert "რეესტრში ამ გამომცემის მერის ბრძანება № 999/2020 არ არის" in refused.text
    assert 'id="change-2-articles-error"' in refused.text and "„მესამე“" in refused.text
    assert value_of(refused, "change-2-articles") == "2, მესამე"
    assert value_of(refused, "title_ka") == TITLE
    assert await documents(portal) == 0

    # More rows: three more, and what was typed stays.
    more = await editor.post("/documents/new", {
        **ORDER, "action": "more_rows", "change-1-number": "5/2026", "change-1-kind": "suspends",
    })  # fmt: skip
    assert more.status_code == 200
    assert more.text.count('class="act-change"') == 6
    assert value_of(more, "change-1-number") == "5/2026"
    assert 'value="suspends" selected' in more.text
    assert await documents(portal) == 0
    await editor.close()


async def test_an_act_on_a_condition_keeps_it_and_has_nothing_to_consolidate(
    portal: Stack,
) -> None:
    editor = await editor_of(portal)
    # The condition's Georgian text is required; given, the draft is saved with it.
    missing = await editor.post(
        "/documents/new", {**ORDER, "action": "save", "entry_kind": "condition"}
    )
    assert missing.status_code == 422 and 'id="condition_ka-error"' in missing.text
    saved = await editor.post("/documents/new", {
        **ORDER, "action": "save", "entry_kind": "condition", "condition_ka": CONDITION,
    })  # fmt: skip
    assert saved.status_code == 303, saved.text
    path = saved.headers["location"].split("?")[0]
    page = await editor.get(path)
    assert CONDITION in page.text and "ელოდება პირობის შესრულებას" in page.text

    # The edit form shows it again, chosen.
    form = await editor.get(f"{path}/edit")
    assert re.search(
        r'id="entry_kind-condition" name="entry_kind" value="condition" checked', form.text
    )
    assert CONDITION in form.text

    # A draft nothing has changed has no consolidated version: said on its page.
    refused = await editor.post(
        f"{path}/consolidations", {"as_of": "2026-12-01", "change_note": "კონსოლიდაცია"}
    )
    assert refused.status_code == 422
    assert 'id="consolidation-error"' in refused.text
    assert "აქტს არ აქვს მოქმედი გამოქვეყნებული ტექსტი" in refused.text
    await editor.close()
