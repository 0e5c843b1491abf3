"""Partners, agreements and international projects, and the service's daily sweep: renewal
reminders for agreements, reminders of projects' deadlines, and the purge of delegation
members' personal data once its retention period after a visit has passed."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, or_, select

from meria.auth import User
from meria.bus import Outbox
from meria.contracts import AgreementRenewalDue, LocalizedText, ProjectDeadlineDue
from meria.db import Database
from meria.logging import get_logger
from meria.problems import Problem
from meria.runtime import Runtime
from meria.singleton import one_replica
from services.visits.checklists import TBILISI
from services.visits.models import (
    Agreement,
    Partner,
    Project,
    ProjectDeadline,
    ProjectDocument,
    ProjectTranche,
    Visit,
)
from services.visits.schemas import (
    PROJECT_STAGES,
    AgreementCreate,
    AgreementUpdate,
    DeadlineCreate,
    DocumentCreate,
    PartnerCreate,
    PartnerUpdate,
    ProjectCreate,
    ProjectUpdate,
    StageChange,
    SweepResult,
    TrancheCreate,
)
from services.visits.settings import VisitsSettings
from services.visits.visits import now, purge_members

log = get_logger(__name__)


def today() -> date:
    return datetime.now(TBILISI).date()


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as columns hold them (a URL as its text)."""
    return {
        name: str(value) if name == "website" and value else value for name, value in values.items()
    }


# Partners.


async def create_partner(database: Database, data: PartnerCreate, user: User) -> Partner:
    async with database.transaction() as session:
        partner = Partner(**_plain(data.model_dump()), created_by=user.id, created_at=now())
        session.add(partner)
    return partner


async def load_partner(database: Database, partner_id: int) -> Partner:
    async with database.session() as session:
        partner = await session.get(Partner, partner_id)
    if partner is None:
        raise Problem(404, "No such partner", f"There is no partner {partner_id}.")
    return partner


async def update_partner(
    database: Database, partner_id: int, data: PartnerUpdate, user: User
) -> Partner:
    async with database.transaction() as session:
        partner = await session.get(Partner, partner_id, with_for_update=True)
        if partner is None:
            raise Problem(404, "No such partner", f"There is no partner {partner_id}.")
        for name, value in _plain(data.model_dump(exclude_unset=True)).items():
            setattr(partner, name, value)
    return partner


async def list_partners(
    database: Database,
    *,
    kind: str | None,
    country: str | None,
    text: str | None,
    limit: int = 500,
    offset: int = 0,
) -> list[Partner]:
    query = select(Partner).order_by(Partner.name_ka, Partner.id).limit(limit).offset(offset)
    if kind:
        query = query.where(Partner.kind == kind)
    if country:
        query = query.where(Partner.country == country)
    if text:
        pattern = f"%{text}%"
        query = query.where(
            or_(Partner.name_ka.ilike(pattern), Partner.name_en.ilike(pattern),
                Partner.city.ilike(pattern))
        )  # fmt: skip
    async with database.session() as session:
        return list(await session.scalars(query))


async def partner_history(
    database: Database, partner_id: int
) -> tuple[Partner, list[Visit], list[Agreement], list[Project]]:
    async with database.session() as session:
        partner = await session.get(Partner, partner_id)
        if partner is None:
            raise Problem(404, "No such partner", f"There is no partner {partner_id}.")
        visits = await session.scalars(
            select(Visit).where(Visit.partner_id == partner_id).order_by(Visit.arrival_on.desc())
        )
        agreements = await session.scalars(
            select(Agreement)
            .where(Agreement.partner_id == partner_id)
            .order_by(Agreement.signed_on.desc())
        )
        projects = [
            project
            for project in await session.scalars(
                select(Project)
                .where(or_(Project.donor_partner_id == partner_id, _lists(partner_id)))
                .order_by(Project.id.desc())
            )
            if project.donor_partner_id == partner_id or partner_id in project.partner_ids
        ]
        return partner, list(visits), list(agreements), projects


