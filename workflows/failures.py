"""Activity failures that tell the truth in a line.

Temporal keeps an activity's last failure (message, stack trace and chained causes) for
the case's page and the dashboard, but only a few kilobytes of it: an httpx timeout with
its chain of causes and traces is larger, and the server then keeps "Failure exceeds size
limit" instead of what happened. So every failure leaves an activity as one short
`ApplicationError`: its own message, or the exception's type and message, cut to a few
hundred characters, without the chain; whether it may be retried is kept. The whole
traceback goes to the worker's log.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from meria.logging import get_logger
from meria.metrics import ACTIVITY_FAILURES, ACTIVITY_RETRIES
from workflows.activities.clients import short

log = get_logger(__name__)


def truthful(error: BaseException) -> ApplicationError:
    """The failure Temporal keeps for `error`: short, chainless, as retryable as it was."""
    if isinstance(error, ApplicationError):
        return ApplicationError(
            short(error.message or type(error).__name__),
            type=error.type,
            non_retryable=error.non_retryable,
            next_retry_delay=error.next_retry_delay,
        )
    message = str(error) or repr(error)
    return ApplicationError(short(f"{type(error).__name__}: {message}"), type=type(error).__name__)


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        started = activity.info()
        if started.attempt > 1:
            ACTIVITY_RETRIES.labels(started.activity_type).inc()
        try:
            return await super().execute_activity(input)
        except (asyncio.CancelledError, CancelledError):
            raise
        except Exception as error:
            info = activity.info()
            ACTIVITY_FAILURES.labels(info.activity_type).inc()
            log.warning(
                "activity.failed",
                activity=info.activity_type,
                workflow_id=info.workflow_id,
                attempt=info.attempt,
                error=short(str(error), 1000),
                # A service's trouble is told in full by its line; anything else, with
                # where it happened.
                exc_info=None if isinstance(error, ApplicationError) else error,
            )
            raise truthful(error) from None


class TruthfulFailures(Interceptor):
    """The worker's interceptor that shortens every activity's failure (see above)."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next)
