"""Dashboard routes for broadcasts and the suppression list (session auth; reads need READ, changes
DEVELOP), and the broadcast emails' unsubscribe link (no session: its signed token). Thin: the rules are
in broadcasts.service and broadcasts.unsubscribe, imported on first use (bench/cold_import.py)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.applications.access import DEVELOP, READ, owned_application
from chalicelib.web.bodies import json_body

broadcast_routes = Blueprint(__name__)
BASE = "/applications/{application_id}/broadcasts"
ONE = BASE + "/{broadcast_id}"
SUPPRESSIONS = "/applications/{application_id}/suppressions"


def _app(application_id: str, need: str) -> Any:
    return owned_application(broadcast_routes.current_request, application_id, need=need)


def _one(application_id: str, broadcast_id: str, need: str) -> tuple[Any, Any]:
    from chalicelib.broadcasts import service

    app = _app(application_id, need)
    return app, service.get(app.application_id, broadcast_id)


def _body() -> dict:
    return json_body(broadcast_routes.current_request)


def _query() -> dict:
    return dict(broadcast_routes.current_request.query_params or {})


def _base_url() -> str:
    """Where a broadcast email's unsubscribe link points: this API as the caller reached it."""
    from chalicelib.web.request_url import base_url

    return base_url(broadcast_routes.current_request)


@broadcast_routes.route(BASE, methods=["POST"])
def create(application_id: str) -> Response:
    from chalicelib.broadcasts import service

    bc = service.create(_app(application_id, DEVELOP), _body(), links_base=_base_url())
    return Response(service.render(bc), status_code=201)


@broadcast_routes.route(BASE, methods=["GET"])
def list_broadcasts(application_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.list_for(_app(application_id, READ).application_id, _query())


@broadcast_routes.route(ONE, methods=["GET"])
def get_broadcast(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.render(_one(application_id, broadcast_id, READ)[1])


@broadcast_routes.route(ONE, methods=["PATCH"])
def patch_broadcast(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    app, bc = _one(application_id, broadcast_id, DEVELOP)
    return service.render(service.patch(app, bc, _body()))


@broadcast_routes.route(ONE, methods=["DELETE"])
def delete_broadcast(application_id: str, broadcast_id: str) -> Response:
    from chalicelib.broadcasts import service

    service.delete(_one(application_id, broadcast_id, DEVELOP)[1])
    return Response(body="", status_code=204)


@broadcast_routes.route(ONE + "/upload", methods=["POST"])
def upload(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.upload(_one(application_id, broadcast_id, DEVELOP)[1], _body())


@broadcast_routes.route(ONE + "/file", methods=["POST"])
def read_file(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.render(service.read_file(_one(application_id, broadcast_id, DEVELOP)[1]))


@broadcast_routes.route(ONE + "/validate", methods=["POST"])
def validate(application_id: str, broadcast_id: str) -> Response:
    from chalicelib.broadcasts import service

    app, bc = _one(application_id, broadcast_id, DEVELOP)
    return Response(service.render(service.validate(app, bc, _body())), status_code=202)


@broadcast_routes.route(ONE + "/errors", methods=["GET"])
def errors(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import row_words, service
    from chalicelib.core.errors import bad_parameter

    request = broadcast_routes.current_request
    bc = _one(application_id, broadcast_id, READ)[1]
    lang = row_words.pick(_query().get("lang"), (request.headers or {}).get("accept-language"))
    if lang is None:
        raise bad_parameter("lang", f"lang is one of: {', '.join(row_words.LANGUAGES)}", "unknown_language")
    return service.errors_link(bc, lang)


@broadcast_routes.route(ONE + "/schedule", methods=["PUT"])
def schedule(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    app, bc = _one(application_id, broadcast_id, DEVELOP)
    return service.render(service.set_schedule(app, bc, _body()))


@broadcast_routes.route(ONE + "/start", methods=["POST"])
def start(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    from chalicelib.broadcasts import pacer

    app, bc = _one(application_id, broadcast_id, DEVELOP)
    return service.render(pacer.pace_now(service.start(app, bc)))


@broadcast_routes.route(ONE + "/pause", methods=["POST"])
def pause(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.render(service.pause(_one(application_id, broadcast_id, DEVELOP)[1]))


@broadcast_routes.route(ONE + "/resume", methods=["POST"])
def resume(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    from chalicelib.broadcasts import pacer

    return service.render(pacer.pace_now(service.resume(_one(application_id, broadcast_id, DEVELOP)[1])))


@broadcast_routes.route(ONE + "/cancel", methods=["POST"])
def cancel(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.render(service.cancel(_one(application_id, broadcast_id, DEVELOP)[1]))


@broadcast_routes.route(ONE + "/progress", methods=["GET"])
def progress(application_id: str, broadcast_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.render_progress(_one(application_id, broadcast_id, READ)[1])


@broadcast_routes.route(ONE + "/results", methods=["POST"])
def results(application_id: str, broadcast_id: str) -> Response:
    """A report job of this broadcast's messages (the reports slice's machinery; downloaded like any report)."""
    from chalicelib.accounts import dashboard_limits
    from chalicelib.broadcasts import service
    from chalicelib.reports import service as reports

    app = owned_application(broadcast_routes.current_request, application_id, need=READ,
                            limit=dashboard_limits.REPORTS)
    bc = service.get(app.application_id, broadcast_id)
    report = reports.create_for_broadcast(app.application_id, app.zone(), service.render(bc) | {
        "total": int(bc.total or 0)}, _body().get("format"))
    return Response(reports.render(report), status_code=202)


@broadcast_routes.route(SUPPRESSIONS, methods=["GET"])
def list_suppressions(application_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.list_suppressions(_app(application_id, READ).application_id, _query())


@broadcast_routes.route(SUPPRESSIONS, methods=["POST"])
def add_suppressions(application_id: str) -> dict:
    from chalicelib.broadcasts import service

    return service.add_suppressions(_app(application_id, DEVELOP).application_id, _body())


@broadcast_routes.route(SUPPRESSIONS + "/{target}", methods=["DELETE"])
def remove_suppression(application_id: str, target: str) -> Response:
    from chalicelib.broadcasts import service

    service.remove_suppression(_app(application_id, DEVELOP).application_id, target)
    return Response(body="", status_code=204)


# --- email one-click unsubscribe (no session: the signed token is the credential) --------------------

unsubscribe_routes = Blueprint(__name__ + ".unsubscribe")
UNSUBSCRIBE = "/unsubscribe/{token}"
# RFC 8058's POST is form data, urlencoded or multipart (which API Gateway passes as binary: Chalice takes
# both on one route only as "*/*"); the body itself is checked (unsubscribe.is_one_click).


def _html(status: int, page: str) -> Response:
    from chalicelib.broadcasts import unsubscribe

    return Response(body=page, status_code=status, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
        "Content-Security-Policy": unsubscribe.CSP})


@unsubscribe_routes.route(UNSUBSCRIBE, methods=["GET"])
def unsubscribe_page(token: str) -> Response:
    from chalicelib.broadcasts import unsubscribe

    return _html(*unsubscribe.confirm_page(token))


@unsubscribe_routes.route(UNSUBSCRIBE, methods=["POST"], content_types=["*/*"])
def unsubscribe_one_click(token: str) -> Response:
    from chalicelib.broadcasts import unsubscribe

    raw = unsubscribe_routes.current_request.raw_body or b""
    if not unsubscribe.is_one_click(raw if isinstance(raw, bytes) else str(raw).encode()):
        return _html(400, unsubscribe.bad_request_page())
    return _html(*unsubscribe.unsubscribe(token))
