"""A message's status change as the event its callback carries (plain data in, plain data out).

The event is `{type: "message.status", timestamp, data: {message_id, application_id, channel,
status, provider_status, at, sequence}}`. `sequence` counts the message's statuses (1 for the
status it was accepted in, then 2, 3...): statuses only move forward, so a receiver that gets
events out of order keeps the one with the highest sequence and drops the rest.
"""
from __future__ import annotations

from typing import Any

EVENT_TYPE = "message.status"
QUOTA_LOW = "quota.low"
_QUOTA_LOW_PREFIX = "quota-low."


def quota_low_key(application_id: str, channel: str) -> str:
    """The delivery key (in place of a message id) of a channel's quota.low events; the crossing's
    number is its sequence."""
    return f"{_QUOTA_LOW_PREFIX}{application_id}.{channel}"


def quota_low_event(application_id: str, channel: str, at: str, quota_remaining: int, alert_at: int
                    ) -> dict[str, Any]:
    return {"type": QUOTA_LOW, "timestamp": at,
            "data": {"application_id": application_id, "channel": channel, "quota_remaining": quota_remaining,
                     "alert_at": alert_at, "at": at}}


def sequence_of(history: list[dict[str, Any]]) -> int:
    """How many statuses the message has had: each status move appends one history entry with
    the new word; entries that changed nothing repeat the current word and are not counted."""
    count, last = 0, None
    for entry in history or []:
        status = entry.get("status")
        if status and status != last:
            count, last = count + 1, status
    return count


def changed(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> bool:
    """Whether this write gave the message a new status (its first one included)."""
    if not new_image or not new_image.get("status"):
        return False
    return not old_image or old_image.get("status") != new_image.get("status")


def status_event(new_image: dict[str, Any]) -> dict[str, Any]:
    """The event for the message's current status, from its image (a stream's NewImage as plain
    Python values). The provider status is that of the history entry that made the move."""
    history = list(new_image.get("history") or [])
    # The first entry with the current word is the move; later ones with it changed nothing.
    move = next((h for h in history if h.get("status") == new_image["status"]), {})
    at = move.get("at") or new_image.get("updated_at")
    data = {"message_id": new_image["message_id"], "application_id": new_image["application_id"],
            "channel": new_image["channel"], "status": new_image["status"],
            "provider_status": move.get("provider_status"), "at": at, "sequence": sequence_of(history)}
    broadcast_id = (new_image.get("details") or {}).get("broadcast_id")
    if broadcast_id:  # a broadcast's message (docs/broadcasts.md)
        data["broadcast_id"] = broadcast_id
    return {"type": EVENT_TYPE, "timestamp": at, "data": data}
