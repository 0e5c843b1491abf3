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
