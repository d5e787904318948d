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
# Requests go to the API itself, and a broadcast's file goes straight to S3 through a presigned POST.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; "
       "connect-src 'self'{upload}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@lru_cache(maxsize=1)
def upload_origin() -> str | None:
    """The origin of the stage's bucket as a presigned POST names it (computed locally, no call to S3);
    None when there is no bucket or no credentials to sign with."""
    from urllib.parse import urlsplit

    from chalicelib.core import aws
    from chalicelib.core.config import get_settings

    bucket = get_settings().report_bucket
    if not bucket:
        return None
    try:
        url = aws.client("s3").generate_presigned_post(bucket, "origin")["url"]
    except Exception:  # noqa: BLE001 - no credentials: the page still works, uploads are refused by the browser
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") and parts.netloc else None


def csp() -> str:
    origin = upload_origin()
    return CSP.format(upload=f" {origin}" if origin else "")


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
                             "Content-Security-Policy": csp()})


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
