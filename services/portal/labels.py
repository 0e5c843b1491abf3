"""Names of the things the portal shows — roles, steps, document types, states, outcomes —
marked for the message catalogs and translated where shown."""

from __future__ import annotations

from babel import Locale
from markupsafe import Markup

from services.portal.i18n import N_, _, current_language

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
    "page_review": N_("Review of the page"),
    "review_scheduled": N_("Next review scheduled"),
    "review_due": N_("Review due"),
    "unpublish_scheduled": N_("Taken down at a set time"),
    "briefing": N_("Briefing note"),
    "minutes": N_("Minutes"),
    "action": N_("Follow-up action"),
    "press_release": N_("Press release"),
    "transcript": N_("Transcript"),
    "visit_approval": N_("Visit approval"),
    "report": N_("The visit's report"),
    "information_answer": N_("Answer to an information request"),
    # The stages of every case kind's workflow, as the dashboard and a case page show them.
    "open": N_("Open"),
    "idea": N_("Idea"),
    "requested": N_("Waiting for the mayor's approval"),
    "in_preparation": N_("In preparation"),
    "ready": N_("Ready"),
    "under_way": N_("Under way"),
    "report_due": N_("Report due"),
    "held": N_("Held"),
    "follow_up": N_("Follow-up"),
    "postponed": N_("Postponed"),
    "closed": N_("Closed"),
    "done": N_("Done"),
    "drafting": N_("Being drafted"),
    "awaiting_approval": N_("Waiting for approval"),
    "sent": N_("Sent"),
    "answered": N_("Answered"),
    "declined": N_("Declined"),
    "gathering": N_("Gathering the month's material"),
    "composing": N_("Composing the digest"),
    # Tasks, by their key: a media response's and an information request's steps…
    "response_draft": N_("Drafting the response"),
    "response_approval": N_("Approving the response"),
    "draft": N_("Drafting the response"),
    "answer": N_("Answer to an information request"),
    "approval": N_("Visit approval"),
    # …and a visit's logistics, as the visits service's checklists name them.
    "budget_approval": N_("Budget approval"),
    "invitation_letter": N_("Invitation or visa-support letter"),
    "accommodation": N_("Accommodation"),
    "programme": N_("Programme and meetings"),
    "transport": N_("Transport"),
    "interpretation": N_("Interpretation"),
    "catering": N_("Catering"),
    "security": N_("Security"),
    "gifts": N_("Gifts"),
    "media_coverage": N_("Media coverage"),
    "welcome_pack": N_("Welcome pack for the guests"),
    "thank_you_letters": N_("Thank-you letters"),
    "participation_confirmed": N_("Participation confirmed to the hosts"),
    "visas": N_("Visas"),
    "tickets": N_("Tickets"),
    "per_diem": N_("Per diem and travel advance"),
    "travel_insurance": N_("Travel insurance"),
    "briefing_materials": N_("Briefing materials"),
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
# What a legal act does to an earlier one, as the act says it ("amends № 12/2026") and as
# the earlier act's page says it was done ("amended by № 14/2026").
ACT_CHANGES = {
    "amends": N_("amends"),
    "repeals": N_("repeals"),
    "suspends": N_("suspends"),
}
ACT_CHANGED_BY = {
    "amends": N_("amended by"),
    "repeals": N_("repealed by"),
    "suspends": N_("suspended by"),
}
# A legal act's standing on a day (`meria.legal_acts.Standing`).
STANDINGS = {
    "in_force": N_("In force"),
    "amended": N_("In force, amended"),
    "suspended": N_("Suspended"),
    "repealed": N_("Repealed"),
    "not_yet_in_force": N_("Not yet in force"),
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
    # A logistics task's outcomes.
    "done": N_("Done"),
    "waived": N_("Waived"),
    "waive": N_("Waived"),
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
        # Handed to publishing, whose own route approves and publishes the statement.
        "published": N_("Statement submitted for publication"),
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


# A journalist's beats are keywords in Latin letters (the CSV import takes them so); the
# known ones are the monitoring's topics and a few more.
BEATS = {
    "governance": N_("Governance"),
    "local_government": N_("Local government"),
    "infrastructure": N_("Infrastructure"),
    "tourism": N_("Tourism"),
    "agriculture": N_("Agriculture"),
    "education": N_("Education"),
    "health": N_("Health"),
    "culture": N_("Culture"),
    "social": N_("Social affairs"),
    "environment": N_("Environment"),
    "emergencies": N_("Emergencies"),
    "international": N_("International relations"),
    "sport": N_("Sport"),
    "economy": N_("Economy"),
    "politics": N_("Politics"),
}


def beat_name(key: str) -> Markup:
    """A known beat by its name; another keyword as the code it is."""
    known = BEATS.get(key)
    return Markup.escape(_(known)) if known else Markup("<code>%s</code>") % key


def language_name(code: str) -> Markup:
    """A language code by the language's name in the reader's language (Babel's CLDR)."""
    name = Locale.parse(current_language.get()).languages.get(code)
    return Markup.escape(name) if name else Markup("<code>%s</code>") % code


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
    "new_edition": N_("a new edition opened"),
    "reminder_due": N_("reminder sent"),
    "digest_compiled": N_("compiled as the month's digest"),
    "approve_retrospectively": N_("approved after publication"),
    "sign": N_("signed the act"),
    "escalated": N_("escalated: the step's deadline passed"),
    "consolidate": N_("started a consolidated text"),
    "enter_into_force": N_("recorded the entry into force"),
    # A published document's keeping (services/portal/page_keeping.py).
    "review_plan": N_("set the page's owner and review dates"),
    "page_reviewed": N_("reviewed the page: still correct"),
    "page_needs_changes": N_("reviewed the page: it needs changes"),
    "review_reminder": N_("reminded the owner of the page's review"),
    "review_escalated": N_("escalated the page's overdue review"),
    "schedule_unpublish": N_("scheduled taking it down"),
    "cancel_scheduled_unpublish": N_("called off taking it down"),
}
# What the histories of visits, events, media responses and requests record, in the
# words of their pages ("— Mariam Chokheli: approved").
HISTORY = {
    "create": N_("created"),
    "edit": N_("edited"),
    "request": N_("requested"),
    "approve": N_("approved"),
    "decline": N_("declined"),
    "start_preparation": N_("started the preparation"),
    "become_ready": N_("marked ready"),
    "reopen_preparation": N_("reopened the preparation"),
    "begin": N_("began"),
    "end": N_("ended"),
    "close": N_("closed"),
    "postpone": N_("postponed"),
    "resume": N_("resumed"),
    "resume_request": N_("asked for approval again"),
    "change_dates": N_("changed the dates"),
    "cancel": N_("cancelled"),
    "schedule": N_("scheduled"),
    "reschedule": N_("rescheduled"),
    "complete": N_("marked held"),
    "done": N_("done"),
    "waive": N_("waived"),
    "waived": N_("waived"),
    "claim": N_("claimed"),
    "unclaim": N_("released"),
    "task_added": N_("added a task"),
    "task_removed": N_("removed a task"),
    "task_changed": N_("changed a task"),
    # A task's outcome as the case records it (`task_<outcome>`).
    "task_done": N_("completed a task"),
    "task_waived": N_("waived a task"),
    "task_cancelled": N_("a task was cancelled"),
    "task_approve": N_("approved"),
    "task_reject": N_("rejected"),
    "task_request_changes": N_("asked for changes"),
    "advisory_created": N_("the media advisory was created"),
    "notice_created": N_("the notice of the cancellation was created"),
    "conflicts_overridden": N_("booked despite a clash"),
    "member_added": N_("added a member of the delegation"),
    "member_changed": N_("changed a member of the delegation"),
    "member_removed": N_("removed a member of the delegation"),
    "members_purged": N_("erased the delegation's personal data"),
    "programme_item_added": N_("added a programme item"),
    "programme_item_changed": N_("changed a programme item"),
    "programme_item_removed": N_("removed a programme item"),
    "budget_line_added": N_("added a budget line"),
    "budget_line_changed": N_("changed a budget line"),
    "budget_line_removed": N_("removed a budget line"),
    "report_written": N_("wrote the report"),
    "agenda": N_("changed the agenda"),
    "minutes": N_("recorded the minutes"),
    "briefing_written": N_("wrote the briefing note"),
    "briefing_submitted": N_("submitted the briefing note"),
    "action_added": N_("added a follow-up action"),
    "participant_added": N_("added a participant"),
    "invited": N_("sent invitations"),
    "mirror": N_("updated from the visit"),
    "write_draft": N_("wrote the draft"),
    "draft_submitted": N_("submitted the draft"),
    "changes_requested": N_("asked for changes"),
    "approved": N_("approved"),
    "published": N_("published"),
    "sent": N_("sent"),
    "cancelled": N_("cancelled"),
    "response_drafted": N_("drafted the response"),
    "recorded": N_("recorded"),
    "updated": N_("updated"),
}
# Meria's own processes and the demo data's author, where a history names its actor.
SYSTEM_ACTORS = {
    "meria-worker": N_("Meria"),
    "system": N_("Meria"),
    "meria-digest": N_("Meria (the monthly digest)"),
    "demo-seed": N_("Demo data"),
}
FIELDS = {
    "title_ka": N_("Title (Georgian)"),
    "title_en": N_("Title (English)"),
    "summary_ka": N_("Summary (Georgian)"),
    "summary_en": N_("Summary (English)"),
    "body_ka": N_("Text (Georgian)"),
    "body_en": N_("Text (English)"),
}
