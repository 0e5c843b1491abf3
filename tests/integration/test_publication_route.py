"""The document approval-to-publication workflow against the running publishing service,
a real Temporal dev server and a real nats-server, as the department's staff use it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.auth import User, sign_receipt
from meria.config import Settings
from meria.testing.servers import NatsServer, TemporalDevServer
from services.publishing import signing
from tests.conftest import DatabaseFactory
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk, published_events
from tests.support.stack import Stack, running_stack


@dataclass
class Office:
    stack: Stack
    editor: Desk
    lawyer: Desk
    head: Desk
    mayor: Desk
    admin: Desk


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
            # A failing publication is reported after two quick tries, not five slow ones.
            publish_attempts=2,
            publish_retry_seconds=0.2,
            # A step of seconds, so a late step is reminded and escalated while we wait.
            route_deadline_min_hours=0.0001,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        office = Office(
            stack,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            lawyer=Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
            mayor=Desk(stack, http, "mayor.akhmeta", "mayor"),
            admin=Desk(stack, http, "admin", "admin"),
        )
        await office.admin.ok(
            "PUT",
            "/issuers/mayor",
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        yield office


async def test_a_legal_act_goes_through_three_roles_and_is_numbered_and_signed(
    office: Office,
) -> None:
    editor, lawyer, head, mayor = office.editor, office.lawyer, office.head, office.mayor
    document = await editor.create(LEGAL_ACT)
    document_id = document["id"]
    await editor.submit(document_id)

    # Legal review, then the head of department, then the mayor's signature.
    for desk, step in ((lawyer, "legal_review"), (head, "department_review"), (mayor, "signature")):
        status = await editor.wait_for_stage(document_id, step)
        assert status["awaiting"] == [
            {"legal_review": "legal_reviewer", "department_review": "head_of_department",
             "signature": "mayor"}[step]
        ]  # fmt: skip
        decided = await desk.decide(document_id, comment="თანახმა ვარ")
        assert decided.status_code == 200, decided.text
        assert decided.json()["decided_by"] == desk.user

    published = await editor.wait_for_state(document_id, "published")
    edition = published["current"]
    assert published["register_number"] == f"1/{edition['date_signed'][:4]}"
    # Georgian text survives every hop byte for byte.
    assert edition["title_ka"] == LEGAL_ACT["title_ka"]
    assert edition["body_ka"] == LEGAL_ACT["body_ka"]

    # The publication record is signed with the municipality's key.
    public_key = (await editor.call("GET", "/signing-key")).text
    record = edition["publication_record"]
    assert record["register_number"] == published["register_number"]
    assert record["content_sha256"] == edition["content_sha256"]
    assert signing.verify(public_key, record, edition["signature"])
    assert not signing.verify(
        public_key, {**record, "register_number": "2/2026"}, edition["signature"]
    )

    # Every transition is kept, who and from what to what.
    trail = [(entry["action"], entry["actor"]) for entry in await editor.audit(document_id)]
    assert trail == [
        ("create", "nino.beridze"),
        ("submit", "nino.beridze"),
        ("start_review", "meria-worker"),
        ("approve_step", "levan.kapanadze"),
        ("approve_step", "tamar.gelashvili"),
        ("approve_step", "mayor.akhmeta"),
        ("approve", "meria-worker"),
        ("sign", "meria-worker"),
        ("publish", "meria-worker"),
    ]

    # And the bus carries the story, the published text intact.
    for _ in range(100):
        events = await published_events(office.stack)
        if any(event["type"].endswith("document.published.v1") for event in events):
            break
        await asyncio.sleep(0.1)
    kinds = [event["type"].split(".")[-2] for event in events]
    assert kinds == ["submitted", "step_approved", "step_approved", "step_approved",
                     "approved", "published"]  # fmt: skip
    published_event = events[-1]["data"]
    assert published_event["title"]["ka"] == LEGAL_ACT["title_ka"]
    assert published_event["register_number"] == published["register_number"]
    assert published_event["signature"] == edition["signature"]


async def test_only_the_workflow_records_transitions_and_it_names_no_one(office: Office) -> None:
    """An administrator once approved a legal act at the mayor's signature and published it
    through the workflow's own endpoints, the audit saying the mayor had approved."""
    editor, lawyer, admin = office.editor, office.lawyer, office.admin
    document_id = (await editor.create(LEGAL_ACT))["id"]
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "legal_review")
    edition = f"/documents/{document_id}/editions/1"
    forged = {"action": "approve", "step": "signature"}

    # No person's role reaches the workflow's endpoints, an administrator's included.
    for desk in (admin, editor):
        for method, path, body in (
            ("POST", f"{edition}/transitions", forged),
            ("POST", f"{edition}/publication", None),
            ("GET", f"{edition}/case", None),
        ):
            refused = await desk.call(method, path, json=body)
            assert refused.status_code == 403, refused.text
            assert "Meria's own processes" in refused.json()["detail"]

    # The worker itself names nobody: a person's act needs this service's own receipt.
    worker = Desk(office.stack, editor.http, "meria-worker")
    worker.headers = office.stack.service_headers("worker")
    said = await worker.call(
        "POST", f"{edition}/transitions", json={**forged, "actor": "demo.mayor"}
    )
    assert said.status_code == 422, said.text
    bare = await worker.call(
        "POST", f"{edition}/transitions", json={"action": "approve_step", "step": "signature"}
    )
    assert bare.status_code == 422 and "names no verified person" in bare.text
    # A receipt the operator's key signed, or one for another edition, is no receipt.
    settings = office.stack.settings("publishing")
    mayor = User(id="demo.mayor", roles=frozenset({"mayor"}))
    for receipt in (
        sign_receipt(Settings(**office.stack.shared), mayor, f"document-{document_id}-edition-1",
                     "approve", step="signature"),
        sign_receipt(settings, mayor, "document-999-edition-1", "approve", step="signature"),
        sign_receipt(settings, mayor, f"document-{document_id}-edition-1", "approve",
                     step="legal_review"),
    ):  # fmt: skip
        refused = await worker.call(
            "POST",
            f"{edition}/transitions",
            json={"action": "approve_step", "step": "signature", "receipt": receipt},
        )
        assert refused.status_code == 422 and "receipt" in refused.text.lower(), refused.text
    assert (await editor.document(document_id))["current"]["state"] == "in_review"

    # The lawyer's real decision is recorded in the lawyer's name, from the receipt.
    assert (await lawyer.decide(document_id, comment="კანონიერია")).status_code == 200
    await editor.wait_for_stage(document_id, "department_review")
    trail = [(entry["action"], entry["actor"]) for entry in await editor.audit(document_id)]
    assert trail[-1] == ("approve_step", "levan.kapanadze")
    assert "demo.mayor" not in {actor for _, actor in trail}


