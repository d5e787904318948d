"""`chalice local`, answering an unknown path as API Gateway does with Kirim's gateway responses
(infra/chalice-merge.yaml): 404 with OCA's body, and never the Authorization header.

Plain `chalice local` answers an unknown path with API Gateway's raw 403 "Missing Authentication
Token", and, when the request carries an Authorization header, a 403 that quotes the header back
(a credential in a response body, and a crash on a non-ASCII header). This file patches chalice's
local gateway and runs chalice's own CLI; it imports nothing of Kirim's because chalice's reloader
runs it again as a plain script.
"""
from __future__ import annotations

import json
import sys

import chalice.local
from chalice.cli import main as chalice_main

# The body and headers of infra/chalice-merge.yaml's MISSING_AUTHENTICATION_TOKEN response.
NOT_FOUND_BODY = json.dumps({"errors": [{"message": "Not found", "code": 33}]}, separators=(",", ":")).encode()


class UnknownPath(chalice.local.LocalGatewayException):
    CODE = 404

    def __init__(self) -> None:
        super().__init__({"Content-Type": "application/json", "Access-Control-Allow-Origin": "*",
                          "X-Content-Type-Options": "nosniff"}, NOT_FOUND_BODY)


class KirimLocalGateway(chalice.local.LocalGateway):
    def handle_request(self, method, path, headers, body):  # noqa: ANN001, ANN201 - chalice's signature
        try:
            self.event_converter.create_lambda_event(method=method, path=path, headers=headers, body=body)
        except ValueError:  # no route matches the path
            raise UnknownPath() from None
        return super().handle_request(method, path, headers, body)


def install() -> None:
    chalice.local.LocalGateway = KirimLocalGateway  # ChaliceRequestHandler looks it up at each request


if __name__ == "__main__":
    install()
    sys.exit(chalice_main())
