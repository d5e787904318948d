"""Dashboard routes for watching traffic (session auth, owner only): the overview, the message
list and one message with its history."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.applications import service as applications
from chalicelib.monitoring import message_list as monitoring
from chalicelib.web.credentials import session_principal
from chalicelib.core.db import Application

monitoring_api = Blueprint(__name__)


def _application(application_id: str) -> Application:
    return applications.get_owned(session_principal(monitoring_api.current_request), application_id)


def _query() -> dict[str, str]:
    return dict(monitoring_api.current_request.query_params or {})


@monitoring_api.route("/applications/{application_id}/overview", methods=["GET"])
def overview(application_id: str) -> dict:
    app = _application(application_id)
    return monitoring.overview(app.application_id, applications.channel_names(app), _query(), app.timezone or "Asia/Jakarta")


@monitoring_api.route("/applications/{application_id}/messages", methods=["GET"])
def messages(application_id: str) -> dict:
    app = _application(application_id)
    return monitoring.list_messages(app.application_id, applications.channel_names(app), _query(), app.timezone or "Asia/Jakarta")


@monitoring_api.route("/applications/{application_id}/messages/{message_id}", methods=["GET"])
def message(application_id: str, message_id: str) -> dict:
    return monitoring.message_detail(_application(application_id).application_id, message_id)
