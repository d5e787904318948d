"""What every channel route does before and around its own work: authenticate (V1 Basic or
V2 token), count the request against the application's rate limit, read the body, and run
a send at most once per Idempotency-Key."""
from __future__ import annotations

from typing import Any, Callable

from chalice.app import Request, Response

from chalicelib.applications import sending_settings
from chalicelib.applications import service as applications
from chalicelib.sending import idempotency
from chalicelib.sending import rate_limit
from chalicelib.applications import tokens
from chalicelib.web.credentials import basic_principal, json_body
from chalicelib.core.errors import bad_parameter, too_large
from chalicelib.sending.prepared import Draft, Sender
from chalicelib.core.config import get_settings

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
MAX_PAGE = 200


def v2_sender(request: Request, channel: str) -> Sender:
    principal = tokens.authenticate(request.headers.get("authorization"), channel)
    sender = Sender.from_settings(principal.application_id, channel, principal.settings)
    rate_limit.hit(sender.application_id, sender.rate_limit)
    return sender


def v1_sender(request: Request, channel: str) -> Sender:
    app = applications.for_channel(basic_principal(request), channel, request.headers.get("x-application-id"))
    sender = Sender.from_settings(app.application_id, channel, sending_settings.snapshot(app))
    rate_limit.hit(sender.application_id, sender.rate_limit)
    return sender


def fields_and_files(request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, str, bytes]]]:
    content_type = request.headers.get("content-type", "application/json")
    if content_type.split(";")[0].strip().lower() in FORM_TYPES:
        limit = get_settings().max_body_bytes
        if len(request.raw_body or b"") > limit:
            raise too_large(limit)
        from chalicelib.sending.email_rules import parse_form

        return parse_form(content_type, request.raw_body or b"")
    return json_body(request), {}


def send(request: Request, sender: Sender, make_draft: Callable[..., Draft],
         respond: Callable[[str], dict[str, Any]], with_files: bool = False) -> Response:
    key = idempotency.check_key(request.headers.get("idempotency-key"))

    # The send pipeline is imported on the first send, not on every cold start.
    from chalicelib.sending import pipeline

    def produce() -> dict[str, Any]:
        fields, files = fields_and_files(request)
        draft = make_draft(sender, fields, files) if with_files else make_draft(sender, fields)
        message = pipeline.send(sender, draft)
        return {"body": respond(message.message_id)}

    scope = f"{sender.application_id}:{sender.channel}:{request.method}:{request.context.get('resourcePath')}"
    result = idempotency.once(key, scope, request.raw_body or b"", produce, getattr(request, "lambda_context", None))
    headers = {"Idempotent-Replayed": "true"} if result.get("replayed") else {}
    return Response(result["body"], status_code=200, headers=headers)


def page_params(request: Request) -> tuple[int, str | None]:
    query = request.query_params or {}
    raw = query.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise bad_parameter("limit", f"limit must be a whole number from 1 to {MAX_PAGE}")
    return int(raw), query.get("cursor")
