"""Recurring events: an RFC 5545 RRULE read by `icalendar`, expanded by `python-dateutil`
in Tbilisi wall time, so "every Monday at 11:00" stays at 11:00 on the clocks of the
city hall whatever the offset to UTC does.

A rule without an end is given one at the horizon (settings): every occurrence is an
event of its own, with its own state, so a series is always finite.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar.prop import vRecur

TBILISI = ZoneInfo("Asia/Tbilisi")
UTC = ZoneInfo("UTC")
FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
PARTS = frozenset(
    {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS",
     "BYYEARDAY", "BYWEEKNO", "WKST"}
)  # fmt: skip


class RuleError(ValueError):
    """The rule cannot make a series: the message says why, for the person who wrote it."""


def normalise(rule: str, *, horizon: datetime) -> str:
    """The rule as stored: parts checked, UNTIL in UTC (a date or a local time is read in
    Tbilisi), and an end at `horizon` for a rule that has none."""
    text = rule.strip().removeprefix("RRULE:")
    try:
        parsed = vRecur.from_ical(text)
    except (ValueError, TypeError) as error:
        raise RuleError(f"not an RRULE: {error}") from None
    unknown = set(parsed) - PARTS
    if unknown:
        raise RuleError(f"unsupported parts: {', '.join(sorted(unknown))}")
    frequency = [str(value) for value in parsed.get("FREQ", [])]
    if len(frequency) != 1 or frequency[0] not in FREQUENCIES:
        raise RuleError(f"FREQ must be one of {', '.join(sorted(FREQUENCIES))}")
    if "COUNT" in parsed and "UNTIL" in parsed:
        raise RuleError("COUNT and UNTIL cannot both be given")
    if "UNTIL" in parsed:
        parsed["UNTIL"] = [_utc_until(parsed["UNTIL"][0])]
    elif "COUNT" not in parsed:
        parsed["UNTIL"] = [horizon.astimezone(UTC)]
    return bytes(parsed.to_ical()).decode()


def _utc_until(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        local = value if value.tzinfo else value.replace(tzinfo=TBILISI)
        return local.astimezone(UTC)
    # A date means the whole of that day in Georgia (Tbilisi time).
    return datetime.combine(value, time(23, 59, 59), TBILISI).astimezone(UTC)


def occurrences(rule: str, first_start: datetime, *, limit: int) -> list[datetime]:
    """The starts the rule gives from `first_start` (aware), in UTC; at most `limit`."""
    try:
        expanded = rrulestr(rule, dtstart=first_start.astimezone(TBILISI))
    except (ValueError, TypeError) as error:
        raise RuleError(str(error)) from None
    starts: list[datetime] = []
    for start in expanded:
        if len(starts) == limit:
            raise RuleError(
                f"the rule makes more than {limit} occurrences; give it a COUNT or an UNTIL"
            )
        # The wall time is what the rule means; its offset is looked up for that day.
        assert isinstance(start, datetime)
        starts.append(start.replace(tzinfo=TBILISI).astimezone(UTC))
    if not starts:
        raise RuleError("the rule makes no occurrence from the first start")
    return starts


def ending_before(rule: str, moment: datetime) -> str:
    """The rule cut so that its last occurrence starts before `moment` (a series split by
    an edit to "this and following")."""
    parsed = vRecur.from_ical(rule)
    parsed.pop("COUNT", None)
    parsed["UNTIL"] = [(moment - timedelta(seconds=1)).astimezone(UTC)]
    return bytes(parsed.to_ical()).decode()
