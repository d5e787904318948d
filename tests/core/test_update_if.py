"""core.db.update_if, the one conditional UpdateItem: what a condition refused, contention and
throttling, and the two ways a write is made safe for botocore to send again after its answer
was lost (faults meet botocore's attempts: local.faults)."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.core.db import Unanswered, update_if
from chalicelib.core.errors import ApiError
from chalicelib.core.limits import Limit
from local import faults


@pytest.fixture
def item(aws) -> Limit:
    key = f"test#{uuid.uuid4().hex}"
    Limit(key, hits=0).save()
    return Limit(key)


def hits(item: Limit) -> int:
    return int(Limit.get(item.pk, consistent_read=True).hits)


def test_a_failed_condition_is_false_and_a_met_one_true(item):
    assert update_if(item, [Limit.hits.add(1)], Limit.hits == 0)
    assert not update_if(item, [Limit.hits.add(1)], Limit.hits == 0)
    assert hits(item) == 1


def test_an_unmarked_write_whose_answer_was_lost_looks_refused(item):
    """Why the mark exists: botocore's second attempt meets the first one's change."""
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True) as fault:
        assert update_if(item, [Limit.hits.set(1)], Limit.hits == 0) is False
    assert fault.hits == 1 and hits(item) == 1


def test_a_marked_write_whose_answer_was_lost_is_known_to_have_landed(item):
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True) as fault:
        assert update_if(item, [Limit.hits.set(1)], Limit.hits == 0, mark=Limit.mark) is True
    assert fault.hits == 1 and hits(item) == 1
    # Someone else's write is still refused: the mark is this write's own.
    assert update_if(Limit(item.pk), [Limit.hits.set(2)], Limit.hits == 0, mark=Limit.mark) is False


def test_a_write_made_once_is_never_sent_twice(item):
    """An ADD whose answer was lost: applied once, and the caller told the outcome is unknown."""
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, times=5) as fault:
        with pytest.raises(Unanswered) as unknown:
            update_if(item, [Limit.hits.add(1)], once=True)
    assert fault.hits == 1 and hits(item) == 1 and unknown.value.status == 503
    # Why `once` exists: by default botocore sends the ADD again, and it is applied twice.
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True) as fault:
        assert update_if(item, [Limit.hits.add(1)]) is True
    assert fault.hits == 1 and hits(item) == 3


def test_throttling_a_write_made_once_is_retried_here(item):
    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException",
                         times=2) as fault:
        assert update_if(item, [Limit.hits.add(1)], once=True)
    assert fault.hits == 2 and hits(item) == 1
    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException",
                         times=100) as fault:
        with pytest.raises(ApiError) as refused:
            update_if(item, [Limit.hits.add(1)], once=True)
    assert (refused.value.status, fault.hits, hits(item)) == (503, 6, 1)


def test_contention_is_waited_out_then_answered_429(item):
    with faults.injected("dynamodb", "UpdateItem", code="TransactionConflictException", times=3) as fault:
        assert update_if(item, [Limit.hits.add(1)], once=True)
    assert fault.hits == 3 and hits(item) == 1
    with faults.injected("dynamodb", "UpdateItem", code="TransactionConflictException", times=100) as fault:
        with pytest.raises(ApiError) as refused:
            update_if(item, [Limit.hits.add(1)], what="this counter")
    assert (refused.value.status, fault.hits, hits(item)) == (429, 6, 1)
    assert "this counter" in refused.value.message
