"""Where a refused field came from and what it held, for OCA's validation error
{"value", "msg", "param", "location"}: the body as parsed (web.bodies keeps it for the request),
the query string, the path or a header. A field path reads like "message.template.payload[0].text"."""
from __future__ import annotations

import re
from typing import Any

from chalice.app import Request

from chalicelib.core.errors import ABSENT
from chalicelib.web import bodies

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
HEADERS = ("idempotency-key", "x-application-id", "authorization", "content-type")


def _walk(data: Any, path: str) -> Any:
    for name, index in _STEP.findall(path):
        if name and isinstance(data, dict) and name in data:
            data = data[name]
        elif index and isinstance(data, list) and int(index) < len(data):
            data = data[int(index)]
        else:
            return ABSENT
    return data


def describe(request: Request | None, field: str | None) -> tuple[str, Any]:
    """(location, value) of `field`: location is body, query, params or headers, as express-validator
    names them; value is ABSENT when the field was not sent (OCA then leaves `value` out)."""
    if not field or request is None:
        return "body", ABSENT
    if field.lower() in HEADERS:
        # Never echo a credential or a header the client may not expect back.
        return "headers", ABSENT
    body = bodies.parsed()
    if body is not None:
        value = _walk(body, field)
        if value is not ABSENT:
            return "body", value
    root = _STEP.match(field)
    root_name = root.group(1) if root else field
    query = request.query_params or {}
    if root_name in query:
        return "query", query[root_name]
    if root_name in (request.uri_params or {}):
        return "params", request.uri_params[root_name]
    return "body", ABSENT
