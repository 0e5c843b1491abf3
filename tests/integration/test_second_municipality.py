"""Meria serves any municipality: Telavi installs its profile, and nothing the public,
journalists or staff receive names Akhmeta — not the website's pages, feeds, calendar,
sitemap or Akoma Ntoso XML, not a journalist's badge, not a press release's mail. An
administrator's edit of the profile reaches the website without a restart; no one else
may edit it, and a process that finds no municipality refuses to start."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import httpx
import pytest
from icalendar import Calendar
from lxml import etree
from nats.errors import TimeoutError as NatsTimeout

from meria import municipality
from meria.bus import Bus
from meria.config import bus_credentials_of
from meria.testing.servers import NatsServer, TemporalDevServer, free_port
from services.website.akoma_ntoso import schema
from tests.conftest import DatabaseFactory
from tests.support.media import Mailbox, MediaDesk, journalist, smtp_server
from tests.support.portal import Person, add_account
from tests.support.press import window
from tests.support.publishing import Desk
from tests.support.stack import Stack, running_stack

AKHMETA = re.compile(r"akhmeta|ახმეტ", re.IGNORECASE)
TELAVI = municipality.bundled("telavi")
MERIA = str(Path(sys.executable).parent / "meria")
ROOT = Path(__file__).resolve().parents[2]

ORDER = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": "თელავის მუნიციპალიტეტის მერის ბრძანება ნაძვების ბაღის მოვლის შესახებ",
    "title_en": "Order of the Mayor of Telavi Municipality on the care of the Nadikvari park",
    "summary_ka": "ნადიკვრის პარკის მოვლა ზამთრის სეზონისთვის.",
    "body_ka": "<p>1. ნადიკვრის პარკში ხეები გაისხლას 1 დეკემბრამდე.</p>"
    "<p>2. ბრძანება ძალაშია გამოქვეყნებისთანავე.</p>",
    "body_en": "<p>1. The trees of the Nadikvari park are to be pruned by 1 December.</p>"
    "<p>2. The order is in force once published.</p>",
}
RELEASE = {
    "document_type": "press_release",
    "title_ka": "თელავში ერეკლე II-ის სასახლის ეზო განახლდა",
    "title_en": "The courtyard of King Erekle II's palace in Telavi is renewed",
    "body_ka": "<p>სამუშაოები მერიის დაფინანსებით ორ თვეში დასრულდა.</p>",
    "body_en": "<p>The works, funded by the city hall, took two months.</p>",
}


def no_akhmeta(where: str, text: str) -> None:
    found = AKHMETA.search(text)
    assert found is None, (
        f"{where} names Akhmeta: …{text[max(found.start() - 80, 0) : found.end() + 80]}…"
    )


async def pdf_text(content: bytes, path: Path) -> str:
    """The words of a PDF as poppler's pdftotext finds them, as a reader's viewer would."""
    path.write_bytes(content)
    ran = await asyncio.to_thread(
        subprocess.run,
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return ran.stdout


@dataclass
class Telavi:
    stack: Stack
    http: httpx.AsyncClient
    mailbox: Mailbox
    desks: dict[str, Desk]

    async def site(self, path: str, **params: Any) -> httpx.Response:
        answer = await self.http.get(f"{self.stack.urls['website']}{path}", params=params)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer

    async def publish(self, document: dict[str, Any]) -> int:
        """Through the document's whole route, as the people on it decide."""
        editor = self.desks["editor"]
        document_id: int = (await editor.create(document))["id"]
        await editor.submit(document_id)
        decided: set[str] = set()
        for _ in range(600):
            status = await editor.status(document_id)
            waiting = [task for task in status["tasks"] if task["task_id"] not in decided]
            if not waiting and status["stage"] in ("approved", "publishing", "published"):
                break
            for task in waiting:
                decision = await self.desks[task["step"]].decide(
                    document_id, task_id=task["task_id"]
                )
                assert decision.status_code == 200, decision.text
                decided.add(task["task_id"])
            await asyncio.sleep(0.05)
        for _ in range(600):
            listed = (await self.site("/api/documents")).json()
            if any(item["document_id"] == document_id for item in listed):
                return document_id
            await asyncio.sleep(0.05)
        raise AssertionError(f"document {document_id} never reached the website")


