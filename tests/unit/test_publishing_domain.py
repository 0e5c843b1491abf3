"""Publishing's rules without I/O: the transition table, sanitising, signing, routes."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from meria.cases.documents import RouteStep
from services.publishing import signing
from services.publishing.documents import sanitize
from services.publishing.routes import default_route
from services.publishing.states import (
    EDITABLE_STATES,
    TRANSITIONS,
    Action,
    State,
    TransitionRefused,
    next_state,
)


def test_the_edition_lifecycle() -> None:
    path = [
        (State.DRAFT, Action.SUBMIT, State.SUBMITTED),
        (State.SUBMITTED, Action.START_REVIEW, State.IN_REVIEW),
        (State.IN_REVIEW, Action.APPROVE, State.APPROVED),
        (State.APPROVED, Action.SCHEDULE, State.SCHEDULED),
        (State.SCHEDULED, Action.PUBLISH, State.PUBLISHED),
        (State.PUBLISHED, Action.SUPERSEDE, State.SUPERSEDED),
    ]
    for origin, action, target in path:
        assert next_state(origin, action) is target
    assert next_state(State.IN_REVIEW, Action.WITHDRAW) is State.DRAFT
    assert next_state(State.PUBLISHED, Action.WITHDRAW) is State.WITHDRAWN


def test_published_editions_never_change() -> None:
    for state in (State.PUBLISHED, State.WITHDRAWN, State.SUPERSEDED, State.UNPUBLISHED):
        assert state not in EDITABLE_STATES
    with pytest.raises(TransitionRefused) as refused:
        next_state(State.PUBLISHED, Action.EDIT)
    assert refused.value.state is State.PUBLISHED
    assert Action.WITHDRAW in refused.value.allowed
    assert "cannot edit" in str(refused.value)
    # Terminal states allow nothing at all.
    for terminal in (State.DELETED, State.SUPERSEDED, State.UNPUBLISHED):
        assert not [
            key for key in TRANSITIONS if key[0] is terminal and key[1] is not Action.SUPERSEDE
        ]


def test_published_html_keeps_structure_but_no_scripts() -> None:
    dirty = (
        '<p onclick="steal()">ახმეტის <strong>მერია</strong> <a href="https://akhmeta.gov.ge">'
        "საიტი</a></p><script>alert(1)</script><img src=x onerror=alert(1)>"
    )
    clean = sanitize(dirty)
    assert clean is not None
    assert "<strong>მერია</strong>" in clean
    assert "script" not in clean and "onclick" not in clean and "onerror" not in clean
    assert 'rel="noopener noreferrer"' in clean


def test_a_signature_covers_exactly_the_record() -> None:
    key = Ed25519PrivateKey.generate()
    record = {"register_number": "45/2026", "title": "მერის ბრძანება", "content_sha256": "ab" * 32}
    signature = signing.sign(key, record)
    public = signing.public_key_pem(key)
    assert signing.verify(public, record, signature)
    assert signing.verify(public, dict(reversed(list(record.items()))), signature)  # key order
    assert not signing.verify(public, {**record, "register_number": "46/2026"}, signature)
    other = signing.public_key_pem(Ed25519PrivateKey.generate())
    assert not signing.verify(other, record, signature)
    # The canonical form is UTF-8 Georgian, not escapes.
    assert "მერის".encode() in signing.canonical_json(record)


def test_route_steps_are_checked() -> None:
    assert [step.role for step in default_route("mayor_ordinance")] == [
        "legal_reviewer",
        "head_of_department",
        "mayor",
    ]
    with pytest.raises(ValidationError, match="needs the people"):
        RouteStep(key="board", role="mayor", mode="all", deadline_hours=24)
    with pytest.raises(ValidationError, match="takes no named people"):
        RouteStep(key="board", role="mayor", people=["a"], deadline_hours=24)
    with pytest.raises(ValidationError, match="appears twice"):
        RouteStep(key="board", role="mayor", mode="all", people=["a", "a"], deadline_hours=24)
    step = RouteStep(key="board", role="mayor", mode="quorum", people=["a", "b", "c"], quorum=2,
                     deadline_hours=24)  # fmt: skip
    assert step.quorum == 2
