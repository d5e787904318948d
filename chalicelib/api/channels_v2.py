"""OCA V2 routes: a per-application, per-channel token in Authorization (Bearer or bare).

The token is checked here rather than by an API Gateway authorizer: an authorizer's
cached answer would let a revoked token work until the cache expired, and its refusals
could not carry OCA's error codes.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import applications, message_views, tokens
from chalicelib.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP

v2 = Blueprint(__name__)


def _application_id(channel: str) -> str:
    return tokens.authenticate(v2.current_request.headers.get("authorization"), channel).application_id


def _status(channel: str, message_id: str) -> dict:
    return message_views.status_body(message_views.find(_application_id(channel), channel, message_id))


@v2.route("/sms/v2/sms/status/{msg_uid}", methods=["GET"])
def sms_status(msg_uid: str) -> dict:
    return _status(SMS, msg_uid)


@v2.route("/sms/v2/otp-status/{msg_id}", methods=["GET"])
def otp_status(msg_id: str) -> dict:
    return _status(SMS_OTP, msg_id)


@v2.route("/sms/v2/number", methods=["GET"])
def otp_sender_ids() -> dict:
    app = applications.get(_application_id(SMS_OTP))
    return {"sender_id": sorted(app.sender_ids or [])}


@v2.route("/email/v2/email/status/{msgid}", methods=["GET"])
def email_status(msgid: str) -> dict:
    return _status(EMAIL, msgid)


@v2.route("/call/v2/call-status/{call_id}", methods=["GET"])
def call_status(call_id: str) -> dict:
    return _status(IVR, call_id)


@v2.route("/api/v2/message/status/{msgid}", methods=["GET"])
def whatsapp_status(msgid: str) -> dict:
    return _status(WHATSAPP, msgid)
