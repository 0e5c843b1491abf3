"""The visits REST API: visits with their members, programme, tasks, budget and report for
staff; the decisions and changes that go to a visit's workflow; partners, agreements and
projects; and the workflow's own endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from meria.auth import System, User, require_role
from meria.bus import Outbox
from meria.case_api import case_router
from meria.cases import TaskNotice, TransitionRequest
from meria.cases.tasks import TaskResult, TaskState
from meria.cases.visits import PressReleaseDraft, TaskOutcome, VisitCase, VisitWorkflowStatus
from meria.idempotency import IdempotencyKey
from meria.inputs import Day, Id, Offset
from meria.problems import Problem
from meria.runtime import Runtime
from meria.web import RuntimeDep
from services.visits import coordination, lifecycle, partners, visits
from services.visits.calendar import programme_calendar
from services.visits.checklists import TEMPLATES, VISIT_KINDS
from services.visits.schemas import (
    AgreementCreate,
    AgreementPublic,
    AgreementUpdate,
    ApprovalDecision,
    BudgetLineCreate,
    BudgetLinePublic,
    BudgetLineUpdate,
    Cancellation,
    ChecklistItemPublic,
    DatesChange,
    DeadlineCreate,
    DocumentCreate,
    HistoryEntryPublic,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    PartnerCreate,
    PartnerHistory,
    PartnerKind,
    PartnerPublic,
    PartnerUpdate,
    Postponement,
    PressReleaseRecord,
    ProgrammeItemCreate,
    ProgrammeItemPublic,
    ProgrammeItemUpdate,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
    ReadinessNotice,
    ReportWrite,
    StageChange,
    SweepResult,
    TaskCompletion,
    TaskCreate,
    TaskPublic,
    TaskUpdate,
    TaskWaiver,
    TrancheCreate,
    VisitCreate,
    VisitPage,
    VisitPublic,
    VisitUpdate,
)
from services.visits.settings import VisitsSettings
from services.visits.views import (
    agreement_view,
    project_view,
    task_view,
    visit_summary,
    visit_view,
)

STAFF_ROLES = (
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "media_officer",
    "protocol_officer",
)
Staff = Annotated[User, require_role(*STAFF_ROLES)]
# What the monthly digest reads: staff, and the worker gathering the month.
StaffOrWorker = Annotated[User, require_role(*STAFF_ROLES, services=("worker",))]
Protocol = Annotated[User, require_role("protocol_officer", "head_of_department")]
Admin = Annotated[User, require_role("admin")]


def settings_of(runtime: Runtime) -> VisitsSettings:
    settings = runtime.settings
    assert isinstance(settings, VisitsSettings)
    return settings


def outbox_of(runtime: Runtime) -> Outbox:
    assert runtime.outbox is not None
    return runtime.outbox


async def fresh(runtime: Runtime, visit_id: int, user: User) -> VisitPublic:
    """The visit as it is now, as this user may see it."""
    return visit_view(await visits.get_visit(runtime.db(), visit_id), user)


visits_router = APIRouter(prefix="/visits", tags=["visits"])


@visits_router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Request a visit (the mayor approves it)"
)
async def request_visit(data: VisitCreate, user: Protocol, runtime: RuntimeDep) -> VisitPublic:
    visit = await visits.create_visit(
        runtime.db(), runtime.temporal, outbox_of(runtime), settings_of(runtime), data, user
    )
    return await fresh(runtime, visit.id, user)


@visits_router.get("", summary="Visits, latest arrival first, filtered")
async def list_visits(
    _: StaffOrWorker,
    runtime: RuntimeDep,
    status_: Annotated[
        str | None,
        Query(alias="status", max_length=200, description="One or more, comma-separated"),
    ] = None,
    direction: Literal["incoming", "outgoing"] | None = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    partner_id: Id | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    responsible: Annotated[str | None, Query(max_length=200)] = None,
    arriving_from: Day | None = None,
    arriving_to: Day | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> VisitPage:
    found, total = await visits.list_visits(
        runtime.db(),
        status=status_,
        direction=direction,
        kind=kind,
        partner_id=partner_id,
        country=country,
        responsible=responsible,
        arriving_from=arriving_from,
        arriving_to=arriving_to,
        text=text,
        limit=limit,
        offset=offset,
    )
    return VisitPage(
        items=[visit_summary(v) for v in found], total=total, limit=limit, offset=offset
    )


@visits_router.get("/{visit_id}", summary="A visit with programme, tasks, budget and report")
async def get_visit(visit_id: Id, user: Staff, runtime: RuntimeDep) -> VisitPublic:
    return await fresh(runtime, visit_id, user)


@visits_router.patch("/{visit_id}", summary="Change what the visit is about (not its dates)")
async def edit_visit(
    visit_id: Id, data: VisitUpdate, user: Protocol, runtime: RuntimeDep
) -> VisitPublic:
    await visits.update_visit(runtime.db(), visit_id, data, user)
    return await fresh(runtime, visit_id, user)


@visits_router.get("/{visit_id}/status", summary="Where the visit's workflow stands")
async def workflow_status(visit_id: Id, _: Staff, runtime: RuntimeDep) -> VisitWorkflowStatus:
    visit = await visits.get_visit(runtime.db(), visit_id)
    found = await coordination.workflow_status(runtime.temporal, visit)
    if found is None:
        raise Problem(404, "No workflow", f"Visit {visit_id} has no workflow.")
    return found


@visits_router.get("/{visit_id}/history", summary="Every decision and change")
async def visit_history(visit_id: Id, _: Staff, runtime: RuntimeDep) -> list[HistoryEntryPublic]:
    entries = await visits.history(runtime.db(), visit_id)
    return [HistoryEntryPublic.model_validate(entry) for entry in entries]


@visits_router.post("/{visit_id}/decisions", summary="The mayor approves or declines the visit")
async def decide(
    visit_id: Id, data: ApprovalDecision, user: Staff, runtime: RuntimeDep
) -> TaskResult:
    return await coordination.decide_approval(runtime.db(), runtime.temporal, visit_id, data, user)


@visits_router.put("/{visit_id}/dates", summary="New dates: every open task's due time moves")
async def change_dates(
    visit_id: Id, data: DatesChange, user: Protocol, runtime: RuntimeDep
) -> VisitPublic:
    await coordination.change_dates(
        runtime.db(),
        runtime.temporal,
        outbox_of(runtime),
        settings_of(runtime),
        visit_id,
        data,
        user,
    )
    return await fresh(runtime, visit_id, user)


@visits_router.post(
    "/{visit_id}/postpone", summary="Postpone to new dates, or until further notice"
)
async def postpone(
    visit_id: Id, data: Postponement, user: Protocol, runtime: RuntimeDep
) -> VisitWorkflowStatus | VisitPublic:
    result = await coordination.postpone(
        runtime.db(),
        runtime.temporal,
        outbox_of(runtime),
        settings_of(runtime),
        visit_id,
        data,
        user,
    )
    if isinstance(result, VisitWorkflowStatus):
        return result
    return await fresh(runtime, visit_id, user)


@visits_router.post("/{visit_id}/cancel", summary="Cancel the visit; its open tasks close")
async def cancel(
    visit_id: Id, data: Cancellation, user: Staff, runtime: RuntimeDep
) -> VisitWorkflowStatus:
    return await coordination.cancel(runtime.db(), runtime.temporal, visit_id, data, user)


# Members: personal data, for protocol roles only.


@visits_router.get("/{visit_id}/members", summary="The delegation's members (protocol roles)")
async def list_members(visit_id: Id, _: Protocol, runtime: RuntimeDep) -> list[MemberPublic]:
    visit = await visits.get_visit(runtime.db(), visit_id)
    return [MemberPublic.model_validate(member) for member in visit.members]


@visits_router.post(
    "/{visit_id}/members", status_code=status.HTTP_201_CREATED, summary="Add a member"
)
async def add_member(
    visit_id: Id, data: MemberCreate, user: Protocol, runtime: RuntimeDep
) -> MemberPublic:
    member = await visits.add_member(runtime.db(), visit_id, data, user)
    return MemberPublic.model_validate(member)


@visits_router.patch("/{visit_id}/members/{member_id}", summary="Change a member's details")
async def update_member(
    visit_id: Id, member_id: Id, data: MemberUpdate, user: Protocol, runtime: RuntimeDep
) -> MemberPublic:
    member = await visits.update_member(runtime.db(), visit_id, member_id, data, user)
    return MemberPublic.model_validate(member)


@visits_router.delete(
    "/{visit_id}/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
)
async def remove_member(visit_id: Id, member_id: Id, user: Protocol, runtime: RuntimeDep) -> None:
    await visits.remove_member(runtime.db(), visit_id, member_id, user)


# The programme.


@visits_router.post(
    "/{visit_id}/programme", status_code=status.HTTP_201_CREATED, summary="Add a programme item"
)
async def add_programme_item(
    visit_id: Id, data: ProgrammeItemCreate, user: Protocol, runtime: RuntimeDep
) -> ProgrammeItemPublic:
    item = await visits.add_programme_item(runtime.db(), outbox_of(runtime), visit_id, data, user)
    return ProgrammeItemPublic.model_validate(item)


@visits_router.patch("/{visit_id}/programme/{item_id}", summary="Change a programme item")
async def update_programme_item(
    visit_id: Id,
    item_id: Id,
    data: ProgrammeItemUpdate,
    user: Protocol,
    runtime: RuntimeDep,
) -> ProgrammeItemPublic:
    item = await visits.update_programme_item(
        runtime.db(), outbox_of(runtime), visit_id, item_id, data, user
    )
    return ProgrammeItemPublic.model_validate(item)


@visits_router.delete(
    "/{visit_id}/programme/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a programme item",
)
async def remove_programme_item(
    visit_id: Id, item_id: Id, user: Protocol, runtime: RuntimeDep
) -> None:
    await visits.remove_programme_item(runtime.db(), outbox_of(runtime), visit_id, item_id, user)


@visits_router.get(
    "/{visit_id}/programme.ics",
    summary="The programme as an iCalendar file (Asia/Tbilisi)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def programme_ics(
    visit_id: Id, _: Staff, runtime: RuntimeDep, lang: Literal["ka", "en"] = "ka"
) -> Response:
    visit = await visits.get_visit(runtime.db(), visit_id)
    return Response(
        programme_calendar(visit, lang),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="visit-{visit_id}.ics"'},
    )


# Logistics tasks.


@visits_router.post(
    "/{visit_id}/tasks", status_code=status.HTTP_201_CREATED, summary="Add a logistics task"
)
async def add_task(
    visit_id: Id, data: TaskCreate, user: Protocol, runtime: RuntimeDep
) -> TaskPublic:
    task = await visits.add_task(
        runtime.db(), runtime.temporal, settings_of(runtime), visit_id, data, user
    )
    return task_view(task)


@visits_router.patch("/{visit_id}/tasks/{key}", summary="Change a task: owner, due time, …")
async def update_task(
    visit_id: Id, key: str, data: TaskUpdate, user: Protocol, runtime: RuntimeDep
) -> TaskPublic:
    task = await visits.update_task(
        runtime.db(), runtime.temporal, settings_of(runtime), visit_id, key, data, user
    )
    return task_view(task)


@visits_router.delete(
    "/{visit_id}/tasks/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a task off the list before approval",
)
async def remove_task(visit_id: Id, key: str, user: Protocol, runtime: RuntimeDep) -> None:
    await visits.remove_task(runtime.db(), visit_id, key, user)


@visits_router.post("/{visit_id}/tasks/{key}/complete", summary="Mark a task done")
async def complete_task(
    visit_id: Id, key: str, data: TaskCompletion, user: Staff, runtime: RuntimeDep
) -> TaskResult:
    return await coordination.close_task(runtime.db(), runtime.temporal, visit_id, key, data, user)


@visits_router.post("/{visit_id}/tasks/{key}/waive", summary="Waive a task, with the reason")
async def waive_task(
    visit_id: Id, key: str, data: TaskWaiver, user: Staff, runtime: RuntimeDep
) -> TaskResult:
    return await coordination.close_task(runtime.db(), runtime.temporal, visit_id, key, data, user)


@visits_router.post("/{visit_id}/tasks/{key}/claim", summary="Claim a task")
async def claim_task(visit_id: Id, key: str, user: Staff, runtime: RuntimeDep) -> TaskState:
    state: TaskState = await coordination.claim_task(
        runtime.db(), runtime.temporal, visit_id, key, user, release=False
    )
    return state


@visits_router.post("/{visit_id}/tasks/{key}/unclaim", summary="Release a claimed task")
async def unclaim_task(visit_id: Id, key: str, user: Staff, runtime: RuntimeDep) -> TaskState:
    state: TaskState = await coordination.claim_task(
        runtime.db(), runtime.temporal, visit_id, key, user, release=True
    )
    return state


# Budget and report.


@visits_router.post(
    "/{visit_id}/budget", status_code=status.HTTP_201_CREATED, summary="Add a budget line (GEL)"
)
async def add_budget_line(
    visit_id: Id, data: BudgetLineCreate, user: Protocol, runtime: RuntimeDep
) -> BudgetLinePublic:
    line = await visits.add_budget_line(runtime.db(), visit_id, data, user)
    return BudgetLinePublic.model_validate(line)


@visits_router.patch("/{visit_id}/budget/{line_id}", summary="Change a budget line")
async def update_budget_line(
    visit_id: Id, line_id: Id, data: BudgetLineUpdate, user: Protocol, runtime: RuntimeDep
) -> BudgetLinePublic:
    line = await visits.update_budget_line(runtime.db(), visit_id, line_id, data, user)
    return BudgetLinePublic.model_validate(line)


@visits_router.delete(
    "/{visit_id}/budget/{line_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a budget line",
)
async def remove_budget_line(
    visit_id: Id, line_id: Id, user: Protocol, runtime: RuntimeDep
) -> None:
    await visits.remove_budget_line(runtime.db(), visit_id, line_id, user)


@visits_router.put("/{visit_id}/report", summary="Write the report after the visit")
async def write_report(
    visit_id: Id, data: ReportWrite, user: Protocol, runtime: RuntimeDep
) -> VisitPublic:
    await visits.write_report(runtime.db(), visit_id, data, user)
    return await fresh(runtime, visit_id, user)


checklists_router = APIRouter(tags=["visits"])


@checklists_router.get("/checklists", summary="The logistics tasks each kind of visit starts with")
async def checklists(_: Staff) -> dict[str, list[ChecklistItemPublic]]:
    return {
        kind: [ChecklistItemPublic(**item.__dict__) for item in TEMPLATES[kind]]
        for kind in VISIT_KINDS
    }


# Partners, agreements, projects.

partners_router = APIRouter(prefix="/partners", tags=["partners"])


@partners_router.post("", status_code=status.HTTP_201_CREATED, summary="Add a partner")
async def create_partner(data: PartnerCreate, user: Protocol, runtime: RuntimeDep) -> PartnerPublic:
    return PartnerPublic.model_validate(await partners.create_partner(runtime.db(), data, user))


@partners_router.get("", summary="Partners, by name")
async def list_partners(
    _: Staff,
    runtime: RuntimeDep,
    kind: PartnerKind | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Offset = 0,
) -> list[PartnerPublic]:
    found = await partners.list_partners(
        runtime.db(), kind=kind, country=country, text=text, limit=limit, offset=offset
    )
    return [PartnerPublic.model_validate(partner) for partner in found]


@partners_router.get("/{partner_id}", summary="A partner and everything done with it")
async def partner_history(partner_id: Id, _: Staff, runtime: RuntimeDep) -> PartnerHistory:
    partner, found_visits, agreements, projects = await partners.partner_history(
        runtime.db(), partner_id
    )
    return PartnerHistory(
        partner=PartnerPublic.model_validate(partner),
        visits=[visit_summary(visit) for visit in found_visits],
        agreements=[agreement_view(agreement) for agreement in agreements],
        projects=[project_view(project) for project in projects],
    )


@partners_router.patch("/{partner_id}", summary="Change a partner")
async def update_partner(
    partner_id: Id, data: PartnerUpdate, user: Protocol, runtime: RuntimeDep
) -> PartnerPublic:
    partner = await partners.update_partner(runtime.db(), partner_id, data, user)
    return PartnerPublic.model_validate(partner)


agreements_router = APIRouter(prefix="/agreements", tags=["agreements"])


@agreements_router.post("", status_code=status.HTTP_201_CREATED, summary="Record an agreement")
async def create_agreement(
    data: AgreementCreate, user: Protocol, runtime: RuntimeDep
) -> AgreementPublic:
    return agreement_view(await partners.create_agreement(runtime.db(), data, user))


@agreements_router.get("", summary="Agreements, soonest to expire first")
async def list_agreements(
    _: Staff,
    runtime: RuntimeDep,
    status_: Annotated[
        Literal["draft", "in_force", "expired", "terminated"] | None, Query(alias="status")
    ] = None,
    partner_id: Id | None = None,
    expiring_by: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[AgreementPublic]:
    found = await partners.list_agreements(
        runtime.db(),
        status=status_,
        partner_id=partner_id,
        expiring_by=expiring_by,
        limit=limit,
        offset=offset,
    )
    return [agreement_view(agreement) for agreement in found]


@agreements_router.get("/{agreement_id}", summary="An agreement")
async def get_agreement(agreement_id: Id, _: Staff, runtime: RuntimeDep) -> AgreementPublic:
    return agreement_view(await partners.load_agreement(runtime.db(), agreement_id))


@agreements_router.patch("/{agreement_id}", summary="Change an agreement (renew, terminate)")
async def update_agreement(
    agreement_id: Id, data: AgreementUpdate, user: Protocol, runtime: RuntimeDep
) -> AgreementPublic:
    return agreement_view(await partners.update_agreement(runtime.db(), agreement_id, data, user))


projects_router = APIRouter(prefix="/projects", tags=["projects"])


@projects_router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Record a project or funding application"
)
async def create_project(data: ProjectCreate, user: Protocol, runtime: RuntimeDep) -> ProjectPublic:
    project = await partners.create_project(runtime.db(), data, user)
    return project_view(await partners.load_project(runtime.db(), project.id))


@projects_router.get("", summary="Projects, newest first")
async def list_projects(
    _: Staff,
    runtime: RuntimeDep,
    stage: Annotated[str | None, Query(max_length=200)] = None,
    donor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[ProjectPublic]:
    found = await partners.list_projects(
        runtime.db(), stage=stage, donor=donor, limit=limit, offset=offset
    )
    return [project_view(project) for project in found]


@projects_router.get("/{project_id}", summary="A project with its deadlines")
async def get_project(project_id: Id, _: Staff, runtime: RuntimeDep) -> ProjectPublic:
    return project_view(await partners.load_project(runtime.db(), project_id))


@projects_router.patch("/{project_id}", summary="Change a project")
async def update_project(
    project_id: Id, data: ProjectUpdate, user: Protocol, runtime: RuntimeDep
) -> ProjectPublic:
    await partners.update_project(runtime.db(), project_id, data, user)
    return project_view(await partners.load_project(runtime.db(), project_id))


@projects_router.post("/{project_id}/stage", summary="Move a project to its next stage")
async def change_stage(
    project_id: Id, data: StageChange, user: Protocol, runtime: RuntimeDep
) -> ProjectPublic:
    await partners.change_stage(runtime.db(), project_id, data, user)
    return project_view(await partners.load_project(runtime.db(), project_id))


@projects_router.post(
    "/{project_id}/deadlines", status_code=status.HTTP_201_CREATED, summary="Add a deadline"
)
async def add_deadline(
    project_id: Id, data: DeadlineCreate, user: Protocol, runtime: RuntimeDep
) -> ProjectPublic:
    return project_view(await partners.add_deadline(runtime.db(), project_id, data, user))


@projects_router.post("/{project_id}/deadlines/{deadline_id}/met", summary="A deadline was met")
async def meet_deadline(
    project_id: Id, deadline_id: Id, user: Protocol, runtime: RuntimeDep
) -> ProjectPublic:
    return project_view(await partners.meet_deadline(runtime.db(), project_id, deadline_id, user))


@projects_router.post(
    "/{project_id}/tranches",
    status_code=status.HTTP_201_CREATED,
    summary="Add a tranche of the grant, with the date it is expected",
)
async def add_tranche(
    project_id: Id, data: TrancheCreate, user: Protocol, runtime: RuntimeDep
) -> ProjectPublic:
    return project_view(await partners.add_tranche(runtime.db(), project_id, data, user))


@projects_router.post(
    "/{project_id}/tranches/{tranche_id}/received", summary="A tranche was received"
)
async def receive_tranche(
    project_id: Id, tranche_id: Id, user: Protocol, runtime: RuntimeDep
) -> ProjectPublic:
    return project_view(await partners.receive_tranche(runtime.db(), project_id, tranche_id, user))


@projects_router.post(
    "/{project_id}/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Record a document of the project (where it is kept)",
)
async def add_document(
    project_id: Id, data: DocumentCreate, user: Protocol, runtime: RuntimeDep
) -> ProjectPublic:
    return project_view(await partners.add_document(runtime.db(), project_id, data, user))


admin_router = APIRouter(tags=["administration"])


@admin_router.post(
    "/maintenance/sweep",
    summary="Run the daily sweep now: renewals, deadlines, purge of personal data",
)
async def run_sweep(_: Admin, runtime: RuntimeDep) -> SweepResult:
    return await partners.sweep(runtime.db(), outbox_of(runtime), settings_of(runtime))


# The workflow's own endpoints.


def _visit(visit_id: Id) -> int:
    return visit_id


class _VisitCases:
    """What the visits service does when a visit's workflow calls it."""

    async def case(self, runtime: Runtime, visit_id: int) -> VisitCase:
        return await lifecycle.case_info(runtime.db(), settings_of(runtime), visit_id)

    async def transition(
        self, runtime: Runtime, visit_id: int, data: TransitionRequest, key: str | None
    ) -> VisitCase:
        return await lifecycle.record_transition(
            runtime.db(), outbox_of(runtime), settings_of(runtime), visit_id, data, key
        )

    async def outcome(
        self, runtime: Runtime, visit_id: int, task: str, data: TaskOutcome, key: str | None
    ) -> None:
        await lifecycle.record_task_outcome(runtime.db(), visit_id, task, data, key)

    async def notice(
        self, runtime: Runtime, visit_id: int, notice: TaskNotice, key: str | None
    ) -> None:
        await lifecycle.task_notice(runtime.db(), outbox_of(runtime), visit_id, notice, key)


