"""Event contracts: one pydantic model per event type travelling on the bus.

These models are the single source of truth for producers, consumers and the AsyncAPI
document (`meria asyncapi`). An event carries ids and public facts; personal data stays
with the service that owns it, and files are referenced by URL, size and SHA-256.
"""

from meria.contracts.base import EVENT_TYPES, CloudEvent, Event, LocalizedText, event_for_type
from meria.contracts.publishing import (
    AttachmentRef,
    DocumentApproved,
    DocumentChangesRequested,
    DocumentEscalated,
    DocumentPublicationFailed,
    DocumentPublished,
    DocumentRejected,
    DocumentReminderDue,
    DocumentScheduled,
    DocumentStepApproved,
    DocumentSubmitted,
    DocumentUnpublished,
    DocumentWithdrawn,
    Issuer,
)
from meria.contracts.visits import (
    AgreementRenewalDue,
    OpenTaskRef,
    ProgrammeEntry,
    ProjectDeadlineDue,
    VisitApproved,
    VisitCancelled,
    VisitCompleted,
    VisitNotReady,
    VisitPostponed,
    VisitProgrammeChanged,
    VisitReady,
    VisitRequested,
    VisitRescheduled,
    VisitTaskOverdue,
    VisitTaskReminderDue,
)

__all__ = [
    "EVENT_TYPES",
    "AgreementRenewalDue",
    "AttachmentRef",
    "CloudEvent",
    "DocumentApproved",
    "DocumentChangesRequested",
    "DocumentEscalated",
    "DocumentPublicationFailed",
    "DocumentPublished",
    "DocumentRejected",
    "DocumentReminderDue",
    "DocumentScheduled",
    "DocumentStepApproved",
    "DocumentSubmitted",
    "DocumentUnpublished",
    "DocumentWithdrawn",
    "Event",
    "Issuer",
    "LocalizedText",
    "OpenTaskRef",
    "ProgrammeEntry",
    "ProjectDeadlineDue",
    "VisitApproved",
    "VisitCancelled",
    "VisitCompleted",
    "VisitNotReady",
    "VisitPostponed",
    "VisitProgrammeChanged",
    "VisitReady",
    "VisitRequested",
    "VisitRescheduled",
    "VisitTaskOverdue",
    "VisitTaskReminderDue",
    "event_for_type",
]
