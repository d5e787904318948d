"""The designed number of DynamoDB calls on the hot paths, counted with a botocore hook."""
from __future__ import annotations

import pytest

from local.call_counter import ITEMS, counting
from tests.conftest import basic


def test_a_v2_token_check_is_one_getitem_and_nothing_scans(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    token = api.token(session, app_id, "sms")
    api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers={"Authorization": token})  # notes "last used"
    with counting() as calls:
        response = api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers={"Authorization": token})
    assert response.status_code == 404
    # GetItem for the token, UpdateItem for the rate-limit window, GetItem for the message.
    calls.pop(ITEMS, None)
    assert calls == {("dynamodb", "GetItem"): 2, ("dynamodb", "UpdateItem"): 1}


@pytest.mark.parametrize("applications", [1, 3])
def test_a_warm_v1_request_pays_no_kdf_and_makes_three_calls(api, applications):
    email, session = api.user()
    apps = [api.application(session, ["sms"])["application_id"] for _ in range(applications)]
    if applications > 1:  # the owner picked the newest for V1 SMS: the pick rides in the same Query
        api.call("PUT", f"/applications/{apps[-1]}/settings", {"v1_default_for": ["sms"]}, session)
    api.call("GET", "/api/v1/sms/status/01UNKNOWN", headers=basic(email))  # warms the credential cache
    with counting() as calls:
        response = api.call("GET", "/api/v1/sms/status/01UNKNOWN", headers=basic(email))
    assert response.status_code == 404
    calls.pop(ITEMS, None)
    # The owner's applications (one Query of by_owner), the rate-limit window, the message.
    assert calls == {("dynamodb", "Query"): 1, ("dynamodb", "UpdateItem"): 1, ("dynamodb", "GetItem"): 1}


def test_token_generation_is_one_read_and_one_transaction(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    api.token(session, app_id, "sms")
    with counting() as calls:
        api.token(session, app_id, "sms")
    # Session check, the account's dashboard window, application read, then the swap in one TransactWriteItems.
    calls.pop(ITEMS, None)
    assert calls == {("dynamodb", "GetItem"): 2, ("dynamodb", "UpdateItem"): 1, ("dynamodb", "TransactWriteItems"): 1}


def _sms_shop(api, monkeypatch):
    from chalicelib.sending import pipeline
    from tests.fakes.quiet_provider import QuietProvider

    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    token = {"Authorization": api.token(session, app_id, "sms")}
    api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers=token)  # the first use notes "last used"
    return app_id, token


def _send_calls(api, headers) -> dict:
    with counting() as calls:
        response = api.call("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Halo"}, headers)
    assert response.status_code == 200, response.json_body
    calls.pop(ITEMS, None)
    return dict(calls)


def test_a_v2_send_is_four_calls_and_no_transaction(api, monkeypatch):
    _, token = _sms_shop(api, monkeypatch)
    # GetItem token, UpdateItem rate window, UpdateItem quota (the debit), PutItem message.
    assert _send_calls(api, token) == {("dynamodb", "GetItem"): 1, ("dynamodb", "UpdateItem"): 2,
                                       ("dynamodb", "PutItem"): 1}


def test_with_an_idempotency_key_a_send_is_still_four_calls(api, monkeypatch):
    _, token = _sms_shop(api, monkeypatch)
    headers = {**token, "Idempotency-Key": "count-me"}
    # The message and its key's record in one transaction: one fewer call than Powertools took.
    assert _send_calls(api, headers) == {("dynamodb", "GetItem"): 1, ("dynamodb", "UpdateItem"): 2,
                                         ("dynamodb", "TransactWriteItems"): 1}
    # A repeat: the debit, the cancelled transaction that finds the record, the debit given back.
    assert _send_calls(api, headers) == {("dynamodb", "GetItem"): 1, ("dynamodb", "UpdateItem"): 3,
                                         ("dynamodb", "TransactWriteItems"): 1}


def test_a_status_event_is_one_read_and_one_conditional_write(api, monkeypatch):
    from chalicelib.messages import status_updates
    from chalicelib.providers.base import StatusEvent

    _, token = _sms_shop(api, monkeypatch)
    msg = api.call("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Halo"}, token).json_body["msg_uid"]
    with counting() as calls:
        assert status_updates.apply(StatusEvent(msg, "TEXT_DELIVERED", "2026-11-27T01:00:00.000Z")) == "Delivered"
    calls.pop(ITEMS, None)
    assert calls == {("dynamodb", "GetItem"): 1, ("dynamodb", "UpdateItem"): 1}


def test_a_stream_batch_is_one_read_and_one_transaction(api, monkeypatch):
    from tests.conftest import settle_changes

    _, token = _sms_shop(api, monkeypatch)
    settle_changes()
    for _ in range(5):
        api.call("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Halo"}, token)
    with counting() as calls:
        settle_changes()
    calls.pop(ITEMS, None)
    # Per batch: GetItem of its mark (none yet) and one TransactWriteItems (counters, ledger,
    # mark); the rest is the stream's own API.
    assert calls[("dynamodb", "GetItem")] == calls[("dynamodb", "TransactWriteItems")] == 1
    assert {service for service, _ in calls} == {"dynamodb", "dynamodbstreams"}
