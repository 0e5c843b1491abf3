"""An administrator finds what a service could not apply, and decides it in the portal."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from meria.bus import Bus
from meria.bus.streams import stream_for_subject
from meria.config import bus_credentials_of
from meria.testing.servers import NatsServer
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, create_staff
from tests.support.stack import running_stack, wait_until

APPROVED = "visits.visit.approved"


async def publish_raw(nats_url: str, data: bytes) -> None:
    """A message on the visits service's subject, as a broken visits service would send."""
    bus = Bus(nats_url, "test-visits", bus_credentials_of("visits"),
              streams=[stream_for_subject(APPROVED)])  # fmt: skip
    await bus.connect()
    try:
        await bus.js.publish(APPROVED, data)
    finally:
        await bus.close()


async def test_a_dead_letter_is_seen_refused_again_and_discarded_with_a_reason(
    tmp_path: Path, nats_server: NatsServer, new_database: DatabaseFactory
) -> None:
    async with (
        running_stack(
            ["events", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        await create_staff(stack, http)
        admin_api = stack.headers("admin", user="portal.admin")
        letters_url = f"{stack.urls['events']}/dead-letters"

        # A visit's approval arrives that is no event at all: the events service keeps it.
        await publish_raw(nats_server.url, "ვიზიტი დამტკიცდა".encode())

        async def kept() -> bool:
            answer = await http.get(letters_url, headers=admin_api)
            return answer.status_code == 200 and answer.json()["total"] == 1

        await wait_until(kept, what="the events service's dead letter")
        [letter] = (await http.get(letters_url, headers=admin_api)).json()["items"]
        assert letter["kind"] == "malformed" and letter["subject"] == APPROVED
        # Only administrators read them.
        editor_api = stack.headers("editor", user="nino.beridze")
        assert (await http.get(letters_url, headers=editor_api)).status_code == 403

        # In the portal, under the events service, with the message as it came.
        admin = Person(stack, STAFF["admin"][0])
        editor = Person(stack, STAFF["editor"][0])
        try:
            await admin.sign_in()
            await editor.sign_in()
            assert (await editor.get("/dashboard/dead-letters")).status_code == 403
            page = await admin.get("/dashboard/dead-letters")
            assert page.status_code == 200
            assert "ვიზიტი დამტკიცდა" in page.text and APPROVED in page.text
            action = f"/dashboard/dead-letters/events/{letter['id']}"

            # Applied again it fails again, says why, and stays open.
            again = await admin.post(action, {"action": "redrive", "reason": "ვცადოთ კიდევ"})
            assert again.status_code == 409
            assert "not a CloudEvents JSON envelope" in again.text
            # A decision without a reason is refused and changes nothing.
            bare = await admin.post(action, {"action": "discard", "reason": ""})
            assert bare.status_code == 422
            # Discarded with the reason, it is kept with who and why.
            done = await admin.post(
                action, {"action": "discard", "reason": "ვიზიტების სერვისის შეცდომა, გასწორდა"}
            )
            assert done.status_code == 303, done.text
            after = await admin.get(done.headers["location"])
            assert "ვიზიტი დამტკიცდა" not in after.text
        finally:
            await admin.close()
            await editor.close()
        answer = await http.get(letters_url, headers=admin_api, params={"status": "discarded"})
        [decided] = answer.json()["items"]
        assert decided["decided_by"] == "portal.admin"
        assert decided["decision_reason"] == "ვიზიტების სერვისის შეცდომა, გასწორდა"
        assert json.dumps(decided["last_error"] or "") != ""
