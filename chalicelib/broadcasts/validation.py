"""Validating a whole recipient file before anything is sent. (Being built: the signatures below are
the contract the run's worker calls.)"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple


class Spec(NamedTuple):
    """What a broadcast needs from each row: `recipient` the column of the phone number (or email
    address), `values` the API's mapping.values ({placeholder: {"column": name} | {"value": text}}),
    `content` the broadcast's content (the SMS text for its segments, ...)."""
    channel: str
    recipient: str
    values: dict[str, dict[str, str]]
    content: dict[str, Any]


class Summary(NamedTuple):
    rows: int
    valid: int
    invalid: int
    duplicates: int
    suppressed: int
    units: int      # quota units the valid rows need (SMS segments; 1 per message otherwise)
    chunks: int     # chunk files written: plan.chunk_key(app, broadcast, 0 .. chunks - 1)


def validate(s3: Any, bucket: str, application_id: str, broadcast_id: str, filename: str, spec: Spec, *,
             suppressed: Callable[[list[str]], set[str]]) -> Summary:
    """Reads plan.upload_key, writes the chunks (plan.chunk_key) and the bad rows (plan.errors_key);
    raises recipient_file.FileProblem for a file refused whole. Run again on the same file, it
    writes the same chunks. `suppressed(targets)` answers which of them are on the suppression list."""
    raise NotImplementedError
