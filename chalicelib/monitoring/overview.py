"""The overview: totals, rates and a daily series per channel, read from the daily counters
(one Query per channel over the days of the range: its cost grows with days, never with
messages), today by hour (one GetItem per channel: today's counter keeps messages by UTC hour),
plus the 5 latest messages of the filter."""
from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core import clock
from chalicelib.messages.queries import daily_counts, hourly_counts
from chalicelib.messages.status_rules import RULES
from chalicelib.monitoring.message_list import channels_from, list_messages
from chalicelib.monitoring.ranges import parse_range

LATEST = 5


def _rate(part: int, total: int) -> float:
    return round(part / total, 2) if total else 0


def today_by_hour(application_id: str, channels: list[str], timezone_name: str) -> list[int]:
    """Today's messages per local hour (24 numbers, 00 first). Today's counter item holds the UTC hours
    from local midnight on: the UTC hour local midnight falls in is local hour 0, and so on. Exact for
    whole-hour zones (WIB, WITA, WIT); in a half-hour zone each local hour holds the UTC hour that starts
    30 minutes before it."""
    zone = ZoneInfo(timezone_name)
    today = clock.now().astimezone(zone).date()
    first = datetime.combine(today, time(0), zone).astimezone(ZoneInfo("UTC")).hour
    hours = [0] * 24
    for channel in channels:
        for utc_hour, n in hourly_counts(application_id, channel, today.isoformat()).items():
            hours[(utc_hour - first) % 24] += n
    return hours


def overview(application_id: str, app_channels: list[str], query: dict[str, str], timezone_name: str
             ) -> dict[str, Any]:
    span = parse_range(query, timezone_name)
    wanted = [c for c in channels_from(query) if c in app_channels]
    days = span.days()
    result = []
    for channel in wanted:
        rules = RULES[channel]
        by_day = daily_counts(application_id, channel, days)
        by_status = {word: sum(d.get(word, 0) for d in by_day.values()) for word in rules.words}
        total = sum(by_status.values())
        success = sum(by_status[w] for w in rules.success)
        failed = sum(by_status[w] for w in rules.failure)
        series = [{"date": day, "total": sum(counts.values()),
                   "success": sum(counts.get(w, 0) for w in rules.success),
                   "failed": sum(counts.get(w, 0) for w in rules.failure)} for day, counts in by_day.items()]
        result.append({"channel": channel, "total": total, "success": success, "failed": failed,
                       "pending": total - success - failed, "success_rate": _rate(success, total),
                       "failed_rate": _rate(failed, total), "by_status": by_status, "series": series})
    latest = list_messages(application_id, app_channels, {**query, "order": "desc", "limit": str(LATEST)},
                           timezone_name, span=span, with_total=False)["items"]
    return {"from": clock.iso(span.start), "to": clock.iso(span.end), "channels": result, "latest": latest,
            "today_by_hour": today_by_hour(application_id, wanted, timezone_name)}
