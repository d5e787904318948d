"""A provider whose every send raises the same error: unavailable, refused, or a Lambda that dies in the call."""
from __future__ import annotations


class FailingProvider:
    def __init__(self, name: str, error: Exception) -> None:
        self.name, self.error = name, error

    def send(self, outbound) -> str:
        raise self.error