def _lists(partner_id: int) -> ColumnElement[bool]:
    """Projects whose partners (a JSON list of ids) name `partner_id`: the id between the
    list's delimiters, with or without a space after a comma."""
    text = cast(Project.partner_ids, String)
    return or_(
        *(
            text.like(f"%{before}{partner_id}{after}%")
            for before in ("[", ",", ", ")
            for after in ("]", ",")
        )
    )


# Agreements.


def renewal_due_on(agreement: Agreement) -> date | None:
    if agreement.expires_on is None:
        return None
    return agreement.expires_on - timedelta(days=agreement.renewal_notice_days)


async def _require_partner(database_session: Any, partner_id: int) -> None:
    if await database_session.get(Partner, partner_id) is None:
        raise Problem(
            422,
            "Unknown partner",
            f"There is no partner {partner_id}; see GET /partners.",
            errors=[{"field": "partner_id", "message": "no such partner"}],
        )


async def create_agreement(database: Database, data: AgreementCreate, user: User) -> Agreement:
    async with database.transaction() as session:
        await _require_partner(session, data.partner_id)
        agreement = Agreement(**data.model_dump(), created_by=user.id, created_at=now())
        session.add(agreement)
    return agreement


async def update_agreement(
    database: Database, agreement_id: int, data: AgreementUpdate, user: User
) -> Agreement:
    async with database.transaction() as session:
        agreement = await session.get(Agreement, agreement_id, with_for_update=True)
        if agreement is None:
            raise Problem(404, "No such agreement", f"There is no agreement {agreement_id}.")
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(agreement, name, value)
        if (
            agreement.signed_on
            and agreement.expires_on
            and (agreement.expires_on <= agreement.signed_on)
        ):
            raise Problem(
                422,
                "The request is not valid",
                "expires_on: an agreement expires after it is signed",
            )
    return agreement


async def list_agreements(
    database: Database,
    *,
    status: str | None,
    partner_id: int | None,
    expiring_by: date | None,
    limit: int = 200,
    offset: int = 0,
) -> list[Agreement]:
    query = (
        select(Agreement).order_by(Agreement.expires_on, Agreement.id).limit(limit).offset(offset)
    )
    if status:
        query = query.where(Agreement.status == status)
    if partner_id:
        query = query.where(Agreement.partner_id == partner_id)
    if expiring_by:
        query = query.where(Agreement.expires_on <= expiring_by)
    async with database.session() as session:
        return list(await session.scalars(query))


async def load_agreement(database: Database, agreement_id: int) -> Agreement:
    async with database.session() as session:
        agreement = await session.get(Agreement, agreement_id)
    if agreement is None:
        raise Problem(404, "No such agreement", f"There is no agreement {agreement_id}.")
    return agreement


# Projects.


async def create_project(database: Database, data: ProjectCreate, user: User) -> Project:
    moment = now()
    async with database.transaction() as session:
        for partner_id in {*data.partner_ids, *filter(None, [data.donor_partner_id])}:
            await _require_partner(session, partner_id)
        project = Project(
            **data.model_dump(exclude={"deadlines"}),
            created_by=user.id,
            created_at=moment,
            updated_at=moment,
        )
        for deadline in data.deadlines:
            project.deadlines.append(ProjectDeadline(**deadline.model_dump(), reminded_days=[]))
        session.add(project)
    return project


async def _lock_project(session: Any, project_id: int) -> Project:
    project: Project | None = await session.get(Project, project_id, with_for_update=True)
    if project is None:
        raise Problem(404, "No such project", f"There is no project {project_id}.")
    return project


async def load_project(database: Database, project_id: int) -> Project:
    async with database.session() as session:
        project = await session.get(Project, project_id)
    if project is None:
        raise Problem(404, "No such project", f"There is no project {project_id}.")
    return project


