"""The overview: totals, rates and a daily series per channel, read from the daily counters
(one Query per channel over the days of the range: its cost grows with days, never with
messages), plus the 5 latest messages of the filter."""
from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.messages.queries import daily_counts
from chalicelib.messages.status_rules import RULES
from chalicelib.monitoring.message_list import channels_from, list_messages
from chalicelib.monitoring.ranges import parse_range

LATEST = 5


def _rate(part: int, total: int) -> float:
    return round(part / total, 2) if total else 0


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
    return {"from": clock.iso(span.start), "to": clock.iso(span.end), "channels": result, "latest": latest}
