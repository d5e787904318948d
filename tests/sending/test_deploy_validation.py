"""`chalice deploy` checks the app before it calls AWS; `chalice package` and the test client do not,
so a route that fails that check passed every other test (issue 13 found it). Run the deploy-time
check itself on the real app, for every stage."""
from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("stage", ["local", "dev", "prod"])
def test_chalices_deploy_time_validation_passes_on_the_real_app(aws, stage):
    from chalice.config import Config
    from chalice.deploy.validate import validate_configuration

    from app import app

    config = Config.create(chalice_stage=stage, project_dir=str(ROOT), chalice_app=app, app_name="kirim",
                           config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()))
    validate_configuration(config)  # raises on mixed binary and text content types, CORS mismatches...


def test_the_check_catches_what_it_caught_on_the_old_email_route(aws):
    from chalice import Blueprint, Chalice
    from chalice.config import Config
    from chalice.deploy.validate import validate_configuration

    old = Chalice(app_name="old")
    old.api.binary_types.append("multipart/form-data")
    routes = Blueprint(__name__)
    routes.route("/api/v1/send-single", methods=["POST"], content_types=[
        "application/json", "multipart/form-data", "application/x-www-form-urlencoded"])(lambda: {})
    old.register_blueprint(routes)
    with pytest.raises(ValueError, match="support binary"):
        validate_configuration(Config.create(chalice_stage="dev", project_dir=str(ROOT), chalice_app=old,
                                             app_name="old", config_from_disk={"version": "2.0", "stages": {}}))
