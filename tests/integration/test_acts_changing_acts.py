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


ROUTE = (("lawyer", "legal_review"), ("head", "department_review"), ("mayor", "signature"))


def change(kind: str, target: int, *articles: str, effective_on: date | None = None) -> Any:
    found = {"kind": kind, "target_document_id": target, "articles": list(articles)}
    return found | ({"effective_on": effective_on.isoformat()} if effective_on else {})


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Tbilisi")).date()


async def sign_and_publish(office: Office, document_id: int) -> dict[str, Any]:
    """An order along its whole route: the lawyer, the head of department, the mayor."""
    await office.editor.submit(document_id)
    for desk, step in ROUTE:
        await office.editor.wait_for_stage(document_id, step)
        decided = await getattr(office, desk).decide(document_id, comment="თანახმა ვარ")
        assert decided.status_code == 200, decided.text
    return await office.editor.wait_for_state(document_id, "published", timeout=90)


async def event(office: Office, kind: str, document_id: int, edition: int = 1) -> dict[str, Any]:
    """The `publishing.document.<kind>` event of an edition."""
    for _ in range(200):
        for found in await published_events(office.stack):
            data = found["data"]
            if found["type"].endswith(f"document.{kind}.v1") and (
                (data["document_id"], data["edition"]) == (document_id, edition)
            ):
                return dict(data)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} event came")


async def the_council_approves_the_fee(office: Office, fees_id: int) -> None:
    """The lawyer records the day the order's condition was met: once; not the mayor."""
    path = f"/documents/{fees_id}/entry-into-force"
    day = today().isoformat()
    await office.mayor.refused(403, "POST", path, json={"on": day})
    recorded = await office.lawyer.ok(
        "POST", path, json={"on": day, "note": "საკრებულოს განკარგულება №12"}
    )
    assert recorded["in_force_on"] == day
    again = await office.lawyer.refused(409, "POST", path, json={"on": day})
    assert "recorded once" in again["detail"]
    entered = await event(office, "entered_into_force", fees_id)
    assert entered["in_force_on"] == day and entered["recorded_by"] == office.lawyer.user


async def wrong_changes_are_refused(office: Office, fees_id: int) -> int:
    """A change to a press release, to the act itself, or said twice; a press release
    that would change an act. Returns the press release's id."""
    editor = office.editor
    press = (await editor.create(PRESS_RELEASE))["id"]
    wrong = {**AMENDMENT, "changes": [change("amends", fees_id, "2"), change("amends", press)]}
    not_an_act = await editor.refused(422, "POST", "/documents", json=wrong)
    assert not_an_act["detail"] == (
        f"changes[1]: document {press} is a press_release; only a legal act is amended, "
        "repealed or suspended."
    )
    twice = [change("repeals", fees_id, "3"), change("repeals", fees_id, "2", "3")]
    refused = await editor.refused(422, "POST", "/documents", json={**AMENDMENT, "changes": twice})
    assert "changes[1]: repeals article 3 of document" in refused["detail"]
    release = {**PRESS_RELEASE, "changes": [change("amends", fees_id)]}
    await editor.refused(422, "POST", "/documents", json=release)
    draft = (await editor.create(AMENDMENT))["id"]
    itself = {"changes": [change("amends", draft)]}
    refused = await editor.refused(422, "PATCH", f"/documents/{draft}", json=itself)
    assert refused["detail"] == "changes[0]: an act does not amend itself."
    await editor.ok("DELETE", f"/documents/{draft}")
    return int(press)


