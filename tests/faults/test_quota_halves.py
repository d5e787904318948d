"""Issue 12, item 9: each channel's quota is kept in two halves, so that no item takes every send's
debit. A debit tries its message's half, then the other, then pays from both; refunds and
settlements go back to the halves that paid; a fault between two partial debits loses no unit
and doubles none once the reconciler has run.

Faults are injected inside botocore's retry loop (local.faults): each meets one attempt, and
botocore retries what it would on AWS. Time moves on Kirim's clock."""
from __future__ import annotations

import pytest

from chalicelib.applications import quota
from chalicelib.applications.models import HALVES, QUOTA, Quota, quota_key
from chalicelib.core.errors import BALANCE_LOW, QUOTA_LOW, ApiError
from chalicelib.messages import queries
from chalicelib.messages.models import Message
from chalicelib.providers.base import ProviderRejected
from chalicelib.sending import pipeline
from local import faults
from tests.conftest import Shop, assert_oca_error, settle_changes
from tests.fakes.failing_provider import FailingProvider
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import sms_body

THREE_SEGMENTS = sms_body(message="a" * 400)   # GSM-7, 153 characters a segment: costs 3


@pytest.fixture
def shop(client, monkeypatch):
    from tests.conftest import Api

    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    return Shop(Api(client))


def set_halves(app_id: str, *balances: int) -> None:
    for half, units in enumerate(balances):
        Quota(quota_key(QUOTA, app_id, "sms", half)).update(actions=[Quota.balance.set(units)])


def halves(app_id: str) -> list[int]:
    return [int(Quota.get(quota_key(QUOTA, app_id, "sms", half), consistent_read=True).balance)
            for half in range(HALVES)]


def journals(app_id: str) -> list[int]:
    """Each half's journal total: units debited and not yet matched by a written message."""
    totals = []
    for half in range(HALVES):
        journal = Quota.get(quota_key(QUOTA, app_id, "sms", half), consistent_read=True).journal
        totals.append(sum(int(v) for v in (journal.as_dict() if journal else {}).values()))
    return totals


def quota_updates(call: dict) -> bool:
    return call.get("Key", {}).get("application_id", {}).get("S", "").startswith("quota#")


def _send(shop, body=None):
    return shop.api.call("POST", "/sms/v2/sms", body or sms_body(), shop.v2("sms"))


def _messages(shop) -> list[Message]:
    return list(queries.channel_messages(shop.app_id, "sms"))


def test_a_new_application_and_a_top_up_share_the_quota_between_halves(shop):
    start = shop.quota("sms")
    assert halves(shop.app_id) == quota.split(start) and sum(quota.split(start)) == start
    from chalicelib.applications import service

    assert service.top_up(shop.app_id, "sms", 7) == start + 7   # the operator CLI's `topup`
    assert halves(shop.app_id) == [a + b for a, b in zip(quota.split(start), quota.split(7))]
    assert shop.quota("sms") == start + 7


@pytest.mark.parametrize("empty", [0, 1])
def test_a_debit_whose_half_is_empty_is_paid_by_the_other(shop, empty):
    set_halves(shop.app_id, *(0 if half == empty else 5 for half in range(HALVES)))
    with faults.injected("dynamodb", "BatchGetItem", action=lambda call: None, then_call=True, times=100) as reads:
        taken = quota.debit(shop.app_id, "sms", 2, spread=empty)
    assert taken.paid == {1 - empty: 2}
    assert reads.hits == 0                      # the other half's own update, no read of both
    assert halves(shop.app_id)[1 - empty] == 3 and halves(shop.app_id)[empty] == 0


def test_sends_whose_half_is_empty_are_paid_by_the_other_and_settled_there(shop, frozen_clock):
    set_halves(shop.app_id, 0, 4)
    for _ in range(4):
        assert _send(shop).status_code == 200
    assert halves(shop.app_id) == [0, 0] and shop.quota("sms") == 0
    assert [{h: int(u) for h, u in m.paid.as_dict().items()} for m in _messages(shop)] == [{"1": 1}] * 4
    settle_changes()
    frozen_clock.advance(quota.GRACE.total_seconds() + 60)
    # Every debit was matched by its message in the half that paid: nothing moves.
    assert quota.reconcile(shop.app_id, "sms") == 0
    assert halves(shop.app_id) == [0, 0] and journals(shop.app_id) == [0, 0]


def test_short_alone_but_enough_together_pays_from_both_and_a_refund_returns_to_each(shop, monkeypatch,
                                                                                     frozen_clock):
    set_halves(shop.app_id, 2, 2)
    refusing = FailingProvider("refusing", ProviderRejected("invalid number"))
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: refusing)
    response = _send(shop, THREE_SEGMENTS)
    assert response.status_code == 200, response.json_body
    [message] = _messages(shop)
    assert message.cost == 3 and message.status == "Failed" and message.refunded_at
    paid = {int(h): int(u) for h, u in message.paid.as_dict().items()}
    assert sorted(paid) == [0, 1] and sum(paid.values()) == 3
    assert halves(shop.app_id) == [2 - paid[0], 2 - paid[1]]
    settle_changes()
    assert shop.quota("sms") == 4                       # the refund shows at once
    frozen_clock.advance(quota.GRACE.total_seconds() + 60)
    assert quota.reconcile(shop.app_id, "sms") == 3
    assert halves(shop.app_id) == [2, 2] and journals(shop.app_id) == [0, 0]
    assert quota.reconcile(shop.app_id, "sms") == 0


