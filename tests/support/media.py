"""A desk for media tests: the calls staff make, by role, over real HTTP; a real SMTP server
(aiosmtpd) that records what it accepts; Georgian outlets and journalists."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from meria.testing.servers import free_port
from tests.support.desk import ServiceDesk
from tests.support.stack import Stack, publish_event

INTERPRESSNEWS = {
    "name_ka": "ინტერპრესნიუსი",
    "name_en": "Interpressnews",
    "medium": "agency",
    "region": "national",
    "website": "https://www.interpressnews.ge/",
    "newsroom_email": "news@interpressnews.ge",
}
IMEDI = {
    "name_ka": "იმედი",
    "name_en": "Imedi TV",
    "medium": "tv",
    "region": "national",
    "website": "https://imedinews.ge/",
}
PUBLIC_BROADCASTER = {
    "name_ka": "საზოგადოებრივი მაუწყებელი",
    "name_en": "Georgian Public Broadcaster",
    "medium": "tv",
    "region": "national",
    "website": "https://1tv.ge/",
}
RADIO_TAVISUPLEBA = {
    "name_ka": "რადიო თავისუფლება",
    "name_en": "Radio Tavisupleba (RFE/RL)",
    "medium": "radio",
    "region": "national",
    "website": "https://www.radiotavisupleba.ge/",
}
KAKHETI_INFO = {
    "name_ka": "კახეთის ხმა",
    "name_en": "Voice of Kakheti",
    "medium": "online",
    "region": "კახეთი",
    "newsroom_email": "info@kakhetiskhma.ge",
}


def consent(purpose: str = "press_distribution", given_on: str = "2026-09-01") -> dict[str, Any]:
    return {
        "purpose": purpose,
        "given_on": given_on,
        "method": "written",
        "wording": "თანახმა ვარ, მივიღო მერიის პრესრელიზები ელფოსტით.",
    }


def journalist(full_name: str, email: str, outlet_id: int | None, **fields: Any) -> dict[str, Any]:
    return {
        "full_name": full_name,
        "outlet_id": outlet_id,
        "email": email,
        "beats": fields.pop("beats", ["local_government"]),
        "languages": fields.pop("languages", ["ka"]),
        "consents": fields.pop(
            "consents", [consent(), consent("accreditation"), consent("enquiries")]
        ),
        **fields,
    }


class MediaDesk(ServiceDesk):
    """One person's HTTP session with the media service (a journalist's without a token)."""

    service = "media"

    async def wait_for(self, path: str, check: Any, what: str, timeout: float = 30) -> Any:
        return await self.poll(path, check, what, timeout)


@dataclass
class Mailbox:
    """What a real SMTP server (aiosmtpd) accepted; some addresses refused, in turn."""

    messages: list[EmailMessage] = field(default_factory=list)
    refusals: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # aiosmtpd calls its hooks by these names
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            answers = self.refusals.get(address)
            if answers:
                return answers[0] if answers[0].startswith("5") else answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@contextmanager
def smtp_server(mailbox: Mailbox | None = None) -> Iterator[tuple[Mailbox, int]]:
    mailbox = mailbox or Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def today() -> str:
    return date.today().isoformat()


async def media_events(stack: Stack) -> list[dict[str, Any]]:
    """Every event of the media stream so far, in order, as CloudEvents."""
    bus = await stack.reader()
    events: list[dict[str, Any]] = []
    info = await bus.js.stream_info("MEDIA")
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await bus.js.get_msg("MEDIA", sequence)
        if message.data:
            events.append(json.loads(message.data))
    return events


def kind(event: dict[str, Any]) -> str:
    """`accreditation.approved` from `ge.meria.media.accreditation.approved.v1`."""
    return ".".join(event["type"].split(".")[3:5])


async def wait_for_events(stack: Stack, kinds: set[str], timeout: float = 20) -> list[Any]:
    """The media stream once it carries every event type in `kinds`."""
    events: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    events = await media_events(stack)
                except Exception:  # the stream appears with the relay's first publish
                    events = []
                if kinds <= {kind(event) for event in events}:
                    return events
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(
            f"missing events {kinds - {kind(e) for e in events}}; got {[kind(e) for e in events]}"
        ) from None


async def publish_release(
    nats_url: str,
    document_id: int,
    *,
    edition: int = 1,
    document_type: str = "press_release",
    title_ka: str = "ახმეტაში თუშეთის გზის შეკეთება დასრულდა",
    title_en: str | None = "The Tusheti road repair in Akhmeta is finished",
    change_kind: str | None = None,
) -> str:
    """Put a publication on the bus as the publishing service's relay would (with its
    credentials): a CloudEvent on the PUBLISHING stream; returns the event id."""
    from datetime import UTC, datetime

    from meria.contracts import DocumentPublished, LocalizedText

    event = DocumentPublished(
        document_id=document_id,
        edition=edition,
        document_type=document_type,
        title=LocalizedText(ka=title_ka, en=title_en),
        summary_text=LocalizedText(
            ka="ომალოს გზის 12 კილომეტრი ზამთრამდე შეკეთდა.",
            en="Twelve kilometres of the Omalo road were repaired before winter."
            if title_en
            else None,
        ),
        body_html=LocalizedText(
            ka="<p>ახმეტის მუნიციპალიტეტის მერიის დაფინანსებით აბანოს უღელტეხილის გზა შეკეთდა.</p>",
            en="<p>The road over the Abano pass was repaired with the city hall's funds.</p>"
            if title_en
            else None,
        ),
        published_at=datetime.now(UTC),
        change_kind=change_kind,
    )
    return await publish_event(nats_url, event, about=f"document:{document_id}")