workflow_router = case_router(
    prefix="/visits/{visit_id}",
    ref=_visit,
    side=_VisitCases(),
    case=VisitCase,
    transition=TransitionRequest,
    answer=VisitCase,
    outcome=TaskOutcome,
    summaries={
        "case": "What the visit workflow needs to run",
        "transitions": "Record a transition of the visit",
        "outcome": "Record a task's outcome",
        "notices": "A task's reminder or escalation",
    },
)


@workflow_router.post(
    "/readiness-notices",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="The readiness gate found required tasks open",
)
async def readiness_notice(
    visit_id: Id,
    data: ReadinessNotice,
    _: System,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> None:
    await lifecycle.readiness_notice(
        runtime.db(), outbox_of(runtime), visit_id, data, idempotency_key
    )


@workflow_router.get(
    "/press-release-draft",
    summary="The press release about the results",
    responses={409: {"description": "The visit has no report yet"}},
)
async def press_release_draft(visit_id: Id, _: System, runtime: RuntimeDep) -> PressReleaseDraft:
    return await lifecycle.press_release_draft(runtime.db(), visit_id)


@workflow_router.post(
    "/press-release",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Record the press release created in the publishing service",
)
async def record_press_release(
    visit_id: Id,
    data: PressReleaseRecord,
    _: System,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> None:
    await lifecycle.record_press_release(runtime.db(), visit_id, data.document_id, idempotency_key)


ROUTERS = [
    visits_router,
    checklists_router,
    partners_router,
    agreements_router,
    projects_router,
    admin_router,
    workflow_router,
]
