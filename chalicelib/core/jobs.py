"""Background jobs that slices hand to each other through the dispatch queue, by name, so that
the slice asking needs no import of the slice doing (workers.py routes each name to its handler)."""
from __future__ import annotations

from typing import Any

from chalicelib.core import aws
from chalicelib.core.config import get_settings

RECOUNT = "recount"      # {"application_id"}: regroup an application's daily counters


def enqueue(kind: str, payload: dict[str, Any]) -> None:
    aws.send_to_queue(get_settings().dispatch_queue_name, {"job": kind, **payload})
