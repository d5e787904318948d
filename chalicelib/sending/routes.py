"""OCA's channel routes, V1 (Basic auth with the dashboard login) and V2 (a per-application,
per-channel token in Authorization, Bearer or bare), from one table.

Tokens are checked here rather than by an API Gateway authorizer: an authorizer's cached answer
would let a revoked token work until the cache expired, and its refusals could not carry OCA's
error codes. An account may own several applications with a channel; V1 uses X-Application-Id
when given (DESIGN.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from chalice import Blueprint

from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP
from chalicelib.ivr import scripts as ivr_scripts
from chalicelib.messages import queries, views
from chalicelib.sending.channel_requests import page_params, send, v1_sender, v2_sender
from chalicelib.sending.request_rules import email, ivr, sms, sms_otp, whatsapp
from chalicelib.web.bodies import FORM_TYPES

channel_routes = Blueprint(__name__)
_SENDERS = {1: v1_sender, 2: v2_sender}


@dataclass(frozen=True)
class Route:
    version: int
    method: str
    path: str
    channel: str
    action: str                        # send | history | status | sender_ids | ivr_list
    rules: Any = None                  # send: the channel's request rules module
    version_in_response: bool = False  # send: the rules' response takes the version (email)
    forms: bool = False                # send: also takes OCA's form encodings (and files)


ROUTES = (
    Route(1, "POST", "/api/v1/sms", SMS, "send", sms),
    Route(1, "GET", "/api/v1/sms", SMS, "history"),
    Route(1, "GET", "/api/v1/sms/status/{id}", SMS, "status"),
    Route(1, "POST", "/sms/api/v1/send-otp", SMS_OTP, "send", sms_otp),
    Route(1, "GET", "/sms/api/v1/otpstatus/{msg_id}", SMS_OTP, "status"),
    Route(1, "GET", "/sms/api/v1/number", SMS_OTP, "sender_ids"),
    Route(1, "POST", "/api/v1/send-single", EMAIL, "send", email, version_in_response=True, forms=True),
    Route(1, "GET", "/api/v1/email/history", EMAIL, "history"),
    Route(1, "GET", "/api/v1/email/status/{id}", EMAIL, "status"),
    Route(1, "POST", "/api/v1/call", IVR, "send", ivr),
    Route(1, "GET", "/api/v1/ivr-list", IVR, "ivr_list"),
    Route(1, "GET", "/api/v1/call-status/{call_id}", IVR, "status"),
    Route(2, "POST", "/sms/v2/sms", SMS, "send", sms),
    Route(2, "GET", "/sms/v2/sms/history", SMS, "history"),
    Route(2, "GET", "/sms/v2/sms/status/{msg_uid}", SMS, "status"),
    Route(2, "POST", "/sms/v2/send-otp", SMS_OTP, "send", sms_otp),
    Route(2, "GET", "/sms/v2/otp-status/{msg_id}", SMS_OTP, "status"),
    Route(2, "GET", "/sms/v2/number", SMS_OTP, "sender_ids"),
    Route(2, "POST", "/email/v2/send-single", EMAIL, "send", email, version_in_response=True, forms=True),
    Route(2, "GET", "/email/v2/email/history", EMAIL, "history"),
    Route(2, "GET", "/email/v2/email/status/{msgid}", EMAIL, "status"),
    Route(2, "POST", "/call/v2/call", IVR, "send", ivr),
    Route(2, "GET", "/call/v2/ivr-list", IVR, "ivr_list"),
    Route(2, "GET", "/call/v2/call-status/{call_id}", IVR, "status"),
    Route(2, "POST", "/api/v2/push/message", WHATSAPP, "send", whatsapp),
    Route(2, "GET", "/api/v2/message/status/{msgid}", WHATSAPP, "status"),
)


def _view(route: Route) -> Callable[..., Any]:
    def view(**path_params: str) -> Any:
        request = channel_routes.current_request
        sender = _SENDERS[route.version](request, route.channel)
        if route.action == "send":
            rules = route.rules
            respond = ((lambda message_id: rules.response(message_id, route.version)) if route.version_in_response
                       else rules.response)
            return send(request, sender, rules.prepare, respond, with_files=route.forms)
        if route.action == "status":
            (message_id,) = path_params.values()
            return views.status_body(queries.find(sender.application_id, message_id, route.channel))
        if route.action == "history":
            return views.history_page(sender.application_id, route.channel, *page_params(request))
        if route.action == "sender_ids":
            return {"sender_id": sorted(sender.sender_ids)}
        return [ivr_scripts.render(script) for script in ivr_scripts.list_for(sender.application_id)]

    view.__name__ = f"v{route.version}_{route.channel}_{route.action}"
    return view


def _register() -> None:
    for route in ROUTES:
        content_types = ["application/json", *FORM_TYPES] if route.forms else None
        options = {"content_types": content_types} if content_types else {}
        channel_routes.route(route.path, methods=[route.method], **options)(_view(route))


_register()
