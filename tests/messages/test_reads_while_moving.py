"""Property: the status-filtered message list and the report's reader, with random forward status moves
before random Queries of theirs (inside a page, and between pages): no message is read twice, every
message that stayed in the requested statuses for the whole read is read exactly once, and each is
shown in a requested status (issue 20, item 5)."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.messages import queries
from chalicelib.messages.status_rules import RULES
from chalicelib.monitoring import message_list
from tests.moving_statuses import before_queries, move, put_messages

WORDS = RULES["sms"].words
START = datetime(2026, 5, 1, tzinfo=timezone.utc)
_windows = itertools.count()


@pytest.fixture(scope="module")
def app_id(client):
    return "moving-reads-app"


@st.composite
def scenarios(draw):
    count = draw(st.integers(1, 12))
    return {"initial": draw(st.lists(st.sampled_from(WORDS), min_size=count, max_size=count)),
            "wanted": sorted(draw(st.sets(st.sampled_from(WORDS), min_size=1))),
            # (before the reader's n-th Query, message i moves to the k-th word it may move to then, if any)
            "moves": draw(st.lists(st.tuples(st.integers(1, 24), st.integers(0, count - 1), st.integers(0, 3)),
                                   max_size=16)),
            "limit": draw(st.integers(1, 5)), "order": draw(st.sampled_from(["asc", "desc"]))}


def _read_while_moving(app_id: str, scenario: dict, read) -> tuple[list[dict], list[str], list[list[str]]]:
    """(what `read(start, end)` returned, the ids, each message's statuses during the read)."""
    start = START + timedelta(minutes=next(_windows))
    ids = put_messages(app_id, scenario["initial"], start)
    held = [[status] for status in scenario["initial"]]

    def moves(n: int) -> None:
        for at, i, k in scenario["moves"]:
            later = [word for word in WORDS if RULES["sms"].allows(held[i][-1], word)]
            if at == n and later:
                move(ids[i], later[k % len(later)])
                held[i].append(later[k % len(later)])

    with before_queries(moves):
        got = read(start, start + timedelta(minutes=1))
    return got, ids, held


def _check(got: list[dict], ids: list[str], held: list[list[str]], wanted: list[str], descending: bool) -> None:
    listed = [m["message_id"] for m in got]
    assert len(listed) == len(set(listed)), "a message read twice"
    assert listed == sorted(listed, reverse=descending) and set(listed) <= set(ids)
    stable = {message_id for message_id, statuses in zip(ids, held) if set(statuses) <= set(wanted)}
    assert stable <= set(listed), "a message that stayed in the statuses was missed"
    assert all(m["status"] in wanted for m in got)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(scenario=scenarios())
def test_the_status_filtered_list_reads_each_message_once_while_statuses_move(app_id, scenario):
    def read(start: datetime, end: datetime) -> list[dict]:
        query = {"channel": "sms", "status": ",".join(scenario["wanted"]), "order": scenario["order"],
                 "limit": str(scenario["limit"]), "from": start.isoformat(), "to": end.isoformat()}
        items = []
        for _ in range(40):
            page = message_list.list_messages(app_id, ["sms"], query, "UTC")
            assert len(page["items"]) <= scenario["limit"]
            items += page["items"]
            if not page["next_cursor"]:
                return items
            query["cursor"] = page["next_cursor"]
        raise AssertionError("too many pages")

    got, ids, held = _read_while_moving(app_id, scenario, read)
    _check(got, ids, held, scenario["wanted"], scenario["order"] == "desc")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(scenario=scenarios())
def test_the_report_reader_reads_each_message_once_while_statuses_move(app_id, scenario):
    def read(start: datetime, end: datetime) -> list[dict]:
        # One or two messages per Query of each shard: the moves fall between pages too.
        return list(queries.iter_messages(app_id, "sms", scenario["wanted"], start, end,
                                          page_size=8 * scenario["limit"]))

    got, ids, held = _read_while_moving(app_id, scenario, read)
    _check(got, ids, held, scenario["wanted"], False)
