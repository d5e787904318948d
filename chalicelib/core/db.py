"""The PynamoDB base every slice's models.py builds on: one configuration for all tables, the
connection for transactions, and a shorthand for global secondary indexes.

Each slice's models.py is the only code that knows its table's key layout; nothing ever scans.
"""
from __future__ import annotations

import os
import secrets
from functools import lru_cache
from typing import Any

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TableError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, Projection

from chalicelib.core.config import get_settings
from chalicelib.core.errors import TOO_MANY_CONCURRENT, ApiError

# Lambda answers within seconds, so DynamoDB calls fail fast: 2 attempts x (1 s + 3 s) + 1 s
# backoff = 9 s at worst (docs/operating.md#timeouts); a test that floods a local moto server
# with 200 threads can allow more (DYNAMODB_READ_TIMEOUT, DYNAMODB_CONNECT_TIMEOUT).
_READ_TIMEOUT = float(os.environ.get("DYNAMODB_READ_TIMEOUT", "3"))
_CONNECT_TIMEOUT = float(os.environ.get("DYNAMODB_CONNECT_TIMEOUT", "1"))
MAX_RETRY_ATTEMPTS = 1


class BaseMeta:
    """What every model's Meta shares (see table())."""
    region = get_settings().region
    connect_timeout_seconds = _CONNECT_TIMEOUT
    read_timeout_seconds = _READ_TIMEOUT
    max_retry_attempts = MAX_RETRY_ATTEMPTS


def table(setting: str) -> type:
    """A model's Meta for one of the stack's tables, named by its Settings field:
    `Meta = table("users_table")`."""
    return type("Meta", (BaseMeta,), {"table_name": getattr(get_settings(), setting)})


@lru_cache(maxsize=1)
def connection() -> Connection:
    """The connection for transactions, configured like the models' and made once: a new
    Connection would build a new botocore session and client, tens of milliseconds each."""
    return Connection(region=get_settings().region, connect_timeout_seconds=_CONNECT_TIMEOUT,
                      read_timeout_seconds=_READ_TIMEOUT, max_retry_attempts=MAX_RETRY_ATTEMPTS)


def index(name: str, hash_key: str, range_key: str | None = None, *,
          projection: Projection | None = None) -> GlobalSecondaryIndex:
    """A global secondary index on string keys, as `by_owner = index("by_owner", "owner_id", "created_at")`."""
    meta = type("Meta", (), {"index_name": name, "projection": projection or AllProjection()})
    body: dict[str, Any] = {"Meta": meta, hash_key: UnicodeAttribute(hash_key=True)}
    if range_key:
        body[range_key] = UnicodeAttribute(range_key=True)
    cls: type[GlobalSecondaryIndex] = type(f"Index_{name}", (GlobalSecondaryIndex,), body)
    return cls()


def strings(count: int, **options: Any) -> tuple[UnicodeAttribute, ...]:
    """Several string attributes alike, declared in one line: `user_id, name, created_at = strings(3)`."""
    return tuple(UnicodeAttribute(**options) for _ in range(count))


def numbers(count: int, **options: Any) -> tuple[NumberAttribute, ...]:
    """Several number attributes alike, in one line: `version, review_at = numbers(2, null=True)`."""
    return tuple(NumberAttribute(**options) for _ in range(count))


def plain(value: Attribute | dict | Any) -> dict[str, Any]:
    """A map attribute's value as a dict (PynamoDB gives MapAttributes or dicts, depending on origin)."""
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


# Real DynamoDB cancels concurrent transactions on one item (TransactionConflict) and refuses a
# plain write to an item inside a running transaction (TransactionConflictException); moto never
# does either. Both are retried a few times with a short randomised backoff inside the request
# (at most CONFLICT_ATTEMPTS tries, about 0.3 s of waiting in all), then answered with a clear
# 429 code 57. Throttling (a partition past its throughput) is retried by botocore first and then
# answered 503 code 57. Either way the caller's write never happened, so nothing is doubled.
#
# A write whose answer was lost (a read timeout, a dropped connection, a 500) may or may not have
# happened, and botocore sends the same call again. A TransactWriteItems is safe (botocore fills
# its ClientRequestToken); a plain UpdateItem is made safe by update_if, one of two ways.
CONFLICT_ATTEMPTS = 6
CONFLICT = "TransactionConflictException"
THROTTLED = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})
FAILED_CONDITION = "ConditionalCheckFailedException"


class Unanswered(ApiError):
    """A write that may or may not have been applied: no answer came, or DynamoDB answered 500.
    Only a read can tell."""

    def __init__(self) -> None:
        super().__init__(TOO_MANY_CONCURRENT, "Kirim's storage did not answer; retry shortly", status=503,
                         headers={"Retry-After": "1"})


