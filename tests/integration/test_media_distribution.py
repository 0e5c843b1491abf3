"""Press distribution through a real SMTP server: a published press release goes to its
lists once per recipient, in the recipient's language, with a stable Message-ID and a
signed one-click unsubscribe link; 4xx answers are tried again, 5xx are bounces kept on
the journalist's record; who unsubscribed or bounced gets no more releases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.media import (
    IMEDI,
    INTERPRESSNEWS,
    KAKHETI_INFO,
    PUBLIC_BROADCASTER,
    Mailbox,
    MediaDesk,
    consent,
    journalist,
    kind,
    publish_release,
    smtp_server,
    wait_for_events,
)
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database


@dataclass
class Newsroom:
    stack: Stack
    mailbox: Mailbox
    officer: MediaDesk
    nats_url: str
    people: dict[str, dict[str, object]]


@pytest.fixture
async def newsroom(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Newsroom]:
    mailbox = Mailbox(
        refusals={
            "old.address@imedi.ge": ["550 5.1.1 No such mailbox"],
            "busy@kakhetiskhma.ge": ["451 4.3.2 Try again later", "451 4.3.2 Try again later"],
        }
    )
    with smtp_server(mailbox) as (_, port):
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
                mail_retry_seconds=0.2,
                relay_poll_seconds=0.1,
                website_url="https://akhmeta.gov.ge",
                mail_from="ახმეტის მერია <press@akhmeta.gov.ge>",
            ) as stack,
            httpx.AsyncClient(timeout=20) as http,
        ):
            officer = MediaDesk(stack, http, "giorgi.media", "media_officer")
            ipn = await officer.ok("POST", "/outlets", json=INTERPRESSNEWS)
            imedi = await officer.ok("POST", "/outlets", json=IMEDI)
            gpb = await officer.ok("POST", "/outlets", json=PUBLIC_BROADCASTER)
            kakheti = await officer.ok("POST", "/outlets", json=KAKHETI_INFO)
            people = {
                "natia": journalist("ნათია ჩიკვაიძე", "natia@ipn.ge", ipn["id"], beats=["tourism"]),
                "mariam": journalist("მარიამ ლომიძე", "mariam@imedi.ge", imedi["id"]),
                "eka": journalist("Eka Gigauri", "eka@1tv.ge", gpb["id"], languages=["en"]),
                "levan": journalist(
                    "ლევან ხოსიტაშვილი", "levan@kakhetiskhma.ge", kakheti["id"],
                    consents=[consent("accreditation")],
                ),
                "old": journalist("ზურაბ ქავთარაძე", "old.address@imedi.ge", imedi["id"]),
                "busy": journalist("თეონა ბაღაშვილი", "busy@kakhetiskhma.ge", kakheti["id"]),
            }  # fmt: skip
            created = {
                name: await officer.ok("POST", "/journalists", json=data)
                for name, data in people.items()
            }
            await officer.ok(
                "POST",
                "/distribution-lists",
                json={"name_ka": "ყველა ტელევიზია", "name_en": "All TV", "kind": "rule",
                      "rule": {"media": ["tv"]}},
            )  # fmt: skip
            await officer.ok(
                "POST",
                "/distribution-lists",
                json={
                    "name_ka": "ტურიზმი და რეგიონი",
                    "kind": "static",
                    "member_ids": [created[n]["id"] for n in ("natia", "old", "busy", "levan")],
                    "document_types": ["press_release"],
                },
            )
            yield Newsroom(stack, mailbox, officer, nats_server.url, created)


async def completed_mailing(newsroom: Newsroom, document_id: int) -> dict[str, object]:
    found = await newsroom.officer.wait_for(
        f"/mailings?document_id={document_id}",
        lambda mailings: bool(mailings) and mailings[0]["completed_at"] is not None,
        "completed",
    )
    mailing: dict[str, object] = found[0]
    return mailing


async def test_a_published_release_reaches_each_recipient_once(newsroom: Newsroom) -> None:
    await publish_release(newsroom.nats_url, 7)
    mailing = await completed_mailing(newsroom, 7)
    assert mailing["counts"] == {"sent": 4, "bounced": 1}
    deliveries = await newsroom.officer.ok("GET", f"/mailings/{mailing['id']}/deliveries")
    by_email = {d["email"]: d for d in deliveries}
    # Levan agreed to accreditation only, not to releases: he is not on the mailing.
    assert set(by_email) == {
        "natia@ipn.ge", "mariam@imedi.ge", "eka@1tv.ge", "old.address@imedi.ge",
        "busy@kakhetiskhma.ge",
    }  # fmt: skip
    assert by_email["busy@kakhetiskhma.ge"]["attempts"] == 2
    assert by_email["busy@kakhetiskhma.ge"]["status"] == "sent"
    assert by_email["old.address@imedi.ge"]["smtp_answer"].startswith("550")

    # One message per recipient, each with its own stable Message-ID.
    assert sorted(m["To"].addresses[0].addr_spec for m in newsroom.mailbox.messages) == sorted(
        e for e, d in by_email.items() if d["status"] == "sent"
    )
    natia_id = newsroom.people["natia"]["id"]
    [natia] = newsroom.mailbox.to("natia@ipn.ge")
    assert natia["Message-ID"] == f"<release-7.1-j{natia_id}@akhmeta.gov.ge>"
    assert natia["Subject"] == "ახმეტაში თუშეთის გზის შეკეთება დასრულდა"
    assert natia["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = natia.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "ომალოს გზის 12 კილომეტრი" in text
    assert "https://akhmeta.gov.ge/press-releases/7" in text
    assert "Twelve kilometres" in text  # the English follows the Georgian
    [eka] = newsroom.mailbox.to("eka@1tv.ge")
    assert eka["Subject"] == "The Tusheti road repair in Akhmeta is finished"

    # The bounce is on the journalist's record; their address gets no more releases.
    old = await newsroom.officer.ok("GET", f"/journalists/{newsroom.people['old']['id']}")
    assert old["email_bounced_at"] is not None
    record = await newsroom.officer.ok("GET", f"/journalists/{old['id']}/record")
    assert record[-1]["action"] == "email_bounced" and record[-1]["note"].startswith("550")

    # The same publication delivered again, and a minor correction, send nothing more.
    await publish_release(newsroom.nats_url, 7)
    await publish_release(newsroom.nats_url, 7, edition=2, change_kind="minor")
    events = await wait_for_events(newsroom.stack, {"distribution.sent"})
    sent = [e["data"] for e in events if kind(e) == "distribution.sent"]
    assert sent == [
        {"mailing_id": mailing["id"], "kind": "release", "document_id": 7, "edition": 1,
         "document_type": "press_release", "event_id": None, "recipients": 5, "sent": 4,
         "bounced": 1, "failed": 0, "suppressed": 0, "unsubscribed": 0},
    ]  # fmt: skip
    assert len(await newsroom.officer.ok("GET", "/mailings")) == 1
    assert len(newsroom.mailbox.messages) == 4


async def test_one_click_unsubscribe_stops_the_next_releases(newsroom: Newsroom) -> None:
    await publish_release(newsroom.nats_url, 7)
    await completed_mailing(newsroom, 7)
    [natia] = newsroom.mailbox.to("natia@ipn.ge")
    link = re.fullmatch(r"<(.+)>", natia["List-Unsubscribe"])
    assert link is not None
    async with httpx.AsyncClient() as browser:
        # Opening the link (a mail scanner does) changes nothing; the button does.
        page = await browser.get(link[1])
        assert page.status_code == 200 and "<form" in page.text
        person = await newsroom.officer.ok("GET", f"/journalists/{newsroom.people['natia']['id']}")
        assert person["unsubscribed_at"] is None
        clicked = await browser.post(link[1], data={"List-Unsubscribe": "One-Click"})
        assert clicked.status_code == 200
        forged = await browser.post(link[1][:-3] + "xyz", data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 404
    person = await newsroom.officer.ok("GET", f"/journalists/{newsroom.people['natia']['id']}")
    assert person["unsubscribed_at"] is not None

    # An advisory goes to the lists that take advisories: TV, minus nobody; the static list
    # takes press releases only.
    await publish_release(
        newsroom.nats_url, 8, document_type="announcement", title_ka="მედიაანონსი: მერის ბრიფინგი"
    )
    advisory = await completed_mailing(newsroom, 8)
    deliveries = await newsroom.officer.ok("GET", f"/mailings/{advisory['id']}/deliveries")
    assert {d["email"] for d in deliveries} == {"mariam@imedi.ge", "eka@1tv.ge"}
    await publish_release(newsroom.nats_url, 9, title_ka="ზემო ალვანის სკოლა შეკეთდა")
    release = await completed_mailing(newsroom, 9)
    deliveries = await newsroom.officer.ok("GET", f"/mailings/{release['id']}/deliveries")
    # Natia unsubscribed and the old address bounced: neither is on it.
    assert {d["email"] for d in deliveries} == {
        "mariam@imedi.ge", "eka@1tv.ge", "busy@kakhetiskhma.ge"
    }  # fmt: skip

    # Eka's server asks to try later; she unsubscribes meanwhile. Her line says so: not
    # sent because she unsubscribed, not bounced, not sent.
    [eka_advisory] = newsroom.mailbox.to("eka@1tv.ge")[-1:]
    eka_link = re.fullmatch(r"<(.+)>", eka_advisory["List-Unsubscribe"])
    assert eka_link is not None
    newsroom.mailbox.refusals["eka@1tv.ge"] = ["451 4.3.2 Try again later"] * 7
    await publish_release(newsroom.nats_url, 10, title_ka="ალვანში ახალი ამბულატორია გაიხსნა")
    waiting = await newsroom.officer.wait_for(
        "/mailings?document_id=10", lambda mailings: bool(mailings), "made"
    )
    await newsroom.officer.wait_for(
        f"/mailings/{waiting[0]['id']}/deliveries?status=deferred",
        lambda found: [d["email"] for d in found] == ["eka@1tv.ge"], "deferred",
    )  # fmt: skip
    async with httpx.AsyncClient() as browser:
        clicked = await browser.post(eka_link[1], data={"List-Unsubscribe": "One-Click"})
        assert clicked.status_code == 200
    later = await completed_mailing(newsroom, 10)
    assert later["counts"] == {"sent": 2, "unsubscribed": 1}
    [eka] = await newsroom.officer.ok(
        "GET", f"/mailings/{later['id']}/deliveries", params={"status": "unsubscribed"}
    )
    assert eka["email"] == "eka@1tv.ge" and eka["smtp_answer"].startswith("unsubscribed on")


async def test_a_journalists_email_and_phone_are_for_the_press_service_and_the_head(
    newsroom: Newsroom,
) -> None:
    natia_id = newsroom.people["natia"]["id"]
    await newsroom.officer.ok(
        "PATCH", f"/journalists/{natia_id}", json={"phone": "+995 599 12 34 56"}
    )
    await publish_release(newsroom.nats_url, 7)
    mailing = await completed_mailing(newsroom, 7)
    [static_list] = [
        found for found in await newsroom.officer.ok("GET", "/distribution-lists")
        if found["kind"] == "static"
    ]  # fmt: skip

    def desk(user: str, *roles: str) -> MediaDesk:
        return MediaDesk(newsroom.stack, newsroom.officer.http, user, *roles)

    # The press officers, the head of department and the administrator reach journalists.
    for reader in (
        newsroom.officer,
        desk("tamar.gelashvili", "head_of_department"),
        desk("portal.admin", "admin"),
    ):
        natia = await reader.ok("GET", f"/journalists/{natia_id}")
        assert natia["contacts_visible"] is True
        assert (natia["email"], natia["phone"]) == ("natia@ipn.ge", "+995 599 12 34 56")
        [found] = await reader.ok("GET", "/journalists", params={"text": "natia@ipn"})
        assert found["id"] == natia_id
    # Other staff see who the journalist is and where they write, not how to reach them.
    for reader in (
        desk("nino.beridze", "editor"),
        desk("mariam.chokheli", "protocol_officer"),
        desk("levan.kapanadze", "legal_reviewer"),
        desk("mayor.akhmeta", "mayor"),
    ):
        natia = await reader.ok("GET", f"/journalists/{natia_id}")
        assert natia["full_name"] == "ნათია ჩიკვაიძე" and natia["outlet"]["name_ka"]
        assert natia["contacts_visible"] is False
        assert natia["email"] is None and natia["phone"] is None
        everyone = await reader.ok("GET", "/journalists")
        assert len(everyone) == 6 and all(j["email"] is None for j in everyone)
        assert all(j["phone"] is None for j in everyone)
        # Nor can they learn by searching whether an address is on record.
        assert await reader.ok("GET", "/journalists", params={"text": "natia@ipn"}) == []
        assert len(await reader.ok("GET", "/journalists", params={"text": "ნათია"})) == 1
        recipients = await reader.ok("GET", f"/distribution-lists/{static_list['id']}/recipients")
        assert recipients and all(r["email"] is None and r["full_name"] for r in recipients)
        deliveries = await reader.ok("GET", f"/mailings/{mailing['id']}/deliveries")
        assert len(deliveries) == 5 and all(d["email"] is None for d in deliveries)
    recipients = await newsroom.officer.ok(
        "GET", f"/distribution-lists/{static_list['id']}/recipients"
    )
    assert "natia@ipn.ge" in {r["email"] for r in recipients}