def test_short_together_is_refused_and_nothing_is_debited(shop):
    set_halves(shop.app_id, 1, 1)
    assert_oca_error(_send(shop, THREE_SEGMENTS), 401, BALANCE_LOW)   # OCA V2's "low-balance"
    assert halves(shop.app_id) == [1, 1] and journals(shop.app_id) == [0, 0] and _messages(shop) == []
    # The one-unit sends still go, one from each half.
    assert _send(shop).status_code == 200 and _send(shop).status_code == 200
    assert halves(shop.app_id) == [0, 0]
    assert_oca_error(_send(shop), 401, BALANCE_LOW)


def test_the_common_send_debits_one_half_with_one_update(shop):
    with faults.injected("dynamodb", "UpdateItem", when=quota_updates, times=100, action=lambda call: None,
                         then_call=True) as seen:
        assert _send(shop).status_code == 200
    assert seen.hits == 1


def _second_part(half: int, and_after: bool = False):
    """Catches the first attempt of the second conditional update of `half` (the first update is
    its try at the whole cost, refused by its condition, which botocore does not retry), and with
    `and_after` every later attempt too (botocore's own retry of a throttle or a 5xx included)."""
    count = {"n": 0}

    def when(call: dict) -> bool:
        if not (quota_updates(call) and call["Key"]["application_id"]["S"].endswith(f"#{half}")
                and call.get("ConditionExpression")):
            return False
        count["n"] += 1
        return count["n"] == 2 or (and_after and count["n"] > 2)
    return when


def _after_grace(frozen_clock, app_id: str) -> None:
    """The stream applied, GRACE gone by, the scheduled reconciler run (it finds the halves through `by_due`)."""
    settle_changes()
    frozen_clock.advance(quota.GRACE.total_seconds() + 60)
    quota.reconcile_due()


def test_a_throttled_second_part_gives_the_first_back(shop, frozen_clock):
    set_halves(shop.app_id, 2, 2)
    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException", times=100,
                         when=_second_part(1, and_after=True)) as fault:
        with pytest.raises(ApiError) as refused:
            quota.debit(shop.app_id, "sms", 3, spread=0)
    assert fault.hits >= 1 and refused.value.status == 503
    assert halves(shop.app_id) == [2, 2] and journals(shop.app_id) == [0, 0]
    _after_grace(frozen_clock, shop.app_id)
    assert halves(shop.app_id) == [2, 2]


def test_a_second_part_whose_answer_was_lost_counts_as_taken_and_is_settled_by_the_reconciler(shop, frozen_clock):
    """One lost answer: the part was taken, the caller never hears so. It is not sent again (a
    resend would take it twice, or fail its condition and refuse a debit already paid); it counts
    as taken. Here no message follows (as when the send dies next): the reconciler gives both back."""
    set_halves(shop.app_id, 2, 2)
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=_second_part(1)) as fault:
        taken = quota.debit(shop.app_id, "sms", 3, spread=0)
    assert fault.hits == 1 and taken.paid == {0: 2, 1: 1}
    assert halves(shop.app_id) == [0, 1] and journals(shop.app_id) == [2, 1]
    _after_grace(frozen_clock, shop.app_id)
    assert halves(shop.app_id) == [2, 2] and journals(shop.app_id) == [0, 0]
    assert quota.reconcile(shop.app_id, "sms") == 0


def test_a_debit_dying_between_its_two_parts_loses_nothing(shop, frozen_clock):
    """The second part fails and giving the first back fails too (as when the process dies
    between them): the first half's journal holds the units, and the reconciler returns them once."""
    set_halves(shop.app_id, 2, 2)
    give_back = faults.injected("dynamodb", "UpdateItem", code="InternalServerError", status=500, times=10,
                                when=lambda call: quota_updates(call) and not call.get("ConditionExpression"))
    with give_back, faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException",
                                    times=100, when=_second_part(1, and_after=True)):
        with pytest.raises(Exception):
            quota.debit(shop.app_id, "sms", 3, spread=0)
    assert halves(shop.app_id) == [0, 2] and journals(shop.app_id) == [2, 0]
    _after_grace(frozen_clock, shop.app_id)
    assert halves(shop.app_id) == [2, 2] and journals(shop.app_id) == [0, 0]
    assert quota.reconcile(shop.app_id, "sms") == 0


def test_a_part_taken_first_by_another_send_reads_again_and_never_double_debits(shop):
    """Between the read of both halves and the second part, another send empties the other half:
    the first part is given back and the debit reads again, then is refused (short together)."""
    set_halves(shop.app_id, 2, 2)

    def drain_other_half(call):
        Quota(quota_key(QUOTA, shop.app_id, "sms", 1)).update(actions=[Quota.balance.set(0)])

    with faults.injected("dynamodb", "UpdateItem", action=drain_other_half, then_call=True,
                         when=_second_part(1)) as fault:
        with pytest.raises(ApiError) as refused:
            quota.debit(shop.app_id, "sms", 3, spread=0)
    assert fault.hits == 1 and refused.value.code == QUOTA_LOW
    assert halves(shop.app_id) == [2, 0] and journals(shop.app_id) == [0, 0]
