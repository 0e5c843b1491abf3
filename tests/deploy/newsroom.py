"""The department's desks inside a running single-server stack, run by the deploy check in
the stack's operator console (`cli`), which alone reaches the APIs: an editor writes and
submits a news item, the head of department approves it, and its workflow publishes it.

    python newsroom.py submit <title> [attach]
                                         creates (with a PDF attached, if asked) and
                                         submits; prints the id (and the attachment's
                                         SHA-256) once the head of department's task waits
    python newsroom.py approve <id>      the head of department approves
    python newsroom.py published <id>    waits until the document is published
    python newsroom.py documents         prints every document's id, title and state

Tokens are the operator's (MERIA_TOKEN_SIGNING_KEY), as `meria token` makes them. Only
the image's own packages are used.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import httpx

from meria.auth import User, issue_token
from meria.config import Settings, load_settings

SETTINGS = load_settings(Settings)
BASE = SETTINGS.publishing_url
EDITOR = ("nino.beridze", "editor")
HEAD = ("tamar.gelashvili", "head_of_department")


def headers(person: tuple[str, str]) -> dict[str, str]:
    user = User(id=person[0], name=person[0], roles=frozenset({person[1]}))
    return {"Authorization": f"Bearer {issue_token(SETTINGS, user, ttl_seconds=600)}"}


def call(http: httpx.Client, person: tuple[str, str], method: str, path: str, **kw: Any) -> Any:
    response = http.request(method, f"{BASE}{path}", headers=headers(person), **kw)
    if response.status_code >= 400:
        sys.exit(f"{method} {path}: {response.status_code} {response.text[:500]}")
    return response.json()


def until(seconds: float, check: Any) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    sys.exit(f"gave up after {seconds} s")


def submit(http: httpx.Client, title: str, attach: bool = False) -> None:
    document = call(http, EDITOR, "POST", "/documents", json={
        "document_type": "news", "title_ka": title, "title_en": f"{title} (English)",
        "summary_ka": "ახმეტის მუნიციპალიტეტის სიახლე.",
    })  # fmt: skip
    made: dict[str, Any] = {"id": document["id"]}
    if attach:
        pdf = f"%PDF-1.4\n% {title}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".encode()
        attached = call(http, EDITOR, "POST", f"/documents/{document['id']}/attachments",
                        files={"file": ("პროგრამა.pdf", pdf, "application/pdf")})  # fmt: skip
        made["attachment_sha256"] = attached["sha256"]
    call(http, EDITOR, "POST", f"/documents/{document['id']}/submit", json={})

    def waiting_for_head() -> bool:
        status = call(http, HEAD, "GET", f"/documents/{document['id']}/status")
        return bool(status["stage"] == "department_review" and status["tasks"])

    until(120, waiting_for_head)
    print(json.dumps(made))


def approve(http: httpx.Client, document_id: int) -> None:
    call(http, HEAD, "POST", f"/documents/{document_id}/decisions", json={"outcome": "approve"})
    print(json.dumps({"id": document_id, "decision": "approve"}))


def published(http: httpx.Client, document_id: int) -> None:
    def state() -> str | None:
        found = call(http, EDITOR, "GET", f"/documents/{document_id}")
        return "published" if found["current"]["state"] == "published" else None

    until(240, state)
    print(json.dumps({"id": document_id, "state": "published"}))


def documents(http: httpx.Client) -> None:
    found = call(http, EDITOR, "GET", "/documents", params={"limit": 500})
    print(json.dumps([item["id"] for item in found["items"]]))


if __name__ == "__main__":
    with httpx.Client(timeout=30) as client:
        command = sys.argv[1]
        if command == "submit":
            submit(client, sys.argv[2], attach=sys.argv[3:] == ["attach"])
        elif command == "approve":
            approve(client, int(sys.argv[2]))
        elif command == "published":
            published(client, int(sys.argv[2]))
        else:
            documents(client)
