"""Background jobs that slices hand to each other through the dispatch queue, by name, so that
the slice asking needs no import of the slice doing (workers.py routes each name to its handler)."""
from __future__ import annotations

from typing import Any

from chalicelib.core import aws
from chalicelib.core.config import get_settings

# {"application_id", "old_zone", "changed_at", and the place reached}: regroup an application's
# daily counters (messages.recount), page by page, each job handing on to the next.
RECOUNT = "recount"


def enqueue(kind: str, payload: dict[str, Any], *, delay_seconds: int = 0) -> None:
    aws.send_to_queue(get_settings().dispatch_queue_name, {"job": kind, **payload},
                      delay_seconds=min(max(0, delay_seconds), 900))
