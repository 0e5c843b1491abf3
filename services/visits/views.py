"""How visits, agreements and projects look through the API: table models in, public
models out, with delegation members shown only to those who may see them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from meria.auth import User
from services.visits.models import Agreement, LogisticsTask, Project, Visit
from services.visits.partners import renewal_due_on
from services.visits.schemas import (
    PROJECT_STAGES,
    AgreementPublic,
    BudgetLinePublic,
    BudgetPublic,
    DeadlinePublic,
    DocumentPublic,
    MemberPublic,
    PartnerRef,
    ProgrammeItemPublic,
    ProjectPublic,
    ReportPublic,
    TaskPublic,
    TranchePublic,
    VisitPublic,
    VisitSummary,
)
from services.visits.states import TaskStatus, VisitStatus, allowed_actions
from services.visits.visits import budget_totals, may_see_members, member_count, now


def is_overdue(task: LogisticsTask, moment: datetime) -> bool:
    """Open past its due time, by this clock or by the workflow's (which escalated it)."""
    return task.status == TaskStatus.OPEN and (task.overdue_at is not None or task.due_at < moment)


def task_view(task: LogisticsTask) -> TaskPublic:
    view = TaskPublic.model_validate(task)
    view.overdue = is_overdue(task, now())
    return view


def visit_summary(visit: Visit) -> VisitSummary:
    open_tasks = [task for task in visit.tasks if task.status == TaskStatus.OPEN]
    moment = now()
    return VisitSummary(
        id=visit.id,
        kind=visit.kind,
        direction=visit.direction,
        status=visit.status,
        title_ka=visit.title_ka,
        title_en=visit.title_en,
        partner=PartnerRef.model_validate(visit.partner) if visit.partner else None,
        country=visit.country,
        city=visit.city,
        arrival_on=visit.arrival_on,
        departure_on=visit.departure_on,
        arrives_at=visit.arrives_at,
        departs_at=visit.departs_at,
        responsible=visit.responsible,
        member_count=member_count(visit),
        open_task_count=len(open_tasks),
        overdue_task_count=sum(1 for task in open_tasks if is_overdue(task, moment)),
    )


def visit_view(visit: Visit, user: User) -> VisitPublic:
    visible = may_see_members(user)
    planned, actual = budget_totals(visit)
    return VisitPublic(
        **visit_summary(visit).model_dump(),
        purpose_ka=visit.purpose_ka,
        purpose_en=visit.purpose_en,
        places=list(visit.places),
        languages=list(visit.languages),
        press_editor=visit.press_editor,
        created_by=visit.created_by,
        created_at=visit.created_at,
        updated_at=visit.updated_at,
        status_reason=visit.status_reason,
        approved_by=visit.approved_by,
        approved_at=visit.approved_at,
        closed_at=visit.closed_at,
        press_release_document_id=visit.press_release_document_id,
        allowed_actions=[action.value for action in allowed_actions(VisitStatus(visit.status))],
        members_visible=visible,
        members=[MemberPublic.model_validate(member) for member in visit.members]
        if visible
        else None,
        members_purged_at=visit.members_purged_at,
        programme=[ProgrammeItemPublic.model_validate(item) for item in visit.programme],
        tasks=[task_view(task) for task in visit.tasks],
        budget=BudgetPublic(
            lines=[BudgetLinePublic.model_validate(line) for line in visit.budget],
            planned_total_gel=planned,
            actual_total_gel=actual,
        ),
        report=ReportPublic.model_validate(visit.report) if visit.report else None,
        workflow_id=visit.workflow_id,
    )


def agreement_view(agreement: Agreement) -> AgreementPublic:
    view = AgreementPublic.model_validate(agreement)
    view.renewal_due_on = renewal_due_on(agreement)
    return view


def project_view(project: Project) -> ProjectPublic:
    return ProjectPublic(
        id=project.id,
        title_ka=project.title_ka,
        title_en=project.title_en,
        donor=project.donor,
        donor_partner_id=project.donor_partner_id,
        call=project.call,
        amount=project.amount,
        currency=project.currency,
        stage=project.stage,
        next_stages=list(PROJECT_STAGES[project.stage]),
        summary_ka=project.summary_ka,
        summary_en=project.summary_en,
        responsible=project.responsible,
        partner_ids=list(project.partner_ids),
        deadlines=[DeadlinePublic.model_validate(d) for d in project.deadlines],
        cofinancing=project.cofinancing,
        cofinancing_source=project.cofinancing_source,
        tranches=[TranchePublic.model_validate(t) for t in project.tranches],
        documents=[DocumentPublic.model_validate(d) for d in project.documents],
        received=sum((t.amount for t in project.tranches if t.received_on), Decimal(0)),
        created_by=project.created_by,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )
