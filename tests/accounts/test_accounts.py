
"""Accounts: register, login, logout, sessions and login throttling, against moto."""
from __future__ import annotations

import pytest

import uuid

import boto3

from chalicelib.core.errors import (
    AUTH_HEADER_MISSING,
    BAD_PARAMETER,
    CONFLICT,
    INVALID_CREDENTIALS,
    TOKEN_INVALID,
    TOO_MANY_REQUESTS,
)
from tests.conftest import PASSWORD, SOURCE_HEADER, assert_oca_error

# The limits these tests check are dev's and prod's (the local stage's are generous).
pytestmark = pytest.mark.usefixtures("production_limits")


def _email() -> str:
    return f"acct-{uuid.uuid4().hex[:10]}@example.com"


def test_register_returns_the_account_and_stores_only_a_scrypt_hash(api, production_scrypt):
    email = _email()
    response = api.call("POST", "/auth/register", {"email": email.upper(), "password": PASSWORD, "name": "Budi"})
    assert response.status_code == 201
    body = response.json_body
    assert body["email"] == email and body["name"] == "Budi" and uuid.UUID(body["user_id"])
    item = boto3.resource("dynamodb").Table("kirim-local-users").get_item(Key={"email": email})["Item"]
    # Production's parameters (the rest of the suite hashes cheaper: tests/conftest.py's cheap_scrypt).
    assert item["password_hash"].startswith("scrypt$32768$8$3$") and PASSWORD not in str(item)
    assert production_scrypt == 2**15
    assert api.call("POST", "/auth/login", {"email": email, "password": PASSWORD}).status_code == 200


def test_duplicate_email_is_409(api):
    email = api.register()
    response = api.call("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Again"})
    assert_oca_error(response, 409, CONFLICT, "email")


def test_register_refuses_bad_input_with_the_field_named(api):
    cases = [
        ({"email": "not-an-email", "password": PASSWORD, "name": "x"}, "email"),
        ({"email": _email(), "password": "short", "name": "x"}, "password"),
        ({"email": _email(), "password": PASSWORD}, "name"),
        ({"email": _email(), "password": PASSWORD, "name": "x" * 101}, "name"),
        ({"email": _email(), "password": 12345678901, "name": "x"}, "password"),
        ({"password": PASSWORD, "name": "x"}, "email"),
        ({"email": ["a@b.co"], "password": PASSWORD, "name": "x"}, "email"),
    ]
    for body, field in cases:
        assert_oca_error(api.call("POST", "/auth/register", body), 406, BAD_PARAMETER, field)


