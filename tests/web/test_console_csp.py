"""The console page's Content-Security-Policy: its own files only, and images also from https (the template
preview shows the example image the owner typed). Nothing else is widened."""
from __future__ import annotations

from chalicelib.web.routes import CSP


def _directives() -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in CSP.split(";")) if part}


def test_images_may_come_from_https_and_nothing_else_leaves_the_origin():
    d = _directives()
    assert d["img-src"] == ["'self'", "data:", "https:"]
    for name in ("default-src", "script-src", "style-src", "font-src", "connect-src", "form-action"):
        assert d[name] == ["'self'"], name
    assert d["object-src"] == d["base-uri"] == d["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in CSP and "media-src" not in d and "http:" not in CSP
