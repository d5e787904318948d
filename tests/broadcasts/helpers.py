"""What the broadcast tests share: stand-ins for the recipient file's reader and validator (built on
branch bcfiles; here a plain CSV reading that keeps their contract), a provider that counts what
reaches it per recipient, and a shop's broadcast taken from draft to ready through the API."""
from __future__ import annotations

import csv
import io
import threading
from collections import Counter
from typing import Any

import pytest

from chalicelib.broadcasts import plan, recipient_file, validation
from chalicelib.core import aws
from chalicelib.core.config import get_settings
from chalicelib.core.errors import ApiError
from chalicelib.core.phone_numbers import normalise_phone

TEST_CHUNK = 10   # recipients per chunk here (500 in production), so a few dozen make several chunks


class Killed(BaseException):
    """The worker's process dies here (a BaseException: nothing in Kirim catches it)."""


def _rows(s3: Any, bucket: str, key: str) -> tuple[str, list[list[str]]]:
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig")
    if not text.strip():
        raise recipient_file.FileProblem("empty_file", "The file is empty")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return delimiter, list(csv.reader(io.StringIO(text), delimiter=delimiter))


def fake_head(s3: Any, bucket: str, key: str, filename: str) -> recipient_file.FileShape:
    delimiter, rows = _rows(s3, bucket, key)
    return recipient_file.FileShape("csv", "utf-8", delimiter, rows[0], rows[1:6])


def fake_validate(s3: Any, bucket: str, application_id: str, broadcast_id: str, filename: str,
                  spec: validation.Spec, *, suppressed: Any) -> validation.Summary:
    _, rows = _rows(s3, bucket, plan.upload_key(application_id, broadcast_id))
    header = rows[0]
    if spec.recipient not in header:
        raise recipient_file.FileProblem("missing_column", f"No column {spec.recipient}")
    at = header.index(spec.recipient)
    good, invalid, duplicates, seen = [], 0, 0, set()
    for line, row in enumerate(rows[1:], start=2):
        try:
            to = row[at].strip().lower() if spec.channel == "email" else normalise_phone(row[at], "to")
        except ApiError:
            invalid += 1
            continue
        if to in seen:
            duplicates += 1
            continue
        seen.add(to)
        values = {name: (row[header.index(v["column"])] if "column" in v else v["value"])
                  for name, v in spec.values.items()}
        good.append(plan.Recipient(line, to, values))
    off = suppressed([r.to for r in good])
    good = [r for r in good if r.to not in off]
    chunks = [good[i:i + TEST_CHUNK] for i in range(0, len(good), TEST_CHUNK)]
    for number, chunk in enumerate(chunks):
        s3.put_object(Bucket=bucket, Key=plan.chunk_key(application_id, broadcast_id, number),
                      Body=plan.encode_chunk(chunk))
    for lang in ("en", "id") if invalid else ():  # one bad rows file per language, as validation writes
        s3.put_object(Bucket=bucket, Key=plan.errors_key(application_id, broadcast_id, lang),
                      Body=b"line,code,reason,values\n")
    return validation.Summary(len(rows) - 1, len(good), invalid, duplicates, len(off), len(good), len(chunks))


@pytest.fixture(autouse=True)
def file_side(monkeypatch):
    monkeypatch.setattr(recipient_file, "head", fake_head)
    monkeypatch.setattr(validation, "validate", fake_validate)
    from chalicelib.broadcasts import pacer

    monkeypatch.setattr(pacer, "MAX_DELAY", 0)  # moto would hold delayed messages for real seconds


class CountingProvider:
    """Takes every send and counts it by recipient; `on_send(n)` runs after the n-th (1-based)."""
    name = "counting"

    def __init__(self, on_send: Any = None) -> None:
        self.sent: Counter = Counter()
        self.total = 0
        self.on_send = on_send
        self.lock = threading.Lock()  # a chunk sends from several threads at once

    def send(self, outbound) -> str:
        with self.lock:
            self.sent[outbound.target] += 1
            self.total += 1
            total = self.total
        if self.on_send:
            self.on_send(total)
        return "counted-" + outbound.message_id


def phones(n: int, start: int = 0) -> list[str]:
    return [f"08129{i:07d}" for i in range(start, start + n)]


def csv_of(rows: list[list[str]], delimiter: str = ";") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def put_upload(application_id: str, broadcast_id: str, data: bytes) -> None:
    aws.client("s3").put_object(Bucket=get_settings().report_bucket, Key=plan.upload_key(application_id, broadcast_id),
                                Body=data)


def queued_jobs() -> list[dict]:
    """Every job waiting on the broadcast queue, taken off it."""
    import json

    sqs = aws.client("sqs")
    url = aws.queue_url(get_settings().broadcast_queue_name)
    jobs = []
    for _ in range(200):
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                     VisibilityTimeout=30).get("Messages", [])
        if not answer:
            return jobs
        for message in answer:
            jobs.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("the broadcast queue did not empty")


def run_jobs() -> int:
    """Run every queued job (and those they queue) to the end, as the broadcast worker would."""
    from chalicelib.broadcasts import run

    done = 0
    for _ in range(50):
        jobs = queued_jobs()
        if not jobs:
            return done
        for job in jobs:
            run.handle(job)
            done += 1
    raise AssertionError("jobs kept coming")


def ready_sms(shop: Any, rows: list[list[str]], *, name: str = "Lebaran sale") -> dict:
    """An SMS broadcast validated over `rows` (the first is the header) and scheduled at 1000/s."""
    api, base = shop.api, f"/applications/{shop.app_id}/broadcasts"
    created = api.call("POST", base, {"name": name, "channel": "sms",
                                      "content": {"sender_id": "KIRIM", "text": "Halo {{name}}, kode {{code}}"}},
                       shop.session)
    assert created.status_code == 201, created.json_body
    bc = created.json_body
    one = f"{base}/{bc['broadcast_id']}"
    up = api.call("POST", one + "/upload", {"filename": "customers.csv", "size": 100, "content_type": "text/csv"},
                  shop.session)
    assert up.status_code == 200, up.json_body
    put_upload(shop.app_id, bc["broadcast_id"], csv_of(rows))
    read = api.call("POST", one + "/file", None, shop.session)
    assert read.status_code == 200, read.json_body
    mapping = {"recipient": "phone", "values": {"name": {"column": "name"}, "code": {"value": "LEBARAN20"}}}
    checked = api.call("POST", one + "/validate", {"mapping": mapping}, shop.session)
    assert checked.status_code == 202 and checked.json_body["status"] == "validating", checked.json_body
    run_jobs()
    scheduled = api.call("PUT", one + "/schedule", {"start_at": None, "rate_per_second": 1000, "quiet_hours": None},
                         shop.session)
    assert scheduled.status_code == 200 and scheduled.json_body["status"] == "ready", scheduled.json_body
    return scheduled.json_body


def table(n: int, start: int = 0) -> list[list[str]]:
    return [["phone", "name"], *[[p, f"Pelanggan {i}"] for i, p in enumerate(phones(n, start))]]
