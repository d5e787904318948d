"""Request bodies: JSON objects, and the form encodings OCA clients send (multipart, and
urlencoded with PHP's and jQuery's bracket keys), each bounded in size and depth, with every
string valid Unicode; anything else is a clear 406 naming the field (413 past the size limit).

The body as parsed is kept for the rest of the request, so an OCA validation error can echo the
value it refused (web.field_values)."""
from __future__ import annotations

import contextvars
import json
from typing import Any

from chalice.app import Request

from chalicelib.core.config import get_settings
from chalicelib.core.errors import BAD_PARAMETER, ApiError, bad_parameter, too_large

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# What a JSON body may be labelled: browsers send text/plain to skip a CORS preflight, and
# some clients send no Content-Type at all.
JSON_TYPES = ("application/json", "text/plain", "")
MAX_DEPTH = 32  # OCA's deepest body (a WhatsApp media parameter) nests 7 levels
Files = dict[str, tuple[str, str, bytes]]

_parsed: contextvars.ContextVar[Any] = contextvars.ContextVar("parsed_body", default=None)


def reset() -> None:
    _parsed.set(None)


def parsed() -> Any:
    """The current request's body as parsed, or None before (or without) one."""
    return _parsed.get()


def _raw(request: Request, max_bytes: int | None) -> bytes:
    limit = max_bytes or get_settings().max_body_bytes
    raw = request.raw_body or b""
    if len(raw) > limit:
        raise too_large(limit)
    return raw


def _is_text(value: str) -> bool:
    """False for a lone surrogate ("\\ud800" in JSON): it has no UTF-8 form, so no store or
    provider can take it."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_tree(data: Any) -> Any:
    """Walk a parsed body without recursion: at most MAX_DEPTH levels, and every key and string
    valid Unicode, else a 406 naming the field ("body" for the depth)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise bad_parameter("body", f"The body nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if not _is_text(key):
                    raise bad_parameter(path or "body", f"{path or 'body'} has a key that is not valid Unicode text")
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and not _is_text(value):
            raise bad_parameter(path or "body", f"{path or 'body'} is not valid Unicode text (it has a lone surrogate)")
    return data


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise bad_parameter("body", "A JSON object body is required")
    try:
        body = json.loads(raw)
    except RecursionError:
        raise bad_parameter("body", f"The body nests deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise bad_parameter("body", "The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_parameter("body", "The body must be a JSON object")
    return check_tree(body)


def json_body(request: Request, *, max_bytes: int | None = None) -> dict[str, Any]:
    """The body as a JSON object."""
    body = _json_object(_raw(request, max_bytes))
    _parsed.set(body)
    return body


def media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def fields_and_files(request: Request) -> tuple[dict[str, Any], Files]:
    """The body of a channel route, in any encoding OCA clients use: JSON; a urlencoded or
    multipart form, its bracket keys nested (files come apart). A urlencoded body that is a JSON
    object (PHP's curl with a JSON string and no Content-Type header) is read as JSON."""
    kind = media_type(request)
    raw = _raw(request, None)
    if kind == "application/x-www-form-urlencoded" and raw.lstrip()[:1] == b"{":
        kind = "application/json"
    if kind in FORM_TYPES:
        from chalicelib.web.forms import nest, parse_form

        fields, files = parse_form(request.headers.get("content-type", ""), raw)
        body = check_tree(nest(fields))
        _parsed.set(body)
        return body, files
    if kind in JSON_TYPES or kind.endswith("+json"):
        body = _json_object(raw)
        _parsed.set(body)
        return body, {}
    raise ApiError(BAD_PARAMETER, "Content-Type must be application/json, application/x-www-form-urlencoded "
                                  "or multipart/form-data", field="Content-Type", status=415)
