"""Settings of the events process (`MERIA_EVENTS_*`).

Every wait of the press-conference and meeting workflows comes from here, so tests can
run them at the department's real lengths on the time-skipping server, or in seconds.
"""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from meria import municipality
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

    # Invitations: the invitee answers at `<public_url>/rsvp/<token>` (the events service's
    # public address; its own address by default), for this many days after the
    # invitation is sent, and never once the event has begun.
    public_url: str | None = None
    rsvp_valid_days: float = Field(60.0, gt=0, le=730)
    # Invitations go out through this SMTP server; none is sent while no host is set (the
    # link is still shown to staff, to hand over some other way).
    smtp_host: str | None = None
    smtp_port: int = Field(25, gt=0, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    # Who its mail comes from; by default the municipality's sender (its profile).
    mail_from: str | None = None
    # A temporary refusal (4xx) is tried again after this long, doubled each time.
    mail_retry_seconds: float = Field(60.0, gt=0)
    mail_max_attempts: int = Field(8, ge=1)
    mail_poll_seconds: float = Field(1.0, gt=0)

    @property
    def sender(self) -> str:
        """Who its mail comes from: MAIL_FROM if set, else the city hall's protocol
        office at the municipality's sender address (its profile)."""
        return self.mail_from or municipality.current().sender("ოქმის სამსახური")
