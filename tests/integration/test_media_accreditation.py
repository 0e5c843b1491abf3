"""Accreditation as the events service and the press office use it: the window a press
conference opens and closes, requests by staff and by the public form, approval and
refusal with a reason, the badge with its QR code, check-in at the door, reminders once
per key through a real SMTP server, the journalist's record and the events on the bus."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.media import (
    IMEDI,
    INTERPRESSNEWS,
    Mailbox,
    MediaDesk,
    journalist,
    kind,
    smtp_server,
    wait_for_events,
)
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

EVENT_ID = 41
CONFERENCE = {
    "title_ka": "მერის პრესკონფერენცია თუშეთის გზის შეკეთებაზე",
    "title_en": "The mayor's press conference on the Tusheti road repair",
}


@dataclass
class PressOffice:
    stack: Stack
    mailbox: Mailbox
    events_service: MediaDesk
    officer: MediaDesk
    editor: MediaDesk
    public: MediaDesk


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[PressOffice]:
    with smtp_server() as (mailbox, port):
        async with (
            running_stack(
                ["media"],
                tmp_path=tmp_path,
                nats_url=nats_server.url,
                temporal_address=temporal_server.address,
                new_database=new_database,
                smtp_host="127.0.0.1",
                smtp_port=port,
                mail_poll_seconds=0.1,
                relay_poll_seconds=0.1,
                # The website's proxy, as in production: it names the reader's address.
                trusted_proxies=["127.0.0.1"],
            ) as stack,
            httpx.AsyncClient(timeout=20) as http,
        ):
            yield PressOffice(
                stack,
                mailbox,
                events_service=MediaDesk(
                    stack, http, "meria-worker", headers=stack.service_headers("worker")
                ),
                officer=MediaDesk(stack, http, "giorgi.media", "media_officer"),
                editor=MediaDesk(stack, http, "nino.beridze", "editor"),
                public=MediaDesk(stack, http, "anyone"),
            )


def window(hours_to_start: float = 48, hours_to_close: float = 24) -> dict[str, str]:
    moment = datetime.now(UTC)
    return {
        **CONFERENCE,
        "starts_at": (moment + timedelta(hours=hours_to_start)).isoformat(),
        "closes_at": (moment + timedelta(hours=hours_to_close)).isoformat(),
    }


async def test_the_events_service_opens_and_closes_a_window_idempotently(
    office: PressOffice,
) -> None:
    path = f"/accreditation-windows/{EVENT_ID}"
    body = window()
    created = await office.events_service.call("PUT", path, json=body)
    assert created.status_code == 201, created.text
    opened = created.json()
    assert opened["status"] == "open" and opened["accepting"] is True
    assert opened["public_form_url"].endswith(f"/accreditation/{EVENT_ID}")
    again = await office.events_service.call("PUT", path, json=body)
    assert again.status_code == 200 and again.json()["opened_at"] == opened["opened_at"]

    # An editor may not open windows; nonsense dates change nothing.
    await office.editor.refused(403, "PUT", path, json=body)
    late = {**body, "closes_at": (datetime.now(UTC) + timedelta(days=5)).isoformat()}
    problem = await office.events_service.refused(422, "PUT", path, json=late)
    assert "closes" in problem["detail"]
    await office.events_service.refused(422, "PUT", "/accreditation-windows/0", json=body)
    assert (await office.events_service.ok("GET", path))["closes_at"] == opened["closes_at"]

    closed = await office.events_service.ok(
        "POST", f"{path}/close", json={"reason": "პრესკონფერენცია გადაიდო"}
    )
    assert closed["status"] == "closed" and closed["accepting"] is False
    assert closed["close_reason"] == "პრესკონფერენცია გადაიდო"
    twice = await office.events_service.ok("POST", f"{path}/close", json={"reason": "again"})
    assert twice["closed_at"] == closed["closed_at"]
    refused = await office.public.refused(
        409,
        "POST",
        f"/public/accreditation-windows/{EVENT_ID}/requests",
        json={"full_name": "მარიამ ლომიძე", "outlet": "იმედი", "email": "m@imedi.ge",
              "consent": True},
    )  # fmt: skip
    assert "გადაიდო" in refused["detail"]
    # New dates open it again.
    reopened = await office.events_service.call("PUT", path, json=window(hours_to_start=72))
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert await office.events_service.ok("GET", f"{path}/accredited") == []
    await office.events_service.refused(404, "GET", "/accreditation-windows/999/accredited")


async def test_the_public_form_takes_a_few_requests_from_one_address(
    office: PressOffice,
) -> None:
    await office.events_service.ok("PUT", f"/accreditation-windows/{EVENT_ID}", json=window())
    form = f"/public/accreditation-windows/{EVENT_ID}/requests"
    names = ["ანა", "ბექა", "გიორგი", "დათო", "ეკა", "ვახო"]

    async def send(name: str, address: str) -> httpx.Response:
        return await office.public.http.post(
            f"{office.public.base}{form}",
            json={"full_name": f"{name} ბერიძე", "outlet": "კახეთის ხმა",
                  "email": f"reporter{names.index(name)}@kakhetiskhma.ge", "consent": True},
            headers={"X-Forwarded-For": f"203.0.113.9, {address}"},
        )  # fmt: skip

    # Five an hour from one address (settings), whatever the address claims before ours.
    for name in names[:5]:
        assert (await send(name, "198.51.100.7")).status_code == 201
    held = await send(names[5], "198.51.100.7")
    assert held.status_code == 429
    assert held.headers["content-type"] == "application/problem+json"
    assert 3500 < int(held.headers["retry-after"]) <= 3600
    # The HTML form says so in Georgian first, and keeps what was typed.
    page = await office.public.http.post(
        f"{office.public.base}/accreditation/{EVENT_ID}",
        data={"full_name": "ვახო ბერიძე", "outlet": "კახეთის ხმა",
              "email": "vakho@kakhetiskhma.ge", "consent": "yes"},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )  # fmt: skip
    assert page.status_code == 429 and int(page.headers["retry-after"]) > 3500
    assert "ძალიან ბევრი მოთხოვნა" in page.text and "ვახო ბერიძე" in page.text
    # Another reader's address is not held; the held requests were never recorded.
    assert (await send(names[5], "198.51.100.8")).status_code == 201
    requests = await office.officer.ok("GET", "/accreditations", params={"event_id": EVENT_ID})
    assert len(requests) == 6


async def test_from_the_public_form_to_the_door(office: PressOffice) -> None:
    await office.events_service.ok("PUT", f"/accreditation-windows/{EVENT_ID}", json=window())
    imedi = await office.officer.ok("POST", "/outlets", json=IMEDI)
    ipn = await office.officer.ok("POST", "/outlets", json=INTERPRESSNEWS)
    known = await office.officer.ok(
        "POST", "/journalists", json=journalist("ნათია ჩიკვაიძე", "natia@ipn.ge", ipn["id"])
    )

    # The public form takes a name, an outlet, a contact and the consent, nothing else.
    form = f"/public/accreditation-windows/{EVENT_ID}/requests"
    request = {
        "full_name": "მარიამ ლომიძე",
        "outlet": "Imedi TV",
        "email": "Mariam.Lomidze@imedi.ge",
        "phone": "+995 599 12 34 56",
        "consent": True,
    }
    await office.public.refused(422, "POST", form, json={**request, "consent": False})
    await office.public.refused(422, "POST", form, json={**request, "role": "camera_operator"})
    await office.public.refused(422, "POST", form, json={**request, "email": "not-an-address"})
    receipt = await office.public.ok("POST", form, json=request)
    assert receipt["status"] == "requested" and receipt["reference"].startswith("A-")
    assert (await office.public.ok("POST", form, json=request))["reference"] == receipt["reference"]

    # The HTML form the website links to works without JavaScript, and says what is wrong.
    page = await office.public.call("GET", f"/accreditation/{EVENT_ID}")
    assert page.status_code == 200 and CONFERENCE["title_ka"] in page.text
    # A public page of an API: no script, never in another site's frame, its type as sent.
    assert page.headers["content-security-policy"].startswith("default-src 'none';")
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    bad = await office.public.call("POST", f"/accreditation/{EVENT_ID}", data={"full_name": "ა"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    sent = await office.public.call(
        "POST",
        f"/accreditation/{EVENT_ID}",
        data={"full_name": "გიორგი წიკლაური", "outlet": "კახეთის ხმა",
              "email": "giorgi@kakhetiskhma.ge", "consent": "yes"},
    )  # fmt: skip
    assert sent.status_code == 200 and "A-" in sent.text

    staff_request = await office.officer.ok(
        "POST",
        "/accreditations",
        json={"event_id": EVENT_ID, "journalist_id": known["id"], "role": "journalist"},
    )
    listed = await office.officer.ok("GET", f"/accreditations?event_id={EVENT_ID}")
    by_name = {a["journalist_name"]: a for a in listed}
    assert set(by_name) == {"მარიამ ლომიძე", "გიორგი წიკლაური", "ნათია ჩიკვაიძე"}
    mariam = by_name["მარიამ ლომიძე"]
    assert mariam["source"] == "public_form" and mariam["outlet"]["id"] == imedi["id"]
    assert by_name["გიორგი წიკლაური"]["outlet"] is None  # an outlet staff do not know yet
    assert staff_request["source"] == "staff" and staff_request["badge_code"] is None

    # Approval gives a badge; a refusal needs its reason.
    approved = await office.officer.ok("POST", f"/accreditations/{mariam['id']}/approve")
    assert approved["status"] == "approved" and approved["badge_code"].startswith("MERIA-ACC:")
    await office.officer.ok("POST", f"/accreditations/{staff_request['id']}/approve")
    giorgi = by_name["გიორგი წიკლაური"]
    await office.officer.refused(422, "POST", f"/accreditations/{giorgi['id']}/refuse", json={})
    await office.editor.refused(
        403, "POST", f"/accreditations/{giorgi['id']}/refuse", json={"reason": "არ ვიცით"}
    )
    refused = await office.officer.ok(
        "POST",
        f"/accreditations/{giorgi['id']}/refuse",
        json={"reason": "მედიასაშუალება რეგისტრირებული არ არის"},
    )
    assert refused["status"] == "refused"
    await office.officer.refused(409, "GET", f"/accreditations/{giorgi['id']}/badge.pdf")

    badge = await office.officer.call("GET", f"/accreditations/{mariam['id']}/badge.pdf")
    assert badge.status_code == 200 and badge.headers["content-type"] == "application/pdf"
    assert badge.content.startswith(b"%PDF") and b"NotoSansGeorgian" in badge.content
    assert b"/Subtype /Image" in badge.content

    # Each journalist hears of the decision by email: the badge's own link, or the reason.
    await office.officer.wait_for(
        "/mailings",
        lambda mailings: len(mailings) == 3 and all(m["completed_at"] for m in mailings),
        "sent the three decisions",
    )
    [confirmation] = office.mailbox.to("mariam.lomidze@imedi.ge")
    assert confirmation["Subject"] == f"აკრედიტაცია დადასტურებულია: {CONFERENCE['title_ka']}"
    text = confirmation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"https?://\S+/public/badges/\S+", text)
    assert link is not None
    async with httpx.AsyncClient() as journalist_phone:
        own = await journalist_phone.get(link[0])
        assert own.status_code == 200 and own.content.startswith(b"%PDF")
        # The same badge is made once and kept: the very bytes the office saw, and a phone
        # that holds it is told so.
        assert own.content == badge.content and own.headers["etag"] == badge.headers["etag"]
        held = await journalist_phone.get(link[0], headers={"If-None-Match": own.headers["etag"]})
        assert held.status_code == 304 and not held.content
        forged = await journalist_phone.get(link[0][:-4] + "abcd")
        assert forged.status_code == 404
    [refusal] = office.mailbox.to("giorgi@kakhetiskhma.ge")
    assert "მედიასაშუალება რეგისტრირებული არ არის" in (
        refusal.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    )

    # At the door: the code lets Mariam in once; a refused or made-up code does not.
    door = await office.officer.ok("POST", "/check-ins", json={"code": approved["badge_code"]})
    assert door["already_checked_in"] is False
    assert door["accreditation"]["journalist_name"] == "მარიამ ლომიძე"
    again = await office.officer.ok("POST", "/check-ins", json={"code": approved["badge_code"]})
    assert again["already_checked_in"] is True
    assert again["accreditation"]["checked_in_at"] == door["accreditation"]["checked_in_at"]
    await office.officer.refused(404, "POST", "/check-ins", json={"code": "MERIA-ACC:madeup123"})

    accredited = await office.events_service.ok(
        "GET", f"/accreditation-windows/{EVENT_ID}/accredited"
    )
    assert {(a["full_name"], a["outlet"]) for a in accredited} == {
        ("მარიამ ლომიძე", "იმედი"),
        ("ნათია ჩიკვაიძე", "ინტერპრესნიუსი"),
    }
    assert [a["checked_in_at"] is not None for a in accredited] == [True, False]

    # Reminders go once per key, to the accredited only.
    reminders = f"/accreditation-windows/{EVENT_ID}/reminders"
    await office.officer.refused(403, "POST", reminders, json={"key": "day-before"})
    first = await office.events_service.ok("POST", reminders, json={"key": "day-before"})
    assert first["recipients"] == 2 and first["already_sent"] is False
    again_sent = await office.events_service.ok("POST", reminders, json={"key": "day-before"})
    assert again_sent == {**first, "already_sent": True}
    await office.officer.wait_for(
        f"/mailings/{first['mailing_id']}",
        lambda m: m["completed_at"] is not None,
        "completed",
    )
    reminded = [m for m in office.mailbox.messages if m["Subject"].startswith("შეხსენება")]
    assert sorted(str(m["To"]) for m in reminded) == [
        "მარიამ ლომიძე <mariam.lomidze@imedi.ge>",
        "ნათია ჩიკვაიძე <natia@ipn.ge>",
    ]
    reminder = office.mailbox.to("natia@ipn.ge")[-1]
    assert reminder["Subject"] == f"შეხსენება: {CONFERENCE['title_ka']}"
    assert "List-Unsubscribe" not in reminder

    # Each step is on the journalist's record.
    record = await office.officer.ok("GET", f"/journalists/{mariam['journalist_id']}/record")
    assert [entry["action"] for entry in record] == [
        "recorded",
        "consent_given",
        "accreditation_requested",
        "accreditation_approved",
        "checked_in",
        "accreditation_reminded",
    ]
    giorgi_record = await office.officer.ok("GET", f"/journalists/{giorgi['journalist_id']}/record")
    assert giorgi_record[-1]["note"] == "მედიასაშუალება რეგისტრირებული არ არის"

    events = await wait_for_events(
        office.stack,
        {"accreditation.requested", "accreditation.approved", "accreditation.refused",
         "distribution.sent"},
    )  # fmt: skip
    requested = [e for e in events if kind(e) == "accreditation.requested"]
    assert len(requested) == 3
    assert all("full_name" not in e["data"] and "email" not in e["data"] for e in events)
    assert {e["data"]["source"] for e in requested} == {"public_form", "staff"}