async def test_a_press_release_needs_only_the_head_of_department(office: Office) -> None:
    document = await office.editor.create(PRESS_RELEASE)
    await office.editor.submit(document["id"])
    await office.editor.wait_for_stage(document["id"], "department_review")
    assert (await office.head.decide(document["id"])).status_code == 200
    published = await office.editor.wait_for_state(document["id"], "published")
    assert published["register_number"] is None


async def test_rejection_and_a_changes_requested_round_trip(office: Office) -> None:
    editor, head = office.editor, office.head
    rejected = await editor.create(PRESS_RELEASE)
    await editor.submit(rejected["id"])
    await editor.wait_for_stage(rejected["id"], "department_review")
    refusal = await head.decide(rejected["id"], "reject")
    assert refusal.status_code == 422  # a rejection needs its reason
    assert "comment" in refusal.json()["detail"]
    decided = await head.decide(rejected["id"], "reject", comment="ეს ამბავი უკვე გავრცელდა.")
    assert decided.status_code == 200, decided.text
    back = await editor.wait_for_state(rejected["id"], "draft")
    assert back["current"]["submitted_at"] is None

    document = await editor.create({**PRESS_RELEASE, "title_ka": "მერიამ ახალი ავტობუსები შეიძინა"})
    document_id = document["id"]
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "department_review")
    asked = await head.decide(
        document_id, "request_changes", comment="დაამატეთ ავტობუსების რაოდენობა."
    )
    assert asked.status_code == 200, asked.text
    await editor.wait_for_state(document_id, "changes_requested")

    # The author edits and resubmits; the route starts again from its first step.
    edited = await editor.call(
        "PATCH", f"/documents/{document_id}", json={"body_ka": "<p>მერიამ 12 ავტობუსი შეიძინა.</p>"}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["current"]["revision"] == 2
    resubmitted = await editor.call("POST", f"/documents/{document_id}/resubmit")
    assert resubmitted.status_code == 200, resubmitted.text
    await editor.wait_for_stage(document_id, "department_review")
    assert (await head.decide(document_id, revision=2)).status_code == 200
    published = await editor.wait_for_state(document_id, "published")
    assert published["current"]["body_ka"] == "<p>მერიამ 12 ავტობუსი შეიძინა.</p>"
    actions = [entry["action"] for entry in await editor.audit(document_id)]
    assert actions == ["create", "submit", "start_review", "request_changes", "edit",
                       "resubmit", "approve_step", "approve", "publish"]  # fmt: skip


async def test_the_author_and_the_wrong_role_are_refused(office: Office) -> None:
    stack = office.stack
    # An editor who is also head of department writes a press release…
    author = Desk(stack, office.editor.http, "giorgi.author", "editor", "head_of_department")
    document = await author.create(PRESS_RELEASE)
    await author.submit(document["id"])
    await author.wait_for_stage(document["id"], "department_review")
    # …but cannot approve it themself.
    own = await author.decide(document["id"])
    assert own.status_code == 409
    assert own.json()["detail"] == "The author cannot decide on their own document."
    # A lawyer cannot decide the head of department's step.
    wrong = await office.lawyer.decide(document["id"])
    assert wrong.status_code == 409
    assert "head_of_department" in wrong.json()["detail"]
    # A stale revision is refused with what changed.
    stale = await office.head.decide(document["id"], revision=7)
    assert stale.status_code == 409
    assert "changed since you read it" in stale.json()["detail"]
    # Nothing was decided by the refusals.
    status = await author.status(document["id"])
    assert status["decisions"] == [] and status["stage"] == "department_review"


async def test_editing_during_review_dismisses_the_approvals(office: Office) -> None:
    editor, lawyer = office.editor, office.lawyer
    document = await editor.create(LEGAL_ACT)
    document_id = document["id"]
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "legal_review")
    assert (await lawyer.decide(document_id)).status_code == 200
    await editor.wait_for_stage(document_id, "department_review")

    no_reason = await editor.call("PATCH", f"/documents/{document_id}", json={"title_en": "x"})
    assert no_reason.status_code == 422
    edited = await editor.call(
        "PATCH",
        f"/documents/{document_id}",
        json={"summary_ka": "გათბობა ჩაირთოს 10 ნოემბრიდან.", "reason": "თარიღი შეიცვალა"},
    )
    assert edited.status_code == 200, edited.text

    # Back to legal review, which must approve the new text again.
    status = await editor.wait_for_stage(document_id, "legal_review")
    assert status["revision"] == 2
    stale = await lawyer.decide(document_id, revision=1)
    assert stale.status_code == 409
    assert (await lawyer.decide(document_id, revision=2)).status_code == 200
    await editor.wait_for_stage(document_id, "department_review")
    trail = [(entry["action"], entry["comment"]) for entry in await editor.audit(document_id)]
    assert ("edit", "თარიღი შეიცვალა") in trail
    assert ("restart_review", "თარიღი შეიცვალა") in trail


