"""`make run`'s API server (local/chalice_local.py), as the deployed gateway behaves: an unknown path
is 404 with OCA's body, the same bytes as infra/chalice-merge.yaml, and never the Authorization
header (plain `chalice local` quoted it back in a 403); each client's own address reaches the app,
so two clients of one machine have budgets of their own; the documentation site is served."""
from __future__ import annotations

import http.client
import json
import threading
import uuid

import pytest
import yaml

from tests.conftest import ROOT
from local.ports import free_port


@pytest.fixture
def local_server(client, monkeypatch):
    import chalice.local
    from chalice.config import Config

    from app import app
    from local import chalice_local

    monkeypatch.setattr(chalice.local, "LocalGateway", chalice_local.KirimLocalGateway)
    port = free_port()
    # As `make run` starts it; clients may come from any loopback address (127.0.0.0/8).
    server = chalice_local.KirimLocalDevServer(app, Config.create(chalice_stage="local", project_dir=str(ROOT)),
                                               "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server.server_close()


def _request(port: int, method: str, path: str, headers: dict[str, str], body: dict | None = None,
             source: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    payload = None if body is None else json.dumps(body)
    connection.request(method, path, body=payload, headers={**headers, "Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return _request(port, "GET", path, headers)


@pytest.mark.parametrize("authorization", [None, "Bearer kirim_sms_SECRET-TOKEN", "Basic ZGVtbzpzZWNyZXQ="])
def test_an_unknown_path_is_ocas_404_and_echoes_no_credential(local_server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    status, response_headers, body = _get(local_server, "/sms/v2/no-such-route", headers)
    assert status == 404
    assert json.loads(body) == {"errors": [{"message": "Not found", "code": 33}]}
    if authorization:
        assert authorization.split()[-1].encode() not in body
        assert not any(authorization.split()[-1] in value for value in response_headers.values())
    merge = yaml.safe_load((ROOT / "infra" / "chalice-merge.yaml").read_text())
    gateway = merge["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    assert body.decode() == gateway["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"]["application/json"]
    assert response_headers["Access-Control-Allow-Origin"] == "*"


def test_known_paths_still_reach_the_app(local_server):
    status, _, body = _get(local_server, "/sms/v2/number", {"Authorization": "kirim_sms_nope"})
    assert status == 401 and json.loads(body)["errors"][0]["code"] == 45


@pytest.fixture
def small_budgets(monkeypatch):
    from chalicelib.core import config

    monkeypatch.setenv("REGISTRATIONS_PER_HOUR", "3")
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "2")
    config.get_settings.cache_clear()
    yield
    monkeypatch.undo()
    config.get_settings.cache_clear()


def _register(port: int, source: str) -> int:
    body = {"email": f"twin-{uuid.uuid4().hex[:12]}@example.com", "password": "a long password", "name": "Twin"}
    return _request(port, "POST", "/auth/register", {}, body, source)[0]


def _wrong_login(port: int, email: str, source: str) -> int:
    return _request(port, "POST", "/auth/login", {}, {"email": email, "password": "not the password"}, source)[0]


def test_two_clients_on_different_loopback_addresses_have_budgets_of_their_own(local_server, small_budgets):
    # Registrations: the first address spends its budget; the second still has all of its own.
    assert [_register(local_server, "127.0.0.2") for _ in range(4)] == [201, 201, 201, 429]
    assert [_register(local_server, "127.0.0.3") for _ in range(3)] == [201, 201, 201]
    # Login failures, per email and address: another address is not slowed by the first's guesses.
    email = "budget-owner@example.com"
    _request(local_server, "POST", "/auth/register", {}, {"email": email, "password": "a long password",
                                                          "name": "Owner"}, "127.0.0.4")
    assert 429 in [_wrong_login(local_server, email, "127.0.0.5") for _ in range(6)]  # delays of 1 s, 2 s...
    assert _wrong_login(local_server, email, "127.0.0.6") == 401


def test_the_built_documentation_site_is_served_under_docs_guide(local_server, tmp_path, monkeypatch):
    from local import chalice_local

    (tmp_path / "api").mkdir()
    (tmp_path / "index.html").write_text("<h1>Kirim</h1>")
    (tmp_path / "api" / "index.html").write_text("<h1>API</h1>")
    (tmp_path.parent / "secret.txt").write_text("not for the web")
    monkeypatch.setattr(chalice_local, "SITE", tmp_path)
    status, headers, body = _get(local_server, "/docs/guide/", {})
    assert status == 200 and body == b"<h1>Kirim</h1>" and headers["Content-Type"] == "text/html"
    assert _get(local_server, "/docs/guide/api/", {})[2] == b"<h1>API</h1>"
    assert _get(local_server, "/docs/guide/../secret.txt", {})[0] == 404
    assert _get(local_server, "/docs/guide/%2e%2e/secret.txt", {})[0] == 404
    assert _get(local_server, "/docs/guide/nope.html", {})[0] == 404
    assert _get(local_server, "/docs", {})[0] == 200  # the API reference is the app's own page
    monkeypatch.setattr(chalice_local, "SITE", tmp_path / "not-built")
    status, _, body = _get(local_server, "/docs/guide/", {})
    assert status == 404 and b"make docs" in body
