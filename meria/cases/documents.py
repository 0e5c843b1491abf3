"""The contract between the publishing service and the document publication workflow
(`DocumentPublicationWorkflow`, id `document-<id>-edition-<n>`): what the workflow reads
of an edition, the transitions it records, and what staff send it through the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from meria.cases import Actor as Person
from meria.cases import Edge, Handler

PUBLICATION = "DocumentPublicationWorkflow"

DecisionRole = Literal["legal_reviewer", "head_of_department", "mayor", "media_officer", "editor"]


class RouteStep(Edge):
    """One step of an approval route."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    role: DecisionRole
    mode: Literal["any", "all", "quorum"] = "any"
    people: list[str] = Field(default_factory=list, max_length=50)
    quorum: int | None = Field(None, ge=1, le=20)
    # Finite and positive here; the bounds a route may set are the service's settings
    # (1 hour to 90 days unless set otherwise), checked when an administrator sets it.
    deadline_hours: float = Field(gt=0, le=24 * 365, allow_inf_nan=False)
    escalate_to: DecisionRole | None = None
    label_ka: str | None = None
    label_en: str | None = None

    @model_validator(mode="after")
    def _people_fit_the_mode(self) -> RouteStep:
        if self.mode in ("all", "quorum") and not self.people:
            raise ValueError(f"mode {self.mode!r} needs the people who decide")
        if self.mode == "quorum" and not (self.quorum and self.quorum <= len(self.people)):
            raise ValueError("quorum must be between 1 and the number of people")
        if self.mode == "any" and self.people:
            raise ValueError("mode 'any' takes no named people: anyone with the role decides")
        if len(set(self.people)) != len(self.people):
            raise ValueError("a person appears twice in the step")
        return self


class CaseInfo(BaseModel):
    """Everything the workflow needs to run one edition's route, read once at its start."""

    document_id: int
    edition: int
    document_type: str
    subject: str
    author: str
    revision: int
    state: str
    steps: list[RouteStep]
    is_legal_act: bool
    # False for an edition no official signs again (a legal act's consolidated text).
    # True when absent, so histories recorded before it replay as they ran.
    signed_by_official: bool = True
    publish_at: datetime | None
    publish_attempts: int
    publish_retry_seconds: float


class TransitionRequest(Edge):
    """A transition the publication workflow records. Who acted is never said here: for
    what a person did, `receipt` is the service's own signed record of it, which the
    person's Update carried into the workflow; everything else the workflow did itself."""

    action: str
    receipt: str | None = Field(None, max_length=4000)
    step: str | None = None
    comment: str | None = Field(None, max_length=5000)
    details: dict[str, Any] = Field(default_factory=dict)


class TransitionResult(BaseModel):
    state: str
    revision: int
    publish_at: datetime | None
    register_number: str | None = None


class PublishedEdition(BaseModel):
    document_id: int
    edition: int
    published_at: datetime
    content_sha256: str


class PublicationInput(BaseModel):
    document_id: int
    edition: int


class Actor(Person):
    """A person acting on the case, as the publishing service verified them, with its
    signed record of what they did: the transition recorded for it carries that record
    back, and the service names the person from it."""

    receipt: str | None = None


class Reasoned(Actor):
    reason: str = Field(min_length=1)


class Restart(Reasoned):
    revision: int


class OpenTask(BaseModel):
    task_id: str
    step: str
    awaiting: list[str]
    assignee: str | None
    due_at: datetime


class DecisionRecord(BaseModel):
    step: str
    outcome: str
    decided_by: str
    decided_at: datetime
    comment: str | None = None


class PublicationStatus(BaseModel):
    document_id: int
    edition: int
    stage: str
    revision: int
    awaiting: list[str]
    due_at: datetime | None
    tasks: list[OpenTask]
    decisions: list[DecisionRecord]
    register_number: str | None = None
    publish_at: datetime | None = None
    outcome: str | None = None


STATUS = Handler("status", PublicationStatus)
RESUBMIT = Handler("resubmit", PublicationStatus)
RESTART_REVIEW = Handler("restart_review", PublicationStatus)
WITHDRAW = Handler("withdraw", PublicationStatus)
FORCE_PUBLISH = Handler("force_publish", PublicationStatus)
RETRY = Handler("retry", PublicationStatus)
