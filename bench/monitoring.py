"""Monitoring cost, in DynamoDB calls and items read (counted with botocore hooks), on moto:
- one overview request at 1,000 and at 100,000 messages in the same 30-day range
  (goal: the same count at both sizes: it reads counters, never messages);
- page 1 and page 200 of the message list filtered to a status that 1% of messages have
  (goal: page 200 / page 1 <= 1.1, and at most limit+1 items read per partition: the status's
  SHARDS shard partitions);
- side by side, the same pages read by the other design: a filter on the status over
  `by_app_channel`'s shards (partitions no status change moves), as a report reads them
  (messages.queries.iter_messages), at 10 and at 100 items per Query (for the record)."""
from __future__ import annotations

import random
import sys
import time
from collections import Counter as Tally
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402
from local.moto_stack import deployed_stack, use_fake_aws_env  # noqa: E402

use_fake_aws_env()

from local import call_counter  # noqa: E402

call_counter.install()

from chalicelib.messages.models import SHARDS  # noqa: E402
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
DAYS = 30
LIMIT = 5


def _seed(owner, count: int) -> str:
    """`count` SMS messages over DAYS days, 1% Failed, written as the send path would leave them."""
    import boto3
    from ulid import ULID

    from chalicelib.applications import service as applications
    from chalicelib.core.clock import DEFAULT_TIMEZONE
    from chalicelib.messages.models import index_keys
    from chalicelib.messages.transitions import local_day

    app_id = applications.create(owner, f"Bench {count}", ["sms"]).application_id
    table = boto3.resource("dynamodb").Table("kirim-local-messages")
    tally: Tally[tuple[str, str]] = Tally()
    rng = random.Random(count)
    step = DAYS * 86400 / count
    with table.batch_writer() as batch:
        for i in range(count):
            moment = START + timedelta(seconds=i * step)
            status = "Failed" if i % 100 == 0 else "Delivered"
            message_id = str(ULID.from_timestamp(moment.timestamp() + rng.random() / 1000))
            day = local_day(moment, DEFAULT_TIMEZONE)
            at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            batch.put_item(Item={"message_id": message_id, "application_id": app_id, "channel": "sms",
                                 **index_keys(app_id, "sms", status, message_id),
                                 "target": "+6281234567890", "status": status, "created_at": at, "updated_at": at,
                                 "day": day, "cost": 1, "history": []})
            tally[(day, status)] += 1
    counters = boto3.resource("dynamodb").Table("kirim-local-counters")
    days: dict[str, dict[str, int]] = {}
    for (day, status), n in tally.items():
        days.setdefault(day, {})[status] = n
    with counters.batch_writer() as batch:
        for day, counts in days.items():
            batch.put_item(Item={"pk": f"{app_id}#sms", "sk": day, **counts})
    return app_id


def _measure(client, path: str, headers: dict) -> tuple[dict, dict]:
    from local.call_counter import ITEMS, counting

    with counting() as calls:
        response = client.http.get(path, headers=headers)
    assert response.status_code == 200, response.body
    items = calls.pop(ITEMS, 0)
    dynamodb = {op: n for (service, op), n in calls.items() if service == "dynamodb"}
    return response.json_body, {"calls": sum(dynamodb.values()), "items": items, "by_call": dynamodb}


def _filtered_page(app_id: str, after: str | None, per_query: int) -> dict:
    """The list's page read by the other design: limit+1 Failed messages from a filter over
    by_app_channel (oldest first: its cost does not depend on the direction)."""
    from itertools import islice

    from chalicelib.messages import queries
    from local.call_counter import ITEMS, counting

    with counting() as calls:
        rows = list(islice(queries.iter_messages(app_id, "sms", ["Failed"], START, START + timedelta(days=DAYS),
                                                 per_query * SHARDS, after=after), LIMIT + 1))
    items = calls.pop(ITEMS, 0)
    return {"calls": sum(n for (service, _), n in calls.items() if service == "dynamodb"), "items": items,
            "rows": len(rows)}


