"""Counts AWS API calls through a botocore event hook, by service and operation.

The hook is added to botocore's built-in handlers, so every client created afterwards
(PynamoDB's included) reports to it. Install it before the first client is made.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterator

import botocore.handlers

_counts: Counter[tuple[str, str]] = Counter()
ITEMS = ("items", "read")  # the key under which DynamoDB items read are tallied
# DynamoDB's contention as the callers met it: transactions cancelled by a conflict, plain writes refused.
CANCELLED = ("conflicts", "transactions cancelled")
REFUSED = ("conflicts", "writes refused")


def _count(model: Any, **_: Any) -> None:
    _counts[(model.service_model.service_name, model.name)] += 1


def _items(model: Any, parsed: dict | None = None, **_: Any) -> None:
    """DynamoDB items read: ScannedCount of a Query, 1 for a GetItem that found its item, the items
    a BatchGetItem returned; and conflicts met."""
    if model.service_model.service_name != "dynamodb" or not isinstance(parsed, dict):
        return
    error = parsed.get("Error", {}).get("Code")
    if error == "TransactionConflictException":
        _counts[REFUSED] += 1
    elif error == "TransactionCanceledException" and "TransactionConflict" in [
            reason.get("Code") for reason in parsed.get("CancellationReasons", [])]:
        _counts[CANCELLED] += 1
    if model.name == "Query":
        _counts[ITEMS] += int(parsed.get("ScannedCount", parsed.get("Count", 0)))
    elif model.name == "GetItem" and "Item" in parsed:
        _counts[ITEMS] += 1
    elif model.name == "BatchGetItem":
        _counts[ITEMS] += sum(len(items) for items in parsed.get("Responses", {}).values())


def install() -> None:
    for entry in (("before-call", _count), ("after-call", _items)):
        if entry not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(entry)


@contextmanager
def counting() -> Iterator[Counter[tuple[str, str]]]:
    """Yields a Counter filled with the calls made inside the block."""
    install()
    before = Counter(_counts)
    seen: Counter[tuple[str, str]] = Counter()
    try:
        yield seen
    finally:
        seen.update(_counts - before)
