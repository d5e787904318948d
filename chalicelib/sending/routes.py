"""OCA's channel routes, V1 (Basic auth with the dashboard login) and V2 (a per-application,
per-channel token in Authorization, Bearer or bare), registered from one table (oca_routes.txt).

Tokens are checked here rather than by an API Gateway authorizer: an authorizer's cached answer
would let a revoked token work until the cache expired, and its refusals could not carry OCA's
error codes. Every route takes any Content-Type at the gateway ("*/*", so chalice's deploy-time
check of binary and text types holds) and web.bodies reads JSON, urlencoded and multipart itself.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Callable
from urllib.parse import urlencode

from chalice import Blueprint, Response

from chalicelib.sending.oca_table import ROUTES, Route
from chalicelib.web.response_headers import CHANNEL_CORS

channel_routes = Blueprint(__name__)
# The table is read at import; what a route runs is imported by its first request, and a send
# imports only its own channel's rules (request_rules/<channel>.py): `import app` stays cheap and
# a cold start pays for one channel (bench/cold_import.py).


def _rules(channel: str) -> Any:
    return import_module(f"chalicelib.sending.request_rules.{channel}")


def _history(route: Route, sender: Any, request: Any) -> Response:
    from chalicelib.messages import views
    from chalicelib.sending.channel_requests import page_params

    limit, cursor = page_params(request)
    items, next_cursor = views.history_page(sender.application_id, route.channel, route.version, limit, cursor)
    headers = {}
    if next_cursor:
        # A relative reference (RFC 8288 resolves it against the request's own URL).
        headers = {"X-Next-Cursor": next_cursor,
                   "Link": f'<?{urlencode({"limit": limit, "cursor": next_cursor})}>; rel="next"'}
    return Response(items, status_code=200, headers=headers)


def _audio(route: Route, sender: Any, request: Any, path_params: dict[str, str]) -> Any:
    from chalicelib.ivr import audio

    if not route.authenticated:
        return audio.play(*path_params.values())
    if route.action == "audio_upload":
        return audio.upload(sender.application_id, request)
    if route.action == "audio_list":
        return audio.list_for(sender.application_id, request)
    (audio_id,) = path_params.values()
    return audio.delete(sender.application_id, audio_id)


def _view(route: Route) -> Callable[..., Any]:
    def view(**path_params: str) -> Any:
        from chalicelib.sending import channel_requests

        request = channel_routes.current_request
        if not route.authenticated:
            return _audio(route, None, request, path_params)
        sender = (channel_requests.v1_sender if route.version == 1 else channel_requests.v2_sender)(request, route.channel)
        if route.action == "send":
            rules = _rules(route.channel)
            return channel_requests.send(request, sender, rules.prepare,
                                         lambda message_id: rules.response(message_id, route.version),
                                         with_files=route.takes_files)
        if route.action == "status":
            from chalicelib.messages import views

            (message_id,) = path_params.values()
            return views.find_status(sender.application_id, message_id, route.channel, route.version)
        if route.action == "history":
            return _history(route, sender, request)
        if route.action == "sender_ids":
            return {"sender_id": sorted(sender.sender_ids)}
        if route.action == "caller_ids":
            return {"from_number": sorted(sender.caller_ids)}
        if route.action == "ivr_list":
            from chalicelib.ivr import scripts as ivr_scripts

            return [{**ivr_scripts.render(script), "deleted_at": None}
                    for script in ivr_scripts.list_for(sender.application_id)]
        return _audio(route, sender, request, path_params)

    view.__name__ = f"v{route.version}_{route.channel}_{route.action}_{route.method.lower()}"
    return view


def _register() -> None:
    seen: set[str] = set()
    for route in ROUTES:
        _view_function = _view(route)
        name = _view_function.__name__
        if name in seen:  # two paths for one thing (the WhatsApp status, the OTP maskings)
            name = f"{name}_{len(seen)}"
            _view_function.__name__ = name
        seen.add(name)
        channel_routes.route(route.path, methods=[route.method], content_types=["*/*"],
                             cors=CHANNEL_CORS)(_view_function)


_register()


@channel_routes.route("/applications/{application_id}/test-messages", methods=["POST"])
def send_test_message(application_id: str) -> Response:
    """The console's "Send a test message" (dashboard auth, a developer or the owner): sending.test_messages."""
    from chalicelib.applications.access import DEVELOP, owned_application
    from chalicelib.sending import test_messages
    from chalicelib.web.bodies import json_body

    request = channel_routes.current_request
    app = owned_application(request, application_id, need=DEVELOP)
    return Response(test_messages.send(app, json_body(request)), status_code=201)
