"""Dashboard routes for IVR scripts (session auth, owner only). The slice's modules are imported
by the views that use them, so `import app` stays cheap (bench/cold_import.py)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.applications.access import DEVELOP, owned_application
from chalicelib.core.channels import IVR
from chalicelib.web.bodies import json_body

ivr_routes = Blueprint(__name__)
BASE = "/applications/{application_id}/ivr"


@ivr_routes.route(BASE, methods=["POST"])
def create_script(application_id: str) -> Response:
    from chalicelib.ivr import scripts

    request = ivr_routes.current_request
    app = owned_application(request, application_id, IVR, need=DEVELOP)
    script = scripts.create(app.application_id, json_body(request))
    return Response(scripts.render(script), status_code=201)


@ivr_routes.route(BASE, methods=["GET"])
def list_scripts(application_id: str) -> dict:
    from chalicelib.ivr import scripts

    app = owned_application(ivr_routes.current_request, application_id, IVR, need=DEVELOP)
    return {"items": [scripts.render(script) for script in scripts.list_for(app.application_id)]}