async def test_force_publish_then_retrospective_approval(office: Office) -> None:
    """A press release forced through by the head of department, then approved afterwards
    (a legal act is never forced: it waits for the mayor's signature, test_signed_acts)."""
    editor, lawyer, head = office.editor, office.lawyer, office.head
    document = await editor.create(PRESS_RELEASE)
    document_id = document["id"]
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "department_review")

    refused = await lawyer.call(
        "POST", f"/documents/{document_id}/force-publish", json={"reason": "სასწრაფოა"}
    )
    assert refused.status_code == 403
    forced = await head.call(
        "POST",
        f"/documents/{document_id}/force-publish",
        json={"reason": "საგანგებო მდგომარეობა: გათბობა დღესვე უნდა ჩაირთოს"},
    )
    assert forced.status_code == 200, forced.text
    published = await editor.wait_for_state(document_id, "published")
    edition = published["current"]
    assert edition["force_published"] is True
    assert edition["review_pending_roles"] == ["head_of_department"]
    assert edition["date_signed"] is None  # nothing was signed, and no page says so

    # Another head of department approves afterwards; then it has had its full review.
    for desk in (Desk(office.stack, head.http, "eka.jorjadze", "head_of_department"),):
        approved = await desk.call(
            "POST", f"/documents/{document_id}/retrospective-approvals", json={"comment": "კი"}
        )
        assert approved.status_code == 200, approved.text
    assert (await editor.document(document_id))["current"]["review_pending_roles"] == []
    again = await lawyer.call("POST", f"/documents/{document_id}/retrospective-approvals", json={})
    assert again.status_code == 409


