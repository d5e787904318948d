"""The messages table's stream, read for status changes: each record's old and new image as
plain Python values, handed to callbacks.service.on_status_changes in one batch.

Records come at least once and a failed batch comes again whole; on_status_changes creates
each delivery at most once, so a repeat does nothing. (When the messages slice observes status
changes from this stream itself, this module is replaced by a hook there.)
"""
from __future__ import annotations

from typing import Any

from chalicelib.callbacks import service


def _plain(image: dict[str, Any] | None) -> dict[str, Any] | None:
    if not image:
        return None
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in image.items()}


def changes(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    return [(_plain(r["dynamodb"].get("OldImage")), _plain(r["dynamodb"].get("NewImage")))
            for r in records if r.get("eventName") in ("INSERT", "MODIFY")]


def handle(records: list[dict[str, Any]]) -> int:
    """Lambda's stream handler body; returns how many deliveries were created."""
    return service.on_status_changes(changes(records))