async def update_project(
    database: Database, project_id: int, data: ProjectUpdate, user: User
) -> Project:
    async with database.transaction() as session:
        project = await _lock_project(session, project_id)
        changes = data.model_dump(exclude_unset=True)
        for partner_id in changes.get("partner_ids") or []:
            await _require_partner(session, partner_id)
        for name, value in changes.items():
            setattr(project, name, value)
        project.updated_at = now()
    return project


async def change_stage(
    database: Database, project_id: int, data: StageChange, user: User
) -> Project:
    async with database.transaction() as session:
        project = await _lock_project(session, project_id)
        allowed = PROJECT_STAGES[project.stage]
        if data.stage not in allowed:
            raise Problem(
                409,
                "Not allowed in this stage",
                f"A project at the {project.stage} stage cannot go to {data.stage}; "
                f"allowed: {', '.join(allowed) or 'nothing'}.",
                stage=project.stage,
                allowed=list(allowed),
            )
        project.stage = data.stage
        project.updated_at = now()
    return project


async def add_deadline(
    database: Database, project_id: int, data: DeadlineCreate, user: User
) -> Project:
    async with database.transaction() as session:
        project = await _lock_project(session, project_id)
        project.deadlines.append(ProjectDeadline(**data.model_dump(), reminded_days=[]))
        project.updated_at = now()
    return await load_project(database, project_id)


async def meet_deadline(
    database: Database, project_id: int, deadline_id: int, user: User
) -> Project:
    async with database.transaction() as session:
        project = await _lock_project(session, project_id)
        deadline = next((d for d in project.deadlines if d.id == deadline_id), None)
        if deadline is None:
            raise Problem(
                404, "No such deadline", f"Project {project_id} has no deadline {deadline_id}."
            )
        if deadline.met_on is None:
            deadline.met_on = today()
    return await load_project(database, project_id)


async def add_tranche(
    database: Database, project_id: int, data: TrancheCreate, user: User
) -> Project:
    async with database.transaction() as session:
        project = await _lock_project(session, project_id)
        project.tranches.append(ProjectTranche(**data.model_dump()))
        project.updated_at = now()
    return await load_project(database, project_id)


async def receive_tranche(
    database: Database, project_id: int, tranche_id: int, user: User
) -> Project:
    """The tranche is in the account; received again, it keeps its first date."""
    async with database.transaction() as session:
        project = await _lock_project(session, project_id)
        tranche = next((t for t in project.tranches if t.id == tranche_id), None)
        if tranche is None:
            raise Problem(
                404, "No such tranche", f"Project {project_id} has no tranche {tranche_id}."
            )
        if tranche.received_on is None:
            tranche.received_on = today()
            project.updated_at = now()
    return await load_project(database, project_id)


async def add_document(
    database: Database, project_id: int, data: DocumentCreate, user: User
) -> Project:
    async with database.transaction() as session:
        project = await _lock_project(session, project_id)
        project.documents.append(
            ProjectDocument(
                kind=data.kind, title=data.title, url=str(data.url),
                added_by=user.id, added_at=now(),
            )
        )  # fmt: skip
        project.updated_at = now()
    return await load_project(database, project_id)


async def list_projects(
    database: Database, *, stage: str | None, donor: str | None, limit: int = 200, offset: int = 0
) -> list[Project]:
    query = select(Project).order_by(Project.id.desc()).limit(limit).offset(offset)
    if stage:
        query = query.where(Project.stage.in_(stage.split(",")))
    if donor:
        query = query.where(Project.donor.ilike(f"%{donor}%"))
    async with database.session() as session:
        return list(await session.scalars(query))


# The sweep.

ACTIVE_PROJECT_STAGES = ("idea", "concept_note", "application", "awarded", "implementation",
                         "reporting")  # fmt: skip


