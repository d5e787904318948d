"""The writes that change a message after it was sent, each one conditional UpdateItem on the
message alone (no transaction, no shared item):

- move: change a message's status, on condition nobody moved it meanwhile; a failure that is
  not billed also sets `refunded_at`, on condition it was never set, so a refund happens at
  most once per message;
- note: append a provider event that changes no status word to the history.

Either write also settles the message's dispatch (a provider event proves the provider has it),
which takes it out of the sweep index. The counters and the quota follow from the messages
table's stream (messages.changes), so they count each move exactly once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core import clock
from chalicelib.core.channels import WHATSAPP
from chalicelib.core.db import update_if
from chalicelib.messages.models import Message, shard_of, status_key

HISTORY_LIMIT = 50
DONE = "done"


def local_day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def settle_actions() -> list[Any]:
    """The actions that mark a message's dispatch settled (out of the sweep index)."""
    return [Message.dispatch.set(DONE), Message.sweep.remove(), Message.sweep_at.remove(),
            Message.lease_until.remove()]


def settled_dispatch(message: Message) -> list[Any]:
    """settle_actions(), when the message (as read) is not settled yet."""
    if message.sweep is None and message.dispatch in (None, DONE):
        return []
    return settle_actions()


def _update(message: Message, actions: list[Any], condition: Any) -> bool:
    """False when the condition failed (the message changed since it was read)."""
    return update_if(Message(message.message_id), actions, condition, "this message")


def move(message: Message, new_status: str, entry: dict[str, Any], *, refund: bool = False,
         provider_message_id: str | None = None, expect_dispatch: str | None = None) -> bool:
    """Returns False when the message's status changed since it was read (read again, retry),
    or its dispatch is no longer `expect_dispatch` when that is given."""
    actions = [Message.status.set(new_status),
               Message.app_channel_status.set(status_key(message.application_id, message.channel, new_status,
                                                          shard_of(message.message_id))),
               Message.updated_at.set(entry["at"]),
               Message.history.set((Message.history | []).append([entry])), *settled_dispatch(message)]
    condition = Message.status == message.status
    if provider_message_id:
        actions.append(Message.provider_message_id.set(provider_message_id))
        if message.channel == WHATSAPP:   # by_wamid: only WhatsApp replies look a message up by it
            actions.append(Message.wamid.set(provider_message_id))
    if refund:
        actions.append(Message.refunded_at.set(clock.now_iso()))
        condition &= Message.refunded_at.does_not_exist()
    if expect_dispatch is not None:
        condition &= (Message.dispatch == expect_dispatch) & (Message.attempts == int(message.attempts or 1))
    return _update(message, actions, condition)


def note(message: Message, entry: dict[str, Any], *, provider_message_id: str | None = None) -> bool:
    """Keep a provider event in the history without a status change (capped, so a message
    opened a thousand times does not grow without bound). A WhatsApp message not named yet takes
    Meta's id here too: its `sent` usually changes no status, and a reply may name it."""
    actions = []
    if provider_message_id and message.channel == WHATSAPP and message.wamid is None:
        actions += [Message.provider_message_id.set(provider_message_id), Message.wamid.set(provider_message_id)]
    if len(message.history or []) < HISTORY_LIMIT:
        actions += [Message.history.set((Message.history | []).append([entry])), *settled_dispatch(message)]
    if not actions:
        return True
    return _update(message, actions, Message.status == message.status)
