"""Dashboard routes for reports (session auth, owner only)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.applications import service as applications
from chalicelib.reports import service as reports
from chalicelib.web.credentials import json_body, session_principal
from chalicelib.core.db import Application

reports_api = Blueprint(__name__)
BASE = "/applications/{application_id}/reports"


def _application(application_id: str) -> Application:
    return applications.get_owned(session_principal(reports_api.current_request), application_id)


@reports_api.route(BASE, methods=["POST"])
def create(application_id: str) -> Response:
    app = _application(application_id)
    report = reports.create(app.application_id, applications.channel_names(app), app.timezone or "Asia/Jakarta",
                            json_body(reports_api.current_request))
    return Response(reports.render(report), status_code=202)


@reports_api.route(BASE, methods=["GET"])
def list_reports(application_id: str) -> dict:
    app = _application(application_id)
    return {"items": [reports.render(r) for r in reports.list_for(app.application_id)]}


@reports_api.route(BASE + "/{report_id}", methods=["GET"])
def get_report(application_id: str, report_id: str) -> dict:
    return reports.render(reports.get(_application(application_id).application_id, report_id))


@reports_api.route(BASE + "/{report_id}/download", methods=["GET"])
def download(application_id: str, report_id: str) -> dict:
    return reports.download(reports.get(_application(application_id).application_id, report_id))
