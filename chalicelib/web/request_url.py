"""This API's public address, as a request reached it: for links Kirim hands out (IVR audio files, broadcast
emails' unsubscribe links)."""
from __future__ import annotations

from chalice.app import Request

from chalicelib.core.config import get_settings


def base_url(request: Request) -> str:
    """`scheme://host[/stage]`: API Gateway's default host carries the stage in the path."""
    headers = request.headers
    host = headers.get("host") or "localhost"
    scheme = headers.get("x-forwarded-proto") or ("http" if get_settings().stage in ("local", "test") else "https")
    stage = (request.context or {}).get("stage")
    prefix = f"/{stage}" if stage and ".execute-api." in host else ""
    return f"{scheme}://{host}{prefix}"
