"""The OpenAPI document: valid OpenAPI 3.1, one operation per route of the real app and no other,
served at /openapi.json, readable at /docs under a strict policy, and the source of the README's table."""
from __future__ import annotations

import hashlib

import pytest

from chalicelib.apidocs.openapi import document
from chalicelib.apidocs.routes import STATIC

METHODS = {"get", "put", "post", "delete", "patch", "options", "head"}


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

    validate(document(), cls=OpenAPIV31SpecValidator)
    assert document()["openapi"] == "3.1.0"


def test_every_route_of_the_app_has_an_operation_and_nothing_else_does(client):
    from app import app
    routes = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    described = {(path, method) for path, operations in document()["paths"].items() for method in operations
                 if method in METHODS}
    assert routes - described == set(), "routes the document does not describe"
    assert described - routes == set(), "operations no route serves"


def test_every_oca_operation_answers_in_ocas_error_body_and_every_dashboard_one_in_kirims():
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            errors = {status: answer for status, answer in operation["responses"].items() if status >= "400"}
            assert errors, (method, path)
            schemas = {answer["content"]["application/json"]["schema"]["$ref"] for answer in errors.values()}
            expected = "#/components/schemas/OcaError" if "x-oca" in operation or path.startswith("/audio/") \
                else "#/components/schemas/DashboardError"
            assert schemas == {expected}, (method, path)


def test_operation_ids_are_unique_and_stable():
    ids = [operation["operationId"] for operations in document()["paths"].values() for operation in operations.values()]
    assert len(ids) == len(set(ids))
    assert "post_sms_v2_sms" in ids and "get_api_v2_message_msgid_status" in ids


def test_served_at_openapi_json(api):
    response = api.call("GET", "/openapi.json")
    assert response.status_code == 200 and response.json_body == document()


def test_the_docs_page_loads_its_files_under_a_strict_policy(api):
    page = api.call("GET", "/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    html = page.body.decode()
    assert "<script>" not in html  # every script is a file
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "docs.js"):
        asset = api.call("GET", f"/docs/assets/{name}")
        assert asset.status_code == 200 and asset.body == (STATIC / name).read_bytes()
    assert api.call("GET", "/docs/assets/..%2Fopenapi.py").status_code == 404


# The pinned copy of swagger-ui-dist 5.35.0 (npm), unchanged.
PINNED = {"swagger-ui-bundle.js": "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
          "swagger-ui.css": "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d"}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_swagger_ui_is_the_pinned_release(name):
    assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == PINNED[name]


def test_the_readme_route_table_is_generated_from_the_document():
    from local.readme_routes import README, current_table, generated_table

    assert current_table(README.read_text()) == generated_table(), \
        "README's route table is stale: run `python -m local.readme_routes --write`"
