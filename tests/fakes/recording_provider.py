"""Providers that take every send and remember it: `sent` is what reached them, in order.

RecordingProvider cannot be asked whether it has a message (like End User Messaging, SES and
Meta); AskableProvider can (`lookup`, like the simulator). With `lose_answers`, a send is taken
and then answered with ProviderUnsure, as when the provider's answer never reached Kirim."""
from __future__ import annotations

from chalicelib.providers.base import ProviderUnsure


class RecordingProvider:
    name = "recording"

    def __init__(self, lose_answers: int = 0) -> None:
        self.sent: list[str] = []
        self.lose_answers = lose_answers

    def send(self, outbound) -> str:
        self.sent.append(outbound.message_id)
        if self.lose_answers:
            self.lose_answers -= 1
            raise ProviderUnsure("read timed out (the provider took it)")
        return "rec-" + outbound.message_id


class AskableProvider(RecordingProvider):
    name = "askable"

    def lookup(self, message_id: str) -> bool:
        return message_id in self.sent
