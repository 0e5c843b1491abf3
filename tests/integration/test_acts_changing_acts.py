"""Legal acts that change legal acts, as the mayor's office lives it: an order on the
kindergartens' fees enters into force when the council approves them; a later order
amends its article 2 and repeals its article 3 from a later day; the act then knows what
changed it, and a lawyer prepares its consolidated text, which is approved by legal review
alone and published under the act's own number, without a second signature.

Real publishing service, worker, Temporal dev server and nats-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.publishing import PRESS_RELEASE, Desk, published_events
from tests.support.stack import Stack, running_stack

FEES = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": "ახმეტის მუნიციპალიტეტის საბავშვო ბაღებში მომსახურების საფასურის შესახებ",
    "title_en": "On the fees of Akhmeta Municipality's kindergartens",
    "body_ka": "<p>მუხლი 1. ბრძანება ადგენს მუნიციპალიტეტის საბავშვო ბაღებში მომსახურების "
    "საფასურს.</p><p>მუხლი 2. საფასური შეადგენს თვეში 30 ლარს.</p><p>მუხლი 3. "
    "მრავალშვილიანი ოჯახები საფასურის ნახევარს იხდიან.</p>",
    "entry_into_force": {
        "kind": "condition",
        "condition_ka": "საკრებულოს მიერ საფასურის ოდენობის დამტკიცების დღიდან",
        "condition_en": "From the day the Municipal Council approves the fee",
    },
}
AMENDMENT = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": "საბავშვო ბაღების საფასურის შესახებ მერის ბრძანებაში ცვლილების შეტანის თაობაზე",
    "title_en": "Amending the mayor's order on the kindergartens' fees",
    "body_ka": "<p>1. მე-2 მუხლში სიტყვები „30 ლარს“ შეიცვალოს სიტყვებით „20 ლარს“.</p>"
    "<p>2. მე-3 მუხლი ძალადაკარგულად გამოცხადდეს.</p>",
}
CONSOLIDATED = (
    "<p>მუხლი 1. ბრძანება ადგენს მუნიციპალიტეტის საბავშვო ბაღებში მომსახურების საფასურს.</p>"
    "<p>მუხლი 2. საფასური შეადგენს თვეში 20 ლარს.</p><p>მუხლი 3. ძალადაკარგულია.</p>"
)


@dataclass
class Office:
    stack: Stack
    editor: Desk
    lawyer: Desk
    head: Desk
    mayor: Desk


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["publishing", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        admin = Desk(stack, http, "admin", "admin")
        await admin.ok("PUT", "/issuers/mayor", json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი"})
        yield Office(
            stack,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            lawyer=Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
            mayor=Desk(stack, http, "mayor.akhmeta", "mayor"),
        )


async def sign_and_publish(office: Office, document: dict[str, Any]) -> dict[str, Any]:
    """An order along its whole route: the lawyer, the head of department, the mayor."""
    created = await office.editor.create(document)
    await office.editor.submit(created["id"])
    for desk, step in ((office.lawyer, "legal_review"), (office.head, "department_review"),
                       (office.mayor, "signature")):  # fmt: skip
        await office.editor.wait_for_stage(created["id"], step)
        decided = await desk.decide(created["id"], comment="თანახმა ვარ")
        assert decided.status_code == 200, decided.text
    return await office.editor.wait_for_state(created["id"], "published", timeout=90)


async def event(office: Office, kind: str, check: Any) -> dict[str, Any]:
    """The latest `publishing.document.<kind>` event that `check` accepts."""
    for _ in range(200):
        events = await published_events(office.stack)
        found = [e for e in events if e["type"].endswith(f"document.{kind}.v1")]
        matching = [e["data"] for e in found if check(e["data"])]
        if matching:
            return matching[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} event came")


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Tbilisi")).date()


async def test_an_order_amended_and_partly_repealed_is_consolidated_by_legal_review(
    office: Office,
) -> None:
    editor, lawyer, head, mayor = office.editor, office.lawyer, office.head, office.mayor
    repeal_day = today() + timedelta(days=14)

    # The mayor signs the order on the fees; it waits on the council.
    fees = await sign_and_publish(office, FEES)
    fees_id, number = fees["id"], fees["register_number"]
    assert fees["current"]["entry_into_force"]["kind"] == "condition"
    assert fees["in_force_on"] is None and fees["changed_by"] == []

    # The council approved the fee today: the lawyer records it, once; not the mayor.
    path = f"/documents/{fees_id}/entry-into-force"
    await mayor.refused(403, "POST", path, json={"on": today().isoformat()})
    council = {"on": today().isoformat(), "note": "საკრებულოს განკარგულება №12"}
    recorded = await lawyer.ok("POST", path, json=council)
    assert recorded["in_force_on"] == today().isoformat()
    again = await lawyer.refused(409, "POST", path, json={"on": today().isoformat()})
    assert "recorded once" in again["detail"]
    entered = await event(office, "entered_into_force", lambda d: d["document_id"] == fees_id)
    assert entered["in_force_on"] == today().isoformat() and entered["recorded_by"] == lawyer.user

    # Nothing has changed the order yet, so there is nothing to consolidate.
    consolidations = f"/documents/{fees_id}/consolidations"
    note = {"as_of": repeal_day.isoformat(), "change_note": "კონსოლიდირებული ვერსია"}
    nothing = await lawyer.refused(409, "POST", consolidations, json=note)
    assert nothing["title"] == "Nothing to incorporate"

    # A change is refused to a press release, to the act itself, and twice over.
    press = await editor.create(PRESS_RELEASE)
    not_an_act = await editor.refused(422, "POST", "/documents", json={**AMENDMENT, "changes": [
        {"kind": "amends", "target_document_id": fees_id, "articles": ["2"]},
        {"kind": "amends", "target_document_id": press["id"]},
    ]})  # fmt: skip
    assert (
        not_an_act["detail"].startswith("changes[1]: document")
        and "press_release" in (not_an_act["detail"])
    )
    twice = await editor.refused(422, "POST", "/documents", json={**AMENDMENT, "changes": [
        {"kind": "repeals", "target_document_id": fees_id, "articles": ["3"]},
        {"kind": "repeals", "target_document_id": fees_id, "articles": ["2", "3"]},
    ]})  # fmt: skip
    assert "changes[1]: repeals article 3" in twice["detail"]
    # Only a legal act enters into force and changes acts.
    await editor.refused(422, "POST", "/documents", json={**PRESS_RELEASE, "changes": [
        {"kind": "amends", "target_document_id": fees_id}]})  # fmt: skip

    # The amending order: article 2 on its publication, article 3 repealed from a later day.
    draft = await editor.create(AMENDMENT)
    itself = await editor.refused(422, "PATCH", f"/documents/{draft['id']}", json={"changes": [
        {"kind": "amends", "target_document_id": draft["id"]}]})  # fmt: skip
    assert "changes[0]: an act does not amend itself" in itself["detail"]
    changes = [
        {"kind": "amends", "target_document_id": fees_id, "articles": ["2"]},
        {"kind": "repeals", "target_document_id": fees_id, "articles": ["3"],
         "effective_on": repeal_day.isoformat()},
    ]  # fmt: skip
    edited = await editor.ok("PATCH", f"/documents/{draft['id']}", json={"changes": changes})
    assert [(c["kind"], c["target_register_number"], c["target_title_ka"])
            for c in edited["current"]["changes"]] == [
        ("amends", number, FEES["title_ka"]), ("repeals", number, FEES["title_ka"])
    ]  # fmt: skip
    await editor.submit(draft["id"])
    for desk, step in ((lawyer, "legal_review"), (head, "department_review"), (mayor, "signature")):
        await editor.wait_for_stage(draft["id"], step)
        assert (await desk.decide(draft["id"], comment="თანახმა ვარ")).status_code == 200
    amendment = await editor.wait_for_state(draft["id"], "published", timeout=90)
    amendment_id = amendment["id"]

    # Its publication tells what it changes, citing the order by its number.
    published = await event(
        office, "published", lambda d: d["document_id"] == amendment_id
    )
    assert published["entry_into_force"] == {"kind": "publication", "on": None, "condition": None}
    assert published["changes"] == [
        {"kind": "amends", "target_document_id": fees_id, "target_register_number": number,
         "target_document_type": "mayor_order", "articles": ["2"], "effective_on": None},
        {"kind": "repeals", "target_document_id": fees_id, "target_register_number": number,
         "target_document_type": "mayor_order", "articles": ["3"],
         "effective_on": repeal_day.isoformat()},
    ]  # fmt: skip

    # The order knows what changed it, and from when.
    fees = await editor.document(fees_id)
    assert [(c["document_id"], c["register_number"], c["kind"], c["articles"],
             c["takes_effect_on"]) for c in fees["changed_by"]] == [
        (amendment_id, amendment["register_number"], "amends", ["2"], today().isoformat()),
        (amendment_id, amendment["register_number"], "repeals", ["3"], repeal_day.isoformat()),
    ]  # fmt: skip

    # The head of department does not prepare a consolidated text; the editor does, as of
    # the day of the repeal, from the order's published text, for the lawyer to check.
    await head.refused(403, "POST", consolidations, json=note)
    consolidated = await editor.ok("POST", consolidations, json=note)
    edition = consolidated["current"]
    assert (edition["number"], edition["state"], edition["change_kind"]) == (
        2,
        "draft",
        "consolidation",
    )
    assert edition["consolidated_as_of"] == repeal_day.isoformat()
    assert edition["incorporates"] == [amendment_id]
    assert edition["body_ka"] == fees["current"]["body_ka"]
    assert edition["entry_into_force"]["kind"] == "condition"
    busy = await lawyer.refused(409, "POST", consolidations, json=note)
    assert busy["title"] == "An edition is already in progress"

    # The editor applies the amendments to the text; the comparison shows them.
    await editor.ok("PATCH", f"/documents/{fees_id}", json={"body_ka": CONSOLIDATED})
    diff = await lawyer.ok("GET", f"/documents/{fees_id}/editions/2/diff")
    assert diff["against"] == 1
    changed = [(c["op"], c["text"]) for c in diff["changes"] if c["op"] != "equal"]
    assert ("delete", "30") in changed and ("insert", "20") in changed
    assert ("insert", "ძალადაკარგულია.") in changed

    # Legal review alone approves it; it is published with no second signature, under the
    # order's own number and date.
    await editor.submit(fees_id)
    status = await editor.wait_for_stage(fees_id, "legal_review")
    assert status["awaiting"] == ["legal_reviewer"]
    assert (await lawyer.decide(fees_id, comment="ზუსტად ასახავს ცვლილებებს")).status_code == 200
    fees = await editor.wait_for_state(fees_id, "published", timeout=60)
    assert fees["register_number"] == number
    current = fees["current"]
    assert current["date_signed"] == (await editor.ok(
        "GET", f"/documents/{fees_id}/editions/1"))["date_signed"]  # fmt: skip
    assert not [a for a in current["attachments"] if a["signer_name"]]
    trail = [(e["action"], e["edition_number"]) for e in await editor.audit(fees_id)]
    assert [action for action, edition in trail if edition == 2] == [
        "consolidate", "edit", "submit", "start_review", "approve_step", "approve", "publish"
    ]  # fmt: skip
    told = await event(office, "published",
                       lambda d: d["document_id"] == fees_id and d["edition"] == 2)  # fmt: skip
    assert told["consolidated_as_of"] == repeal_day.isoformat()
    assert told["incorporates"] == [amendment_id] and told["change_kind"] == "consolidation"
    assert told["register_number"] == number

    # Everything in effect by then is applied: nothing more, and not as of an earlier day.
    nothing = await lawyer.refused(409, "POST", consolidations, json=note)
    assert nothing["title"] == "Nothing to incorporate"
    earlier = {**note, "as_of": (repeal_day - timedelta(days=1)).isoformat()}
    refused = await lawyer.refused(409, "POST", consolidations, json=earlier)
    assert repeal_day.isoformat() in refused["detail"]
    refused = await lawyer.refused(409, "POST", f"/documents/{press['id']}/consolidations",
                                   json=note)  # fmt: skip
    assert refused["title"] == "Not a legal act"
