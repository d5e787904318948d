"""The Verify API's two requests, as plain functions of a Chalice request (routes.py only routes).
Authenticated like V2 sends, by the token of the channel a code goes through."""
from __future__ import annotations

from typing import Any

from chalice.app import Request, Response

from chalicelib.core import validation
from chalicelib.core.errors import ApiError, bad_parameter, not_found
from chalicelib.sending import channel_requests
from chalicelib.sending.prepared import Prepared, Sender
from chalicelib.verify import channels, codes, texts
from chalicelib.verify import service as verifications
from chalicelib.verify.models import new_verification_id
from chalicelib.web.bodies import json_body
from chalicelib.web.credentials import channel_token


def _channel(body: dict[str, Any]) -> str:
    channel = body.get("channel")
    if channel not in channels.SENDS_THROUGH:
        raise bad_parameter("channel", f"channel must be one of: {', '.join(channels.SENDS_THROUGH)}")
    return channel


def _code_length(value: Any) -> int:
    if value is None:
        return codes.DEFAULT_LENGTH
    if isinstance(value, bool) or not isinstance(value, int) or not codes.MIN_LENGTH <= value <= codes.MAX_LENGTH:
        raise bad_parameter("code_length", f"code_length must be a whole number from {codes.MIN_LENGTH} "
                                           f"to {codes.MAX_LENGTH}")
    return value


def _locale(value: Any) -> str:
    if value is None:
        return texts.LOCALES[0]
    if value not in texts.LOCALES:
        raise bad_parameter("locale", f"locale must be one of: {', '.join(texts.LOCALES)}")
    return value


def start(request: Request) -> Response:
    """POST /verify/v2/start: send a code through the channel's own send path."""
    channel_token(request.headers.get("authorization"))  # 401 before anything else when it is missing
    channel = _channel(json_body(request))
    sender = channel_requests.v2_sender(request, channels.SENDS_THROUGH[channel])
    started: dict[str, Any] = {}

    def prepare(sender: Sender, fields: dict[str, Any]) -> Prepared:
        to = channels.recipient(channel, fields.get("to"))
        locale = _locale(fields.get("locale"))
        code = codes.new_code(_code_length(fields.get("code_length")))
        verification_id = new_verification_id()
        prepared = channels.prepared(channel, sender, to, code, locale, fields, verification_id)
        started.update(to=to, record=verifications.start(verification_id, sender.application_id, channel, to, code,
                                                         locale))
        return prepared

    def respond(message_id: str) -> dict[str, Any]:
        record = started["record"]
        return {"verification_id": record.verification_id, "to": started["to"], "channel": channel,
                "status": "pending", "expires_at": record.expires_at}

    try:
        # A repeat of a recorded Idempotency-Key is answered before `prepare`: a new verification
        # would cancel the one whose id the client holds.
        response = channel_requests.send(request, sender, prepare, respond, replay_before_prepare=True)
    except ApiError:
        if "record" in started:
            verifications.cancel_unsent(started["record"].verification_id)
        raise
    if "record" in started and response.body.get("verification_id") != started["record"].verification_id:
        # A copy of this request with the same key got there first: its answer stands, this start is undone.
        verifications.undo_start(started["record"], sender.application_id, started["to"])
    response.status_code = 201
    return response


def check(request: Request) -> dict:
    """POST /verify/v2/check: compare a code with the stored hash."""
    channel_token(request.headers.get("authorization"))
    body = json_body(request)
    verification = verifications.find(validation.string(body, "verification_id", max_len=64))
    sender = channel_requests.v2_sender(request, channels.SENDS_THROUGH[verification.channel])
    if sender.application_id != verification.application_id:
        raise not_found(verifications.NOT_FOUND_MESSAGE)
    status = verifications.check(verification, body.get("code"))
    return verifications.render(verification, status)