@pytest.fixture
async def telavi(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Telavi]:
    with smtp_server() as (mailbox, port):
        async with (
            running_stack(
                ["publishing", "worker", "media", "website"],
                tmp_path=tmp_path,
                nats_url=nats_server.url,
                temporal_address=temporal_server.address,
                new_database=new_database,
                profile=TELAVI,
                smtp_host="127.0.0.1",
                smtp_port=port,
                mail_poll_seconds=0.1,
                relay_poll_seconds=0.1,
                file_poll_seconds=0.2,
            ) as stack,
            httpx.AsyncClient(timeout=30) as http,
        ):
            desks = {
                "editor": Desk(stack, http, "nino.beridze", "editor"),
                "legal_review": Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
                "department_review": Desk(stack, http, "tamar.gelashvili", "head_of_department"),
                "signature": Desk(stack, http, "mayor.telavi", "mayor"),
                "admin": Desk(stack, http, "portal.admin", "admin"),
            }
            # The issuers of acts are the profile's, as `meria seed` sets them.
            for issuer in TELAVI.issuers:
                await desks["admin"].ok(
                    "PUT",
                    f"/issuers/{issuer.code}",
                    json={"name_ka": issuer.ka, "name_en": issuer.en},
                )
            yield Telavi(stack, http, mailbox, desks)


async def test_telavi_finds_no_trace_of_akhmeta(telavi: Telavi, tmp_path: Path) -> None:
    # Every process serves Telavi, read from the bus as it started.
    assert municipality.current() == TELAVI

    # A press officer keeps a journalist on a list for press releases, and accredits her.
    officer = MediaDesk(telavi.stack, telavi.http, "giorgi.media", "media_officer")
    natia = await officer.ok(
        "POST", "/journalists", json=journalist("ნათია ჩიკვაიძე", "natia@ipn.ge", None)
    )
    await officer.ok(
        "POST",
        "/distribution-lists",
        json={
            "name_ka": "რეგიონული პრესა",
            "kind": "static",
            "member_ids": [natia["id"]],
            "document_types": ["press_release"],
        },
    )
    await officer.ok("PUT", "/accreditation-windows/5101", json=window())
    accreditation = await officer.ok(
        "POST", "/accreditations", json={"event_id": 5101, "journalist_id": natia["id"]}
    )
    await officer.ok("POST", f"/accreditations/{accreditation['id']}/approve")

    # The mayor signs an order; the press office publishes a release.
    act_id = await telavi.publish(ORDER)
    await telavi.publish(RELEASE)

    # The website's pages, in Georgian and English, name Telavi's city hall.
    home = (await telavi.site("/")).text
    assert "თელავის მუნიციპალიტეტის მერია" in home
    # Its footer gives the profile's address, contacts and social links.
    assert TELAVI.address.ka in home and TELAVI.email in home
    assert all(str(link.url) in home for link in TELAVI.social)
    english = (await telavi.site("/en/")).text
    assert "Telavi Municipality City Hall" in english
    pages = {"/": home, "/en/": english}
    for path in (
        "/acts", f"/acts/{act_id}", "/press-releases", "/en/acts", "/calendar", "/data",
        "/en/data", "/data/catalog.jsonld", "/data/acts.csv", "/accessibility", "/privacy",
        "/sitemap", "/theme.css", "/coat-of-arms.svg",
    ):  # fmt: skip
        pages[path] = (await telavi.site(path)).text
    assert "თელავის მუნიციპალიტეტის გერბი" in pages["/coat-of-arms.svg"]
    pages["/search"] = (await telavi.site("/search", q="თელავი")).text
    assert RELEASE["title_ka"] in pages["/search"]
    for path, text in pages.items():
        no_akhmeta(path, text)

    # The feeds: their author is Telavi's city hall; the calendar's product is too.
    for feed in ("/feeds/news.atom", "/feeds/acts.atom", "/feeds/press-releases.atom"):
        atom = await telavi.site(feed)
        no_akhmeta(feed, atom.text)
        parsed = feedparser.parse(atom.content)
        assert parsed.feed.author == "თელავის მუნიციპალიტეტის მერია", feed
    ics = await telavi.site("/feeds/events.ics")
    no_akhmeta("events.ics", ics.text)
    calendar = Calendar.from_ical(ics.content)
    assert str(calendar["prodid"]) == "-//Telavi Municipality City Hall//Meria//KA"
    assert "თელავის მუნიციპალიტეტის მერია" in str(calendar["x-wr-calname"])

    # The sitemap and its parts.
    sitemap = await telavi.site("/sitemap.xml")
    no_akhmeta("sitemap.xml", sitemap.text)
    loc = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
    for part in ElementTree.fromstring(sitemap.content).iter(loc):
        assert part.text is not None
        no_akhmeta(part.text, (await telavi.site(urlsplit(part.text).path)).text)

    # The act in Akoma Ntoso, valid, named after Telavi: its URI, namespace and bodies.
    for language in ("ka", "en"):
        akn = await telavi.site(f"/acts/{act_id}.akn.xml", lang=language)
        schema().assertValid(etree.fromstring(akn.content))
        no_akhmeta(f"akn {language}", akn.text)
        assert "/akn/ge-telavi/act/order/mayor/" in akn.text
        assert "https://telavi.gov.ge/ns/meria" in akn.text
        assert TELAVI.municipality(language) in akn.text

    # The act's signed original, as the website offers it, is Telavi's city hall's.
    for _ in range(300):
        page = (await telavi.site(f"/acts/{act_id}")).text
        files = re.findall(r'href="(/files/[^"]+\.pdf)"', page)
        if files:
            break
        await asyncio.sleep(0.1)
    assert files, "the signed original never reached the website"
    signed = await pdf_text((await telavi.site(files[0])).content, tmp_path / "act.pdf")
    no_akhmeta("the signed act", signed)
    assert "თელავის მუნიციპალიტეტის მერია" in signed

    # The journalist's badge names Telavi's city hall, in both languages.
    badge = await officer.call("GET", f"/accreditations/{accreditation['id']}/badge.pdf")
    assert badge.status_code == 200
    text = await pdf_text(badge.content, tmp_path / "badge.pdf")
    no_akhmeta("badge", text)
    assert "თელავის მუნიციპალიტეტის მერია" in text and "Telavi Municipality City Hall" in text

    # The release reached the journalist by mail, from Telavi's press office.
    for _ in range(300):
        if telavi.mailbox.to("natia@ipn.ge"):
            break
        await asyncio.sleep(0.1)
    mails = telavi.mailbox.to("natia@ipn.ge")
    releases = [mail for mail in mails if RELEASE["title_ka"] in str(mail["Subject"])]
    assert releases, f"the press release was never mailed: {[m['Subject'] for m in mails]}"
    for mail in mails:  # the release, and the accreditation's decision
        body = mail.get_body(("plain",))
        assert body is not None
        no_akhmeta(f"mail {mail['Subject']}", str(mail) + body.get_content())
    release = releases[0]
    assert "press@telavi.gov.ge" in str(release["From"])
    body = release.get_body(("plain",))
    assert body is not None and "Telavi Municipality City Hall" in body.get_content()