async def test_an_order_amended_and_partly_repealed_is_consolidated_by_legal_review(
    office: Office,
) -> None:
    editor, lawyer = office.editor, office.lawyer
    repeal_day = today() + timedelta(days=14)

    # The mayor signs the order on the fees; it waits on the council, which approves.
    fees = await sign_and_publish(office, (await editor.create(FEES))["id"])
    fees_id, number = fees["id"], fees["register_number"]
    assert fees["current"]["entry_into_force"]["kind"] == "condition"
    assert fees["in_force_on"] is None and fees["changed_by"] == []
    await the_council_approves_the_fee(office, fees_id)

    # Nothing has changed the order yet, so there is nothing to consolidate.
    consolidations = f"/documents/{fees_id}/consolidations"
    note = {"as_of": repeal_day.isoformat(), "change_note": "კონსოლიდირებული ვერსია"}
    nothing = await lawyer.refused(409, "POST", consolidations, json=note)
    assert nothing["title"] == "Nothing to incorporate"
    press = await wrong_changes_are_refused(office, fees_id)

    # The amending order: article 2 on its publication, article 3 repealed from a later day.
    changes = [
        change("amends", fees_id, "2"),
        change("repeals", fees_id, "3", effective_on=repeal_day),
    ]
    draft = await editor.create({**AMENDMENT, "changes": changes})
    cited = [
        (c["kind"], c["target_register_number"], c["target_title_ka"])
        for c in draft["current"]["changes"]
    ]
    assert cited == [("amends", number, FEES["title_ka"]), ("repeals", number, FEES["title_ka"])]
    amendment = await sign_and_publish(office, draft["id"])
    amendment_id, its_number = amendment["id"], amendment["register_number"]

    # Its publication tells what it changes, citing the order by its number.
    published = await event(office, "published", amendment_id)
    assert published["entry_into_force"] == {"kind": "publication", "on": None, "condition": None}
    cites = {
        "target_document_id": fees_id,
        "target_register_number": number,
        "target_document_type": "mayor_order",
    }
    assert published["changes"] == [
        {"kind": "amends", **cites, "articles": ["2"], "effective_on": None},
        {"kind": "repeals", **cites, "articles": ["3"], "effective_on": repeal_day.isoformat()},
    ]

    # The order knows what changed it, and from when.
    fees = await editor.document(fees_id)
    assert [
        (c["document_id"], c["register_number"], c["kind"], c["articles"], c["takes_effect_on"])
        for c in fees["changed_by"]
    ] == [
        (amendment_id, its_number, "amends", ["2"], today().isoformat()),
        (amendment_id, its_number, "repeals", ["3"], repeal_day.isoformat()),
    ]

    # The head of department does not prepare a consolidated text; the editor does, as of
    # the day of the repeal, from the order's published text, for the lawyer to check.
    await office.head.refused(403, "POST", consolidations, json=note)
    edition = (await editor.ok("POST", consolidations, json=note))["current"]
    assert edition["number"] == 2 and edition["state"] == "draft"
    assert edition["change_kind"] == "consolidation"
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
    first = await editor.ok("GET", f"/documents/{fees_id}/editions/1")
    assert fees["register_number"] == number
    assert fees["current"]["date_signed"] == first["date_signed"]
    assert not [a for a in fees["current"]["attachments"] if a["signer_name"]]
    trail = [e["action"] for e in await editor.audit(fees_id) if e["edition_number"] == 2]
    assert trail == [
        "consolidate",
        "edit",
        "submit",
        "start_review",
        "approve_step",
        "approve",
        "publish",
    ]
    told = await event(office, "published", fees_id, edition=2)
    assert told["consolidated_as_of"] == repeal_day.isoformat()
    assert told["incorporates"] == [amendment_id] and told["change_kind"] == "consolidation"
    assert told["register_number"] == number

    # Everything in effect by then is applied: nothing more, and not as of an earlier day.
    nothing = await lawyer.refused(409, "POST", consolidations, json=note)
    assert nothing["title"] == "Nothing to incorporate"
    earlier = {**note, "as_of": (repeal_day - timedelta(days=1)).isoformat()}
    refused = await lawyer.refused(409, "POST", consolidations, json=earlier)
    assert repeal_day.isoformat() in refused["detail"]
    press_path = f"/documents/{press}/consolidations"
    assert (await lawyer.refused(409, "POST", press_path, json=note))["title"] == "Not a legal act"
