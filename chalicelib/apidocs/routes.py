"""The API's own description: /openapi.json, and a page that reads it (/docs, Swagger UI from a pinned
copy of swagger-ui-dist, served as files: the page runs no inline script, under its own strict policy)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.core.errors import not_found

apidocs_routes = Blueprint(__name__)
STATIC = Path(__file__).resolve().parent / "static"
_FILES = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
          "docs.js": "text/javascript; charset=utf-8"}
_NAME = re.compile(r"[a-z.-]{1,40}")
# Swagger UI's own files and this API only, nothing inline (checked in Chromium: the page renders and
# expands operations under it). It renders SVG icons from data: URLs.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@lru_cache(maxsize=1)
def _document_json() -> str:
    from chalicelib.apidocs.openapi import document

    return json.dumps(document(), separators=(",", ":"))


@lru_cache(maxsize=8)
def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@apidocs_routes.route("/openapi.json", methods=["GET"])
def openapi_json() -> Response:
    return Response(_document_json(), status_code=200,
                    headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=300"})


@apidocs_routes.route("/docs", methods=["GET"])
def docs_page() -> Response:
    return Response(_read("docs.html"), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP,
                             "Cache-Control": "no-cache"})


@apidocs_routes.route("/docs/assets/{name}", methods=["GET"])
def docs_asset(name: str) -> Response:
    if not _NAME.fullmatch(name) or name not in _FILES:
        raise not_found()
    return Response(_read(name), status_code=200,
                    headers={"Content-Type": _FILES[name], "Cache-Control": "public, max-age=86400"})
