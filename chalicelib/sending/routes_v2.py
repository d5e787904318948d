"""OCA V2 routes: a per-application, per-channel token in Authorization (Bearer or bare).

The token is checked here rather than by an API Gateway authorizer: an authorizer's
cached answer would let a revoked token work until the cache expired, and its refusals
could not carry OCA's error codes.
"""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.ivr import scripts as ivr_scripts
from chalicelib.messages import views as message_views
from chalicelib.sending.channel_requests import FORM_TYPES, page_params, send, v2_sender
from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP
from chalicelib.sending.request_rules import email, ivr, sms, sms_otp, whatsapp

v2 = Blueprint(__name__)
JSON_AND_FORMS = ["application/json", *FORM_TYPES]


def _request():
    return v2.current_request


def _status(channel: str, message_id: str) -> dict:
    sender = v2_sender(_request(), channel)
    return message_views.status_body(message_views.find(sender.application_id, channel, message_id))


def _history(channel: str) -> dict:
    sender = v2_sender(_request(), channel)
    return message_views.history_page(sender.application_id, channel, *page_params(_request()))


# SMS
@v2.route("/sms/v2/sms", methods=["POST"])
def sms_send() -> Response:
    return send(_request(), v2_sender(_request(), SMS), sms.draft, sms.response)


@v2.route("/sms/v2/sms/history", methods=["GET"])
def sms_history() -> dict:
    return _history(SMS)


@v2.route("/sms/v2/sms/status/{msg_uid}", methods=["GET"])
def sms_status(msg_uid: str) -> dict:
    return _status(SMS, msg_uid)


# SMS OTP
@v2.route("/sms/v2/send-otp", methods=["POST"])
def otp_send() -> Response:
    return send(_request(), v2_sender(_request(), SMS_OTP), sms_otp.draft, sms_otp.response)


@v2.route("/sms/v2/otp-status/{msg_id}", methods=["GET"])
def otp_status(msg_id: str) -> dict:
    return _status(SMS_OTP, msg_id)


@v2.route("/sms/v2/number", methods=["GET"])
def otp_sender_ids() -> dict:
    return {"sender_id": sorted(v2_sender(_request(), SMS_OTP).sender_ids)}


# Email
@v2.route("/email/v2/send-single", methods=["POST"], content_types=JSON_AND_FORMS)
def email_send() -> Response:
    return send(_request(), v2_sender(_request(), EMAIL), email.draft,
                lambda message_id: email.response(message_id, 2), with_files=True)


@v2.route("/email/v2/email/history", methods=["GET"])
def email_history() -> dict:
    return _history(EMAIL)


@v2.route("/email/v2/email/status/{msgid}", methods=["GET"])
def email_status(msgid: str) -> dict:
    return _status(EMAIL, msgid)


# IVR
@v2.route("/call/v2/call", methods=["POST"])
def call_send() -> Response:
    return send(_request(), v2_sender(_request(), IVR), ivr.draft, ivr.response)


@v2.route("/call/v2/ivr-list", methods=["GET"])
def ivr_list() -> list:
    sender = v2_sender(_request(), IVR)
    return [ivr_scripts.render(script) for script in ivr_scripts.list_for(sender.application_id)]


@v2.route("/call/v2/call-status/{call_id}", methods=["GET"])
def call_status(call_id: str) -> dict:
    return _status(IVR, call_id)


# WhatsApp (V2 only)
@v2.route("/api/v2/push/message", methods=["POST"])
def whatsapp_send() -> Response:
    return send(_request(), v2_sender(_request(), WHATSAPP), whatsapp.draft, whatsapp.response)


@v2.route("/api/v2/message/status/{msgid}", methods=["GET"])
def whatsapp_status(msgid: str) -> dict:
    return _status(WHATSAPP, msgid)
