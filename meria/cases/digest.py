"""The contract between the portal and the monthly press digest's workflow
(`MonthlyDigestWorkflow`, `digest-<yyyy-mm>`, started by a schedule or by hand): how a
month's digest is started, and the sections it has."""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

DIGEST = "MonthlyDigestWorkflow"
SCHEDULE_ID = "monthly-press-digest"

# (key, Georgian heading, English heading, Georgian "nothing", English "nothing")
SECTIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("acts", "სამართლებრივი აქტები", "Legal acts",
     "ამ თვეში სამართლებრივი აქტი არ გამოქვეყნებულა.", "No legal act was published this month."),
    ("press_releases", "პრესრელიზები და სიახლეები", "Press releases and news",
     "ამ თვეში პრესრელიზი არ გამოქვეყნებულა.", "No press release was published this month."),
    ("press_conferences", "პრესკონფერენციები", "Press conferences",
     "ამ თვეში პრესკონფერენცია არ გამართულა.", "No press conference was held this month."),
    ("events", "ღონისძიებები და შეხვედრები", "Events and meetings",
     "ამ თვეში ღონისძიება არ გამართულა.", "No event was held this month."),
    ("visits_received", "მიღებული დელეგაციები", "Delegations received",
     "ამ თვეში დელეგაცია არ მიგვიღია.", "No delegation was received this month."),
    ("visits_made", "ვიზიტები საზღვარგარეთ", "Visits abroad",
     "ამ თვეში ვიზიტი საზღვარგარეთ არ განხორციელებულა.", "No visit abroad was made this month."),
    ("media", "მედიაში გაშუქება", "Media coverage",
     "ამ თვეში მედიაში გაშუქება არ დაფიქსირებულა.", "No media coverage was recorded this month."),
    ("responses", "მედიისთვის გაცემული პასუხები", "Responses given to the media",
     "ამ თვეში მედიისთვის პასუხი არ გაცემულა.", "No response was given to the media this month."),
)  # fmt: skip


class DigestInput(BaseModel):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    requested_by: str | None = None


def digest_id(month: str) -> str:
    return f"digest-{month}"


async def start_digest(
    client: Client, task_queue: str, month: str, requested_by: str | None
) -> str:
    """Start the digest of `month` by hand; a month already compiled is not again."""
    handle = await client.start_workflow(
        DIGEST,
        DigestInput(month=month, requested_by=requested_by),
        id=digest_id(month),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    return handle.id
