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
                                         ("GET", "/auth/register"), ("PATCH", "/applications/abc"),
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


def test_every_error_code_has_a_status_and_message():
    from chalicelib.core import errors
    for code, status in errors.HTTP_STATUS.items():
        error = ApiError(code)
        assert error.status == status and error.body()["errors"][0]["code"] == code
        assert 400 <= status < 600


def test_wrong_content_type_is_a_clear_415(api):
    response = api.call("POST", "/auth/login", raw=b"email=x", headers={"Content-Type": "text/csv"})
    assert_oca_error(response, 415, BAD_PARAMETER)
    assert "application/json" in response.json_body["errors"][0]["message"]
