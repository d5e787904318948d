"""OCA V1 routes: Basic auth with the dashboard login.

An account may own several applications with the same channel; `X-Application-Id` names
one, and without it the only one is used (DESIGN.md).
"""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.ivr import scripts as ivr_scripts
from chalicelib.messages import views as message_views
from chalicelib.sending.channel_requests import FORM_TYPES, page_params, send, v1_sender
from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP
from chalicelib.sending.request_rules import email, ivr, sms, sms_otp

v1 = Blueprint(__name__)
JSON_AND_FORMS = ["application/json", *FORM_TYPES]


def _request():
    return v1.current_request


def _status(channel: str, message_id: str) -> dict:
    sender = v1_sender(_request(), channel)
    return message_views.status_body(message_views.find(sender.application_id, channel, message_id))


def _history(channel: str) -> dict:
    sender = v1_sender(_request(), channel)
    return message_views.history_page(sender.application_id, channel, *page_params(_request()))


# SMS
@v1.route("/api/v1/sms", methods=["POST"])
def sms_send() -> Response:
    return send(_request(), v1_sender(_request(), SMS), sms.draft, sms.response)


@v1.route("/api/v1/sms", methods=["GET"])
def sms_history() -> dict:
    return _history(SMS)


@v1.route("/api/v1/sms/status/{id}", methods=["GET"])
def sms_status(id: str) -> dict:  # noqa: A002 - the path parameter's name in OCA's docs
    return _status(SMS, id)


# SMS OTP
@v1.route("/sms/api/v1/send-otp", methods=["POST"])
def otp_send() -> Response:
    return send(_request(), v1_sender(_request(), SMS_OTP), sms_otp.draft, sms_otp.response)


@v1.route("/sms/api/v1/otpstatus/{msg_id}", methods=["GET"])
def otp_status(msg_id: str) -> dict:
    return _status(SMS_OTP, msg_id)


@v1.route("/sms/api/v1/number", methods=["GET"])
def otp_sender_ids() -> dict:
    return {"sender_id": sorted(v1_sender(_request(), SMS_OTP).sender_ids)}


# Email
@v1.route("/api/v1/send-single", methods=["POST"], content_types=JSON_AND_FORMS)
def email_send() -> Response:
    return send(_request(), v1_sender(_request(), EMAIL), email.draft,
                lambda message_id: email.response(message_id, 1), with_files=True)


@v1.route("/api/v1/email/history", methods=["GET"])
def email_history() -> dict:
    return _history(EMAIL)


@v1.route("/api/v1/email/status/{id}", methods=["GET"])
def email_status(id: str) -> dict:  # noqa: A002
    return _status(EMAIL, id)


# IVR
@v1.route("/api/v1/call", methods=["POST"])
def call_send() -> Response:
    return send(_request(), v1_sender(_request(), IVR), ivr.draft, ivr.response)


@v1.route("/api/v1/ivr-list", methods=["GET"])
def ivr_list() -> list:
    sender = v1_sender(_request(), IVR)
    return [ivr_scripts.render(script) for script in ivr_scripts.list_for(sender.application_id)]


@v1.route("/api/v1/call-status/{call_id}", methods=["GET"])
def call_status(call_id: str) -> dict:
    return _status(IVR, call_id)
