"""Issue 12, item 3, issue 20, item 9 and the outside attacks on logins: password guesses are counted
before the slow check, so a parallel burst cannot slip past the limit; a right password is never
refused for the attempts of other right ones (a V1 client's burst on cold Lambdas); the limits are per
source address, with a ceiling per account that the owner's known addresses are not held to, so
guesses from elsewhere never stop the owner's logins or V1 calls."""
from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager

import pytest
from botocore.exceptions import ReadTimeoutError

from chalicelib.core.errors import INVALID_CREDENTIALS, TOO_MANY_REQUESTS
from tests.conftest import PASSWORD, ROOT, SOURCE_HEADER, assert_oca_error, basic

# The limits these tests check are dev's and prod's (the local stage's are generous).
pytestmark = pytest.mark.usefixtures("production_limits")


def _parallel_logins() -> dict:
    """On a server where the requests really overlap; Kirim's clock stands still for each burst."""
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "scripts" / "parallel_logins.py")], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


_RUN: dict = {}


@pytest.fixture
def parallel(production_limits):
    """One run of the script (a few bursts) for this module's tests, under dev's and prod's limits."""
    if not _RUN:
        _RUN.update(_parallel_logins())
    return _RUN


def test_a_v1_clients_parallel_burst_on_cold_lambdas_is_never_refused(parallel):
    """Issue 20, item 9: 20 parallel V1 requests with the right password, each a cold Lambda (no
    cached credential): every one served, each paying its own password check."""
    burst = parallel["v1_burst"]
    assert burst["outcomes"] == {"200 right": 20}, burst
    assert burst["checks"] == {"right": 20, "wrong": 0}, burst


def test_thirty_parallel_guesses_from_one_address_get_six_password_checks(parallel):
    # Five free attempts and one past them, at one instant: every other guess refused before scrypt
    # ran, and so is the right password from the same address afterwards. The owner, from
    # elsewhere, logs in and calls V1 at once.
    wrong = parallel["wrong"]
    assert wrong["outcomes"] == {"401 wrong": 6, "429 wrong": 24}, wrong
    assert wrong["checks"] == {"right": 0, "wrong": 6}, wrong
    assert wrong["right_from_attacker"] == 429, wrong
    assert wrong["owner"] == {"login": 200, "basic": 200}, wrong


def test_the_right_password_among_parallel_guesses_never_lets_a_seventh_guess_in(parallel):
    """29 wrong and the right one at once from one address: a success gives back its own attempt and
    erases nothing, so the wrong guesses get the same six checks, with or without it."""
    mixed = parallel["mixed"]
    outcomes = mixed["outcomes"]
    assert outcomes.get("200 wrong?!", 0) == 0 and sum(outcomes.values()) == 30, mixed
    assert mixed["checks"]["wrong"] == outcomes["401 wrong"], mixed
    if outcomes.get("200 right"):
        # It held a free attempt (then given back: six wrong ones), or the one past them (its delay
        # stays: five).
        assert mixed["checks"]["right"] == 1 and 5 <= mixed["checks"]["wrong"] <= 6, mixed
    else:  # the right one came after the six: refused unchecked, like every guess after them
        assert outcomes["429 right"] == 1 and mixed["checks"] == {"right": 0, "wrong": 6}, mixed


def test_guesses_from_many_addresses_meet_the_accounts_ceiling_and_the_owner_still_logs_in(parallel):
    """30 addresses with a guess each: the account's ceiling (4 x 5 free checks, then one at once) holds
    them to 21 checks, and a second wave of 30 gets none. The owner, from the address they logged in
    from before, logs in and calls V1; an address that never logged in to the account waits."""
    spread = parallel["spread"]
    assert spread["owner_before"] == 200, spread
    assert spread["first"]["checks"] == {"right": 0, "wrong": 21}, spread
    assert spread["first"]["outcomes"] == {"401 wrong": 21, "429 wrong": 9}, spread
    assert spread["second"]["checks"] == {"right": 0, "wrong": 0}, spread
    assert spread["second"]["outcomes"] == {"429 wrong": 30}, spread
    assert spread["owner"] == {"login": 200, "basic": 200, "new_address": 429}, spread


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


@contextmanager
def each_answer_lost_once(model, operation: str):
    """Inside botocore's retry loop (`before-send`): the first attempt of every `operation` call of the
    model's client is made (by moto's stubber) and its answer lost, so botocore sends the call again,
    as it does on AWS after a read timeout."""
    from moto.core.models import botocore_stubber

    events = model._get_connection().connection.client.meta.events
    lost = []

    def lose(request, event_name, **_):
        attempt = request.headers.get("amz-sdk-request", b"")
        if b"attempt=1;" in (attempt if isinstance(attempt, bytes) else attempt.encode()):
            botocore_stubber(event_name, request)
            lost.append(request.url)
            raise ReadTimeoutError(endpoint_url=request.url)

    event = f"before-send.dynamodb.{operation}"
    events.register(event, lose, unique_id="auth-faults-lose")
    try:
        yield lost
    finally:
        events.unregister(event, unique_id="auth-faults-lose")


def test_each_attempt_counts_once_when_botocore_resends_the_counters_writes(api, frozen_clock):
    """Issue 20, item 9: an UpdateItem whose answer was lost is applied twice. The counters keep
    attempt ids in sets, so the resend changes nothing: the same five free attempts and one more."""
    from chalicelib.accounts import login_throttle
    from chalicelib.core.limits import Limit

    email = api.register()
    source = {SOURCE_HEADER: "203.0.113.12"}
    login = lambda password: api.call("POST", "/auth/login", {"email": email, "password": password},  # noqa: E731
                                      headers=source)
    with each_answer_lost_once(Limit, "UpdateItem") as lost:
        for _ in range(4):
            assert_oca_error(login("wrong password!"), 401, INVALID_CREDENTIALS)
        for _ in range(2):  # given back: no attempt used
            assert login(PASSWORD).status_code == 200
        for _ in range(2):  # the fifth free attempt, and one more at once
            assert_oca_error(login("wrong password!"), 401, INVALID_CREDENTIALS)
        assert_oca_error(login(PASSWORD), 429, TOO_MANY_REQUESTS)
    assert len(lost) > 20
    counter = Limit.get(Limit.key("login", login_throttle._digest(email, "203.0.113.12")), consistent_read=True)
    assert len(counter.attempts) == 6 and not counter.pending
