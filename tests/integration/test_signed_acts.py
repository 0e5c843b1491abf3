"""A legal act signed as the law treats it: the mayor's approval makes the act a PDF/A signed
with the mayor's certificate (PAdES), published as the act's original; anyone validates it
(pyHanko here, poppler's pdfsig beside it) against the municipality's CA that the website
publishes, and the website's /verify names the signer and refuses a changed copy. A legal
act is never forced through without the signature; a news item may be.

Real publishing service, worker, website, Temporal dev server and nats-server."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria import pades
from meria.testing.servers import NatsServer, TemporalDevServer
from services.publishing.settings import PublishingSettings
from services.publishing.signed_originals import Officials
from tests.conftest import DatabaseFactory
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk
from tests.support.stack import Stack, running_stack

MAYOR = "გიორგი ჩაჩანიძე"
NEWS = {
    **PRESS_RELEASE,
    "document_type": "news",
    "title_ka": "ახმეტაში სკოლების გათბობა ჩაირთო",
    "title_en": "Heating switched on in Akhmeta's schools",
}


@dataclass
class Office:
    stack: Stack
    http: httpx.AsyncClient
    editor: Desk
    lawyer: Desk
    head: Desk
    mayor: Desk

    async def site(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(f"{self.stack.urls['website']}{path}", **kwargs)

    async def verify(self, pdf: bytes, *, json: bool) -> httpx.Response:
        return await self.http.post(
            f"{self.stack.urls['website']}/verify",
            files={"file": ("ბრძანება.pdf", pdf, "application/pdf")},
            headers={"Accept": "application/json"} if json else {},
        )


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["publishing", "worker", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            file_poll_seconds=0.2,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        admin = Desk(stack, http, "admin", "admin")
        await admin.ok(
            "PUT",
            "/issuers/mayor",
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        yield Office(
            stack,
            http,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            lawyer=Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
            mayor=Desk(stack, http, "mayor.akhmeta", "mayor"),
        )


def pdfsig(pdf: bytes, root_pem: str, folder: Path) -> str:
    """poppler's pdfsig, trusting only the municipality's root (an NSS database of its own)."""
    assert shutil.which("pdfsig") and shutil.which("certutil"), (
        "the second check needs pdfsig and certutil: apt-get install poppler-utils libnss3-tools"
    )
    nss = folder / "nss"
    if not nss.exists():
        nss.mkdir()
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
        (folder / "root.pem").write_text(root_pem)
        subprocess.run(
            ["certutil", "-A", "-d", f"sql:{nss}", "-n", "municipality", "-t", "CT,C,C",
             "-a", "-i", str(folder / "root.pem")],
            check=True,
        )  # fmt: skip
    path = folder / "act.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout + done.stderr


def tampered(pdf: bytes) -> bytes:
    """The same file with one byte of the act's page content changed."""
    start = pdf.index(b"stream", pdf.index(b"/Contents")) + len(b"stream\n") + 10
    changed = bytearray(pdf)
    changed[start] ^= 0x20
    return bytes(changed)


async def sign_and_publish(office: Office) -> int:
    editor = office.editor
    document_id: int = (await editor.create(LEGAL_ACT))["id"]
    await editor.submit(document_id)
    for desk, step in (
        (office.lawyer, "legal_review"),
        (office.head, "department_review"),
        (office.mayor, "signature"),
    ):
        await editor.wait_for_stage(document_id, step)
        decided = await desk.decide(document_id, comment="თანახმა ვარ")
        assert decided.status_code == 200, decided.text
    await editor.wait_for_state(document_id, "published", timeout=90)
    return document_id


async def test_the_mayor_signs_an_order_and_anyone_can_validate_it(
    office: Office, tmp_path: Path
) -> None:
    settings = office.stack.settings("publishing")
    assert isinstance(settings, PublishingSettings)
    # The mayor's certificate from the local test CA, as `meria init --official` makes it.
    ca = Officials(settings).development_ca
    await asyncio.to_thread(ca.signer, "mayor.akhmeta", MAYOR)

    # The order goes its route; the mayor's approval is the signature.
    document_id = await sign_and_publish(office)
    document = await office.editor.document(document_id)
    [original] = [a for a in document["current"]["attachments"] if a["signer_name"]]
    assert original["signer_name"] == MAYOR
    assert original["media_type"] == "application/pdf"
    number = document["register_number"]
    assert original["filename"] == f"mayor_order-{number.replace('/', '-')}-signed.pdf"
    trail = [(e["action"], e["actor"]) for e in await office.editor.audit(document_id)]
    assert trail[-3:] == [("approve", "meria-worker"), ("sign", "meria-worker"),
                          ("publish", "meria-worker")]  # fmt: skip
    # The publication record binds the signed PDF: its hash is in the signed content.
    pdf = (await office.http.get(original["url"])).content
    assert hashlib.sha256(pdf).hexdigest() == original["sha256"]
    assert b"pdfaid:part" in pdf and b"NotoSansGeorgian" in pdf  # PDF/A, its font embedded

    # pyHanko: intact, the mayor's, the chain ending in the municipality's root.
    root = (await office.editor.call("GET", "/signing-ca")).text
    check = await pades.check_pdf_off_loop(pdf, [root])
    assert check.sound, check
    [signature] = check.signatures
    assert signature.signer == MAYOR and signature.trusted and signature.intact
    assert "Meria development Signing CA" in signature.issuer
    # A validator that trusts another root finds the signature intact but the chain not.
    stranger = await asyncio.to_thread(
        pades.DevelopmentCA(tmp_path / "stranger", "x").trust_roots_pem
    )
    assert not (await pades.check_pdf_off_loop(pdf, [stranger])).signatures[0].trusted

    # pdfsig, independently: valid, trusted, the mayor's.
    said = pdfsig(pdf, root, tmp_path)
    assert "Signature is Valid." in said and "Certificate is Trusted." in said, said
    assert f"Signer Certificate Common Name: {MAYOR}" in said
    assert "Total document signed" in said

    # The website offers the signed original on the act's page, and the CA beside it.
    page = await _until(office, f"/acts/{document_id}", lambda p: "signed-original" in p.text
                        and "/files/" in p.text.split("signed-original", 1)[1][:400])  # fmt: skip
    assert MAYOR in page.text and 'href="/ca.pem"' in page.text
    link = re.search(r'class="signed-original">.*?href="(/files/[^"]+)"', page.text, re.S)
    assert link is not None
    assert (await office.site(link.group(1))).content == pdf
    assert (await office.site("/ca.pem")).text == root

    # /verify: the published original is authentic, signed by the mayor, the chain valid.
    verdict = await office.verify(pdf, json=True)
    assert verdict.status_code == 200, verdict.text
    body = verdict.json()
    assert body["published"] is True and body["register_number"] == number
    assert body["signature_sound"] is True and body["tampered"] is False
    assert body["signatures"][0]["signer"] == MAYOR
    assert body["signatures"][0]["chain_valid"] is True
    assert body["signatures"][0]["signed_at"] is not None
    shown = await office.verify(pdf, json=False)
    assert shown.status_code == 200 and MAYOR in shown.text

    # A changed copy: refused by /verify, by pyHanko and by pdfsig.
    forged = tampered(pdf)
    refused = await office.verify(forged, json=True)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["tampered"] is True and refused.json()["published"] is False
    page = await office.verify(forged, json=False)
    assert page.status_code == 422 and "ხელმოწერის შემდეგ შეიცვალა" in page.text
    assert (await pades.check_pdf_off_loop(forged, [root])).tampered
    said = pdfsig(forged, root, tmp_path)
    assert "Signature is Valid." not in said and "Digest Mismatch" in said, said


async def test_a_legal_act_is_not_forced_through_but_a_news_item_is(office: Office) -> None:
    editor, head = office.editor, office.head
    act_id = (await editor.create(LEGAL_ACT))["id"]
    await editor.submit(act_id)
    await editor.wait_for_stage(act_id, "legal_review")
    before = await editor.audit(act_id)

    refused = await head.call(
        "POST", f"/documents/{act_id}/force-publish", json={"reason": "სასწრაფოა"}
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "mayor has signed" in refused.json()["detail"]
    # Nothing changed: the act still waits for its lawyer, its trail as it was.
    assert (await editor.status(act_id))["stage"] == "legal_review"
    assert await editor.audit(act_id) == before

    # The signing endpoint is the workflow's alone, and only for legal acts.
    worker = office.stack.service_headers()
    news_id = (await editor.create(NEWS))["id"]
    path = f"/documents/{news_id}/editions/1/signed-original"
    assert (await head.call("POST", path)).status_code == 403
    not_an_act = await office.http.post(f"{office.stack.urls['publishing']}{path}", headers=worker)
    assert not_an_act.status_code == 409, not_an_act.text

    # A news item may be published without its review.
    await editor.submit(news_id)
    await editor.wait_for_stage(news_id, "department_review")
    forced = await office.lawyer.call("POST", f"/documents/{news_id}/force-publish",
                                      json={"reason": "ახალი ამბავი"})  # fmt: skip
    assert forced.status_code == 403  # only the head of department
    forced = await head.call(
        "POST", f"/documents/{news_id}/force-publish", json={"reason": "ახალი ამბავი ახლავე"}
    )
    assert forced.status_code == 200, forced.text
    published = await editor.wait_for_state(news_id, "published")
    assert published["current"]["force_published"] is True
    assert not [a for a in published["current"]["attachments"] if a["signer_name"]]


async def _until(office: Office, path: str, done: Any) -> httpx.Response:
    page = await office.site(path)
    for _ in range(400):
        if page.status_code == 200 and done(page):
            return page
        await asyncio.sleep(0.1)
        page = await office.site(path)
    raise AssertionError(f"{path} never showed it: {page.status_code}")
