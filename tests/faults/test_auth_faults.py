"""Issue 12, item 3 and the outside attack on logins: password guesses are counted before the
slow check, so a parallel burst cannot slip past the limit; the limit is per source address,
so guesses from elsewhere never stop the owner's logins or V1 calls (no lockout exists)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chalicelib.core.errors import INVALID_CREDENTIALS, TOO_MANY_REQUESTS
from tests.conftest import PASSWORD, ROOT, SOURCE_HEADER, assert_oca_error, basic

# The limits these tests check are dev's and prod's (the local stage's are generous).
pytestmark = pytest.mark.usefixtures("production_limits")


def test_thirty_parallel_guesses_get_at_most_six_password_checks():
    """On a server where the 30 requests really overlap; Kirim's clock stands still for the burst."""
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "scripts" / "parallel_logins.py")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # Five free attempts and one past them; every other guess refused before scrypt ran, and so
    # is the right password from the same address. The owner, from elsewhere, logs in and calls
    # V1 at once: two more checks.
    assert result["outcomes"] == {"401 wrong": 6, "429 wrong": 24}, result
    assert result["right_from_attacker"] == 429, result
    assert result["scrypt_checks"] == 6 + 2, result
    assert result["owner"] == {"login": 200, "basic": 200}
    # 29 wrong and the right one at once: no wrong guess is ever let in, and at most six checks
    # run before the right one clears the window (six more after it, at most).
    mixed = result["mixed"]
    assert mixed["outcomes"].get("200 wrong?!", 0) == 0 and sum(mixed["outcomes"].values()) == 30, mixed
    if mixed["outcomes"].get("200 right"):
        assert 1 <= mixed["scrypt_checks"] <= 12, mixed
    else:
        assert mixed["scrypt_checks"] == 6 and mixed["outcomes"]["429 right"] == 1, mixed


def test_guesses_from_elsewhere_never_stop_the_owners_v1_api(api, frozen_clock):
    email, session = api.user()
    api.application(session, ["sms"])
    from chalicelib.accounts import service as accounts
    accounts.forget_cached_credentials()
    attacker = {**basic(email, "not the password"), SOURCE_HEADER: "203.0.113.77"}
    for _ in range(20):
        response = api.call("GET", "/api/v1/sms/status/01UNKNOWN", headers=attacker)
        assert response.status_code in (401, 429)
    assert_oca_error(api.call("GET", "/api/v1/sms/status/01UNKNOWN", headers=attacker), 429, TOO_MANY_REQUESTS)
    # The customer's own calls, from their address, with the right password: served, every time.
    owner = {**basic(email, PASSWORD), SOURCE_HEADER: "198.51.100.30"}
    for _ in range(3):
        accounts.forget_cached_credentials()   # a cold container each time: the password is checked
        assert api.call("GET", "/api/v1/sms/status/01UNKNOWN", headers=owner).status_code == 404
    # And a wrong password of the owner's is still just a 401.
    assert_oca_error(api.call("GET", "/api/v1/sms/status/01UNKNOWN",
                              headers={**basic(email, "typo"), SOURCE_HEADER: "198.51.100.30"}), 401,
                     INVALID_CREDENTIALS)
