"""DocumentPublicationWorkflow: one submitted edition of a document, through to publication.

One workflow per submitted edition (`document-<id>-edition-<n>`); its input is ids only.
It walks the document type's approval route — each step a `HumanTaskWorkflow` child per
person the step's mode needs — assigns the register number at final approval, waits
durably until the publication time, and publishes. People act on it through Updates
that the publishing API sends with the verified user: resubmit after changes, restart
after an edit during review, withdraw, force publication, retry a failed publication.
Every transition is recorded by the publishing service through its API, so its audit
trail and events say what happened here.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from meria.cases import case_ref
    from meria.cases.documents import (
        Actor,
        CaseInfo,
        DecisionRecord,
        OpenTask,
        PublicationInput,
        PublicationStatus,
        Reasoned,
        Restart,
        RouteStep,
        TransitionRequest,
    )
    from meria.cases.tasks import TaskEscalation, TaskResult
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.publishing import EditionRef, PublishingActivities, RecordTransition
    from workflows.case_tasks import CaseTasks, record


Interrupt = Literal["restart", "withdraw", "force"]
SIGNED_ORIGINAL = "signed-original"
# Rendering and signing take a second or two; a timestamp server may take its timeout.
SIGNING_TIMEOUT = timedelta(minutes=3)


@workflow.defn
class DocumentPublicationWorkflow:
    @workflow.init
    def __init__(self, request: PublicationInput) -> None:
        self._edition = EditionRef(document_id=request.document_id, edition=request.edition)
        self._case: CaseInfo | None = None
        self._tasks: CaseTasks[OpenTask] = CaseTasks(
            stage="submitted",
            case_ref=case_ref("document", request.document_id),
            service="publishing",
            notice_path=f"{_path(self._edition)}/task-notices",
        )
        self._revision = 1
        self._round = 0
        self._decisions: list[DecisionRecord] = []
        self._interrupt: tuple[Interrupt, Reasoned] | None = None
        self._resubmitted: Actor | None = None
        self._retry: Actor | None = None
        self._register_number: str | None = None
        self._publish_at: datetime | None = None
        self._outcome: str | None = None
        self._approved_steps: list[str] = []
        self._forced = False

    @property
    def case(self) -> CaseInfo:
        assert self._case is not None
        return self._case

    @property
    def _stage(self) -> str:
        return self._tasks.stage

    @workflow.run
    async def run(self, request: PublicationInput) -> PublicationStatus:
        self._case = await record(PublishingActivities.load_case, self._edition)
        self._revision = self.case.revision
        workflow.upsert_search_attributes(
            [
                KIND.value_set("document"),
                REF.value_set(self._tasks.case_ref),
                SUBJECT.value_set(self.case.subject),
            ]
        )
        await self._record("start_review")
        outcome = await self._review()
        if outcome != "approved":
            return self._finish(outcome)
        # The mayor's approval of a legal act is their signature: the act becomes the PDF
        # they sign, before anything is published. (Histories from before it replay as
        # they ran, without it.) A consolidated text is not signed again; the patch is
        # asked last, so an edition that signs nothing records no marker, as before.
        if (
            self.case.is_legal_act
            and not self._forced
            and self.case.signed_by_official
            and workflow.patched(SIGNED_ORIGINAL)
        ):
            await record(PublishingActivities.sign_edition, self._edition, timeout=SIGNING_TIMEOUT)
        published = await self._publish()
        return self._finish(published)

    # The route.

    async def _review(self) -> str:
        """Rounds of the route until approval, rejection or withdrawal."""
        while True:
            self._round += 1
            outcome = await self._run_route()
            if outcome == "approved":
                self._tasks.set_stage("approved")
                # The service gives a legal act its register number in the same step.
                approved = await self._record("approve")
                self._register_number = approved.register_number
                self._publish_at = approved.publish_at
                return "approved"
            if outcome == "force":
                _, actor = self._take_interrupt()
                return await self._approve_forced(actor)
            if outcome == "restart":
                _, actor = self._take_interrupt()
                await self._record("restart_review", receipt=actor.receipt, comment=actor.reason)
                continue
            if outcome == "withdraw":
                _, actor = self._take_interrupt()
                await self._record("withdraw", receipt=actor.receipt, comment=actor.reason)
                return "withdrawn"
            if outcome == "reject":
                return "rejected"
            # Changes requested: the author edits, then resubmits; or it is withdrawn.
            await workflow.wait_condition(
                lambda: self._resubmitted is not None or self._interrupt is not None
            )
            if self._interrupt is not None:
                kind, actor = self._take_interrupt()
                if kind == "force":
                    return await self._approve_forced(actor)
                await self._record("withdraw", receipt=actor.receipt, comment=actor.reason)
                return "withdrawn"
            assert self._resubmitted is not None
            resubmitted, self._resubmitted = self._resubmitted, None
            result = await self._record("resubmit", receipt=resubmitted.receipt)
            self._revision = result.revision

    async def _approve_forced(self, actor: Reasoned) -> str:
        """The head of department publishes without the remaining steps; the skipped roles
        may approve afterwards, and until then the document says it lacks full review."""
        self._forced = True
        self._tasks.set_stage("approved")
        approved = await self._record(
            "force_publish",
            receipt=actor.receipt,
            comment=actor.reason,
            details={"skipped_roles": self._skipped_roles()},
        )
        self._register_number = approved.register_number
        self._publish_at = approved.publish_at
        return "approved"

    async def _run_route(self) -> str:
        self._approved_steps = []
        for step in self.case.steps:
            outcome = await self._run_step(step)
            if outcome != "approved":
                return outcome
            self._approved_steps.append(step.key)
        return "approved"

    async def _run_step(self, step: RouteStep) -> str:
        """Start the step's tasks and wait for enough approvals, a refusal or an interrupt."""
        self._tasks.set_stage(step.key)
        due_at = workflow.now() + timedelta(hours=step.deadline_hours)
        people: list[str | None] = list(step.people) if step.mode != "any" else [None]
        required = {"any": 1, "all": len(people), "quorum": step.quorum or 1}[step.mode]
        results: list[TaskResult] = []
        handles = []
        opened: dict[str, OpenTask] = {}
        for person in people:
            task_id = f"{workflow.info().workflow_id}-task-{step.key}-r{self._round}"
            if person:
                task_id += f"-{_safe(person)}"
            handle = await self._tasks.child(
                task_id,
                step=step.key,
                subject=self.case.subject,
                awaiting=[step.role],
                assignee=person,
                author=self.case.author,
                revision=self._revision,
                due_at=due_at,
                escalate_to=step.escalate_to,
            )
            opened[task_id] = OpenTask(
                task_id=task_id,
                step=step.key,
                awaiting=[step.role],
                assignee=person,
                due_at=due_at,
            )
            handles.append(handle)
        # The step's tasks appear together, so the status never shows half a step.
        self._tasks.open.update(opened)
        self._tasks.index()

        async def collect(handle: Any, task_id: str) -> None:
            result: TaskResult | None
            try:
                result = await handle
            except ChildWorkflowError:
                result = None  # cancelled because the step ended otherwise
            self._tasks.close(task_id)
            if result is None:
                return
            results.append(result)
            self._decisions.append(
                DecisionRecord(
                    step=result.step,
                    outcome=result.outcome,
                    decided_by=result.decided_by,
                    decided_at=result.decided_at,
                    comment=result.comment,
                )
            )
            if result.outcome == "approve":
                await self._record(
                    "approve_step",
                    receipt=result.receipt,
                    step=step.key,
                    comment=result.comment,
                    details={"escalated": result.escalated},
                )

        collectors = [asyncio.create_task(collect(handle, handle.id)) for handle in handles]

        def settled() -> bool:
            approvals = sum(1 for result in results if result.outcome == "approve")
            refused = any(result.outcome != "approve" for result in results)
            return approvals >= required or refused or self._interrupt is not None

        await workflow.wait_condition(settled)
        for handle in handles:
            if handle.id in self._tasks.open:
                handle.cancel()
        await asyncio.gather(*collectors)
        self._tasks.open.clear()
        self._tasks.index()
        if self._interrupt is not None:
            return self._interrupt[0]
        refusal = next((result for result in results if result.outcome != "approve"), None)
        if refusal is not None:
            action = "reject" if refusal.outcome == "reject" else "request_changes"
            # The stage moves before the record does, so whoever sees the new state in the
            # service finds the workflow ready for what follows (a resubmission).
            self._tasks.set_stage("rejected" if action == "reject" else "changes_requested")
            await self._record(
                action, receipt=refusal.receipt, step=step.key, comment=refusal.comment
            )
            return "reject" if action == "reject" else "changes"
        return "approved"

    def _skipped_roles(self) -> list[str]:
        roles = [step.role for step in self.case.steps if step.key not in self._approved_steps]
        return list(dict.fromkeys(roles))

    def _take_interrupt(self) -> tuple[Interrupt, Reasoned]:
        assert self._interrupt is not None
        interrupt, self._interrupt = self._interrupt, None
        return interrupt

    # Publication.

    async def _publish(self) -> str:
        # As the service had it at approval: the time may have changed during review.
        publish_at = self._publish_at
        while True:
            if self._interrupt is not None:
                # Withdrawn between the final approval and now.
                _, actor = self._take_interrupt()
                await self._record("withdraw", receipt=actor.receipt, comment=actor.reason)
                return "withdrawn"
            if publish_at is not None and publish_at > workflow.now():
                self._tasks.set_stage("scheduled")
                await self._record("schedule", details={"publish_at": publish_at.isoformat()})
                withdrawn = await self._wait_for_withdrawal(publish_at - workflow.now())
                if withdrawn:
                    return "withdrawn"
            self._tasks.set_stage("publishing")
            try:
                await workflow.execute_activity_method(
                    PublishingActivities.publish_edition,
                    self._edition,
                    start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(seconds=self.case.publish_retry_seconds),
                        maximum_attempts=self.case.publish_attempts,
                    ),
                )
            except ActivityError as error:
                cause = error.cause.message if isinstance(error.cause, ApplicationError) else None
                self._tasks.set_stage("failed_to_publish")
                await self._record(
                    "publication_failed", details={"error": cause or str(error.cause or error)}
                )
                await workflow.wait_condition(
                    lambda: self._retry is not None or self._interrupt is not None
                )
                if self._interrupt is not None:
                    _, actor = self._take_interrupt()
                    await self._record("withdraw", receipt=actor.receipt, comment=actor.reason)
                    return "withdrawn"
                assert self._retry is not None
                retry, self._retry = self._retry, None
                await self._record("retry", receipt=retry.receipt)
                publish_at = None
                continue
            self._tasks.set_stage("published")
            return "published"

    async def _wait_for_withdrawal(self, timeout: timedelta) -> bool:
        """A durable wait for the publication time; True if withdrawn meanwhile."""
        try:
            await workflow.wait_condition(lambda: self._interrupt is not None, timeout=timeout)
        except TimeoutError:
            return False
        _, actor = self._take_interrupt()
        await self._record("withdraw", receipt=actor.receipt, comment=actor.reason)
        return True

    # Helpers.

    async def _record(
        self,
        action: str,
        *,
        receipt: str | None = None,
        step: str | None = None,
        comment: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Any:
        return await record(
            PublishingActivities.record_transition,
            RecordTransition(
                edition=self._edition,
                transition=TransitionRequest(
                    action=action,
                    receipt=receipt,
                    step=step,
                    comment=comment,
                    details=details or {},
                ),
            ),
        )

    def _finish(self, outcome: str) -> PublicationStatus:
        self._outcome = outcome
        self._tasks.stage = outcome
        self._tasks.open.clear()
        self._tasks.index()
        return self.status()

    # What people send.

    @workflow.update
    async def resubmit(self, actor: Actor) -> PublicationStatus:
        self._resubmitted = actor
        return self.status()

    @resubmit.validator
    def _may_resubmit(self, actor: Actor) -> None:
        if self._stage != "changes_requested":
            raise ApplicationError(
                f"Only changes requested can be resubmitted (now {self._stage})."
            )
        self._refuse_unless(actor, "editor")

    @workflow.update
    async def restart_review(self, restart: Restart) -> PublicationStatus:
        self._revision = restart.revision
        self._interrupt = ("restart", restart)
        return self.status()

    @restart_review.validator
    def _may_restart(self, restart: Restart) -> None:
        if not self._in_route():
            raise ApplicationError(
                f"The document is not in review (it is {self._stage}); editing needs no restart "
                "now, or is no longer possible."
            )
        self._refuse_unless(restart, "editor")

    @workflow.update
    async def withdraw(self, withdrawal: Reasoned) -> PublicationStatus:
        self._interrupt = ("withdraw", withdrawal)
        return self.status()

    @withdraw.validator
    def _may_withdraw(self, withdrawal: Reasoned) -> None:
        if self._outcome is not None or self._tasks.stage == "publishing":
            raise ApplicationError(f"It can no longer be withdrawn here (it is {self._stage}).")
        if self._interrupt is not None:
            raise ApplicationError("Another change to this case is under way; try again.")
        if self._case is not None and withdrawal.user == self._case.author:
            return
        self._refuse_unless(withdrawal, "editor", "head_of_department")

    @workflow.update
    async def force_publish(self, forced: Reasoned) -> PublicationStatus:
        self._interrupt = ("force", forced)
        return self.status()

    @force_publish.validator
    def _may_force(self, forced: Reasoned) -> None:
        if "head_of_department" not in forced.roles:
            raise ApplicationError("Only the head of department may publish without full review.")
        if self._case is not None and forced.user == self._case.author:
            raise ApplicationError("The author cannot force their own document through.")
        if not (self._in_route() or self._tasks.stage == "changes_requested"):
            raise ApplicationError(f"Nothing to force: the document is {self._stage}.")
        if self._case is not None and self._case.is_legal_act:
            # A validator gives no command, so refusing here changes no recorded history.
            raise ApplicationError(
                "A legal act is published only once the mayor has signed it; publication "
                "without full review is for other documents."
            )
        if self._interrupt is not None:
            raise ApplicationError("Another change to this case is under way; try again.")

    @workflow.update
    async def retry(self, actor: Actor) -> PublicationStatus:
        self._retry = actor
        return self.status()

    @retry.validator
    def _may_retry(self, actor: Actor) -> None:
        if self._stage != "failed_to_publish":
            raise ApplicationError(f"Nothing to retry: the document is {self._stage}.")
        if "admin" not in actor.roles:
            raise ApplicationError("Only an administrator may retry a publication.")

    def _in_route(self) -> bool:
        return self._case is not None and self._stage in {step.key for step in self._case.steps}

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        self._tasks.escalated(escalation)

    def _refuse_unless(self, actor: Actor, *roles: str) -> None:
        if not set(actor.roles) & {*roles, "admin"}:
            raise ApplicationError(f"This needs one of the roles: {', '.join(roles)}.")

    @workflow.query
    def status(self) -> PublicationStatus:
        tasks = sorted(self._tasks.open.values(), key=lambda task: task.task_id)
        return PublicationStatus(
            document_id=self._edition.document_id,
            edition=self._edition.edition,
            stage=self._stage,
            revision=self._revision,
            awaiting=sorted({role for task in tasks for role in task.awaiting}),
            due_at=min((task.due_at for task in tasks), default=None),
            tasks=tasks,
            decisions=list(self._decisions),
            register_number=self._register_number,
            publish_at=self._publish_at or (self._case.publish_at if self._case else None),
            outcome=self._outcome,
        )


def _safe(person: str) -> str:
    return "".join(char if char.isalnum() or char in "-_." else "_" for char in person)


def _path(edition: EditionRef) -> str:
    return f"/documents/{edition.document_id}/editions/{edition.edition}"
