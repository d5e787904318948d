"""The console's session: an HttpOnly cookie, a CSRF header for unsafe methods, security headers,
and the built console served from the API's own origin."""
from __future__ import annotations

from chalicelib.core.errors import AUTH_HEADER_MISSING, INVALID_CREDENTIALS, TOKEN_INVALID
from chalicelib.web import routes as console_routes
from tests.conftest import PASSWORD, assert_oca_error

CONSOLE = {"X-Kirim-Console": "1"}


def _cookie_login(api, email):
    response = api.call("POST", "/auth/login", {"email": email, "password": PASSWORD}, CONSOLE)
    assert response.status_code == 200, response.body
    return response


def _cookie(response) -> str:
    set_cookie = response.headers["Set-Cookie"]
    return set_cookie.split(";")[0]


def test_console_login_sets_an_httponly_strict_cookie_and_hides_the_token(api):
    email = api.register()
    response = _cookie_login(api, email)
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("kirim_session=kirim_sess_")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"):
        assert attribute in set_cookie
    assert "Secure" not in set_cookie  # the local stage serves plain HTTP
    assert "session_token" not in response.json_body and response.json_body["expires_at"].endswith("Z")
    assert response.headers["Cache-Control"] == "no-store"


def test_script_login_still_answers_the_token_without_a_cookie(api):
    email = api.register()
    response = api.call("POST", "/auth/login", {"email": email, "password": PASSWORD})
    assert response.json_body["session_token"].startswith("kirim_sess_")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_the_cookie_reads_and_needs_the_console_header_to_write(api):
    email = api.register()
    cookie = {"Cookie": _cookie(_cookie_login(api, email))}
    me = api.call("GET", "/auth/me", headers=cookie)
    assert me.status_code == 200 and me.json_body["email"] == email
    assert api.call("GET", "/applications", headers=cookie).status_code == 200
    # A cross-site form would carry the cookie (were it not Strict) but never a custom header.
    forged = api.call("POST", "/applications", {"name": "x", "channels": ["sms"]}, cookie)
    assert_oca_error(forged, 403, INVALID_CREDENTIALS)
    made = api.call("POST", "/applications", {"name": "x", "channels": ["sms"]}, {**cookie, **CONSOLE})
    assert made.status_code == 201


def test_logout_clears_the_cookie_and_the_session_dies(api):
    email = api.register()
    cookie = {"Cookie": _cookie(_cookie_login(api, email))}
    response = api.call("POST", "/auth/logout", headers={**cookie, **CONSOLE})
    assert response.status_code == 204
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    assert_oca_error(api.call("GET", "/applications", headers=cookie), 401, TOKEN_INVALID)


def test_without_any_credential_it_is_the_missing_header_error(api):
    assert_oca_error(api.call("GET", "/auth/me"), 401, AUTH_HEADER_MISSING)
    assert_oca_error(api.call("GET", "/auth/me", headers={"Cookie": "other=1; kirim_session="}), 401,
                     AUTH_HEADER_MISSING)


def test_every_answer_carries_the_security_headers_and_no_cors(api):
    response = api.call("GET", "/applications", headers={"Origin": "https://evil.example"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert not any(name.lower().startswith("access-control-") for name in response.headers)


def test_the_built_console_is_served_with_a_strict_policy(api, tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/console/assets/app-1a2b.js">'
                                         '</script>')
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log('kirim')")
    monkeypatch.setattr(console_routes, "DIST", tmp_path)
    console_routes._read.cache_clear()
    page = api.call("GET", "/console/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    script = api.call("GET", "/console/assets/app-1a2b.js")
    assert script.status_code == 200 and script.body == b"console.log('kirim')"
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in script.headers["Cache-Control"]
    for bad in ("/console/assets/..%2Findex.html", "/console/assets/missing.js", "/console/assets/x.exe"):
        assert_oca_error(api.call("GET", bad), 404, 33)
    console_routes._read.cache_clear()
