"""OCA V1 routes: Basic auth with the dashboard login.

An account may own several applications with the same channel; `X-Application-Id` names
one, and without it the only one is used (DESIGN.md).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import applications, message_views
from chalicelib.api.http import basic_principal
from chalicelib.channels import EMAIL, IVR, SMS, SMS_OTP
from chalicelib.store import Application

v1 = Blueprint(__name__)


def _application(channel: str) -> Application:
    request = v1.current_request
    owner = basic_principal(request)
    return applications.for_channel(owner, channel, request.headers.get("x-application-id"))


def _status(channel: str, message_id: str) -> dict:
    app = _application(channel)
    return message_views.status_body(message_views.find(app.application_id, channel, message_id))


@v1.route("/api/v1/sms/status/{id}", methods=["GET"])
def sms_status(id: str) -> dict:  # noqa: A002 - the path parameter's name in OCA's docs
    return _status(SMS, id)


@v1.route("/sms/api/v1/otpstatus/{msg_id}", methods=["GET"])
def otp_status(msg_id: str) -> dict:
    return _status(SMS_OTP, msg_id)


@v1.route("/sms/api/v1/number", methods=["GET"])
def otp_sender_ids() -> dict:
    return {"sender_id": sorted(_application(SMS_OTP).sender_ids or [])}


@v1.route("/api/v1/email/status/{id}", methods=["GET"])
def email_status(id: str) -> dict:  # noqa: A002
    return _status(EMAIL, id)


@v1.route("/api/v1/call-status/{call_id}", methods=["GET"])
def call_status(call_id: str) -> dict:
    return _status(IVR, call_id)
