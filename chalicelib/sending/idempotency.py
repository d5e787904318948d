"""Idempotency-Key for sends: a repeat within 24 hours gets the first answer back (marked
`Idempotent-Replayed: true`) and sends and debits nothing.

The record is written in the same transaction as the send's message, so a send is recorded
at most once whatever fails after that write (a provider timeout, the outbox, a Lambda
timeout): the client's retry finds the record. Nothing is written before: a request refused
before its write (bad input, quota, rate limit) leaves no record, so the client can fix it and
retry with the same key. Two copies racing with one key both try the transaction; one wins,
the other gives its debit back and answers the winner's body. The same key with another body
is 422. Powertools' Idempotency utility is not used here: it keeps its own record apart from
the message and deletes it when anything after the write raises, which made a retry send
twice, and it costs two more calls per send.

"The same body" is the body as the route reads it, never its bytes: the fields once parsed (bracket
keys nested) and each file's name, filename, Content-Type and bytes, hashed in one canonical form
(JSON with sorted keys and no whitespace). So, within one route and key:
- JSON: the order of keys and the whitespace do not matter; every value and its type does
  ("081234567890" and 81234567890 are two bodies).
- urlencoded: the order of fields and how a character is spelled (`+`, `%20`) do not matter.
- multipart: the boundary (every client picks a new one per request), the order of parts and how
  their headers are written do not matter; a file with other bytes, filename or type is another body.
- The same fields in another encoding (a retry as JSON of a form, or as multipart of a urlencoded
  body) are the same body: the route reads the same thing.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from chalicelib.core import clock
from chalicelib.core.errors import UNPROCESSABLE, ApiError, bad_parameter
from chalicelib.sending.models import IdempotencyRecord, idempotency_id

MAX_KEY_LENGTH = 255
TTL_SECONDS = 24 * 3600
HEADER = "Idempotency-Key"


class Claim(NamedTuple):
    """A send asked to happen once: where its record goes and the hash of the body it carries."""
    record_id: str
    body_hash: str
    raw_hash: str  # what records written before the canonical hash hold (they expire within 24 h)
    ttl_seconds: int = TTL_SECONDS  # a broadcast's claims live as long as a broadcast can


class Replay(NamedTuple):
    message_id: str
    body: dict[str, Any]


def check_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or len(value) > MAX_KEY_LENGTH or not value.isprintable():
        raise bad_parameter(HEADER, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters")
    return value


def body_hash(fields: dict[str, Any], files: dict[str, tuple[str, str, bytes]]) -> str:
    """The hash of a parsed body in canonical form (see the module's docstring)."""
    canonical = {"fields": fields,
                 "files": {name: [filename, content_type, hashlib.sha256(data).hexdigest()]
                           for name, (filename, content_type, data) in files.items()}}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "c1:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def claim(key: str | None, scope: str, fields: dict[str, Any], files: dict[str, tuple[str, str, bytes]],
          raw_body: bytes) -> Claim | None:
    if key is None:
        return None
    return Claim(idempotency_id(scope, key), body_hash(fields, files), hashlib.sha256(raw_body).hexdigest())


def record(claim: Claim, message_id: str, body: dict[str, Any]) -> IdempotencyRecord:
    """The record the send's transaction puts (on condition no live one exists)."""
    now = clock.epoch()
    return IdempotencyRecord(claim.record_id, body_hash=claim.body_hash, message_id=message_id,
                             response=json.dumps(body, separators=(",", ":")), created_at=clock.now_iso(),
                             expiration=int(now) + claim.ttl_seconds)


def live_record_condition() -> Any:
    """A record may be written when none exists or the one there has expired (TTL is lazy)."""
    return IdempotencyRecord.id.does_not_exist() | (IdempotencyRecord.expiration < int(clock.epoch()))


def replay_of(claim: Claim, existing: IdempotencyRecord) -> Replay:
    """The first answer, or 422 when the key came with another body."""
    if existing.body_hash not in (claim.body_hash, claim.raw_hash):
        raise ApiError(UNPROCESSABLE, "This Idempotency-Key was used with a different body", field=HEADER)
    return Replay(existing.message_id, json.loads(existing.response))


def from_raw(raw_item: dict[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord.from_raw_data(raw_item)


def _live(claim: Claim) -> Replay | None:
    try:
        existing = IdempotencyRecord.get(claim.record_id, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return None
    if existing.expiration < clock.epoch():
        return None
    return replay_of(claim, existing)


def find(claim: Claim) -> Replay | None:
    """The live record for this claim, if any (read only when a send was refused before its
    write: a replay must get its first answer even if today the same request would be refused).
    None as well when the record cannot be read: the refusal then stands."""
    from pynamodb.exceptions import GetError

    try:
        return _live(claim)
    except GetError:
        return None


def recorded(claim: Claim) -> Replay | None:
    """The live record for this claim, read before the send is prepared: for a route whose
    preparation writes state of its own (Verify's start records a verification and cancels the
    recipient's pending one), a repeat must be answered before that happens. A read that fails
    is a 503: preparing anyway could undo what the first answer promised."""
    from pynamodb.exceptions import GetError

    from chalicelib.core.db import busy, throttled

    try:
        return _live(claim)
    except GetError as error:
        raise busy(error) or throttled() from None
