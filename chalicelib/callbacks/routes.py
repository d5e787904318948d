"""Dashboard routes for status callbacks (session auth, owner only): failed deliveries, and
replaying one delivery or everything that failed in a time range. A message's deliveries come
with the message itself (GET /applications/{id}/messages/{message_id}). The slice's modules are
imported by the views that use them, so `import app` stays cheap (bench/cold_import.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalice import Blueprint

from chalicelib.applications.access import DEVELOP, owned_application
from chalicelib.core import clock, validation
from chalicelib.core.errors import bad_parameter
from chalicelib.web.bodies import json_body

callback_routes = Blueprint(__name__)
MAX_RANGE = timedelta(days=31)   # deliveries are kept 30 days


def _range(values: dict) -> tuple[datetime, datetime]:
    """ISO 8601 times (UTC unless they say otherwise), or dates: whole UTC days."""
    end = validation.moment(values["to"], "to", timezone.utc, end=True) if values.get("to") else clock.now()
    start = validation.moment(values["from"], "from", timezone.utc) if values.get("from") else end - timedelta(days=1)
    if start >= end:
        raise bad_parameter("from", "from must be before to")
    if end - start > MAX_RANGE:
        raise bad_parameter("to", "The range is at most 31 days (deliveries are kept 30 days)")
    return start, end


@callback_routes.route("/applications/{application_id}/callbacks/failed", methods=["GET"])
def failed_deliveries(application_id: str) -> dict:
    from chalicelib.callbacks import service as callbacks

    app = owned_application(callback_routes.current_request, application_id, need=DEVELOP)
    start, end = _range(dict(callback_routes.current_request.query_params or {}))
    return {"items": callbacks.failed(app.application_id, start, end)}


@callback_routes.route("/applications/{application_id}/callbacks/replay", methods=["POST"])
def replay_range(application_id: str) -> dict:
    from chalicelib.callbacks import service as callbacks

    app = owned_application(callback_routes.current_request, application_id, need=DEVELOP)
    start, end = _range(json_body(callback_routes.current_request))
    return callbacks.replay_failed(app.application_id, start, end)


@callback_routes.route("/applications/{application_id}/callbacks/{delivery_id}/replay", methods=["POST"])
def replay_one(application_id: str, delivery_id: str) -> dict:
    from chalicelib.callbacks import service as callbacks

    app = owned_application(callback_routes.current_request, application_id, need=DEVELOP)
    return callbacks.replay(app.application_id, delivery_id)
