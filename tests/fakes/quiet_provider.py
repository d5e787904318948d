"""A provider that accepts every send and emits nothing, so only the events a test sends move a message."""
from __future__ import annotations


class QuietProvider:
    name = "quiet"

    def send(self, outbound) -> str:
        return "quiet-" + outbound.message_id
