"""The console page's Content-Security-Policy: its own files only, images also from https (the template
preview shows the example image the owner typed), and requests to the stage's bucket alone besides the API
(a broadcast's file goes there through a presigned POST). Nothing else is widened."""
from __future__ import annotations

import pytest

from chalicelib.web import routes


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("origin", [None, "https://kirim-dev-reports-123.s3.amazonaws.com"])
def test_images_may_come_from_https_and_requests_go_to_the_api_and_the_bucket_alone(monkeypatch, origin):
    monkeypatch.setattr(routes, "upload_origin", lambda: origin)
    policy = routes.csp()
    d = _directives(policy)
    assert d["img-src"] == ["'self'", "data:", "https:"]
    assert d["connect-src"] == ["'self'"] + ([origin] if origin else [])
    for name in ("default-src", "script-src", "style-src", "font-src", "form-action"):
        assert d[name] == ["'self'"], name
    assert d["object-src"] == d["base-uri"] == d["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in policy and "media-src" not in d and "http:" not in policy


def test_the_upload_origin_is_the_one_a_presigned_post_names(monkeypatch):
    routes.upload_origin.cache_clear()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        origin = routes.upload_origin()
        from chalicelib.core import aws
        from chalicelib.core.config import get_settings

        url = aws.client("s3").generate_presigned_post(get_settings().report_bucket, "x")["url"]
        assert origin is not None and url.startswith(origin + "/") and "/" not in origin.split("://", 1)[1]
    finally:
        routes.upload_origin.cache_clear()