async def test_a_scheduled_publication_waits_for_its_time(office: Office) -> None:
    editor, head = office.editor, office.head
    document = await editor.create(PRESS_RELEASE)
    publish_at = (datetime.now(UTC) + timedelta(seconds=4)).isoformat()
    await editor.submit(document["id"], publish_at=publish_at)
    await editor.wait_for_stage(document["id"], "department_review")
    assert (await head.decide(document["id"])).status_code == 200
    scheduled = await editor.wait_for_state(document["id"], "scheduled")
    assert scheduled["current"]["published_at"] is None
    published = await editor.wait_for_state(document["id"], "published", timeout=30)
    assert published["current"]["published_at"] >= publish_at[:19]


async def test_a_failed_publication_waits_for_an_administrator_to_retry(office: Office) -> None:
    editor, head, admin = office.editor, office.head, office.admin
    document = await editor.create(PRESS_RELEASE)
    document_id = document["id"]
    attached = await editor.call(
        "POST",
        f"/documents/{document_id}/attachments",
        files={"file": ("ბრძანება.pdf", PDF, "application/octet-stream")},
    )
    assert attached.status_code == 201, attached.text
    assert attached.json()["media_type"] == "application/pdf"
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "department_review")

    # The approved file disappears from storage before publication.
    folder = office.stack.settings("publishing").attachments_dir  # type: ignore[attr-defined]
    stored = next(iter(folder.iterdir()))
    hidden = stored.with_suffix(".hidden")
    stored.rename(hidden)
    assert (await head.decide(document_id)).status_code == 200
    failed = await editor.wait_for_state(document_id, "failed_to_publish", timeout=60)
    assert failed["current"]["published_at"] is None
    assert (
        await editor.call("POST", f"/documents/{document_id}/retry-publication")
    ).status_code == 403

    # The file is restored; the administrator retries; it is published.
    hidden.rename(stored)
    retried = await admin.call("POST", f"/documents/{document_id}/retry-publication")
    assert retried.status_code == 200, retried.text
    published = await editor.wait_for_state(document_id, "published")
    assert published["current"]["attachments"][0]["filename"] == "ბრძანება.pdf"
    trail = [entry["action"] for entry in await editor.audit(document_id)]
    assert trail[-3:] == ["publication_failed", "retry", "publish"]