def test_login_gives_a_session_that_logout_ends(api):
    email = api.register()
    response = api.call("POST", "/auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json_body["session_token"]
    assert response.json_body["expires_at"].endswith("Z")
    session = {"Authorization": f"Bearer {token}"}
    assert api.call("GET", "/applications", headers=session).status_code == 200
    assert api.call("POST", "/auth/logout", headers=session).status_code == 204
    assert_oca_error(api.call("GET", "/applications", headers=session), 401, TOKEN_INVALID)


def test_sessions_table_holds_only_hashes(api):
    email = api.register()
    tokens = [api.login(email)["Authorization"].split()[1] for _ in range(3)]
    items = boto3.resource("dynamodb").Table("kirim-local-sessions").scan()["Items"]
    text = str(items)
    assert all(token not in text for token in tokens)
    assert all(len(item["token_hash"]) == 64 and item["expires_ttl"] > 0 for item in items)


def test_wrong_email_and_wrong_password_give_the_same_401(api):
    email = api.register()
    wrong_password = api.call("POST", "/auth/login", {"email": email, "password": "wrong password!"})
    wrong_email = api.call("POST", "/auth/login", {"email": _email(), "password": PASSWORD})
    assert_oca_error(wrong_password, 401, INVALID_CREDENTIALS)
    assert_oca_error(wrong_email, 401, INVALID_CREDENTIALS)
    assert wrong_password.json_body == wrong_email.json_body


def test_expired_session_is_refused(api, frozen_clock):
    _, session = api.user()
    frozen_clock.advance(12 * 3600 - 1)
    assert api.call("GET", "/applications", headers=session).status_code == 200
    frozen_clock.advance(1)
    assert_oca_error(api.call("GET", "/applications", headers=session), 401, TOKEN_INVALID)


def test_missing_or_malformed_session_header(api):
    assert_oca_error(api.call("GET", "/applications"), 401, AUTH_HEADER_MISSING)
    assert_oca_error(api.call("GET", "/applications", headers={"Authorization": "Basic abc"}), 401,
                     INVALID_CREDENTIALS)
    assert_oca_error(api.call("GET", "/applications", headers={"Authorization": "Bearer nope"}), 401,
                     TOKEN_INVALID)


def _login(api, email, password, source):
    return api.call("POST", "/auth/login", {"email": email, "password": password},
                    headers={SOURCE_HEADER: source})


def test_failures_slow_down_their_own_address_progressively_and_never_the_owner(api, frozen_clock):
    email = api.register()
    for _ in range(6):  # five free attempts, then one more at once
        assert_oca_error(_login(api, email, "wrong password!", "203.0.113.9"), 401, INVALID_CREDENTIALS)
    # Then each attempt waits twice as long as the one before: 1 s, 2 s, 4 s...
    for wait in (1, 2, 4):
        refused = _login(api, email, PASSWORD, "203.0.113.9")
        assert_oca_error(refused, 429, TOO_MANY_REQUESTS)
        assert refused.headers["Retry-After"] == str(wait)
        frozen_clock.advance(wait)
        assert_oca_error(_login(api, email, "wrong password!", "203.0.113.9"), 401, INVALID_CREDENTIALS)
    # The owner, from their own address, is never held up: no lockout to trigger.
    assert _login(api, email, PASSWORD, "198.51.100.7").status_code == 200
    # Once the window has passed, the guessing address starts afresh.
    frozen_clock.advance(15 * 60 + 1)
    assert _login(api, email, PASSWORD, "203.0.113.9").status_code == 200


def test_a_success_gives_back_its_own_attempt_and_forgets_no_failure(api, frozen_clock):
    """A right password was no guess: it costs no attempt, however often it comes. It erases no
    failure either, so an address shared with a guesser never opens the window for more guesses."""
    email = api.register()
    for _ in range(4):
        assert_oca_error(_login(api, email, "wrong password!", "203.0.113.10"), 401, INVALID_CREDENTIALS)
    for _ in range(3):
        assert _login(api, email, PASSWORD, "203.0.113.10").status_code == 200
    for _ in range(2):  # the fifth free attempt, and one more at once
        assert_oca_error(_login(api, email, "wrong password!", "203.0.113.10"), 401, INVALID_CREDENTIALS)
    assert_oca_error(_login(api, email, PASSWORD, "203.0.113.10"), 429, TOO_MANY_REQUESTS)
    frozen_clock.advance(1)
    assert _login(api, email, PASSWORD, "203.0.113.10").status_code == 200


def test_unknown_emails_are_throttled_too(api, frozen_clock):
    email = _email()
    for _ in range(6):
        assert_oca_error(api.call("POST", "/auth/login", {"email": email, "password": "wrong password!"}), 401,
                         INVALID_CREDENTIALS)
    assert_oca_error(api.call("POST", "/auth/login", {"email": email, "password": PASSWORD}), 429,
                     TOO_MANY_REQUESTS)


def test_one_address_guessing_across_many_emails_is_slowed_down(api, frozen_clock):
    emails = [api.register() for _ in range(3)]
    refused = 0
    for email in emails * 9:  # 27 guesses, at most 5 per email, 20 per address in the window
        response = _login(api, email, "wrong password!", "192.0.2.44")
        refused += response.status_code == 429
    assert refused >= 27 - 21
    # Each account's owner still logs in from home.
    assert all(_login(api, email, PASSWORD, "198.51.100.8").status_code == 200 for email in emails)


def test_login_answers_are_never_cached(api):
    email = api.register()
    ok = api.call("POST", "/auth/login", {"email": email, "password": PASSWORD})
    bad = api.call("POST", "/auth/login", {"email": email, "password": "wrong password!"})
    assert ok.headers["Cache-Control"] == "no-store" and bad.status_code == 401


def test_register_is_rate_limited_per_address_and_register_then_login_still_works(api, frozen_clock):
    for n in range(10):
        email = f"bulk-{n}-{uuid.uuid4().hex[:8]}@example.com"
        response = api.call("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "x"},
                            headers={SOURCE_HEADER: "192.0.2.99"})
        assert response.status_code == 201
        assert _login(api, email, PASSWORD, "192.0.2.99").status_code == 200
    taken = api.call("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "x"},
                     headers={SOURCE_HEADER: "192.0.2.99"})
    assert_oca_error(taken, 429, TOO_MANY_REQUESTS)   # not 409: the address cannot probe emails any more
    assert 1 <= int(taken.headers["Retry-After"]) <= 3600
    # Another address registers as usual; the limited one again after the hour.
    assert api.call("POST", "/auth/register", {"email": _email(), "password": PASSWORD, "name": "x"},
                    headers={SOURCE_HEADER: "192.0.2.100"}).status_code == 201
    frozen_clock.advance(3600)
    assert api.call("POST", "/auth/register", {"email": _email(), "password": PASSWORD, "name": "x"},
                    headers={SOURCE_HEADER: "192.0.2.99"}).status_code == 201
