"""Dashboard routes for reports (session auth, owner only). The slice's modules are imported by
the views that use them, so `import app` stays cheap (bench/cold_import.py)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.accounts import dashboard_limits
from chalicelib.applications.access import READ, owned_application
from chalicelib.web.bodies import json_body

report_routes = Blueprint(__name__)
BASE = "/applications/{application_id}/reports"


def _application_id(application_id: str) -> str:
    return owned_application(report_routes.current_request, application_id, need=READ).application_id


@report_routes.route(BASE, methods=["POST"])
def create(application_id: str) -> Response:
    from chalicelib.applications import service as applications
    from chalicelib.reports import service as reports

    app = owned_application(report_routes.current_request, application_id, need=READ, limit=dashboard_limits.REPORTS)
    report = reports.create(app.application_id, applications.channel_names(app), app.zone(),
                            json_body(report_routes.current_request))
    return Response(reports.render(report), status_code=202)


@report_routes.route(BASE, methods=["GET"])
def list_reports(application_id: str) -> dict:
    from chalicelib.reports import service as reports

    return {"items": [reports.render(r) for r in reports.list_for(_application_id(application_id))]}


@report_routes.route(BASE + "/{report_id}", methods=["GET"])
def get_report(application_id: str, report_id: str) -> dict:
    from chalicelib.reports import service as reports

    return reports.render(reports.get(_application_id(application_id), report_id))


@report_routes.route(BASE + "/{report_id}/download", methods=["GET"])
def download(application_id: str, report_id: str) -> dict:
    from chalicelib.reports import service as reports

    return reports.download(reports.get(_application_id(application_id), report_id))
