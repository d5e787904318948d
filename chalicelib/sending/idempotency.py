"""Idempotency-Key for sends, with Powertools' Idempotency utility on DynamoDB.

The key is scoped to the application and route, and the stored record also holds a hash
of the body: the same key with another body is 422, a duplicate while the first is still
in flight is 409, and a repeat within 24 hours gets the first response back (marked with
`Idempotent-Replayed: true`) without sending or debiting anything. A failed first attempt
(an error answer) is not remembered, so the client can fix it and retry with the same key.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any, Callable

from chalicelib.core.config import get_settings
from chalicelib.core.errors import CONFLICT, UNPROCESSABLE, ApiError, bad_parameter

MAX_KEY_LENGTH = 255
TTL_SECONDS = 24 * 3600
HEADER = "Idempotency-Key"


def _mark_replayed(response: dict[str, Any], _record: Any) -> dict[str, Any]:
    return {**response, "replayed": True}


@lru_cache(maxsize=1)
def _runner() -> tuple[Callable[..., dict[str, Any]], Any]:
    # Imported on first use: boto3 and Powertools' idempotency module cost cold-start time
    # that requests without the header should not pay.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from botocore.config import Config

    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table,
        boto_config=Config(connect_timeout=1, read_timeout=3, retries={"mode": "standard", "total_max_attempts": 2}))
    config = IdempotencyConfig(event_key_jmespath="scope", payload_validation_jmespath="body",
                               expires_after_seconds=TTL_SECONDS, response_hook=_mark_replayed)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config,
                         key_prefix="kirim")
    def run(*, request: dict[str, Any], produce: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return produce()

    return run, config


def check_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or len(value) > MAX_KEY_LENGTH or not value.isprintable():
        raise bad_parameter(HEADER, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters")
    return value


def once(key: str | None, scope: str, raw_body: bytes, produce: Callable[[], dict[str, Any]],
         lambda_context: Any = None) -> dict[str, Any]:
    """Run `produce` once per (scope, key); `produce` returns a JSON-serialisable answer."""
    if key is None:
        return produce()
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    run, config = _runner()
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        # Lets a record left "in progress" by a crashed invocation expire with that invocation.
        config.register_lambda_context(lambda_context)
    request = {"scope": f"{scope}#{key}", "body": hashlib.sha256(raw_body).hexdigest()}
    try:
        return run(request=request, produce=produce)
    except IdempotencyAlreadyInProgressError:
        raise ApiError(CONFLICT, "A request with this Idempotency-Key is still in progress",
                       field=HEADER) from None
    except IdempotencyValidationError:
        raise ApiError(UNPROCESSABLE, "This Idempotency-Key was used with a different body",
                       field=HEADER) from None
