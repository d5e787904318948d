"""A broadcast's progress from its messages' changes (messages.changes.add_to_commit): messages
written (`sent`) and how many are in each status now, updated in the stream consumer's own
transaction, so each change counts exactly once and the numbers equal a recount."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from chalicelib.broadcasts.models import Broadcast


def updates(changes: list[Any]) -> list[tuple[Any, list[Any]]]:
    deltas: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for change in changes:
        broadcast_id = (change.message.get("details") or {}).get("broadcast_id")
        if not broadcast_id:
            continue
        counted = deltas[(change.application_id, str(broadcast_id))]
        if change.old_status is None:
            counted[""] += 1
        else:
            counted[change.old_status] -= 1
        counted[change.new_status] += 1
    items = []
    for (application_id, broadcast_id), counted in deltas.items():
        actions = [Broadcast.sent.add(n) if word == "" else Broadcast.count_of(word).add(n)
                   for word, n in counted.items() if n]
        if actions:
            items.append((Broadcast(application_id, broadcast_id), actions))
    return items
