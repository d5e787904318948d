"""Dashboard routes for watching traffic (session auth, owner only): the overview, the message
list and one message with its history. The slice's modules are imported by the views that use
them, so `import app` stays cheap (bench/cold_import.py)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.accounts import dashboard_limits
from chalicelib.applications.access import DEVELOP, READ, owned_application

monitoring_routes = Blueprint(__name__)


def _query() -> dict[str, str]:
    return dict(monitoring_routes.current_request.query_params or {})


@monitoring_routes.route("/applications/{application_id}/overview", methods=["GET"])
def overview(application_id: str) -> dict:
    from chalicelib.applications import service as applications
    from chalicelib.monitoring.overview import overview as overview_of

    app = owned_application(monitoring_routes.current_request, application_id, need=READ)
    return overview_of(app.application_id, applications.channel_names(app), _query(), app.zone())


@monitoring_routes.route("/applications/{application_id}/messages", methods=["GET"])
def messages(application_id: str) -> dict:
    from chalicelib.applications import service as applications
    from chalicelib.monitoring import message_list

    query = _query()
    # A status filter reads each status's index shards: its own, smaller window.
    limit = dashboard_limits.SEARCHES if query.get("status") else dashboard_limits.REQUESTS
    app = owned_application(monitoring_routes.current_request, application_id, need=READ, limit=limit)
    return message_list.list_messages(app.application_id, applications.channel_names(app), query, app.zone())


@monitoring_routes.route("/applications/{application_id}/messages/{message_id}", methods=["GET"])
def message(application_id: str, message_id: str) -> dict:
    from chalicelib.monitoring import message_list

    app = owned_application(monitoring_routes.current_request, application_id, need=READ)
    return message_list.message_detail(app.application_id, message_id)


@monitoring_routes.route("/applications/{application_id}/usage", methods=["GET"])
def usage(application_id: str) -> dict:
    from chalicelib.monitoring.usage import usage as usage_of

    return usage_of(owned_application(monitoring_routes.current_request, application_id, need=READ), _query())


@monitoring_routes.route("/applications/{application_id}/usage/alert", methods=["PUT"])
def put_usage_alert(application_id: str) -> dict:
    """A channel's alert threshold ({channel, alert_at: units or null}); answers the usage."""
    from chalicelib.applications import quota_alerts
    from chalicelib.monitoring.usage import usage as usage_of
    from chalicelib.web.bodies import json_body

    app = owned_application(monitoring_routes.current_request, application_id, need=DEVELOP)
    app = quota_alerts.set_alert(app, json_body(monitoring_routes.current_request))
    return usage_of(app, {})
