"""Recompute an application's daily counters from its messages, for repair after a bug and
after a time-zone change (counters are per local day).

Reads with Query per application and channel (never Scan), fixes each message's `day` for the
application's zone, and sets every counter item to its recount, zeroing the ones that no longer
match a message. Sends made while it runs may be counted twice or not at all; run it again, or
when traffic is quiet, for an exact result.
"""
from __future__ import annotations

from collections import Counter as Tally
from typing import Any

from chalicelib.applications import service as applications
from chalicelib.applications.models import Application
from chalicelib.core import clock
from chalicelib.messages.models import Counter, Message, app_channel_key
from chalicelib.messages.transitions import local_day


def recount(application_id: str) -> dict[str, Any]:
    app = Application.get(application_id, consistent_read=True)
    zone = app.zone()
    summary: dict[str, Any] = {"application_id": application_id, "timezone": zone, "channels": {}}
    for channel in applications.channel_names(app):
        tally: dict[str, Tally[str]] = {}
        moved = 0
        pk = app_channel_key(application_id, channel)
        for message in Message.by_app_channel.query(pk):
            day = local_day(clock.parse_iso(message.created_at), zone)
            if message.day != day:
                Message(message.message_id).update(actions=[Message.day.set(day)])
                moved += 1
            tally.setdefault(day, Tally())[message.status] += 1
        existing = {item.sk: item.counts() for item in Counter.query(pk)}
        changed = 0
        for day in set(existing) | set(tally):
            counts = dict(tally.get(day, {}))
            if existing.get(day, {}) != counts:
                item = Counter(pk, day)
                for word, n in counts.items():
                    item.set_count(word, n)
                item.save()  # replaces the whole item: words no longer counted go back to nothing
                changed += 1
        summary["channels"][channel] = {"messages": sum(sum(t.values()) for t in tally.values()),
                                        "days_moved": moved, "days_changed": changed}
    return summary
