"""The walking skeleton: a document published in publishing appears on the website.

Publishing, the worker and the website run on real HTTP ports with their own databases,
a real nats-server and a real Temporal dev server; the website learns of the document
only from the bus.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.publishing import Desk
from tests.support.stack import running_stack

TITLE = "ახმეტის მერიამ ტურისტული სეზონის შედეგები შეაჯამა"


async def test_published_document_reaches_the_website(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    async with (
        running_stack(
            ["publishing", "worker", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=10) as http,
    ):
        publishing = stack.urls["publishing"]
        editor = stack.headers("editor")

        # An editor writes a press release in Georgian and English…
        created = await http.post(
            f"{publishing}/documents",
            headers=editor,
            json={
                "document_type": "press_release",
                "title_ka": TITLE,
                "title_en": "Akhmeta City Hall sums up the tourist season",
                "summary_ka": "თუშეთს ამ ზაფხულს რეკორდული რაოდენობის სტუმარი ეწვია.",
            },
        )
        assert created.status_code == 201, created.text
        document = created.json()
        assert document["state"] == "draft"

        # …submits it; the head of department approves, and its workflow publishes it.
        submitted = await http.post(
            f"{publishing}/documents/{document['id']}/submit", headers=editor, json={}
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["current"]["workflow_id"] == f"document-{document['id']}-edition-1"
        head = Desk(stack, http, "tamar.gelashvili", "head_of_department")
        await head.wait_for_stage(document["id"], "department_review")
        assert (await head.decide(document["id"])).status_code == 200

        # The website shows it, having heard of it only on the bus.
        shown: list[dict[str, object]] = []
        for _ in range(200):
            shown = (await http.get(f"{stack.urls['website']}/api/documents")).json()
            if shown:
                break
            await asyncio.sleep(0.1)
        assert [item["title_ka"] for item in shown] == [TITLE]
        assert shown[0]["document_id"] == document["id"]

        page = await http.get(f"{stack.urls['website']}/")
        assert TITLE in page.text
        english = await http.get(f"{stack.urls['website']}/en/")
        assert "Akhmeta City Hall sums up the tourist season" in english.text

        state = (await http.get(f"{publishing}/documents/{document['id']}", headers=editor)).json()
        assert state["state"] == "published"

        # Submitting again is refused with the state and what it allows.
        again = await http.post(
            f"{publishing}/documents/{document['id']}/submit", headers=editor, json={}
        )
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json()["detail"].startswith("Document")
