"""Two-factor sign-in: TOTP codes (RFC 6238), recovery codes, the secret wrapped at rest, throttled guesses."""
from __future__ import annotations

import base64

import pytest

from chalicelib.accounts import two_factor
from chalicelib.accounts.models import User
from chalicelib.core import clock
from chalicelib.core.errors import BAD_PARAMETER, CONFLICT, INVALID_CREDENTIALS, TOO_MANY_REQUESTS
from tests.conftest import PASSWORD, assert_dashboard_error


def test_codes_are_rfc_6238s():
    secret = b"12345678901234567890"   # RFC 6238's SHA-1 seed; its 8-digit values end in these 6
    assert two_factor.code_at(secret, 59 // 30) == "287082"
    assert two_factor.code_at(secret, 1111111109 // 30) == "081804"
    assert two_factor.code_at(secret, 2000000000 // 30) == "279037"


def _now_code(secret_text: str, shift: int = 0) -> str:
    secret = base64.b32decode(secret_text + "=" * (-len(secret_text) % 8))
    return two_factor.code_at(secret, int(clock.epoch()) // 30 + shift)


def _login(api, email, code=None):
    body = {"email": email, "password": PASSWORD, **({"code": code} if code is not None else {})}
    return api.call("POST", "/auth/login", body)


def _enabled(api, frozen_clock):
    email, session = api.user()
    setup = api.call("POST", "/auth/two-factor/setup", headers=session)
    assert setup.status_code == 201 and setup.headers["Cache-Control"] == "no-store"
    secret = setup.json_body["secret"]
    assert setup.json_body["otpauth_uri"].startswith("otpauth://totp/Kirim:")
    assert f"secret={secret}" in setup.json_body["otpauth_uri"]
    # Not on until a code confirms it.
    assert api.call("GET", "/auth/two-factor", headers=session).json_body == {"enabled": False,
                                                                              "recovery_codes_left": 0}
    wrong = "000000" if _now_code(secret) != "000000" else "111111"
    assert_dashboard_error(api.call("POST", "/auth/two-factor/enable", {"code": wrong}, session),
                           406, BAD_PARAMETER, "code")
    enabled = api.call("POST", "/auth/two-factor/enable", {"code": _now_code(secret)}, session)
    assert enabled.status_code == 200, enabled.json_body
    codes = enabled.json_body["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    frozen_clock.advance(30)   # the code that enabled it is spent; the next step's is fresh
    return email, session, secret, codes


def test_enable_then_sign_in_needs_a_code_once_each(api, frozen_clock):
    email, session, secret, codes = _enabled(api, frozen_clock)
    assert api.call("GET", "/auth/two-factor", headers=session).json_body == {"enabled": True,
                                                                              "recovery_codes_left": 10}
    # At rest: wrapped, never the secret itself; recovery codes only as hashes.
    stored = User.get(email)
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert base64.b64decode(stored.totp.as_dict()["wrapped"]) != raw and secret not in str(stored.totp.as_dict())
    assert not {c.replace("-", "") for c in codes} & set(stored.recovery_hashes)

    assert_dashboard_error(_login(api, email), 401, INVALID_CREDENTIALS, "code")
    assert_dashboard_error(_login(api, email, _now_code(secret, 5)), 401, INVALID_CREDENTIALS, "code")
    code = _now_code(secret)
    assert _login(api, email, code).status_code == 200
    assert_dashboard_error(_login(api, email, code), 401, INVALID_CREDENTIALS, "code")   # spent
    frozen_clock.advance(30)
    assert _login(api, email, _now_code(secret)).status_code == 200

    # A recovery code, typed loosely, works once.
    assert _login(api, email, " " + codes[0].upper() + " ").status_code == 200
    assert_dashboard_error(_login(api, email, codes[0]), 401, INVALID_CREDENTIALS, "code")
    assert api.call("GET", "/auth/two-factor", headers=session).json_body["recovery_codes_left"] == 9


def test_disable_with_a_code_and_setup_refused_while_on(api, frozen_clock):
    email, session, secret, codes = _enabled(api, frozen_clock)
    assert_dashboard_error(api.call("POST", "/auth/two-factor/setup", headers=session), 409, CONFLICT)
    assert_dashboard_error(api.call("POST", "/auth/two-factor/disable", {"code": "12345"}, session),
                           406, BAD_PARAMETER, "code")
    assert api.call("POST", "/auth/two-factor/disable", {"code": codes[3]}, session).status_code == 204
    assert api.call("GET", "/auth/two-factor", headers=session).json_body == {"enabled": False,
                                                                              "recovery_codes_left": 0}
    assert _login(api, email).status_code == 200
    assert_dashboard_error(api.call("POST", "/auth/two-factor/enable", {"code": "123456"}, session), 409, CONFLICT)


@pytest.mark.usefixtures("production_limits")
def test_code_guesses_are_throttled_like_passwords(api, frozen_clock):
    email, _, secret, _ = _enabled(api, frozen_clock)
    wrong = "000000" if _now_code(secret) != "000000" else "111111"
    answers = [_login(api, email, wrong).status_code for _ in range(8)]
    assert answers[:5] == [401] * 5 and 429 in answers[5:], answers
    assert_dashboard_error(_login(api, email, wrong), 429, TOO_MANY_REQUESTS)


def _qr_modules(data_uri: str) -> set[tuple[int, int]]:
    """The dark modules of a QR code drawn by segno as an SVG data: URI (one path of horizontal runs:
    `M x y`, then `h n` draws n modules, `m dx dy` moves), as (column, row) from the symbol's corner."""
    import re
    from urllib.parse import unquote

    assert data_uri.startswith("data:image/svg+xml")
    svg = unquote(data_uri.split(",", 1)[1])
    path = re.search(r"\sd='([^']+)'", svg).group(1)
    assert re.search(r"transform='scale\(4\)'", svg)
    dark, x, y, start = set(), 0.0, 0.0, None
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
            start = start or (x, y - 0.5)  # the border: the first run starts in the top left finder pattern
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for n in range(int(float(a))):
                dark.add((int(x) + n - int(start[0]), int(y - 0.5) - int(start[1])))
            x += float(a)
    return dark


def test_the_setup_answers_a_qr_code_of_its_uri(api):
    import segno

    _, session = api.user()
    setup = api.call("POST", "/auth/two-factor/setup", headers=session).json_body
    drawn = _qr_modules(setup["qr_svg"])
    # The modules drawn are exactly those of a QR code of this very URI (and not of another secret's).
    expected = segno.make(setup["otpauth_uri"], error="m")
    wanted = {(x, y) for y, row in enumerate(expected.matrix) for x, on in enumerate(row) if on}
    assert drawn == wanted
    other = segno.make(setup["otpauth_uri"].replace(setup["secret"], "A" * len(setup["secret"])), error="m")
    assert drawn != {(x, y) for y, row in enumerate(other.matrix) for x, on in enumerate(row) if on}
