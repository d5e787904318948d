"""The two values every channel's send passes around, kept light so routes can import them
without the send pipeline's heavier modules."""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from chalicelib.core.clock import DEFAULT_TIMEZONE
from chalicelib.core.config import get_settings
from chalicelib.providers.base import Outbound


class Sender(NamedTuple):
    """Who sends: an application's channel and the settings that shape its sends."""
    application_id: str
    channel: str
    timezone: str = DEFAULT_TIMEZONE
    rate_limit: int = 25
    sender_ids: frozenset[str] = frozenset()
    caller_ids: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, application_id: str, channel: str, settings: dict[str, Any]) -> "Sender":
        return cls(application_id, channel, settings.get("timezone") or DEFAULT_TIMEZONE,
                   int(settings.get("rate_limit") or get_settings().limits.default_rate_limit),
                   frozenset(settings.get("sender_ids") or ()), frozenset(settings.get("caller_ids") or ()))


class Prepared(NamedTuple):
    """A validated send request: its target, stored details, quota cost and how to build the
    provider's request once the message id is known."""
    target: str
    outbound: Callable[[str], Outbound]
    details: dict[str, Any]
    cost: int = 1
