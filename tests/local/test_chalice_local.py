"""`make run`'s API server (local/chalice_local.py) answers an unknown path as the deployed gateway
does: 404 with OCA's body, the same bytes as infra/chalice-merge.yaml, and never the Authorization
header (plain `chalice local` quoted it back in a 403)."""
from __future__ import annotations

import http.client
import json
import threading

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
    server = chalice.local.LocalDevServer(app, Config.create(chalice_stage="local", project_dir=str(ROOT)),
                                          "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server.server_close()


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


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
