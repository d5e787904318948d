"""Bad input on every route gets a 4xx in OCA's body; a crash gets OCA's 500, never a trace."""
from __future__ import annotations

import json

import pytest

from chalicelib.applications import service as applications
from chalicelib.core.errors import BAD_PARAMETER, INTERNAL, NOT_FOUND, ApiError
from tests.conftest import assert_oca_error

POST_ROUTES = ["/auth/register", "/auth/login", "/applications"]


@pytest.fixture(scope="module")
def session(client):
    from tests.conftest import Api
    return Api(client).user()[1]


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("raw", [b"{bad json", b"", b"[1, 2]", b'"text"', b"\xff\xfe", b"null"])
def test_malformed_bodies_are_406(api, session, path, raw):
    assert_oca_error(api.call("POST", path, raw=raw, headers=session), 406, BAD_PARAMETER, "body")


@pytest.mark.parametrize("path", POST_ROUTES)
def test_oversized_bodies_are_413(api, session, path, monkeypatch):
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    from chalicelib.core import config
    config.get_settings.cache_clear()
    try:
        raw = json.dumps({"name": "x" * 2000}).encode()
        assert_oca_error(api.call("POST", path, raw=raw, headers=session), 413, BAD_PARAMETER, "body")
    finally:
        monkeypatch.delenv("MAX_BODY_BYTES")
        config.get_settings.cache_clear()


@pytest.mark.parametrize("method,path", [("DELETE", "/applications"), ("PUT", "/auth/login"),
                                         ("GET", "/auth/register"), ("PUT", "/applications/abc"),
                                         ("GET", "/applications/abc/channels/sms/token"),
                                         ("POST", "/sms/v2/sms/status/abc")])
def test_wrong_methods_are_405_in_oca_body(api, method, path):
    response = api.call(method, path)
    assert_oca_error(response, 405, NOT_FOUND)
    assert response.headers["Allow"]


def test_an_unexpected_crash_is_an_oca_500_without_details(api, session, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(applications, "create", explode)
    response = api.call("POST", "/applications", {"name": "x", "channels": ["sms"]}, session)
    assert_oca_error(response, 500, INTERNAL)
    assert "secret internal detail" not in response.body.decode()


# The contract, written out (oca-api-reference.md's code tables, docs/oca-compatibility.md), not
# read back from the table under test. The dashboard answers each code with these statuses.
EXPECTED_STATUS = {5: 401, 9: 429, 13: 500, 17: 401, 19: 401, 33: 404, 39: 406, 41: 404, 43: 401, 45: 401,
                   51: 401, 55: 401, 57: 401, 59: 406, 403: 403, 409: 409, 422: 422}


@pytest.mark.parametrize("code,status", sorted(EXPECTED_STATUS.items()))
def test_every_error_code_answers_its_documented_status(code, status):
    error = ApiError(code)
    response = error.to_response()
    assert (response.status_code, json.loads(json.dumps(response.body))) == (
        status, {"errors": [{"message": error.message, "code": code, "reason": error.reason}]})
    assert error.message and error.message != str(code)
    # the console's key to a sentence in the reader's language; OCA's dialects never carry it
    assert error.reason.replace("_", "").isalpha()
    assert all("reason" not in item for d in ("v1", "v2", "whatsapp") for item in error.oca_body(d)["errors"])


def test_the_versions_own_codes_and_statuses():
    from chalicelib.core import errors

    # V2 and WhatsApp say "low-balance" (5) where V1 says 55; V1 answers a missing header 406.
    low = ApiError(errors.QUOTA_LOW)
    assert [(low.to_response(d).status_code, low.to_response(d).body["errors"][0]["code"])
            for d in (errors.OCA_V1, errors.OCA_V2, errors.OCA_WHATSAPP)] == [(401, 55), (401, 5), (401, 5)]
    assert ApiError(errors.AUTH_HEADER_MISSING).to_response(errors.OCA_V1).status_code == 406
    # A status given by the raiser wins over every table (Kirim's 429 and 503 on contention).
    assert ApiError(errors.TOO_MANY_CONCURRENT, status=503).to_response(errors.OCA_V2).status_code == 503


def test_the_code_table_has_no_undocumented_code():
    from chalicelib.core import errors
    assert set(errors.HTTP_STATUS) == set(EXPECTED_STATUS) == set(errors.DEFAULT_MESSAGE)


def test_wrong_content_type_is_a_clear_415(api):
    response = api.call("POST", "/auth/login", raw=b"email=x", headers={"Content-Type": "text/csv"})
    assert_oca_error(response, 415, BAD_PARAMETER)
    assert "application/json" in response.json_body["errors"][0]["message"]


# OCA's tables (oca-api-reference.md 0.7), written out literally: (code, dialect) -> (HTTP, code answered).
OCA_TABLE = {
    (19, "v1"): (406, 19), (19, "v2"): (401, 19), (19, "whatsapp"): (406, 19),
    (55, "v1"): (401, 55), (55, "v2"): (401, 5), (55, "whatsapp"): (401, 5),
    (51, "v1"): (401, 51), (57, "v1"): (401, 57), (17, "v1"): (401, 17),
    (43, "v2"): (401, 43), (45, "v2"): (401, 45), (43, "whatsapp"): (401, 43),
    (33, "v2"): (404, 33), (59, "whatsapp"): (406, 59), (9, "v2"): (429, 9), (13, "v1"): (500, 13),
}


@pytest.mark.parametrize("code,dialect", sorted(OCA_TABLE))
def test_each_code_answers_ocas_status_and_code_per_version(code, dialect):
    error = ApiError(code)
    response = error.to_response(dialect)
    body = response.body
    assert (response.status_code, body["errors"][0]["code"]) == OCA_TABLE[(code, dialect)]
    assert isinstance(body["errors"][0]["code"], int) and isinstance(body["errors"][0]["message"], str)


def test_a_validation_error_is_ocas_validator_list_on_oca_routes_and_kirims_on_the_dashboard():
    from chalicelib.core.errors import ABSENT, bad_parameter
    error = bad_parameter("phone", "Invalid country code")
    assert error.to_response("v2", location="body", value="89694353628").body == {
        "errors": [{"message": [{"value": "89694353628", "msg": "Invalid country code", "param": "phone",
                                 "location": "body"}], "code": "39"}]}
    # A field that was not sent has no value (express-validator leaves it out).
    assert error.to_response("v1", value=ABSENT).body["errors"][0]["message"] == [
        {"msg": "Invalid country code", "param": "phone", "location": "body"}]
    assert error.to_response("dashboard").body == {
        "errors": [{"message": "Invalid country code", "code": 39, "field": "phone", "reason": "invalid"}]}
    # Long values are cut, big objects left out.
    assert len(error.oca_body("v2", value="x" * 5000)["errors"][0]["message"][0]["value"]) == 257
    assert error.oca_body("v2", value={"k": "v" * 1000})["errors"][0]["message"][0]["value"] is None
