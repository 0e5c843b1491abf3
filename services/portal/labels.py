"""Names of the things the portal shows — roles, steps, document types, states, outcomes —
marked for the message catalogs and translated where shown."""

from __future__ import annotations

from services.portal.i18n import N_, _

ROLES = {
    "editor": N_("Editor"),
    "legal_reviewer": N_("Legal reviewer"),
    "head_of_department": N_("Head of department"),
    "mayor": N_("Mayor"),
    "protocol_officer": N_("Protocol officer"),
    "media_officer": N_("Media officer"),
    "requester": N_("Requester"),
    "admin": N_("Administrator"),
}
STEPS = {
    "legal_review": N_("Legal review"),
    "department_review": N_("Head of department's review"),
    "signature": N_("The mayor's signature"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "scheduled": N_("Scheduled"),
    "publishing": N_("Publishing"),
    "published": N_("Published"),
    "failed_to_publish": N_("Failed to publish"),
    "changes_requested": N_("Changes requested"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "cancelled": N_("Cancelled"),
    "briefing": N_("Briefing note"),
    "minutes": N_("Minutes"),
    "action": N_("Follow-up action"),
    "press_release": N_("Press release"),
    "transcript": N_("Transcript"),
    "visit_approval": N_("Visit approval"),
    "report": N_("The visit's report"),
    "information_answer": N_("Answer to an information request"),
}
DOCUMENT_TYPES = {
    "mayor_order": N_("Mayor's order"),
    "mayor_ordinance": N_("Mayor's ordinance"),
    "official_document": N_("Official document"),
    "press_release": N_("Press release"),
    "news": N_("News item"),
    "announcement": N_("Announcement"),
    "press_digest": N_("Monthly press digest"),
    "web_page": N_("Web page"),
}
STATES = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "in_review": N_("In review"),
    "changes_requested": N_("Changes requested"),
    "approved": N_("Approved"),
    "scheduled": N_("Scheduled"),
    "published": N_("Published"),
    "failed_to_publish": N_("Failed to publish"),
    "withdrawn": N_("Withdrawn"),
    "unpublished": N_("Unpublished"),
    "superseded": N_("Superseded"),
    "deleted": N_("Deleted"),
}
OUTCOMES = {
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "request_changes": N_("Request changes"),
}
CASE_KINDS = {
    "document": N_("Document"),
    "task": N_("Task"),
    "visit": N_("Visit"),
    "press_conference": N_("Press conference"),
    "meeting": N_("Meeting"),
    "media_response": N_("Media response"),
    "information_request": N_("Information request"),
    "digest": N_("Digest"),
    "event": N_("Event"),
}
# Where a case stands, by its kind: the stages each kind's workflow indexes (MeriaStage).
# A word can mean one thing for a document and another for an event ("scheduled" is a
# dated publication, or an event being prepared), so each kind has its own names; a
# document's route steps are STEPS, and a route's own steps carry their labels.
CASE_STAGES: dict[str, dict[str, str]] = {
    "document": STEPS,
    "visit": {
        "requested": N_("Waiting for the mayor's approval"),
        "approved": N_("Approved"),
        "in_preparation": N_("In preparation"),
        "ready": N_("Ready"),
        "under_way": N_("Under way"),
        "report_due": N_("Report due"),
        "closed": N_("Closed"),
        "postponed": N_("Postponed"),
        "cancelled": N_("Cancelled"),
    },
    "press_conference": {
        "draft": N_("Draft"),
        "scheduled": N_("Preparing"),
        "postponed": N_("Postponed"),
        "held": N_("Held"),
        "follow_up": N_("Follow-up"),
        "done": N_("Done"),
        "closed": N_("Closed"),
        "cancelled": N_("Cancelled"),
    },
    "media_response": {
        "drafting": N_("Being drafted"),
        "awaiting_approval": N_("Waiting for approval"),
        "approved": N_("Approved"),
        "published": N_("Published as a statement"),
        "sent": N_("Sent to the outlet"),
        "cancelled": N_("Cancelled"),
    },
    "information_request": {
        "open": N_("Waiting for the answer"),
        "answered": N_("Answered"),
        "declined": N_("Declined"),
        "withdrawn": N_("Withdrawn"),
    },
    "digest": {
        "gathering": N_("Gathering the month"),
        "composing": N_("Composing"),
        "submitted": N_("Submitted for approval"),
    },
}
CASE_STAGES["meeting"] = CASE_STAGES["press_conference"]
# The steps of tasks beyond a document's route: a media response's, an event's, a visit's
# approval. A visit's logistics tasks are named by their title, which their subject
# carries ("<visit> — <task>"): their keys are the visit's own.
TASK_STEPS = {
    **STEPS,
    "response_draft": N_("Drafting the response"),
    "response_approval": N_("Approving the response"),
}


def stage_label(
    kind: str | None, key: str | None, route_steps: dict[str, str] | None = None
) -> str:
    """A case's stage in the reader's language: its kind's name for it, a route step's
    own label, or the name of the step."""
    if not key:
        return ""
    known = CASE_STAGES.get(kind or "", {}).get(key) or STEPS.get(key)
    if known:
        return _(known)
    if route_steps and key in route_steps:
        return route_steps[key]
    return label(STEPS, key)


def task_step_label(
    key: str | None, subject: str = "", route_steps: dict[str, str] | None = None
) -> str:
    """A task's step in the reader's language; a visit's own task is named by its title
    (the part of the subject after the dash) when its key has no name here."""
    if not key:
        return ""
    known = TASK_STEPS.get(key)
    if known:
        return _(known)
    if route_steps and key in route_steps:
        return route_steps[key]
    if " — " in subject:
        return subject.rsplit(" — ", 1)[1]
    return label(TASK_STEPS, key)


NAV_SECTIONS = {
    "about": N_("About the municipality"),
    "structure": N_("Structure"),
    "contacts": N_("Contacts"),
    "services": N_("Services"),
}


def label(table: dict[str, str], key: str | None) -> str:
    if not key:
        return ""
    known = table.get(key)
    return _(known) if known else key.replace("_", " ")


def labels(table: dict[str, str]) -> dict[str, str]:
    return {key: _(value) for key, value in table.items()}


ACTIONS = {
    "create": N_("created the draft"),
    "edit": N_("edited"),
    "submit": N_("submitted for approval"),
    "delete": N_("deleted"),
    "start_review": N_("review started"),
    "approve_step": N_("approved"),
    "restart_review": N_("review restarted after an edit"),
    "request_changes": N_("requested changes"),
    "resubmit": N_("resubmitted"),
    "reject": N_("rejected"),
    "approve": N_("approved for publication"),
    "force_publish": N_("published without waiting for approval"),
    "schedule": N_("scheduled"),
    "publish": N_("published"),
    "publication_failed": N_("publication failed"),
    "retry": N_("retried the publication"),
    "withdraw": N_("withdrawn"),
    "unpublish": N_("unpublished"),
    "supersede": N_("superseded by a newer edition"),
}
FIELDS = {
    "title_ka": N_("Title (Georgian)"),
    "title_en": N_("Title (English)"),
    "summary_ka": N_("Summary (Georgian)"),
    "summary_en": N_("Summary (English)"),
    "body_ka": N_("Text (Georgian)"),
    "body_en": N_("Text (English)"),
}