def run() -> dict[str, float]:
    from chalice.test import Client

    from app import app
    from chalicelib.accounts import service as accounts

    with deployed_stack(), Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        accounts.register("monitor-bench@kirim.dev", "bench password 123", "Bench")
        token = accounts.login("monitor-bench@kirim.dev", "bench password 123", "127.0.0.1")[0]
        owner = accounts.session_principal(token)
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        small, big = _seed(owner, 1_000), _seed(owner, 100_000)
        print(f"(seeded 101,000 messages in {time.perf_counter() - started:.0f} s)")
        window = "from=2026-10-01&to=2026-10-31"  # the 30 seeded UTC days end on Oct 31 in Jakarta
        figures = {}
        for name, app_id in (("1,000", small), ("100,000", big)):
            _, cost = _measure(client, f"/applications/{app_id}/overview?{window}", headers)
            figures[name] = cost
            print(f"overview at {name} messages: {cost['calls']} DynamoDB calls, {cost['items']} items read "
                  f"{cost['by_call']}")
        same = figures["1,000"]["calls"] == figures["100,000"]["calls"] and \
            figures["1,000"]["items"] == figures["100,000"]["items"]
        ratio = figures["100,000"]["items"] / figures["1,000"]["items"]
        print(f"overview 100,000 vs 1,000 messages: items read {ratio:.2f}x, calls "
              f"{figures['100,000']['calls']} vs {figures['1,000']['calls']} (goal: the same; {'met' if same else 'NOT met'})")
        goals.check("overview reads at 100,000 vs 1,000 messages", f"{ratio:.2f}x items", "the same", same)

        base = f"/applications/{big}/messages?{window}&status=Failed&limit={LIMIT}"
        page, first = _measure(client, base, headers)
        cursor = page["next_cursor"]
        for page_number in range(2, 200):
            assert cursor, f"the list ended at page {page_number - 1}"
            page = client.http.get(f"{base}&cursor={cursor}", headers=headers).json_body
            cursor = page["next_cursor"]
        page, last = _measure(client, f"{base}&cursor={cursor}", headers)
        assert len(page["items"]) == LIMIT
        page_ratio = last["items"] / first["items"]
        print(f"message list, status matching 1%, limit {LIMIT}: page 1 {first['calls']} calls / {first['items']} "
              f"items read, page 200 {last['calls']} calls / {last['items']} items read -> {page_ratio:.2f}x "
              f"(goal <= 1.1x; at most limit+1 = {LIMIT + 1} items of messages per shard partition, "
              f"{SHARDS} shards: {SHARDS * (LIMIT + 1)}, plus the session and application reads)")
        goals.check("message list page 200 vs page 1 (items read)", f"{page_ratio:.2f}x", "<= 1.1x",
                    page_ratio <= 1.1 and last["items"] <= SHARDS * (LIMIT + 1) + 2)

        from chalicelib.messages.models import id_range

        # Page 200 oldest first starts after the 995th Failed message (message 99,400; 5 are left).
        step = DAYS * 86400 / 100_000
        page_200 = id_range(START + timedelta(seconds=99_450 * step), START + timedelta(days=DAYS))[0]
        for per_query in (10, 100):
            one, two_hundred = _filtered_page(big, None, per_query), _filtered_page(big, page_200, per_query)
            print(f"the other design, a filter over by_app_channel, {per_query} items per Query: page 1 "
                  f"{one['calls']} calls / {one['items']} items read for {one['rows']} messages, page 200 "
                  f"{two_hundred['calls']} calls / {two_hundred['items']} items read for {two_hundred['rows']} "
                  f"-> page 1 reads {one['items'] / (first['items'] - 2):.0f}x the status index's messages")
    return {"overview_items_ratio": ratio, "page_ratio": page_ratio}


if __name__ == "__main__":
    run()