def cancellation_reasons(error: Exception) -> list[str | None]:
    """The per-item reasons of a cancelled transaction. PynamoDB sends a transaction's items
    grouped by kind: condition checks, deletes, puts, then updates, each group in the order it
    was added; the reasons follow that order."""
    return [reason.code if reason else None for reason in (getattr(error, "cancellation_reasons", None) or [])]


def error_code(error: BaseException) -> str | None:
    """The DynamoDB error code behind a PynamoDB or botocore exception."""
    code = getattr(error, "cause_response_code", None)
    if code:
        return code
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def unanswered(error: BaseException) -> bool:
    """True when a call's outcome is unknown: no answer (a timeout, a lost connection) or a 500."""
    from botocore.exceptions import ConnectionError as NoConnection
    from botocore.exceptions import HTTPClientError

    causes = (error, error.__cause__, getattr(error, "cause", None))
    return (any(isinstance(cause, (HTTPClientError, NoConnection)) for cause in causes)
            or error_code(error) in ("InternalServerError", "InternalFailure"))


def backoff(attempt: int) -> None:
    import random

    from chalicelib.core import clock

    clock.sleep(random.uniform(0, 0.005 * 2**attempt))


def contended(what: str = "this application") -> ApiError:
    return ApiError(TOO_MANY_CONCURRENT, f"Too many concurrent writes for {what}; retry shortly", status=429,
                    headers={"Retry-After": "1"})


def throttled() -> ApiError:
    return ApiError(TOO_MANY_CONCURRENT, "Kirim's storage is busy; retry shortly", status=503,
                    headers={"Retry-After": "1"})


def busy(error: BaseException) -> ApiError | None:
    """The answer for a write refused because of contention or throttling, or whose outcome is
    unknown (Unanswered), or None for any other error."""
    if unanswered(error):
        return Unanswered()
    code = error_code(error)
    if code in THROTTLED:
        return throttled()
    if code == CONFLICT or "TransactionConflict" in cancellation_reasons(error):
        return contended()
    return None


@lru_cache(maxsize=1)
def _unretried() -> Connection:
    """A connection whose calls botocore never sends twice (see update_if's `once`)."""
    return Connection(region=get_settings().region, connect_timeout_seconds=_CONNECT_TIMEOUT,
                      read_timeout_seconds=_READ_TIMEOUT, max_retry_attempts=0)


def _update_once(item: Any, actions: list[Any], condition: Any) -> None:
    model = type(item)
    table = model.Meta.table_name
    connection = _unretried()
    try:
        connection.get_meta_table(table)
    except TableError:  # first use of this table: the model knows its key schema
        try:
            connection.add_meta_table(model._get_connection().get_meta_table())
        except ValueError:
            pass  # another thread added it meanwhile
    hash_key, range_key = item._get_hash_range_key_serialized_values()
    answer = connection.update_item(table, hash_key, range_key=range_key, actions=actions, condition=condition,
                                    return_values="ALL_NEW")
    item.deserialize(answer["Attributes"])


def update_if(item: Any, actions: list[Any], condition: Any = None, what: str = "this application", *,
              mark: Attribute | None = None, once: bool = False) -> bool:
    """One conditional UpdateItem of a PynamoDB item, the way every slice makes one. Returns False
    when the condition failed. A transaction holding the item for a moment is waited out a few
    times, then answered 429; throttling is 503; an unknown outcome raises Unanswered (503).

    Safe to resend, one of two ways:
    - `mark`, a string attribute of the item: the write also sets it to a value of its own. When
      the condition fails, one strongly consistent read tells whether this very write landed
      earlier (botocore sent it again after its answer was lost); then it is True. For writes on
      an item one holder at a time changes (a claim, a settlement, an approval).
    - `once`: botocore never sends it twice; throttling (refused for sure) is retried here, and
      an unknown outcome raises Unanswered for the caller to resolve. For an ADD on an item many
      writers share, where no mark would survive until the read (the quota, a rate window)."""
    from pynamodb.exceptions import UpdateError

    token = None
    if mark is not None:
        token = secrets.token_hex(8)
        actions = [*actions, mark.set(token)]
    last = None
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            if once:
                _update_once(item, actions, condition)
            else:
                item.update(actions=actions, condition=condition)
            return True
        except UpdateError as error:
            last = error_code(error)
            if last == FAILED_CONDITION:
                return token is not None and _landed(item, mark, token)
            if last != CONFLICT and not (once and last in THROTTLED):
                raise busy(error) or error from None
            backoff(attempt)
    raise throttled() if last in THROTTLED else contended(what)


def _landed(item: Any, mark: Attribute, token: str) -> bool:
    try:
        item.refresh(consistent_read=True)
    except item.DoesNotExist:
        return False
    return getattr(item, mark.attr_name) == token
