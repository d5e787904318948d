"""An application's usage: each channel's quota left and its alert threshold, what was used and
refunded per day (the daily counters: one Query per channel over the range's days, never a Scan),
and the operator's top-ups (one Query)."""
from __future__ import annotations

from typing import Any

from chalicelib.applications import quota
from chalicelib.applications import quota_alerts
from chalicelib.applications import service as applications
from chalicelib.applications.models import Application
from chalicelib.core import clock
from chalicelib.core.channels import CHANNELS
from chalicelib.messages.queries import daily_usage
from chalicelib.monitoring.ranges import parse_range

DEFAULT_DAYS = 30
TOP_UPS_SHOWN = 50


def usage(app: Application, query: dict[str, str]) -> dict[str, Any]:
    span = parse_range(query, app.zone(), default_days=DEFAULT_DAYS)
    channels = applications.channel_names(app)
    left = quota.balances(app.application_id, channels)
    alerts = quota_alerts.alerts_of(app)
    percents = quota_alerts.percents_of(app)
    recent = quota.top_ups(app.application_id, TOP_UPS_SHOWN)
    result = []
    for channel in [c for c in CHANNELS if c in channels]:
        by_day = daily_usage(app.application_id, channel, span.days())
        # Messages accepted that day; an SMS of several segments counts once here (its units are its cost).
        series = [{"date": day, "messages": sum(counts.values()), "refunded": refunded}
                  for day, (counts, refunded) in by_day.items()]
        threshold = alerts.get(channel)
        result.append({"channel": channel, "quota_remaining": left[channel], "alert_at": threshold,
                       "alert_percent": percents.get(channel),
                       "percent_base": quota_alerts.percent_base(app.application_id, channel, recent),
                       "low": threshold is not None and left[channel] <= threshold,
                       "messages": sum(d["messages"] for d in series),
                       "refunded": sum(d["refunded"] for d in series), "series": series})
    top_ups = [{"top_up_id": t.top_up_id, "channel": t.channel, "amount": int(t.amount), "at": t.created_at}
               for t in recent]
    return {"from": clock.iso(span.start), "to": clock.iso(span.end), "channels": result, "top_ups": top_ups}