async def sweep(
    database: Database, outbox: Outbox, settings: VisitsSettings, *, on: date | None = None
) -> SweepResult:
    """Announce what falls due and purge what has been kept long enough. Each agreement's
    renewal and each deadline's reminder goes out once, however often this runs."""
    day = on or today()
    result = SweepResult(agreements_reminded=[], deadlines_reminded=[], visits_purged=[])
    async with database.transaction() as session:
        agreements = await session.scalars(
            select(Agreement).where(
                Agreement.status == "in_force", Agreement.expires_on.is_not(None)
            )
        )
        for agreement in agreements:
            due_on = renewal_due_on(agreement)
            assert due_on is not None and agreement.expires_on is not None
            if due_on <= day and agreement.renewal_reminded_for != agreement.expires_on:
                agreement.renewal_reminded_for = agreement.expires_on
                partner = agreement.partner
                await outbox.add(
                    session,
                    AgreementRenewalDue(
                        agreement_id=agreement.id,
                        partner_id=agreement.partner_id,
                        partner_name=LocalizedText(ka=partner.name_ka, en=partner.name_en),
                        title=LocalizedText(ka=agreement.title_ka, en=agreement.title_en),
                        kind=agreement.kind,
                        expires_on=agreement.expires_on,
                        days_left=(agreement.expires_on - day).days,
                    ),
                    about=f"agreement:{agreement.id}",
                )
                result.agreements_reminded.append(agreement.id)
        deadlines = await session.scalars(
            select(ProjectDeadline)
            .join(Project)
            .where(
                ProjectDeadline.met_on.is_(None),
                ProjectDeadline.due_on >= day,
                Project.stage.in_(ACTIVE_PROJECT_STAGES),
            )
        )
        for deadline in deadlines:
            days_left = (deadline.due_on - day).days
            # The nearest threshold not yet announced; a late entry skips the earlier ones.
            thresholds = [t for t in settings.deadline_reminder_days if days_left <= t]
            if not thresholds or min(thresholds) in deadline.reminded_days:
                continue
            deadline.reminded_days = sorted({*deadline.reminded_days, *thresholds})
            project = deadline.project
            await outbox.add(
                session,
                ProjectDeadlineDue(
                    project_id=project.id,
                    deadline_id=deadline.id,
                    title=LocalizedText(ka=project.title_ka, en=project.title_en),
                    deadline_kind=deadline.kind,
                    deadline_title=LocalizedText(ka=deadline.title_ka, en=deadline.title_en),
                    donor=project.donor,
                    stage=project.stage,
                    due_on=deadline.due_on,
                    days_left=days_left,
                    responsible=project.responsible,
                ),
                about=f"project:{project.id}",
            )
            result.deadlines_reminded.append(deadline.id)
        kept_until = now() - timedelta(days=settings.member_retention_days)
        finished = await session.scalars(
            select(Visit).where(
                Visit.closed_at.is_not(None),
                Visit.closed_at <= kept_until,
                Visit.members_purged_at.is_(None),
            )
        )
        for visit in finished:
            await purge_members(session, visit)
            result.visits_purged.append(visit.id)
    return result


@one_replica
async def run_sweeps(runtime: Runtime) -> None:
    """The service's background job: the sweep once at start, then every `sweep_seconds`."""
    settings = runtime.settings
    assert isinstance(settings, VisitsSettings) and runtime.outbox is not None
    runtime.job_states["sweep"] = "ok"
    while True:
        try:
            result = await sweep(runtime.db(), runtime.outbox, settings)
            if result.agreements_reminded or result.deadlines_reminded or result.visits_purged:
                log.info("visits.swept", **result.model_dump())
        except Exception as error:  # the next sweep tries again; readiness says why
            log.exception("visits.sweep_failed")
            runtime.job_states["sweep"] = f"failed: {error}"[:200]
        else:
            runtime.job_states["sweep"] = "ok"
        await asyncio.sleep(settings.sweep_seconds)
