"""The publishing API's edges: attachments by content, previews, routes, the register's
filters, and refusals that change nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk
from tests.support.stack import Stack, running_stack

PNG = bytes.fromhex(  # one transparent pixel
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
async def desks(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[tuple[Stack, Desk, Desk]]:
    async with (
        running_stack(
            ["publishing", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            max_attachment_bytes=4096,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        admin = Desk(stack, http, "admin", "admin")
        await admin.ok("PUT", "/issuers/mayor", json={"name_ka": "ახმეტის მერი"})
        yield stack, Desk(stack, http, "nino.beridze", "editor"), admin


async def test_attachments_are_known_by_their_content(desks: tuple[Stack, Desk, Desk]) -> None:
    stack, editor, _ = desks
    document = await editor.create(PRESS_RELEASE)
    path = f"/documents/{document['id']}/attachments"

    # A picture is stored as the picture it is, under a name of ours.
    photo = await editor.call("POST", path, files={"file": ("ფოტო.png", PNG, "image/png")})
    assert photo.status_code == 201, photo.text
    assert photo.json()["media_type"] == "image/png"
    assert photo.json()["filename"] == "ფოტო.png"
    folder = stack.settings("publishing").attachments_dir  # type: ignore[attr-defined]
    stored = [file.name for file in folder.iterdir()]
    assert len(stored) == 1 and stored[0].endswith(".png") and "ფოტო" not in stored[0]

    # A picture named like a PDF, a script named like a PDF and a file over the limit are
    # refused; nothing is kept.
    misnamed = await editor.call("POST", path, files={"file": ("ფოტო.pdf", PNG, "application/pdf")})
    assert misnamed.status_code == 422 and ".png" in misnamed.json()["detail"]
    script = await editor.call(
        "POST", path, files={"file": ("act.pdf", b"#!/bin/sh\nrm -rf /", "application/pdf")}
    )
    assert script.status_code == 415
    assert "its content is not recognised" in script.json()["detail"]
    large = await editor.call(
        "POST", path, files={"file": ("big.pdf", PDF + b"0" * 5000, "application/pdf")}
    )
    assert large.status_code == 413
    assert len(list(folder.iterdir())) == 1

    # The draft's file needs a signed-in user; its SHA-256 travels with it.
    url = photo.json()["url"]
    assert (await editor.http.get(url)).status_code == 401
    fetched = await editor.http.get(url, headers=editor.headers)
    assert hashlib.sha256(fetched.content).hexdigest() == photo.json()["sha256"]
    assert fetched.headers["x-content-sha256"] == photo.json()["sha256"]
    assert fetched.headers["x-content-type-options"] == "nosniff"


async def test_a_draft_s_attachment_is_read_by_who_may_read_the_draft(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    stack, editor, _ = desks
    document = await editor.create(LEGAL_ACT)
    attached = await editor.ok(
        "POST",
        f"/documents/{document['id']}/attachments",
        files={"file": ("ბრძანების პროექტი.pdf", PDF, "application/pdf")},
    )
    # Someone from the council may file requests, not read drafts: not the act, nor its file.
    council = Desk(stack, editor.http, "sakrebulo.aparati", "requester")
    assert (await council.call("GET", f"/documents/{document['id']}")).status_code == 403
    refused = await editor.http.get(attached["url"], headers=council.headers)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    # Staff who read the draft read its file.
    officer = Desk(stack, editor.http, "giorgi.media", "media_officer")
    read = await editor.http.get(attached["url"], headers=officer.headers)
    assert read.status_code == 200 and read.content == PDF


async def test_a_preview_link_shows_the_draft_until_it_expires(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    _, editor, _ = desks
    document = await editor.create(LEGAL_ACT)
    link = await editor.ok("POST", f"/documents/{document['id']}/preview-links")
    page = await editor.http.get(link["url"])
    assert page.status_code == 200
    assert LEGAL_ACT["title_ka"] in page.text
    assert "noindex" in page.text
    # A draft's page runs no script and shows in no frame, whatever its body holds.
    assert page.headers["content-security-policy"].startswith("default-src 'none';")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    forged = await editor.http.get(link["url"][:-3] + "abc")
    assert forged.status_code == 404


async def test_refused_transitions_say_the_state_and_what_it_allows(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    _, editor, _ = desks
    document = await editor.create(PRESS_RELEASE)
    deleted = await editor.call("DELETE", f"/documents/{document['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["current"]["state"] == "deleted"
    again = await editor.call("POST", f"/documents/{document['id']}/submit", json={})
    assert again.status_code == 409
    assert again.json()["state"] == "deleted"

    other = await editor.create({**PRESS_RELEASE, "title_ka": "სხვა სიახლე"})
    await editor.submit(other["id"])
    resubmitted = await editor.call("POST", f"/documents/{other['id']}/submit", json={})
    assert resubmitted.status_code == 409
    body = resubmitted.json()
    assert body["state"] == "submitted" or body["state"] == "in_review"
    assert "withdraw" in body["allowed"]


async def test_routes_are_data_that_administrators_change(desks: tuple[Stack, Desk, Desk]) -> None:
    _, editor, admin = desks
    routes = {route["document_type"]: route for route in await editor.ok("GET", "/routes")}
    assert [step["role"] for step in routes["mayor_order"]["steps"]] == [
        "legal_reviewer",
        "head_of_department",
        "mayor",
    ]
    assert [step["role"] for step in routes["press_release"]["steps"]] == ["head_of_department"]

    refused = await editor.call("PUT", "/routes/news", json={"steps": []})
    assert refused.status_code == 403
    invalid = await admin.call(
        "PUT",
        "/routes/news",
        json={"steps": [{"key": "board", "role": "mayor", "mode": "quorum", "people": ["a", "b"],
                         "quorum": 3, "deadline_hours": 24}]},
    )  # fmt: skip
    assert invalid.status_code == 422
    assert "quorum" in invalid.json()["detail"]
    changed = await admin.call(
        "PUT",
        "/routes/news",
        json={"steps": [{"key": "media_check", "role": "media_officer", "deadline_hours": 8},
                        {"key": "department_review", "role": "head_of_department",
                         "deadline_hours": 24, "escalate_to": "mayor"}],
              "reason": "სიახლეებს ჯერ პრესსამსახური ამოწმებს"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    routes = {route["document_type"]: route for route in await editor.ok("GET", "/routes")}
    assert routes["news"]["default"] is False
    assert [step["key"] for step in routes["news"]["steps"]] == ["media_check", "department_review"]


LEGAL_ROUTE = [
    {"key": "legal_review", "role": "legal_reviewer", "deadline_hours": 72,
     "escalate_to": "head_of_department"},
    {"key": "department_review", "role": "head_of_department", "deadline_hours": 48,
     "escalate_to": "mayor"},
    {"key": "signature", "role": "mayor", "deadline_hours": 48},
]  # fmt: skip
WHY = "ბრძანებებს ჯერ პრესსამსახურიც ეცნობა"


async def test_a_legal_acts_route_keeps_its_steps_in_order_with_bounded_deadlines(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    _, editor, admin = desks

    async def refused(steps: list[dict[str, Any]], says: str) -> None:
        response = await admin.call(
            "PUT", "/routes/mayor_order", json={"steps": steps, "reason": WHY}
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert says in response.json()["detail"], response.json()

    # Without legal review, or without the mayor's signature, there is no legal act.
    await refused(LEGAL_ROUTE[1:], "legal_review")
    await refused(LEGAL_ROUTE[:2], "signature")
    # Nor in another order, nor decided by another role, nor escalated down to an editor.
    await refused([LEGAL_ROUTE[2], LEGAL_ROUTE[0], LEGAL_ROUTE[1]], "keep their order")
    await refused([{**LEGAL_ROUTE[0], "role": "editor"}, *LEGAL_ROUTE[1:]], "legal_reviewer")
    await refused(
        [{**LEGAL_ROUTE[0], "escalate_to": "editor"}, *LEGAL_ROUTE[1:]], "escalates only to"
    )
    await refused([*LEGAL_ROUTE[:2], {**LEGAL_ROUTE[2], "escalate_to": "head_of_department"}],
                  "escalates to no one")  # fmt: skip
    # A deadline is between an hour and ninety days: not the smallest float, not a minute.
    for hours in (5e-324, 1 / 60, 24 * 91):
        await refused([{**LEGAL_ROUTE[0], "deadline_hours": hours}, *LEGAL_ROUTE[1:]], "between")
    for hours in (0, -24):
        bad = await admin.call(
            "PUT", "/routes/news",
            json={"steps": [{**LEGAL_ROUTE[1], "deadline_hours": hours}], "reason": WHY},
        )  # fmt: skip
        assert bad.status_code == 422 and bad.headers["content-type"].endswith("problem+json")
    # NaN and infinity, which Python's JSON reader takes, are no number of hours either.
    for word in ("NaN", "Infinity", "-Infinity"):
        body = json.dumps({"steps": [LEGAL_ROUTE[1]], "reason": WHY}).replace("48", word, 1)
        bad = await admin.http.put(
            f"{admin.base}/routes/news",
            content=body,
            headers={**admin.headers, "Content-Type": "application/json"},
        )
        assert bad.status_code == 422, (word, bad.text)
    # A change says why.
    silent = await admin.call("PUT", "/routes/mayor_order", json={"steps": LEGAL_ROUTE})
    assert silent.status_code == 422 and "reason" in silent.text

    # Steps may be added around the mandatory ones; the change is kept with who and why.
    media_check = {"key": "media_check", "role": "media_officer", "deadline_hours": 24}
    changed = await admin.call(
        "PUT", "/routes/mayor_order", json={"steps": [media_check, *LEGAL_ROUTE], "reason": WHY}
    )
    assert changed.status_code == 200, changed.text
    assert (await editor.call("GET", "/route-changes")).status_code == 403
    [change] = await admin.ok("GET", "/route-changes")
    assert change["document_type"] == "mayor_order" and change["actor"] == "admin"
    assert change["reason"] == WHY
    assert [step["key"] for step in change["steps_before"]] == [
        "legal_review", "department_review", "signature",
    ]  # fmt: skip
    assert change["steps_after"][0]["key"] == "media_check"
    assert await admin.ok("GET", "/route-changes", params={"document_type": "news"}) == []


async def test_consolidated_texts_have_a_route_of_their_own_without_a_signature(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    _, _, admin = desks
    routes = {route["document_type"]: route for route in await admin.ok("GET", "/routes")}
    assert [step["key"] for step in routes["consolidation"]["steps"]] == ["legal_review"]
    assert routes["consolidation"]["default"] is True

    # It keeps its legal review, and no one signs a consolidated text.
    for steps, says in (
        (LEGAL_ROUTE[1:2], "keeps the step 'legal_review'"),
        (LEGAL_ROUTE, "not signed"),
    ):
        refused = await admin.refused(
            422, "PUT", "/routes/consolidation", json={"steps": steps, "reason": WHY}
        )
        assert says in refused["detail"]
    # The head of department may be asked too.
    await admin.ok("PUT", "/routes/consolidation", json={"steps": LEGAL_ROUTE[:2], "reason": WHY})
    routes = {route["document_type"]: route for route in await admin.ok("GET", "/routes")}
    assert [step["role"] for step in routes["consolidation"]["steps"]] == [
        "legal_reviewer",
        "head_of_department",
    ]
    [change] = await admin.ok("GET", "/route-changes", params={"document_type": "consolidation"})
    assert [step["key"] for step in change["steps_before"]] == ["legal_review"]


async def test_a_preview_link_of_a_legal_acts_draft_is_made_by_its_author_and_route(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    stack, editor, admin = desks
    act = await editor.create(LEGAL_ACT)
    path = f"/documents/{act['id']}/preview-links"

    def desk(user: str, *roles: str) -> Desk:
        return Desk(stack, editor.http, user, *roles)

    # The author and those who decide on the act may show it to someone without an account.
    for someone in (
        editor,
        desk("levan.kapanadze", "legal_reviewer"),
        desk("tamar.gelashvili", "head_of_department"),
        desk("mayor.akhmeta", "mayor"),
    ):
        made = await someone.call("POST", path)
        assert made.status_code == 200, (someone.user, made.text)
    # Another editor, the press and protocol officers, and the administrator may not.
    for someone in (
        desk("giorgi.editor", "editor"),
        desk("eka.media", "media_officer"),
        desk("mariam.chokheli", "protocol_officer"),
        admin,
    ):
        refused = await someone.call("POST", path)
        assert refused.status_code == 403, (someone.user, refused.text)
        assert "author" in refused.json()["detail"]
    # A press release's draft: any staff role, as before.
    release = await editor.create(PRESS_RELEASE)
    press = await desk("eka.media", "media_officer").call(
        "POST", f"/documents/{release['id']}/preview-links"
    )
    assert press.status_code == 200


async def test_documents_are_found_by_type_issuer_and_georgian_words(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    _, editor, _ = desks
    act = await editor.create(LEGAL_ACT)
    await editor.create(PRESS_RELEASE)
    assert (await editor.ok("GET", "/documents"))["total"] == 2
    by_type = await editor.ok("GET", "/documents", params={"document_type": "mayor_order"})
    assert [item["id"] for item in by_type["items"]] == [act["id"]]
    by_issuer = await editor.ok("GET", "/documents", params={"issuer": "mayor"})
    assert [item["id"] for item in by_issuer["items"]] == [act["id"]]
    by_text = await editor.ok("GET", "/documents", params={"text": "გათბობის"})
    assert [item["id"] for item in by_text["items"]] == [act["id"]]
    # Anywhere in the titles, summary or text, in either language, whatever the case.
    for words in ("ნოემბრიდან", "HEATING the", "ალვანისა და"):
        found = await editor.ok("GET", "/documents", params={"text": words})
        assert [item["id"] for item in found["items"]] == [act["id"]], words
    # The words of the text as it is now: a change of the draft changes what is found.
    await editor.ok("PATCH", f"/documents/{act['id']}", json={"body_ka": "<p>სახურავი</p>"})
    assert (await editor.ok("GET", "/documents", params={"text": "ნოემბრიდან"}))["total"] == 0
    roof = await editor.ok("GET", "/documents", params={"text": "სახურავი"})
    assert [item["id"] for item in roof["items"]] == [act["id"]]
    drafts = await editor.ok("GET", "/documents", params={"state": "draft", "limit": 1})
    assert drafts["total"] == 2 and len(drafts["items"]) == 1
    unknown_type = await editor.call("GET", "/documents", params={"document_type": "poem"})
    assert unknown_type.status_code == 422

    unknown_issuer = await editor.call(
        "POST", "/documents", json={**LEGAL_ACT, "issuer_code": "king"}
    )
    assert unknown_issuer.status_code == 422
    assert "king" in unknown_issuer.json()["detail"]
    no_issuer = await editor.call("POST", "/documents", json={**LEGAL_ACT, "issuer_code": None})
    assert no_issuer.status_code == 422
    assert (await editor.ok("GET", "/documents"))["total"] == 2


async def test_numbers_beyond_the_database_and_nulls_for_what_is_required_are_refused(
    desks: tuple[Stack, Desk, Desk],
) -> None:
    _, editor, admin = desks
    document = await editor.create(PRESS_RELEASE)
    path = f"/documents/{document['id']}"

    # An offset or an id past 2⁶³ is refused at the edge, naming the parameter; it used to
    # overflow the database's integers (a 500).
    for call, field in (
        (editor.call("GET", "/documents", params={"offset": "99999999999999999999"}), "offset"),
        (editor.call("GET", "/documents/99999999999999999999"), "document_id"),
        (admin.call("GET", f"{path}/editions/{2**63}"), "number"),
    ):
        refused = await call
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in refused.json()["errors"]] == [field]

    # A register number searched for in digits other than 0-9, or past the column, finds
    # nothing (int('²') and an overflow were 500s).
    for number in ("²", "99999999999999999999/2026"):
        found = await editor.ok("GET", "/documents", params={"number": number})
        assert found["items"] == [], number

    # A null where the edition always has a value is refused and changes nothing; it used
    # to reach the database and fail there.
    for body in ({"translation_pending": None}, {"title_ka": None}, {"body_ka": None}):
        refused = await editor.call("PATCH", path, json=body)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["errors"][0]["field"] == next(iter(body))
        assert "cannot be null" in problem["detail"]
    unchanged = await editor.ok("GET", path)
    assert unchanged["current"]["revision"] == document["current"]["revision"]
    assert unchanged["current"]["title_ka"] == PRESS_RELEASE["title_ka"]

    # What may be empty is still emptied by a null.
    cleared = await editor.ok("PATCH", path, json={"title_en": None})
    assert cleared["current"]["title_en"] is None
