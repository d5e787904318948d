"""Date ranges as the dashboard asks for them (`from`/`to` as dates or ISO times, in the
application's zone), resolved to UTC instants and local days. Shared with reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from chalicelib.core import clock
from chalicelib.core.errors import bad_parameter

MAX_DAYS = 366


@dataclass(frozen=True)
class Range:
    start: datetime      # inclusive, UTC
    end: datetime        # exclusive, UTC
    first_day: date      # local days, inclusive
    last_day: date

    def days(self) -> list[str]:
        count = (self.last_day - self.first_day).days + 1
        return [(self.first_day + timedelta(days=i)).isoformat() for i in range(count)]


def _parse_moment(value: str, field: str, zone: ZoneInfo, end: bool) -> datetime:
    """A plain date means that whole local day; a timestamp without a zone is local time."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), zone)
        else:
            moment = clock.parse_iso(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise bad_parameter(field, f"{field} must be a date (2026-11-27) or an ISO 8601 time") from None


def parse_range(query: dict[str, str], timezone_name: str, *, default_days: int = 7) -> Range:
    zone = ZoneInfo(timezone_name)
    raw_from, raw_to = query.get("from"), query.get("to")
    end = _parse_moment(raw_to, "to", zone, end=True) if raw_to else clock.now()
    if raw_from:
        start = _parse_moment(raw_from, "from", zone, end=False)
    else:
        try:
            start = datetime.combine(end.astimezone(zone).date() - timedelta(days=default_days - 1), time(), zone
                                     ).astimezone(timezone.utc)
        except (OverflowError, ValueError):  # `to` within a week of year 1
            raise bad_parameter("to", f"to is too early: the range starts {default_days} days before it") from None
    if start >= end:
        raise bad_parameter("from", "from must be before to")
    first_day = start.astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise bad_parameter("to", f"The range is at most {MAX_DAYS} days")
    return Range(start, end, first_day, last_day)
