"""The OpenAPI document: valid OpenAPI 3.1, one operation per route of the real app and no other,
served at /openapi.json, readable at /docs under a strict policy, and the source of the Channel API page's
route table (docs/channel-api.md)."""
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
            # A page for people (the unsubscribe link's) answers a bad link with a page too.
            schemas = {answer["content"]["application/json"]["schema"]["$ref"] for answer in errors.values()
                       if "text/html" not in answer["content"]}
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


def test_the_channel_api_route_table_is_generated_from_the_document():
    from local.readme_routes import PAGE, current_table, generated_table

    assert current_table(PAGE.read_text()) == generated_table(), \
        "docs/channel-api.md's route table is stale: run `python -m local.readme_routes --write`"


# --- the dashboard's named schemas (the console's types are generated from them) ---------------------------------

def _dashboard_bodies():
    """(where, schema) of every JSON request and answer body of the dashboard's operations."""
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            if not any(tag.startswith("Dashboard") for tag in operation["tags"]):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                yield f"{method} {path} request", body["schema"]
            for status, answer in operation["responses"].items():
                if "application/json" in answer.get("content", {}):
                    yield f"{method} {path} {status}", answer["content"]["application/json"]["schema"]


def test_every_dashboard_body_is_a_named_schema():
    bodies = list(_dashboard_bodies())
    assert len(bodies) > 60
    inline = [where for where, schema in bodies if set(schema) != {"$ref"}
              or not schema["$ref"].startswith("#/components/schemas/")]
    assert inline == [], "name these in chalicelib/apidocs/dashboard_schemas.py and ref() them"
    used = {schema["$ref"].rsplit("/", 1)[1] for _, schema in bodies}
    assert {"Application", "GeneratedToken", "Settings", "SettingsUpdate", "IvrScript", "Template", "TemplateForm",
            "Preview", "Overview", "MessageDetail", "MessagePage", "Report", "ReportRequest", "DownloadLink", "Me",
            "LoginRequest", "LoginAnswer", "DashboardError"} <= used


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_ref_names_a_schema_and_every_schema_is_used():
    schemas = document()["components"]["schemas"]
    refs = set(_refs(document()))
    assert {ref.rsplit("/", 1)[1] for ref in refs} - set(schemas) == set()
    assert all(ref.startswith("#/components/schemas/") for ref in refs)
    assert set(schemas) - {ref.rsplit("/", 1)[1] for ref in refs} == set(), "a named schema nothing uses"


def test_words_are_the_apps_own_lists():
    """The enums are read from the slices' lists, so a new word is documented the moment it exists."""
    from chalicelib.messages.status_rules import RULES
    from chalicelib.templates.rules import BUTTON_TYPES, CATEGORIES, HEADER_FORMATS, LANGUAGES

    schemas = document()["components"]["schemas"]
    assert set(schemas["StatusWord"]["enum"]) == {word for rules in RULES.values() for word in rules.words}
    assert schemas["TemplateCategory"]["enum"] == list(CATEGORIES)
    assert schemas["HeaderFormat"]["enum"] == list(HEADER_FORMATS)
    assert schemas["ButtonType"]["enum"] == list(BUTTON_TYPES)
    assert schemas["TemplateLanguage"]["enum"] == list(LANGUAGES)
    assert schemas["ReportFormat"]["enum"] == ["csv", "csv.gz", "xlsx"] and schemas["ReportStatus"]["enum"] == [
        "Processing", "Preparing", "Done", "Failed"]


def test_the_contract_check_refuses_an_undocumented_status_and_a_body_that_does_not_conform():
    """tests/contract.py, which every Api.call runs on the dashboard's answers, can fail."""
    import json

    from tests.contract import check_dashboard_answer

    app = {"application_id": "a1", "name": "Shop", "created_at": "2026-11-27T01:02:03Z",
           "timezone": "Asia/Jakarta", "role": "owner", "channels": [
        {"channel": "sms", "status": "Active", "quota_remaining": 5, "token": {"prefix": "kirim_sms_ab",
                                                                                "issued_at": "2026-11-27T01:02:03Z"}}]}
    check_dashboard_answer("GET", "/applications/a1", 200, "application/json", json.dumps(app).encode())
    wrong = [({**app, "channels": [{**app["channels"][0], "channel": "fax"}]}, "'fax' is not one of"),
             ({**app, "created_at": "yesterday"}, "is not a 'date-time'"),
             ({k: v for k, v in app.items() if k != "name"}, "'name' is a required property"),
             ({**app, "channels": [{**app["channels"][0], "token": {"prefix": "x"}}]}, "'issued_at' is a required")]
    for body, says in wrong:
        with pytest.raises(AssertionError, match=says):
            check_dashboard_answer("GET", "/applications/a1?x=1", 200, None, json.dumps(body).encode())
    with pytest.raises(AssertionError, match="status not in the document"):
        check_dashboard_answer("GET", "/applications/a1", 418, None, b"{}")
    preview = {"masking_name": "K", "header": None, "body": None, "footer": None, "buttons": [], "more_buttons": 0}
    # The literal path wins over /templates/{template_id}: a Preview, not a Template.
    check_dashboard_answer("POST", "/applications/a1/whatsapp/templates/preview", 200, None,
                           json.dumps(preview).encode())
    # OCA's routes are not this check's (schemathesis and their own tests hold them).
    check_dashboard_answer("POST", "/sms/v2/sms", 418, None, b"[]")
