"""Settings of the events process (`MERIA_EVENTS_*`).

Every wait of the press-conference and meeting workflows comes from here, so tests can
run them at the department's real lengths on the time-skipping server, or in seconds.
"""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from meria.config import ServiceSettings


class EventsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERIA_EVENTS_")
    process = "events"

    port: int = 8102
    # The longest an event may last (a festival runs for days); conflict searches look
    # this far back for bookings that may still be running.
    max_event_days: int = Field(31, ge=1, le=366)
    # A series without an end is materialised this far ahead, and never beyond this many
    # occurrences.
    series_horizon_days: int = Field(730, ge=1, le=3660)
    max_occurrences: int = Field(500, ge=1, le=5000)
    # Press conferences: the journalists' reminder before it, the end of accreditation
    # before it, and the press release or transcript after it.
    reminder_lead_hours: float = Field(24.0, gt=0)
    accreditation_closes_hours: float = Field(2.0, ge=0)
    follow_up_due_hours: float = Field(24.0, gt=0)
    # Meetings: the briefing note is due this long before, the minutes this long after.
    briefing_due_days: float = Field(2.0, gt=0)
    minutes_due_hours: float = Field(72.0, gt=0)
    # How often events without a workflow whose end has passed are marked completed.
    completion_poll_seconds: float = Field(300.0, gt=0)
    # What the iCalendar feeds cover around today.
    feed_past_days: int = Field(180, ge=0)
    feed_future_days: int = Field(730, ge=1)
