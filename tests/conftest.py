"""Shared fixtures: moto with the real infra/ template deployed, and the Chalice test client.

The environment is set before anything from chalicelib is imported, because the PynamoDB
models take their table names from it.
"""
from __future__ import annotations

import base64
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local.moto_stack import STAGE, deployed_stack, use_fake_aws_env  # noqa: E402

use_fake_aws_env()

# moto's Query without its whole-table sort (local/moto_fast.py), also for the tests' own mock_aws.
from local import moto_fast  # noqa: E402

moto_fast.install()

from tests.contract import check_dashboard_answer  # noqa: E402

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def aws():
    """One moto account for the session, with the stack from infra/template.yaml."""
    with deployed_stack() as outputs:
        yield outputs


@pytest.fixture(scope="session")
def client(aws):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as test_client:
        yield test_client


@pytest.fixture(scope="session", autouse=True)
def cheap_scrypt():
    """Accounts registered by tests hash with scrypt's N=2**10 instead of production's 2**15: each of the
    suite's registrations and logins cost a tenth of a second or more of CPU, seconds on busy cores. A
    hash records its own N, so verifying works as in production; `production_scrypt` checks the real one."""
    from chalicelib.accounts import passwords

    production = passwords._N
    passwords._N = 2**10
    yield production
    passwords._N = production


@pytest.fixture
def production_scrypt(cheap_scrypt, monkeypatch) -> int:
    """scrypt at production's cost, for the tests of the hash itself; returns its N."""
    from chalicelib.accounts import passwords

    monkeypatch.setattr(passwords, "_N", cheap_scrypt)
    return cheap_scrypt


SOURCE_HEADER = "X-Test-Source-Ip"
_source = {"ip": "127.0.0.1"}


def _with_source_address(create_lambda_event):
    """API Gateway puts the caller's address in requestContext.identity.sourceIp; the test client
    always says 127.0.0.1. Here it is the test's own address (each test gets one, so throttles
    per address do not leak between tests), or the X-Test-Source-Ip header's, which is removed
    before the app sees the request."""
    def create(self, method, path, headers, body=None):
        headers = dict(headers)
        source = next((headers.pop(k) for k in list(headers) if k.lower() == SOURCE_HEADER.lower()), _source["ip"])
        event = create_lambda_event(self, method, path, headers, body)
        event["requestContext"]["identity"]["sourceIp"] = source
        return event
    return create


from chalice.local import LambdaEventConverter  # noqa: E402

LambdaEventConverter.create_lambda_event = _with_source_address(LambdaEventConverter.create_lambda_event)


