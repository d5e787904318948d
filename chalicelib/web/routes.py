"""The built console (console/ -> chalicelib/console_dist/), served by the API itself, so it shares
the API's origin: the session cookie stays SameSite=Strict and no CORS is ever needed."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.core.errors import not_found

console_routes = Blueprint(__name__)
DIST = Path(os.environ.get("CONSOLE_DIST") or Path(__file__).resolve().parent.parent / "console_dist")
_ASSET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
          ".html": "text/html; charset=utf-8"}
# The console's pages run only their own files: no inline script, no other origin. Images alone may come from
# any https origin: the template preview shows the example image the owner typed (docs/security.md).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@lru_cache(maxsize=64)
def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


@console_routes.route("/console", methods=["GET"])
def index() -> Response:
    page = _read(DIST / "index.html")
    if page is None:
        raise not_found("The console is not built; `make run` builds it")
    return Response(page.decode("utf-8"), status_code=200,
                    headers={"Content-Type": _TYPES[".html"], "Cache-Control": "no-cache",
                             "Content-Security-Policy": CSP})


@console_routes.route("/console/assets/{name}", methods=["GET"])
def asset(name: str) -> Response:
    if not _ASSET.fullmatch(name) or ".." in name:
        raise not_found()
    data = _read(DIST / "assets" / name)
    content_type = _TYPES.get(Path(name).suffix)
    if data is None or content_type is None:
        raise not_found()
    # File names carry a content hash (Vite): a new build is a new name, so cache for a year.
    return Response(data.decode("utf-8"), status_code=200,
                    headers={"Content-Type": content_type, "Cache-Control": "public, max-age=31536000, immutable"})