async def test_withdraw_and_unpublish(office: Office) -> None:
    editor, head = office.editor, office.head
    # Before publication, withdrawal takes it off the route and back to its author.
    pending = await editor.create(PRESS_RELEASE)
    await editor.submit(pending["id"])
    await editor.wait_for_stage(pending["id"], "department_review")
    withdrawn = await editor.call(
        "POST", f"/documents/{pending['id']}/withdraw", json={"reason": "ღონისძიება გადაიდო"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await editor.wait_for_state(pending["id"], "draft")

    # After publication it stays public with an explanation on top…
    document = await editor.create({**PRESS_RELEASE, "title_ka": "ფესტივალი გაიმართება"})
    await editor.submit(document["id"])
    await editor.wait_for_stage(document["id"], "department_review")
    await head.decide(document["id"])
    await editor.wait_for_state(document["id"], "published")
    no_explanation = await editor.call(
        "POST", f"/documents/{document['id']}/withdraw", json={"reason": "გაუქმდა"}
    )
    assert no_explanation.status_code == 422
    withdrawn = await editor.call(
        "POST",
        f"/documents/{document['id']}/withdraw",
        json={"reason": "გაუქმდა", "public_explanation": "ფესტივალი გაუქმდა ამინდის გამო."},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["current"]["public_explanation"] == "ფესტივალი გაუქმდა ამინდის გამო."

    # …and a publication made in error is taken down, with its reason kept.
    refused = await editor.call(
        "POST", f"/documents/{document['id']}/unpublish", json={"reason": "შეცდომით"}
    )
    assert refused.status_code == 403
    unpublished = await head.call(
        "POST",
        f"/documents/{document['id']}/unpublish",
        json={"reason": "გამოქვეყნდა შეცდომით", "redirect_url": "https://akhmeta.gov.ge/news"},
    )
    assert unpublished.status_code == 200, unpublished.text
    assert unpublished.json()["current"]["state"] == "unpublished"
    events = await wait_for_event(office.stack, "unpublished")
    assert events[-1]["data"]["redirect_url"] == "https://akhmeta.gov.ge/news"


async def test_fifty_final_approvals_at_once_get_fifty_consecutive_numbers(office: Office) -> None:
    editor, mayor = office.editor, office.mayor
    ids = []
    for index in range(50):
        created = await editor.create({**LEGAL_ACT, "title_ka": f"მერის ბრძანება №{index}"})
        ids.append(created["id"])
    await asyncio.gather(*(editor.submit(document_id) for document_id in ids))
    # A legal act keeps its route: the lawyer and the head approve all fifty first, so
    # that all fifty stand at the mayor's signature, the numbering moment, at once.
    for desk, step in ((office.lawyer, "legal_review"), (office.head, "department_review")):
        await asyncio.gather(*(editor.wait_for_stage(i, step, timeout=120) for i in ids))
        approved = await asyncio.gather(*(desk.decide(document_id) for document_id in ids))
        assert all(decision.status_code == 200 for decision in approved)
    await asyncio.gather(*(editor.wait_for_stage(i, "signature", timeout=120) for i in ids))
    decisions = await asyncio.gather(*(mayor.decide(document_id) for document_id in ids))
    assert all(decision.status_code == 200 for decision in decisions)
    published = await asyncio.gather(
        *(editor.wait_for_state(i, "published", timeout=180) for i in ids)
    )
    numbers = sorted(int(document["register_number"].split("/")[0]) for document in published)
    assert numbers == list(range(1, 51))
    register = await editor.ok("GET", "/register", params={"issuer": "mayor"})
    assert len(register) == 50


async def wait_for_event(stack: Stack, kind: str) -> list[dict[str, Any]]:
    for _ in range(300):
        events = await published_events(stack)
        if any(event["type"].endswith(f"document.{kind}.v1") for event in events):
            return events
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} event")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def test_a_step_decided_by_two_of_three_named_people(office: Office) -> None:
    stack, editor, admin = office.stack, office.editor, office.admin
    await admin.ok(
        "PUT",
        "/routes/news",
        json={"steps": [{"key": "board", "role": "media_officer", "mode": "quorum", "quorum": 2,
                         "people": ["ana", "beka", "dato"], "deadline_hours": 24}],
              "reason": "სიახლეებს სარედაქციო საბჭო ამტკიცებს"},
    )  # fmt: skip
    board = {
        name: Desk(stack, editor.http, name, "media_officer") for name in ("ana", "beka", "dato")
    }
    outsider = Desk(stack, editor.http, "eka", "media_officer")
    document = await editor.create({**PRESS_RELEASE, "document_type": "news"})
    await editor.submit(document["id"])
    status = await editor.wait_for_stage(document["id"], "board")
    assert sorted(task["assignee"] for task in status["tasks"]) == ["ana", "beka", "dato"]

    # Someone with the role but not named is refused; the named decide their own task.
    assert (await outsider.decide(document["id"])).status_code == 409
    assert (await board["ana"].decide(document["id"])).status_code == 200
    assert (await board["dato"].decide(document["id"])).status_code == 200
    published = await editor.wait_for_state(document["id"], "published")
    assert published["current"]["state"] == "published"
    approvals = [
        e["actor"] for e in await editor.audit(document["id"]) if e["action"] == "approve_step"
    ]
    assert sorted(approvals) == ["ana", "dato"]


async def test_a_new_edition_supersedes_the_published_one(office: Office) -> None:
    editor, head = office.editor, office.head
    document = await editor.create(PRESS_RELEASE)
    document_id = document["id"]
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "department_review")
    await head.decide(document_id)
    await editor.wait_for_state(document_id, "published")

    started = await editor.call(
        "POST",
        f"/documents/{document_id}/editions",
        json={"change_note": "დაზუსტდა სამუშაოების ვადა", "change_kind": "minor"},
    )
    assert started.status_code == 201, started.text
    assert started.json()["current"]["number"] == 2
    twice = await editor.call(
        "POST",
        f"/documents/{document_id}/editions",
        json={"change_note": "x", "change_kind": "minor"},
    )
    assert twice.status_code == 409  # one unpublished edition at a time
    await editor.ok(
        "PATCH", f"/documents/{document_id}", json={"body_ka": "<p>სამუშაოები სექტემბრამდე.</p>"}
    )
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "department_review")
    await head.decide(document_id)
    published = await editor.wait_for_state(document_id, "published")

    assert [(e["number"], e["state"]) for e in published["editions"]] == [
        (1, "superseded"),
        (2, "published"),
    ]
    assert published["current"]["change_note"] == "დაზუსტდა სამუშაოების ვადა"
    first = await editor.ok("GET", f"/documents/{document_id}/editions/1")
    assert first["body_ka"] == PRESS_RELEASE["body_ka"]  # a published edition never changes
    # The second edition's event follows its state by a moment (the relay's send).
    for _ in range(100):
        events = await wait_for_event(office.stack, "published")
        latest = [e for e in events if e["type"].endswith("document.published.v1")][-1]["data"]
        if latest["edition"] == 2:
            break
        await asyncio.sleep(0.1)
    assert latest["edition"] == 2 and latest["supersedes_edition"] == 1
    assert latest["change_kind"] == "minor"


