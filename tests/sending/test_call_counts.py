"""The designed number of DynamoDB calls on the hot paths, counted with a botocore hook."""
from __future__ import annotations

import pytest

from local.call_counter import ITEMS, counting
from tests.conftest import basic


def test_a_v2_token_check_is_one_getitem_and_nothing_scans(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    token = api.token(session, app_id, "sms")
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
    # Session check, application read, then the swap in one TransactWriteItems.
    calls.pop(ITEMS, None)
    assert calls == {("dynamodb", "GetItem"): 2, ("dynamodb", "TransactWriteItems"): 1}
