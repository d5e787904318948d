"""Issue 20, "the harness, and the proof": the chaos soak (tests/scripts/chaos_soak.py) runs once, in its
own process, on AWS's DynamoDB Local behind DynamoDB's contention and moto, with every fault at once;
then each invariant is a test of its own, and each figure is printed (`pytest -s`, and at the end of
`make test`, like the schemathesis line). SOAK_SEED and SOAK_SENDS choose the run; `make soak` runs a
longer one. docs/reliability.md, "The chaos soak", says what it injects."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "tests" / "scripts" / "chaos_soak.py"
SUMMARY_FILE = ROOT / ".pytest_cache" / "kirim-soak.txt"


@pytest.fixture(scope="module")
def soak() -> dict:
    # Its own session: on a timeout its servers (moto, DynamoDB Local, the contention model) go with it.
    process = subprocess.Popen([sys.executable, str(SCRIPT)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=int(os.environ.get("SOAK_TIMEOUT", "1800")))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, out[-3000:] + err[-5000:]
    *lines, figures = out.strip().splitlines()
    print("\n" + "\n".join(lines))
    SUMMARY_FILE.parent.mkdir(exist_ok=True)
    SUMMARY_FILE.write_text("\n".join(lines))  # make test prints it at the end (tests/conftest.py)
    return json.loads(figures)


def test_quota_is_conserved_with_nothing_left_for_the_reconciler(soak):
    """start + top-ups - debits + refunds = the final balance, channel by channel, once the clock has
    moved past every grace and the reconciler has run: a lost debit answer, a request killed between
    its debit and its write, a refund, all accounted for exactly once."""
    quota = soak["quota"]
    assert quota["off"] == [], quota
    assert quota["start"] + quota["top_ups"] - quota["debits"] + quota["refunds"] == quota["final"], quota
    assert quota["left_for_reconciler"] == 0 and quota["debits"] > 0 and quota["refunds"] > 0, quota


def test_each_message_reached_the_provider_at_most_once_and_exactly_once_unless_it_failed(soak):
    provider = soak["provider"]
    assert provider["twice"] == [] and provider["unrecorded"] == [], provider
    assert provider["never_though_not_failed"] == [], provider
    assert provider["once"] + provider["failed_unsent"] == provider["messages"] == soak["messages"], provider


def test_counters_equal_a_recount(soak):
    counters = soak["counters"]
    assert counters["differing"] == [] and counters["repaired"] == 0, counters
    assert counters["counted"] == soak["messages"], counters


def test_every_report_row_appears_once_while_statuses_move(soak):
    """The report asks for every SMS status of a range closed before it was requested; some of its
    messages move from Sent to Delivered between the report's own Queries."""
    report = soak["report"]
    assert report["status"] == "Done" and report["moved_during_read"] > 0, report
    assert (report["missing"], report["twice"], report["unexpected"]) == ([], [], []), report
    assert report["rows"] == report["expected"] > 0, report


def test_every_callback_is_delivered_or_dead_lettered(soak):
    """Every status change of the two tenants with a callback URL has its delivery; each ended delivered
    or failed, and each failed one is in the callback DLQ."""
    callbacks = soak["callbacks"]
    assert callbacks["without_delivery"] == [] and callbacks["failed_not_dead_lettered"] == [], callbacks
    assert set(callbacks["states"]) == {"delivered", "failed"}, callbacks
    assert callbacks["dead_lettered"] == callbacks["states"]["failed"], callbacks


def test_no_client_gets_a_5xx(soak):
    """Not even a request whose quota debit went unanswered: the debit counts as taken and the send goes
    on, and the reconciler squares it (the quota test above). A killed request has no answer (API
    Gateway's 502 on AWS) and is not counted here; the client retries it with its key."""
    answers = soak["answers"]
    assert answers["5xx"] == 0, answers


def test_an_idempotency_key_sends_one_message_however_often_it_comes(soak):
    answers = soak["answers"]
    assert answers["keys_with_two_messages"] == [] and answers["answered_but_missing"] == [], answers
    assert answers["replays"] > 0, answers


def test_the_soak_injected_every_kind_of_fault(soak):
    """The harness did what it says: each kind of fault met Kirim."""
    injected = soak["injected"]
    for kind in ("fault dynamodb lost", "fault dynamodb throttle", "fault dynamodb latency", "fault sqs redeliver",
                 "killed requests", "killed batches", "provider events repeated"):
        assert injected.get(kind, 0) > 0, (kind, injected)
    assert soak["report"]["moved_during_read"] > 0 and soak["provider"]["calls"] > soak["messages"], soak