async def test_an_administrator_edits_the_municipality_and_the_website_shows_it_at_once(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    async with (
        running_stack(
            ["portal", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            profile=TELAVI,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        await add_account(stack, http, "portal.admin", "ადმინისტრატორი", ["admin"])
        await add_account(stack, http, "nino.beridze", "ნინო ბერიძე", ["editor"])
        website = stack.urls["website"]
        assert "Telavi Municipality City Hall" in (await http.get(f"{website}/en/")).text

        # An editor may neither see nor change the municipality.
        editor = Person(stack, "nino.beridze")
        admin = Person(stack, "portal.admin")
        try:
            await editor.sign_in()
            assert (await editor.get("/admin/municipality")).status_code == 403
            sent = await editor.post("/admin/municipality", {"profile": "", "reason": "ცდა"})
            assert sent.status_code == 403

            # The administrator's form shows the profile as TOML.
            await admin.sign_in()
            page = await admin.get("/admin/municipality")
            assert page.status_code == 200
            assert 'code = "telavi"' in page.text.replace("&#34;", '"')
            renamed = municipality.to_toml(TELAVI).replace(
                'city_hall = "Telavi Municipality City Hall"',
                'city_hall = "City Hall of Telavi Municipality"',
            )

            # A bad colour is refused with its reason, and nothing changes.
            bad = renamed.replace('primary = "#1d4e89"', 'primary = "navy"')
            refused = await admin.post(
                "/admin/municipality", {"profile": bad, "reason": "ფერის შეცვლა"}
            )
            assert refused.status_code == 422
            assert "colours.primary" in refused.text and "#rrggbb" in refused.text
            assert municipality.current() == TELAVI

            # The edit, with its reason, is installed; the website shows it without a
            # restart (here in the portal's process; the next test has a running
            # website hear of a change through its watch alone), and the change is kept
            # with who and why.
            changed = await admin.post(
                "/admin/municipality",
                {"profile": renamed, "reason": "მერიის სახელის ინგლისური ფორმა დაზუსტდა"},
            )
            assert changed.status_code == 303, changed.text
            for _ in range(100):
                english = (await http.get(f"{website}/en/")).text
                if "City Hall of Telavi Municipality" in english:
                    break
                await asyncio.sleep(0.1)
            assert "City Hall of Telavi Municipality" in english
            history = (await admin.get("/admin/municipality")).text
            assert "მერიის სახელის ინგლისური ფორმა დაზუსტდა" in history
            assert "names.en.city_hall" in history
        finally:
            await editor.close()
            await admin.close()

        # What the bus holds now is the edited profile.
        bus = Bus(nats_server.url, "test-reader", bus_credentials_of("reader"))
        await bus.connect()
        try:
            stored = await municipality.read(bus.js)
        finally:
            await bus.close()
        assert stored.city_hall("en") == "City Hall of Telavi Municipality"


async def test_a_profile_installed_from_the_command_line_reaches_a_running_website(
    tmp_path: Path, nats_server: NatsServer, new_database: DatabaseFactory
) -> None:
    async with (
        running_stack(
            ["website"], tmp_path=tmp_path, nats_url=nats_server.url, new_database=new_database
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        english = f"{stack.urls['website']}/en/"
        assert "Akhmeta Municipality City Hall" in (await http.get(english)).text
        # Written on the bus from outside the process, as `meria municipality set` does:
        # only the website's watch on the bucket can bring it in.
        await asyncio.to_thread(nats_server.install, TELAVI)
        for _ in range(100):
            page = (await http.get(english)).text
            if "Telavi Municipality City Hall" in page:
                break
            await asyncio.sleep(0.1)
        assert "Telavi Municipality City Hall" in page
        no_akhmeta("/en/ after the change", page)


async def test_only_the_portal_and_the_installer_may_write_the_profile(
    nats_server: NatsServer,
) -> None:
    for user in ("website", "media", "reader"):
        bus = Bus(nats_server.url, f"test-{user}", bus_credentials_of(user))
        await bus.connect()
        try:
            # Each reads it…
            assert (await municipality.read(bus.js)).code == "akhmeta"
            # …and none may change it: the server drops the publish (Permissions
            # Violation), so no acknowledgement comes, and the profile stays.
            hasty = bus.client.jetstream(timeout=1)
            with pytest.raises(NatsTimeout):
                await municipality.write(hasty, TELAVI)
            assert (await municipality.read(bus.js)).code == "akhmeta"
        finally:
            await bus.close()
    portal = Bus(nats_server.url, "test-portal", bus_credentials_of("portal"))
    await portal.connect()
    try:
        await municipality.write(portal.js, TELAVI)
        assert (await municipality.read(portal.js)).code == "telavi"
    finally:
        await portal.close()


def meria(*arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    return subprocess.run(
        [MERIA, *arguments],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_process_that_finds_no_municipality_refuses_to_start_until_one_is_set(
    tmp_path: Path,
) -> None:
    # A bus with no profile installed.
    with NatsServer(tmp_path / "nats", profile=None) as nats:
        bus = {"MERIA_NATS_URL": nats.url, "MERIA_VAR_DIR": str(tmp_path / "var")}
        ran = meria(
            "run",
            "website",
            **bus,
            MERIA_WEBSITE_PORT=str(free_port()),
            MERIA_MUNICIPALITY_WAIT_SECONDS="0",
        )
        assert ran.returncode == 1
        assert ran.stderr.strip().splitlines()[-1] == (
            "meria: no municipality is installed on the bus; run `meria municipality set FILE`"
        )

        # A profile with a wrong colour is refused before anything is written.
        bad = tmp_path / "telavi.toml"
        bad.write_text(
            (municipality.PROFILES / "telavi.toml")
            .read_text(encoding="utf-8")
            .replace('primary = "#1d4e89"', 'primary = "#1d4e8"'),
            encoding="utf-8",
        )
        refused = meria("municipality", "set", str(bad), **bus)
        assert refused.returncode == 2
        assert refused.stderr.strip() == (
            f"meria: {bad}: colours.primary: '#1d4e8' is not a colour written as #rrggbb"
        )

        # The command the refusal names installs it; `show` reads it back.
        installed = meria("municipality", "set", str(municipality.PROFILES / "telavi.toml"), **bus)
        assert installed.returncode == 0, installed.stderr
        assert installed.stdout.startswith("installed Telavi Municipality City Hall (telavi)")
        shown = meria("municipality", "show", **bus)
        assert municipality.from_data_json(shown.stdout.encode()) == TELAVI
