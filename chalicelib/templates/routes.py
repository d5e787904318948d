"""Dashboard routes for WhatsApp templates (session auth, owner only):
/applications/{application_id}/whatsapp/templates[/{template_id}[/submit|/preview]]. The slice's
modules are imported by the views that use them, so `import app` stays cheap (bench/cold_import.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.applications.access import DEVELOP, owned_application
from chalicelib.core.channels import WHATSAPP
from chalicelib.web.bodies import json_body

if TYPE_CHECKING:
    from chalicelib.applications.models import Application

template_routes = Blueprint(__name__)
BASE = "/applications/{application_id}/whatsapp/templates"


def _application(application_id: str) -> Application:
    return owned_application(template_routes.current_request, application_id, WHATSAPP, need=DEVELOP)


@template_routes.route(BASE, methods=["POST"])
def create(application_id: str) -> Response:
    from chalicelib.templates import service as templates

    app = _application(application_id)
    template = templates.create(app.application_id, json_body(template_routes.current_request))
    return Response(templates.render(template), status_code=201)


@template_routes.route(BASE, methods=["GET"])
def list_templates(application_id: str) -> dict:
    from chalicelib.templates import service as templates

    app = _application(application_id)
    status = (template_routes.current_request.query_params or {}).get("status")
    return {"items": [templates.render(t) for t in templates.list_for(app.application_id, status)]}


@template_routes.route(BASE + "/preview", methods=["POST"])
def preview_unsaved(application_id: str) -> dict:
    """The live preview of a form being typed: the same renderer, nothing saved."""
    from chalicelib.templates.preview import preview as render_preview

    app = _application(application_id)
    body = json_body(template_routes.current_request, max_bytes=64 * 1024)
    masking_name = body.pop("masking_name", None) or app.name
    return render_preview(body, masking_name)


@template_routes.route(BASE + "/{template_id}", methods=["GET"])
def get_template(application_id: str, template_id: str) -> dict:
    from chalicelib.templates import service as templates

    return templates.render(templates.get(_application(application_id).application_id, template_id))


@template_routes.route(BASE + "/{template_id}", methods=["PATCH"])
def edit(application_id: str, template_id: str) -> dict:
    from chalicelib.templates import service as templates

    app = _application(application_id)
    body = json_body(template_routes.current_request)
    return templates.render(templates.edit(app.application_id, template_id, body))


@template_routes.route(BASE + "/{template_id}", methods=["DELETE"])
def delete(application_id: str, template_id: str) -> Response:
    from chalicelib.templates import service as templates

    templates.delete(_application(application_id).application_id, template_id)
    return Response(body="", status_code=204)


@template_routes.route(BASE + "/{template_id}/submit", methods=["POST"])
def submit(application_id: str, template_id: str) -> dict:
    from chalicelib.templates import service as templates

    app = _application(application_id)
    request = template_routes.current_request
    body = json_body(request) if (request.raw_body or b"").strip() else {}
    return templates.render(templates.submit(app.application_id, template_id, body))


@template_routes.route(BASE + "/{template_id}/preview", methods=["GET"])
def preview(application_id: str, template_id: str) -> dict:
    from chalicelib.templates import service as templates
    from chalicelib.templates.preview import preview as render_preview

    app = _application(application_id)
    template = templates.get(app.application_id, template_id)
    masking_name = (template_routes.current_request.query_params or {}).get("masking_name")
    return render_preview(templates.as_dict(template), masking_name)
