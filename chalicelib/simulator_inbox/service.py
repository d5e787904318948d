"""Recording what the simulator delivered (from the simulator queue) and listing it for the
owner of the applications that sent it."""
from __future__ import annotations

from typing import Any

from chalicelib.accounts.service import Principal
from chalicelib.applications import service as applications
from chalicelib.core import clock
from chalicelib.core.db import plain
from chalicelib.messages.models import Message
from chalicelib.simulator_inbox.models import KEEP_DAYS, InboxEntry

READ_LIMIT = 500   # per application and listing: this is a developer's inbox, not an archive


def record(entry: dict[str, Any]) -> None:
    try:
        message = Message.get(entry["message_id"])
    except Message.DoesNotExist:
        return
    InboxEntry(message.application_id, entry["message_id"], channel=entry["channel"], to=entry["to"],
               at=clock.now_iso(), body=entry.get("body") or {},
               expires_ttl=int(clock.epoch()) + KEEP_DAYS * 86400).save()


def render(entry: InboxEntry) -> dict[str, Any]:
    return {"message_id": entry.message_id, "application_id": entry.application_id, "channel": entry.channel,
            "to": entry.to, "at": entry.at, "body": plain(entry.body) if entry.body else {}}


def messages(owner: Principal, to: str | None, channel: str | None, limit: int) -> list[dict[str, Any]]:
    """The owner's applications' messages, newest first, filtered by recipient and channel."""
    found: list[InboxEntry] = []
    for app in applications.list_owned(owner):
        for entry in InboxEntry.query(app.application_id, scan_index_forward=False, limit=READ_LIMIT):
            if (channel is None or entry.channel == channel) and (to is None or entry.to == to):
                found.append(entry)
    found.sort(key=lambda e: e.message_id, reverse=True)
    return [render(entry) for entry in found[:limit]]
