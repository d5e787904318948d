"""Date ranges as the dashboard asks for them (`from`/`to` as dates or ISO times, in the
application's zone), resolved to UTC instants and local days. Shared with reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from chalicelib.core import clock, validation
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


def parse_range(query: dict[str, str], timezone_name: str, *, default_days: int = 7) -> Range:
    """`from` and `to` as dates (whole local days) or ISO times (local when they name no zone);
    without `from`, the `default_days` local days up to `to` (or now)."""
    zone = ZoneInfo(timezone_name)
    raw_from, raw_to = query.get("from"), query.get("to")
    end = validation.moment(raw_to, "to", zone, end=True) if raw_to else clock.now()
    if raw_from:
        start = validation.moment(raw_from, "from", zone)
    else:
        try:
            start = datetime.combine(end.astimezone(zone).date() - timedelta(days=default_days - 1), time(), zone
                                     ).astimezone(timezone.utc)
        except (OverflowError, ValueError):  # `to` within a week of year 1
            start = None
        if start is None or start < validation.EARLIEST:
            raise bad_parameter("to", f"to is too early: the range starts {default_days} days before it")
    if start >= end:
        raise bad_parameter("from", "from must be before to")
    first_day = start.astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise bad_parameter("to", f"The range is at most {MAX_DAYS} days")
    return Range(start, end, first_day, last_day)
