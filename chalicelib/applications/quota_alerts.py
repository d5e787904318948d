"""Quota alerts: "tell me when this channel has N units left or fewer".

The threshold is the owner's, per channel (Application.quota_alerts). Crossing it is noticed by
the quota reconciler's minute run, for the channels it reconciled (every channel that sent,
about GRACE after it sent): a send adds no DynamoDB call, and a quiet channel's quota does not
move. The price: an alert comes up to GRACE + a minute after the send that crossed it.

Each crossing is counted on the application (Application.quota_crossings: odd while below the
threshold), and its callback event is keyed by that count, so a crossing makes one `quota.low`
event however often the reconciler runs; climbing back above (a top-up) arms the next one.

An alert may be set as a percentage ("tell me at 10% left"): of the channel's last top-up, since that is
what the owner bought last time (a full tank), or of the starting quota before any top-up. Its units are
computed when it is set and again after each top-up of the channel (`follow_top_up`), so the reconciler's
check stays the same comparison of units.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from chalicelib.applications import quota
from chalicelib.applications import service as applications
from chalicelib.applications.models import Application
from chalicelib.core import validation
from chalicelib.core.config import get_settings
from chalicelib.core.channels import CHANNELS
from chalicelib.core.errors import bad_parameter
from chalicelib.core.db import update_if

MAX_UNITS = 100_000_000


class Crossing(NamedTuple):
    application_id: str
    channel: str
    number: int          # this crossing's count (odd): the event's key
    quota_remaining: int
    alert_at: int


def alerts_of(app: Application) -> dict[str, int]:
    return {channel: int(units) for channel, units in (app.quota_alerts.as_dict() if app.quota_alerts else {}).items()}


def percents_of(app: Application) -> dict[str, int]:
    return {c: int(p) for c, p in (app.quota_alert_percents.as_dict() if app.quota_alert_percents else {}).items()}


def percent_base(application_id: str, channel: str, top_ups: list[Any] | None = None) -> int:
    """What a percentage alert is a share of: the channel's last top-up (among `top_ups`, newest first, or
    one Query of the application's newest top-ups), else the starting quota."""
    for top_up in quota.top_ups(application_id) if top_ups is None else top_ups:
        if top_up.channel == channel:
            return int(top_up.amount)
    return get_settings().default_quota


def _units(percent: int, base: int) -> int:
    return math.ceil(percent * base / 100)


def _crossings_of(app: Application) -> dict[str, int]:
    return {c: int(n) for c, n in (app.quota_crossings.as_dict() if app.quota_crossings else {}).items()}


def set_alert(app: Application, body: dict[str, Any]) -> Application:
    """{channel, alert_at: units or null (no alert)} or {channel, alert_percent: 1-100}: the channel's
    threshold."""
    channel = validation.string(body, "channel", max_len=20)
    if channel not in CHANNELS:
        raise bad_parameter("channel", f"channel must be one of: {', '.join(CHANNELS)}")
    applications.channel_state(app, channel)
    percent = body.get("alert_percent")
    if percent is not None:
        if "alert_at" in body and body["alert_at"] is not None:
            raise bad_parameter("alert_percent", "send alert_at or alert_percent, not both")
        if not isinstance(percent, int) or isinstance(percent, bool) or not 1 <= percent <= 100:
            raise bad_parameter("alert_percent", "alert_percent must be a whole number from 1 to 100, or null")
        units = _units(percent, percent_base(app.application_id, channel))
    else:
        units = body.get("alert_at")
        if units is not None and (not isinstance(units, int) or isinstance(units, bool) or not 0 <= units <= MAX_UNITS):
            raise bad_parameter("alert_at", f"alert_at must be a whole number from 0 to {MAX_UNITS}, or null")
    alerts = {c: n for c, n in {**alerts_of(app), channel: units}.items() if n is not None}
    percents = {c: p for c, p in {**percents_of(app), channel: percent}.items() if p is not None}
    actions = [Application.quota_alerts.set(alerts), Application.quota_alert_percents.set(percents)]
    if app.quota_crossings is None:
        actions.append(Application.quota_crossings.set({}))  # mark() counts in it
    update_if(app, actions, Application.application_id.exists(), mark=Application.write_id)
    app.quota_alerts = alerts
    app.quota_alert_percents = percents
    return app


def follow_top_up(application_id: str, channel: str, amount: int) -> None:
    """After a top-up of `amount` (the index of top-ups may not show it yet): a percentage alert of the
    channel becomes that share of it, in units. Written on condition the percentage is still the one read;
    the same top-up sent again writes the same units again."""
    app = Application.get(application_id, consistent_read=True)
    percent = percents_of(app).get(channel)
    if percent is None:
        return
    units = _units(percent, amount)
    if alerts_of(app).get(channel) == units:
        return
    update_if(Application(application_id), [Application.quota_alerts[channel].set(units)],
              Application.application_id.exists() & (Application.quota_alert_percents[channel] == percent))


def crossings(channels: set[tuple[str, str]]) -> list[Crossing]:
    """The new crossings among these (application, channel) pairs; also arms again each channel
    back above its threshold. One BatchGetItem of the applications, one of each one's balances."""
    apps = applications.get_many({application_id for application_id, _ in channels})
    found = []
    for app in apps.values():
        alerts, counts = alerts_of(app), _crossings_of(app)
        wanted = [c for a, c in channels if a == app.application_id and c in alerts]
        if not wanted:
            continue
        left = quota.balances(app.application_id, wanted)
        for channel in wanted:
            below, count = left[channel] <= alerts[channel], counts.get(channel, 0)
            if below and count % 2 == 0:
                found.append(Crossing(app.application_id, channel, count + 1, left[channel], alerts[channel]))
            elif not below and count % 2 == 1:
                mark(app.application_id, channel, count + 1)  # back above: the next crossing will tell
    return found


def mark(application_id: str, channel: str, number: int) -> bool:
    """Count a crossing (or a climb back), on condition the count is still the one before it."""
    count = Application.quota_crossings[channel]
    before = (count.does_not_exist() | (count == 0)) if number == 1 else (count == number - 1)
    return update_if(Application(application_id), [count.set(number)], Application.application_id.exists() & before)
