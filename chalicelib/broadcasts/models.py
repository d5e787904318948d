"""The broadcasts table, one partition per application, three kinds of item by their sort key:
- `bc_<ULID>`: a broadcast (newest first by its time-ordered id);
- `chunk#bc_<ULID>#00042`: the cursor of one chunk of a broadcast's run (how far its worker got);
- `sup#<target>`: one entry of the application's suppression list (BatchGet by target);
and one item of the stage's own, `#stage` / `tier#whatsapp`: the WhatsApp messaging-tier window every
application's broadcasts share (the stage sends WhatsApp through one Meta number).
`by_due` (sparse, keys only) holds broadcasts the pacer must look at, by status and when: nothing Scans."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.db import strings, table
from chalicelib.messages.status_rules import ALL_WORDS

BROADCAST_PREFIX = "bc_"
CHUNK_PREFIX = "chunk#"
SUPPRESSION_PREFIX = "sup#"


def chunk_prefix(broadcast_id: str) -> str:
    """Every chunk cursor of one broadcast sorts under this (a Query finds them all)."""
    return f"{CHUNK_PREFIX}{broadcast_id}#"


def chunk_sk(broadcast_id: str, number: int) -> str:
    return f"{chunk_prefix(broadcast_id)}{number:05d}"


def suppression_sk(target: str) -> str:
    return SUPPRESSION_PREFIX + target


class ByDue(GlobalSecondaryIndex):
    """Scheduled, running and paused-for-a-reason broadcasts by status and by when the pacer must
    look at them (`due_at`, epoch seconds). Sparse: a broadcast nobody waits for drops `due_at`."""

    class Meta:
        index_name = "by_due"
        projection = KeysOnlyProjection()

    status = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class _BroadcastItem(Model):
    """A broadcast; `Broadcast` below adds one number per status word and per reason not sent."""

    Meta = table("broadcasts_table")

    application_id = UnicodeAttribute(hash_key=True)
    broadcast_id = UnicodeAttribute(range_key=True)
    name, channel, status, created_at, updated_at = strings(5)
    status_reason = UnicodeAttribute(null=True)
    # JSON documents, as the API shows them (content, file, mapping, validation, schedule).
    content, schedule = strings(2)
    file, mapping, validation = strings(3, null=True)
    started_at, completed_at = strings(2, null=True)
    links_base = UnicodeAttribute(null=True)    # the API's address at creation: email unsubscribe links
    due_at = NumberAttribute(null=True)
    write_id = UnicodeAttribute(null=True)      # core.db.update_if's mark
    # The run: chunks written by validation, the next one the pacer queues, the ones finished.
    chunks = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    next_chunk = NumberAttribute(default=0)
    chunks_done = NumberAttribute(default=0)
    # Progress: messages written and their statuses now (by the messages stream consumer, once per
    # change: broadcasts.progress), and recipients not sent by reason (by the worker, with its cursor).
    sent = NumberAttribute(default=0)
    by_due = ByDue()

    @classmethod
    def count_of(cls, word: str) -> NumberAttribute:
        return _COUNTS[word]

    @classmethod
    def not_sent_of(cls, reason: str) -> NumberAttribute:
        return _NOT_SENT[reason]

    def counts(self) -> dict[str, int]:
        return {word: int(getattr(self, _python_name("status", word)) or 0) for word in _COUNTS}

    def not_sent(self) -> dict[str, int]:
        return {reason: int(getattr(self, _python_name("not_sent", reason)) or 0) for reason in _NOT_SENT}


def _python_name(prefix: str, word: str) -> str:
    return prefix + "_" + word.lower().replace(" ", "_")


# One number per status word (stored as "status:<word>") and per reason a recipient was not sent.
NOT_SENT_REASONS = ("invalid",)
_COUNTS = {word: NumberAttribute(attr_name="status:" + word, null=True) for word in ALL_WORDS}
_NOT_SENT = {reason: NumberAttribute(attr_name="not_sent:" + reason, null=True) for reason in NOT_SENT_REASONS}
Broadcast = type("Broadcast", (_BroadcastItem,), {
    **{_python_name("status", word): a for word, a in _COUNTS.items()},
    **{_python_name("not_sent", reason): a for reason, a in _NOT_SENT.items()}})


class Chunk(Model):
    """How far the run of one chunk got: `cursor` recipients done; `state` open | held | done
    (held: stopped by a pause or quota, queued again by resume)."""

    Meta = table("broadcasts_table")

    application_id = UnicodeAttribute(hash_key=True)
    broadcast_id = UnicodeAttribute(range_key=True)   # chunk_sk(...)
    state = UnicodeAttribute(default="open")
    cursor = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    write_id = UnicodeAttribute(null=True)   # the last save's own mark: a lost answer is told from a race


class Suppression(Model):
    Meta = table("broadcasts_table")

    application_id = UnicodeAttribute(hash_key=True)
    broadcast_id = UnicodeAttribute(range_key=True)   # suppression_sk(target)
    target, reason, created_at = strings(3)



TIER_PARTITION, WHATSAPP_TIER = "#stage", "tier#whatsapp"   # no application id starts with "#"


class TierWindow(Model):
    """Recipients queued by WhatsApp broadcasts since `since` (a 24-hour window), of every application:
    Meta's messaging tier belongs to the sending number, and the stage has one."""

    Meta = table("broadcasts_table")

    application_id = UnicodeAttribute(hash_key=True, default=TIER_PARTITION)
    broadcast_id = UnicodeAttribute(range_key=True, default=WHATSAPP_TIER)
    since = NumberAttribute(null=True)
    used = NumberAttribute(default=0)