@pytest.fixture(autouse=True)
def source_address():
    """A fresh source address for each test's requests."""
    _source["ip"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    return _source["ip"]


class Api:
    """Small helpers over the Chalice test client, so tests read as the API does."""

    def __init__(self, client) -> None:
        self.client = client

    def call(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        data = raw if raw is not None else (None if body is None else __import__("json").dumps(body))
        response = getattr(self.client.http, method.lower())(path, headers=all_headers, body=data)
        # Every dashboard answer must be what the OpenAPI document says (tests/contract.py).
        check_dashboard_answer(method, path, response.status_code, response.headers.get("Content-Type"),
                               response.body)
        return response

    def register(self, email: str | None = None, password: str = PASSWORD) -> str:
        email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
        response = self.call("POST", "/auth/register", {"email": email, "password": password, "name": "Test"})
        assert response.status_code == 201, response.json_body
        return email

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.call("POST", "/auth/login", {"email": email, "password": password})
        assert response.status_code == 200, response.json_body
        return {"Authorization": "Bearer " + response.json_body["session_token"]}

    def user(self) -> tuple[str, dict[str, str]]:
        email = self.register()
        return email, self.login(email)

    def application(self, session: dict[str, str], channels=("sms", "email", "sms_otp", "ivr", "whatsapp")) -> dict:
        response = self.call("POST", "/applications", {"name": "Shop", "channels": list(channels)}, session)
        assert response.status_code == 201, response.json_body
        return response.json_body

    def token(self, session: dict[str, str], application_id: str, channel: str) -> str:
        response = self.call("POST", f"/applications/{application_id}/channels/{channel}/token", None, session)
        assert response.status_code == 201, response.json_body
        return response.json_body["token"]


def set_quota(app_id: str, channel: str, units: int) -> None:
    """Give a channel exactly `units` (as an operator's correction would)."""
    from chalicelib.applications import quota

    quota.set_balance(app_id, channel, units)


def basic(email: str, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()}


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def assert_oca_error(response, status: int, code: int, field: str | None = None) -> None:
    """An error in one of the two bodies core.errors renders, whichever the route speaks:
    - OCA's validation error (channel routes, code 39): {"errors": [{"message": [{value?, msg, param,
      location}], "code": "39"}]}, `param` naming the field;
    - any other: {"errors": [{"message": str, "code": int, "field"?: str}]} (the dashboard always)."""
    assert response.status_code == status, (response.status_code, response.body)
    body = response.json_body
    assert isinstance(body, dict) and list(body) == ["errors"], body
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    if isinstance(error["message"], list):
        assert code == 39 and error["code"] == "39" and set(error) == {"message", "code"}, body
        (detail,) = error["message"]
        assert set(detail) - {"value"} == {"msg", "param", "location"}, body
        assert isinstance(detail["msg"], str) and detail["msg"] and detail["location"] in (
            "body", "query", "params", "headers"), body
        if field is not None:
            assert detail["param"] == field, body
        return
    assert error["code"] == code and isinstance(error["message"], str) and error["message"], body
    if field is not None:
        assert error.get("field") == field, body


def assert_dashboard_error(response, status: int, code: int, field: str | None = None) -> None:
    """The dashboard API's one shape: {"errors": [{"message": str, "code": int, "field"?: str, "reason": str,
    "params"?: {}}, ...]}: every item has its machine-readable reason; a form's check may list several
    (then `field` is one of them)."""
    assert response.status_code == status, (response.status_code, response.body)
    body = response.json_body
    assert isinstance(body, dict) and list(body) == ["errors"] and body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["message"], str) and error["message"], body
        assert isinstance(error["reason"], str) and error["reason"], body
        assert set(error) <= {"message", "code", "field", "reason", "params"}, body
    assert body["errors"][0]["code"] == code, body
    if field is not None:
        assert field in [e.get("field") for e in body["errors"]], body


# Counting AWS calls and injecting faults need their hooks before the first botocore client exists.
from local import call_counter, faults  # noqa: E402

call_counter.install()
faults.install()


@pytest.fixture(scope="session")
def worker(client):
    """The local worker over moto: drives the simulator clock, dispatch retries and SNS events."""
    import boto3

    from app import app
    from local.worker import LocalWorker

    return LocalWorker(app, boto3.client("sqs"), boto3.client("sns"))


_consumers: list = []


def settle_changes() -> int:
    """Apply every pending change of a message from the messages table's stream (what Lambda's
    stream consumer does within a second): counters, the quota ledger, status-change hooks."""
    from app import app
    from local.worker import drain_streams, stream_consumers

    if not _consumers:
        _consumers.extend(stream_consumers(app))
    return drain_streams(_consumers)


def drain(worker) -> int:
    """Deliver queued events until every queue is empty (the simulator runs with no delays)."""
    total = 0
    for _ in range(50):
        delivered = worker.poll_once()
        total += delivered
        if not delivered:
            return total
    raise AssertionError("queues did not drain")


class Shop:
    """An account with one application on all five channels, a token for each, two OTP sender
    ids, a verified email sender domain of its own and an IVR script: what most sending tests start
    from."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.email, self.session = api.user()
        self.app_id = api.application(self.session)["application_id"]
        self.sender_domain = f"shop-{uuid.uuid4().hex[:12]}.example"
        self.sender_email = f"noreply@{self.sender_domain}"
        response = api.call("POST", f"/applications/{self.app_id}/email-identities",
                            {"identity": self.sender_domain}, self.session)
        assert response.status_code == 201, response.json_body
        if response.json_body["status"] == "pending":  # SES (moto) verifies by its next answer: ask it now
            from chalicelib.applications import email_identities
            from chalicelib.applications.models import EmailIdentity, email_identity_key

            email_identities._refresh(EmailIdentity.get(email_identity_key(self.sender_domain)), 0)
        assert api.call("GET", f"/applications/{self.app_id}/email-identities/{self.sender_domain}",
                        headers=self.session).json_body["status"] == "verified"
        self.tokens = {c: api.token(self.session, self.app_id, c)
                       for c in ("sms", "sms_otp", "email", "ivr", "whatsapp")}
        response = api.call("PUT", f"/applications/{self.app_id}/settings", {"sender_ids": ["KIRIM", "TOKO"], "rate_limit": 1000,
                                                                        "caller_ids": ["02150001234"]},
                            self.session)
        assert response.status_code == 200, response.json_body
        # Settings changed after the tokens were issued: their copies must have followed.
        response = api.call("POST", f"/applications/{self.app_id}/ivr",
                            {"name": "Order", "script": "Halo {{name}}, pesanan {{order}} sudah dikirim."},
                            self.session)
        assert response.status_code == 201, response.json_body
        self.ivr_id = response.json_body["ivr_id"]
        self.template = approved_template(api, self.session, self.app_id)
        self.whatsapp_code = self.template["template_code_id"]

    def fill(self, body: dict) -> dict:
        """A send body with the shop's approved template in place of SHOP_TEMPLATE, and its own email
        sender in place of tests.sends.SHOP_SENDER."""
        import json

        from tests.sends import SHOP_SENDER
        return json.loads(json.dumps(body).replace("SHOP_TEMPLATE", self.whatsapp_code)
                          .replace(SHOP_SENDER, self.sender_email))

    def v2(self, channel: str, bare: bool = False) -> dict[str, str]:
        return {"Authorization": self.tokens[channel] if bare else f"Bearer {self.tokens[channel]}"}

    def v1(self) -> dict[str, str]:
        return basic(self.email)

    def listed(self, query: str) -> list[dict]:
        """Every item of the dashboard's message list with this query, following next_cursor."""
        items, cursor = [], None
        for _ in range(100):
            page = self.api.call("GET", f"/applications/{self.app_id}/messages?{query}"
                                 + (f"&cursor={cursor}" if cursor else ""), headers=self.session)
            assert page.status_code == 200, page.json_body
            items += page.json_body["items"]
            cursor = page.json_body["next_cursor"]
            if not cursor:
                return items
        raise AssertionError("too many pages")

    def quota(self, channel: str) -> int:
        """What the dashboard shows once the stream consumer has caught up (refunds included)."""
        settle_changes()
        app = self.api.call("GET", f"/applications/{self.app_id}", headers=self.session).json_body
        return next(c["quota_remaining"] for c in app["channels"] if c["channel"] == channel)


@pytest.fixture(scope="module")
def shop(client) -> Shop:
    """Shared by a module's tests: they compare quota before and after, never absolute."""
    return Shop(Api(client))


def recount(app_id: str, channel: str) -> tuple[dict[str, int], dict[str, int]]:
    """(counters, recount of the messages), both as {"day#status": n} without zeros, once the
    stream consumer has applied every change so far."""
    from collections import Counter as Tally

    from chalicelib.messages.models import Counter
    from chalicelib.messages import queries

    settle_changes()
    counted = {f"{c.sk}#{word}": n for c in Counter.query(f"{app_id}#{channel}") for word, n in c.counts().items()}
    actual = Tally(f"{m.day}#{m.status}" for m in queries.channel_messages(app_id, channel))
    return counted, dict(actual)


def hour_recount(app_id: str, channel: str) -> tuple[dict[str, int], dict[str, int]]:
    """(hourly counters, recount of the messages), both as {"day#hNN": n} (messages by the UTC hour of
    created_at) without zeros, once the stream consumer has applied every change so far."""
    from collections import Counter as Tally

    from chalicelib.core import clock
    from chalicelib.messages.models import Counter
    from chalicelib.messages import queries

    settle_changes()
    counted = {f"{c.sk}#h{hour:02d}": n for c in Counter.query(f"{app_id}#{channel}") for hour, n in c.hours().items()}
    actual = Tally(f"{m.day}#h{clock.parse_iso(m.created_at).astimezone(timezone.utc).hour:02d}"
                   for m in queries.channel_messages(app_id, channel))
    return counted, dict(actual)


ORDER_TEMPLATE = {"name": "order_update", "language": "id", "category": "UTILITY",
                  "body": {"text": "Halo {{1}}, pesanan Anda sudah dikirim.", "examples": ["Budi"]},
                  "footer": {"text": "Toko Kirim"}, "accept_terms": True}


def approved_template(api: Api, session: dict[str, str], app_id: str, template: dict | None = None) -> dict:
    """Create and submit a template, then approve it as a review would (the simulator's
    review path itself is tested in test_templates)."""
    from chalicelib.templates import service as templates

    response = api.call("POST", f"/applications/{app_id}/whatsapp/templates",
                        {**(template or ORDER_TEMPLATE), "submit": True}, session)
    assert response.status_code == 201, response.json_body
    created = response.json_body
    assert templates.apply_review(app_id, created["template_id"], "APPROVED") == "APPROVED"
    return {**created, "status": "APPROVED"}


def refused(call, field: str):
    """The call raises a 406 code 39 ApiError naming `field`."""
    from chalicelib.core.errors import ApiError

    with pytest.raises(ApiError) as info:
        call()
    error = info.value
    assert (error.code, error.status, error.field) == (39, 406, field), error.body()
    return error


class FrozenClock:
    """Kirim's clock (chalicelib.core.clock), stopped where a test puts it and moved only by it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def frozen_clock():
    """The one place tests freeze time: every read of the time in chalicelib goes through it."""
    from chalicelib.core import clock

    frozen = FrozenClock(datetime.now(timezone.utc).replace(microsecond=0))
    clock.use(frozen)
    try:
        yield frozen
    finally:
        clock.use(None)


@pytest.fixture
def production_limits(monkeypatch):
    """The limits of dev and prod (core.config.Limits' defaults) instead of the local stage's
    generous ones, for tests of the limits themselves."""
    from chalicelib.core import config

    for name, value in zip(config.Limits._fields, config.Limits()):
        monkeypatch.setenv(name.upper(), str(value))
    config.get_settings.cache_clear()
    yield config.Limits()
    monkeypatch.undo()
    config.get_settings.cache_clear()


def pytest_terminal_summary(terminalreporter, config) -> None:
    """The schemathesis run's counts (tests/local/test_schemathesis.py) and the chaos soak's invariants
    (tests/faults/test_chaos_soak.py), shown by `make test`; by the process that prints the summary (with
    xdist, the controller, never a worker)."""
    if hasattr(config, "workerinput"):
        return
    for name in ("kirim-schemathesis.txt", "kirim-soak.txt"):
        summary = ROOT / ".pytest_cache" / name
        if summary.exists():
            terminalreporter.write_line(summary.read_text())
            summary.unlink()


# The longest files, longest first (`--durations` runs folder by folder, on 2 cores shared with other runs).
# `make test` hands out whole files (`--dist loadfile`) in collection order (`--no-loadscope-reorder`: xdist
# would otherwise sort them by test count), so a long file collected last leaves one worker running it alone
# at the end; started first, the short files fill in beside it. (Late files once also met big tables: moto
# sorted the whole table for every Query; local/moto_fast.py drops that sort, and a table's Query reads only
# its partition.)
LONGEST_FIRST = [
    "tests/local/test_fresh_clone.py", "tests/local/test_schemathesis.py", "tests/sending/test_concurrency.py",
    "tests/faults/test_chaos_soak.py", "tests/e2e/test_console_finish.py", "tests/reports/test_slices.py",
    "tests/faults/test_concurrency_faults.py", "tests/reports/test_killed_worker.py", "tests/e2e/test_console.py",
    "tests/infra/test_master_key.py", "tests/faults/test_send_faults.py", "tests/broadcasts/test_exactly_once.py",
    "tests/faults/test_auth_faults.py", "tests/e2e/test_console_polish.py", "tests/e2e/test_console_errors.py",
    "tests/messages/test_reads_while_moving.py", "tests/monitoring/test_monitoring.py", "tests/local/test_make_run.py",
    "tests/e2e/test_console_monitoring.py", "tests/e2e/test_console_broadcasts.py", "tests/e2e/test_console_team.py",
    "tests/e2e/test_console_broadcast_run.py", "tests/messages/test_shards.py",
    "tests/monitoring/test_moving_statuses.py", "tests/monitoring/test_usage.py",
]


def pytest_collection_modifyitems(config, items) -> None:
    """Long files first, each file's tests still in their own order (sort is stable)."""
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