async def test_a_late_step_is_reminded_then_escalated(office: Office) -> None:
    editor, admin, mayor = office.editor, office.admin, office.mayor
    # A step of about seven seconds: a reminder near half of it, escalation at its end.
    await admin.ok(
        "PUT",
        "/routes/announcement",
        json={"steps": [{"key": "department_review", "role": "head_of_department",
                         "deadline_hours": 0.002, "escalate_to": "mayor"}],
              "reason": "ტესტი: შეხსენება და ესკალაცია წამებში"},
    )  # fmt: skip
    document = await editor.create({**PRESS_RELEASE, "document_type": "announcement"})
    await editor.submit(document["id"])
    await editor.wait_for_stage(document["id"], "department_review")
    events = await wait_for_event(office.stack, "escalated")
    kinds = [event["type"].split(".")[-2] for event in events]
    assert kinds.index("reminder_due") < kinds.index("escalated")
    escalated = next(e["data"] for e in events if e["type"].endswith("document.escalated.v1"))
    assert escalated["awaiting"] == ["head_of_department", "mayor"]
    status = await editor.status(document["id"])
    assert status["awaiting"] == ["head_of_department", "mayor"]
    # The mayor may now decide in the head of department's place.
    assert (await mayor.decide(document["id"])).status_code == 200
    await editor.wait_for_state(document["id"], "published")
    audit = [entry["action"] for entry in await editor.audit(document["id"])]
    assert "reminder_due" in audit and "escalated" in audit
