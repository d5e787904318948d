"""Messages whose status moves while a reader reads them: SMS messages written as the send path leaves
them, and moves made between two of the reader's DynamoDB Queries (a botocore hook through local.faults)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Callable, Iterator

from ulid import ULID

from chalicelib.core import clock
from chalicelib.core.config import get_settings
from chalicelib.messages import transitions
from chalicelib.messages.models import Message, index_keys
from local import faults

_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def put_messages(app_id: str, statuses: list[str], start: datetime) -> list[str]:
    """One SMS message per status, a second apart from `start`; message i is in shard i mod 8 (its id's
    last character), so they spread over every shard. Returns their ids, in id order."""
    ids = []
    for i, status in enumerate(statuses):
        moment = start + timedelta(seconds=i)
        message_id = str(ULID.from_timestamp(moment.timestamp()))[:-1] + _ULID_ALPHABET[i % 8]
        at = clock.iso(moment)
        Message(message_id, application_id=app_id, channel="sms", target=f"+62812{i:07d}", status=status,
                created_at=at, updated_at=at, day=at[:10], cost=1, history=[],
                details={"message_body": f"Halo {i}", "total_sms": 1},
                **index_keys(app_id, "sms", status, message_id)).save()
        ids.append(message_id)
    return ids


def move(message_id: str, status: str) -> None:
    """A status event's write (forward only, as status_updates makes it)."""
    message = Message.get(message_id, consistent_read=True)
    assert transitions.move(message, status, {"status": status, "at": clock.now_iso(), "provider_status": "TEST"})


def move_all_at(when: int, message_ids: list[str], status: str) -> Callable[[int], None]:
    """An action for before_queries: before the when-th Query, these messages move to `status`."""
    def action(n: int) -> None:
        if n == when:
            for message_id in message_ids:
                move(message_id, status)
    return action


@contextmanager
def before_queries(action: Callable[[int], None]) -> Iterator[list[int]]:
    """Calls action(n) before the reader's n-th Query of the messages table (n from 1); yields the count."""
    table = get_settings().messages_table
    count = [0]

    def hook(call: dict) -> None:
        count[0] += 1
        action(count[0])

    with faults.injected("dynamodb", "Query", action=hook, then_call=True, times=10**9,
                         when=lambda call: call.get("TableName") == table):
        yield count
