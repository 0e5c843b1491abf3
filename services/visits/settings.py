"""Settings of the visits process (`MERIA_VISITS_*`).

Every length of time a visit's workflow waits is here or on the visit itself, so tests
and a small municipality can choose their own.
"""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class VisitsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_VISITS_")
    process = "visits"

    port: int = 8103
    # How long the mayor has to approve a visit request before the head of department
    # is told it waits.
    approval_hours: float = Field(72.0, gt=0)
    # Days before arrival when the readiness gate looks at what is still open.
    readiness_gate_days: float = Field(3.0, ge=0)
    # Days after departure the report is due.
    report_due_days: float = Field(7.0, gt=0)
    # When on its due date a logistics task falls due (Tbilisi time, end of the working day).
    task_due_hour: int = Field(18, ge=0, le=23)
    # Delegation members' personal data is deleted this many days after the visit closes.
    member_retention_days: float = Field(90.0, ge=0)
    # Project deadlines are reminded this many days before they fall due.
    deadline_reminder_days: list[int] = Field(default_factory=lambda: [14, 3])
    # How often the service looks for agreements to renew, deadlines to remind of and
    # personal data to purge.
    sweep_seconds: float = Field(3600.0, gt=0)
    # The workflow continues as new once its history has this many events.
    history_limit: int = Field(10_000, ge=100)
    # The tourism statistics' fields: key → Georgian name (MERIA_VISITS_TOURISM_METRICS as
    # JSON). A CSV import names them by key; the dashboard by name.
    tourism_metrics: dict[str, str] = Field(
        default_factory=lambda: {
            "visitors": "ვიზიტორები",
            "overnight_stays": "ღამისთევები",
            "event_attendance": "ღონისძიებების დამსწრეები",
        }
    )
