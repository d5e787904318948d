"""OCA's channel routes, V1 (Basic auth with the dashboard login) and V2 (a per-application,
per-channel token in Authorization, Bearer or bare), from one table.

Tokens are checked here rather than by an API Gateway authorizer: an authorizer's cached answer
would let a revoked token work until the cache expired, and its refusals could not carry OCA's
error codes. An account may own several applications with a channel; V1 uses X-Application-Id
when given (DESIGN.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from chalice import Blueprint

from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP
from chalicelib.ivr import scripts as ivr_scripts
from chalicelib.messages import queries, views
from chalicelib.sending.channel_requests import page_params, send, v1_sender, v2_sender
from chalicelib.sending.request_rules import email, ivr, sms, sms_otp, whatsapp

channel_routes = Blueprint(__name__)
_SENDERS = {1: v1_sender, 2: v2_sender}


# OCA's routes as its docs list them: version, method, path, channel, what the route does.
ROUTE_TABLE = Path(__file__).with_name("oca_routes.txt")
RULES = {SMS: sms, SMS_OTP: sms_otp, EMAIL: email, IVR: ivr, WHATSAPP: whatsapp}
# Email's send takes OCA's form encodings (and a file), and its answer differs per version.
FORM_CHANNELS = (EMAIL,)


@dataclass(frozen=True)
class Route:
    version: int
    method: str
    path: str
    channel: str
    action: str   # send | history | status | sender_ids | ivr_list

    @property
    def forms(self) -> bool:
        return self.action == "send" and self.channel in FORM_CHANNELS


def _read_table() -> tuple[Route, ...]:
    lines = [line.split() for line in ROUTE_TABLE.read_text().splitlines() if line.strip() and line[0] != "#"]
    return tuple(Route(int(version), method, path, channel, action) for version, method, path, channel, action in lines)


ROUTES = _read_table()


def _view(route: Route) -> Callable[..., Any]:
    def view(**path_params: str) -> Any:
        request = channel_routes.current_request
        sender = _SENDERS[route.version](request, route.channel)
        if route.action == "send":
            rules = RULES[route.channel]
            return send(request, sender, rules.prepare, lambda message_id: rules.response(message_id, route.version),
                        with_files=route.forms)
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
        # "*/*": multipart is an API Gateway binary type and JSON is not, and chalice deploy refuses a
        # route mixing both; the view reads the Content-Type itself (web.bodies.fields_and_files).
        content_types = ["*/*"] if route.forms else None
        options = {"content_types": content_types} if content_types else {}
        channel_routes.route(route.path, methods=[route.method], **options)(_view(route))


_register()
