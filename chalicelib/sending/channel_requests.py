"""What every channel route does before and around its own work: authenticate (V1 Basic or
V2 token), count the request against the application's rate limit, read the body, and record
a send at most once per Idempotency-Key (sending.idempotency)."""
from __future__ import annotations

from typing import Any, Callable

from chalice.app import Request, Response

from chalicelib.accounts.request_auth import basic_principal
from chalicelib.applications import sending_settings, tokens
from chalicelib.applications import service as applications
from chalicelib.core import validation
from chalicelib.core.errors import ApiError, bad_parameter
from chalicelib.sending import idempotency, rate_limit
from chalicelib.sending.prepared import Prepared, Sender
from chalicelib.web.bodies import fields_and_files

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


def _replayed(body: dict[str, Any]) -> Response:
    return Response(body, status_code=200, headers={"Idempotent-Replayed": "true"})


def send(request: Request, sender: Sender, prepare: Callable[..., Prepared],
         respond: Callable[[str], dict[str, Any]], with_files: bool = False, *,
         replay_before_prepare: bool = False) -> Response:
    """`replay_before_prepare`: for a `prepare` that writes state of its own (Verify's start),
    a repeat of a recorded Idempotency-Key is answered before `prepare` runs (one more GetItem
    when a key is given). Otherwise the key's record is met at the send's write."""
    key = idempotency.check_key(request.headers.get("idempotency-key"))
    scope = f"{sender.application_id}:{sender.channel}:{request.method}:{request.context.get('resourcePath')}"
    fields, files = fields_and_files(request)  # the key's record holds the hash of the body as parsed
    claim = idempotency.claim(key, scope, fields, files, request.raw_body or b"")
    if claim and replay_before_prepare:
        earlier = idempotency.recorded(claim)
        if earlier is not None:
            return _replayed(earlier.body)

    # The send pipeline is imported on the first send, not on every cold start.
    from chalicelib.sending import pipeline

    try:
        if files and not with_files:
            name = next(iter(files))
            raise bad_parameter(name, f"{name} is a file; this route takes none")
        prepared = prepare(sender, fields, files) if with_files else prepare(sender, fields)
        sent = pipeline.send(sender, prepared, respond, claim)
    except ApiError as refused:
        # Refused before anything was written; a repeat of a recorded send still gets its answer.
        replay = idempotency.find(claim) if claim else None
        if replay is None:
            raise refused from None
        return _replayed(replay.body)
    return _replayed(sent.body) if sent.replayed else Response(sent.body, status_code=200)


def page_params(request: Request) -> tuple[int, str | None]:
    query = request.query_params or {}
    limit = validation.whole_number(query.get("limit", "50"), "limit", 1, MAX_PAGE)
    return limit, query.get("cursor")
