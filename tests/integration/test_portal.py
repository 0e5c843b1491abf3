"""The staff portal over real HTTP, with publishing, the worker, NATS and Temporal running:
signing in, the forms that start the approval workflow, the inbox and the task page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from services.portal.i18n import TBILISI
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, add_account, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

TITLE = "ახმეტის მუნიციპალიტეტის მერის ბრძანება ზამთრის გზების მოვლის შესახებ"
COLLEAGUE = ("nana.iuristi", "ნანა ხუციშვილი", ["legal_reviewer"])
NOTE = "შვებულებაში მივდივარ: გთხოვთ, ხვალამდე გადახედოთ."
BODY = "1. ახმეტის, ზემო ალვანისა და დუისის გზები ზამთარში გაიწმინდოს ყოველდღე.\n\n" \
       "2. ბრძანება ძალაშია გამოქვეყნებისთანავე."  # fmt: skip


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        response = await http.put(
            f"{stack.urls['publishing']}/issuers/mayor",
            headers=stack.headers("admin"),
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        assert response.status_code == 200
        yield stack


async def person(stack: Stack, who: str) -> Person:
    someone = Person(stack, STAFF[who][0])
    signed = await someone.sign_in()
    assert signed.status_code == 303, signed.text
    return someone


def task_link(page: httpx.Response, title: str) -> str:
    found = re.search(r'<a href="(/tasks/[^"]+)">' + re.escape(title), page.text)
    assert found, f"no task for {title!r} in the inbox"
    return found.group(1)


async def test_sign_in_throttling_csrf_and_sign_out(portal: Stack) -> None:
    visitor = Person(portal, STAFF["protocol"][0])
    # Pages need a sign-in, and come back to where the person was going.
    page = await visitor.get("/inbox")
    assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=/inbox"
    form = await visitor.get("/sign-in")
    assert 'lang="ka"' in form.text and "შესვლა" in form.text
    # A form without its CSRF token is refused and changes nothing.
    forged = await visitor.post(
        "/sign-in", {"username": visitor.username, "password": "x"}, csrf=False
    )
    assert forged.status_code == 403
    wrong = await visitor.sign_in(password="not the password")
    assert wrong.status_code == 401 and "არასწორია" in wrong.text
    # After five failures from this browser's address, even the right password waits.
    for _ in range(4):
        await visitor.sign_in(password="still wrong")
    held = await visitor.sign_in()
    assert held.status_code == 429 and "ბევრი წარუმატებელი" in held.text
    assert 0 < int(held.headers["retry-after"]) <= 300
    await visitor.close()

    editor = await person(portal, "editor")
    inbox = await editor.get("/inbox")
    assert inbox.status_code == 200 and STAFF["editor"][1] in inbox.text
    cookie = editor.http.cookies.get("meria_portal")
    assert cookie
    headers = inbox.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    # Signing out ends the sign-in on the server: the old cookie opens nothing.
    out = await editor.post("/sign-out")
    assert out.status_code == 303
    replay = httpx.AsyncClient(base_url=portal.urls["portal"], cookies={"meria_portal": cookie})
    assert (await replay.get("/inbox")).status_code == 303
    await replay.aclose()
    # English on request, and remembered.
    english = await editor.get("/language", params={"to": "en", "next": "/sign-in"})
    assert english.status_code == 303
    page = await editor.get("/sign-in")
    assert 'lang="en"' in page.text and "Sign in" in page.text
    await editor.close()


async def test_a_legal_act_from_the_form_through_its_route(portal: Stack) -> None:
    editor = await person(portal, "editor")
    lawyer = await person(portal, "lawyer")

    # A refused form keeps everything typed, with the message beside the field.
    refused = await editor.post(
        "/documents/new",
        {"document_type": "mayor_order", "issuer_code": "mayor", "title_ka": "",
         "title_en": "Winter roads", "body_ka": BODY, "action": "submit"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "ქართული სათაური სავალდებულოა" in refused.text
    assert 'value="Winter roads"' in refused.text and "ზემო ალვანისა" in refused.text

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    created = await editor.post(
        "/documents/new",
        {"document_type": "mayor_order", "issuer_code": "mayor", "title_ka": TITLE,
         "title_en": "Winter roads", "body_ka": BODY, "action": "submit"},
        files={"attachments": ("ბრძანება.pdf", pdf, "application/pdf")},
    )  # fmt: skip
    assert created.status_code == 303, created.text
    document_path = created.headers["location"].split("?")[0]
    document_id = int(document_path.rsplit("/", 1)[1])
    shown = await editor.get(created.headers["location"])
    assert TITLE in shown.text and "ბრძანება.pdf" in shown.text, shown.text[
        shown.text.index("<main") :
    ]

    # The legal reviewer finds it in the inbox and asks for changes; a reason is required.
    inbox = await lawyer.until("/inbox", lambda page: TITLE in page.text)
    task = task_link(inbox, TITLE)
    page = await lawyer.get(task)
    assert "იურიდიული ექსპერტიზა" in page.text and 'name="outcome"' in page.text
    no_reason = await lawyer.post(f"{task}/decision", {"outcome": "request_changes"})
    assert no_reason.status_code == 422 and 'role="alert"' in no_reason.text
    asked = await lawyer.post(
        f"{task}/decision",
        {"outcome": "request_changes", "comment": "მიუთითეთ პასუხისმგებელი სამსახური."},
    )
    assert asked.status_code == 303
    # Back in the inbox that names the task decided, which Temporal's lists may still
    # hold for a moment: the reviewer does not see it again.
    assert asked.headers["location"] == f"/inbox?decided={task.rsplit('/', 1)[1]}"
    assert task not in (await lawyer.get(asked.headers["location"])).text

    # It is back in the editor's tasks, returned to them, until they send it again.
    returned = await editor.until("/inbox", lambda page: "ჩემთვის დაბრუნებული" in page.text)
    assert f'<a href="{document_path}/edit">{TITLE}</a>' in returned.text

    # The editor edits and resubmits; the reviewer sees what changed since they looked.
    edit = await editor.until(f"{document_path}/edit", lambda page: "ხელახლა გაგზავნა" in page.text)
    assert "ზემო ალვანისა" in edit.text
    changed = BODY.replace("ყოველდღე", "ყოველდღე, პასუხისმგებელია ინფრასტრუქტურის სამსახური")
    resubmitted = await editor.post(
        f"{document_path}/edit",
        {"title_ka": TITLE, "title_en": "Winter roads", "body_ka": changed, "action": "submit"},
    )
    assert resubmitted.status_code == 303, resubmitted.text
    await editor.until("/inbox", lambda page: "ჩემთვის დაბრუნებული" not in page.text)
    inbox = await lawyer.until("/inbox", lambda page: TITLE in page.text and task not in page.text)
    second = task_link(inbox, TITLE)
    # Only the task named decided is left out, whatever Temporal's list still says.
    assert second not in (await lawyer.get(f"/inbox?decided={second.rsplit('/', 1)[1]}")).text
    assert second in (await lawyer.get(f"/inbox?decided={task.rsplit('/', 1)[1]}")).text
    review = await lawyer.get(second)
    assert re.search(r'<mark class="chg">[^<]*პასუხისმგებელია', review.text), review.text
    assert "მიუთითეთ პასუხისმგებელი სამსახური." in review.text  # the decision history

    # Someone without the role sees no decision form, and the service refuses them too.
    protocol = await person(portal, "protocol")
    foreign = await protocol.get(second)
    assert foreign.status_code == 200 and 'name="outcome"' not in foreign.text
    refused_decision = await protocol.post(f"{second}/decision", {"outcome": "approve"})
    assert refused_decision.status_code == 409 and 'role="alert"' in refused_decision.text

    # Claimed, the step is the reviewer's. They mean to look at it again in an hour: until
    # then it waits under "follow up later", and a date past its deadline is refused.
    claimed = await lawyer.post(f"{second}/claim", {"back": "/inbox"})
    assert claimed.status_code == 303
    assert "ჩემ მიერ აღებული" in (await lawyer.get("/inbox")).text
    # Only the holder or the head of department releases a claim: the head does, here,
    # and the reviewer takes it again.
    head = await person(portal, "head")
    seen_by_head = await head.get(second)
    assert f"/tasks/{second.rsplit('/', 1)[1]}/unclaim" in seen_by_head.text
    assert (await protocol.post(f"{second}/unclaim", {"back": second})).status_code == 409
    assert (await head.post(f"{second}/unclaim", {"back": second})).status_code == 303
    assert "ჩემ მიერ აღებული" not in (await lawyer.get("/inbox")).text
    assert (await lawyer.post(f"{second}/claim", {"back": "/inbox"})).status_code == 303
    await head.close()
    in_an_hour = (datetime.now(TBILISI) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    too_late = (datetime.now(TBILISI) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M")
    refused_date = await lawyer.post(f"{second}/follow-up", {"at": too_late})
    assert refused_date.status_code == 422 and "ვადამდე" in refused_date.text
    assert (await lawyer.post(f"{second}/follow-up", {"at": in_an_hour})).status_code == 303
    await lawyer.until("/inbox", lambda page: TITLE not in page.text)
    waiting = await lawyer.get("/inbox?waiting=1")
    assert TITLE in waiting.text and "კვლავ ნახვა" in waiting.text
    assert (await lawyer.post(f"{second}/follow-up", {"clear": "1"})).status_code == 303
    await lawyer.until("/inbox", lambda page: TITLE in page.text)

    # They hand it to a colleague with a note: only the colleague decides it now, and reads
    # why it is theirs. Another member of staff may not hand it on.
    async with httpx.AsyncClient(timeout=20) as http:
        await add_account(portal, http, *COLLEAGUE)
    page = await lawyer.get(second)
    assert f'<option value="{COLLEAGUE[0]}">{COLLEAGUE[1]}</option>' in page.text
    # Seen before and unchanged: the page says so, not that this is the first look.
    assert "ბოლოს ნახვის შემდეგ არაფერი შეცვლილა." in page.text
    assert "ამ დოკუმენტს პირველად ხედავთ." not in page.text
    no_note = await lawyer.post(f"{second}/reassign", {"to": COLLEAGUE[0], "note": " "})
    assert no_note.status_code == 422 and 'id="handing-error"' in no_note.text
    handed = await lawyer.post(f"{second}/reassign", {"to": COLLEAGUE[0], "note": NOTE})
    assert handed.status_code == 303
    not_theirs = await lawyer.post(f"{second}/decision", {"outcome": "approve"})
    assert not_theirs.status_code == 409
    stranger = await protocol.post(f"{second}/reassign", {"to": STAFF["lawyer"][0], "note": NOTE})
    assert stranger.status_code == 403
    task_id = second.rsplit("/", 1)[1]
    async with httpx.AsyncClient(timeout=20) as http:
        # The service's own gate says the same to a direct call, whatever the portal shows.
        direct = await http.post(
            f"{portal.urls['publishing']}/tasks/{task_id}/reassign",
            headers=portal.headers("protocol_officer", user=STAFF["protocol"][0]),
            json={"to": STAFF["lawyer"][0], "note": NOTE},
        )
        assert direct.status_code == 409 and "head of department" in direct.text
        elsewhere = await http.post(
            f"{portal.urls['publishing']}/tasks/visit-1-task-transport/reassign",
            headers=portal.headers("head_of_department", user=STAFF["head"][0]),
            json={"to": STAFF["lawyer"][0], "note": NOTE},
        )
        assert elsewhere.status_code == 404
    colleague = Person(portal, COLLEAGUE[0])
    assert (await colleague.sign_in()).status_code == 303
    theirs = await colleague.get(second)
    assert NOTE in theirs.text and 'name="outcome"' in theirs.text
    assert (await colleague.post(f"{second}/decision", {"outcome": "approve"})).status_code == 303
    await colleague.close()

    # Before saving an edit in review, the form says the route starts again and whose
    # approval is dismissed.
    warned = await editor.until(f"{document_path}/edit", lambda page: COLLEAGUE[1] in page.text)
    assert "ცვლილების შენახვა განხილვის მარშრუტს პირველი ეტაპიდან" in warned.text
    for who in ("head", "mayor"):
        desk = await person(portal, who)
        inbox = await desk.until("/inbox", lambda page: TITLE in page.text)
        approved = await desk.post(f"{task_link(inbox, TITLE)}/decision", {"outcome": "approve"})
        assert approved.status_code == 303, approved.text
        await desk.close()
    published = await editor.until(
        document_path, lambda page: "გამოქვეყნებული" in page.text and "/20" in page.text
    )
    assert re.search(r"\d+/20\d\d", published.text), "the register number is shown"
    assert document_id
    for someone in (editor, lawyer, protocol):
        await someone.close()


async def test_a_rejected_document_says_so_once(portal: Stack) -> None:
    editor = await person(portal, "editor")
    lawyer = await person(portal, "lawyer")
    title = "ახმეტის მერის ბრძანება საბავშვო ბაღების სარემონტო სამუშაოების შესახებ"
    created = await editor.post(
        "/documents/new",
        {"document_type": "mayor_order", "issuer_code": "mayor", "title_ka": title,
         "body_ka": "1. შეკეთდეს ქალაქ ახმეტის საბავშვო ბაღი N2.", "action": "submit"},
    )  # fmt: skip
    assert created.status_code == 303, created.text
    document_path = created.headers["location"].split("?")[0]
    inbox = await lawyer.until("/inbox", lambda page: title in page.text)
    reason = "ბრძანება ბიუჯეტით არ არის უზრუნველყოფილი."
    refused = await lawyer.post(
        f"{task_link(inbox, title)}/decision", {"outcome": "reject", "comment": reason}
    )
    assert refused.status_code == 303

    def facts_of(page: httpx.Response) -> str:
        return page.text.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]

    # The decision reaches the case's history a moment before publishing records it.
    page = await editor.until(
        document_path, lambda page: reason in page.text and STAFF["lawyer"][1] in facts_of(page)
    )
    facts = facts_of(page)
    # One state, with who and why, and no stage beside it that says otherwise.
    assert "უარყოფილი" in facts
    assert "<dt>ეტაპი</dt>" not in facts and "<dd>პროექტი</dd>" not in facts
    for someone in (editor, lawyer):
        await someone.close()
