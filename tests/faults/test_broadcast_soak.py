"""Broadcasts under chaos (issue 22): a seeded soak of three SMS broadcasts of two shops run to completed
while faults meet the chunk workers, then each invariant is a test of its own.

What meets the workers, all drawn from one seed (SOAK_SEED, 22 by default; BROADCAST_SOAK_RECIPIENTS in all,
90 by default, about a minute; `make soak` runs 600), injected by local/faults.py inside botocore's retry loop:
- lost answers after the call was applied (botocore sends it again: a quota debit's UpdateItem is then
  applied twice, a transaction is not) and throttles, on every DynamoDB call of a job;
- S3 refusing a chunk file's read now and then (SlowDown);
- workers killed at a random AWS call of a job, or right after a provider send (a Killed BaseException:
  what survives is what moto holds), the job then handed over again as SQS would;
- chunk jobs delivered twice, and out of order;
- a person pausing a broadcast mid-chunk, and resuming it later;
- one shop's quota running out mid-run (its broadcast pauses for quota) and topped up.
Some recipients' texts grow past 10 SMS segments once their name is filled in: not sent, reason invalid.

Invariants: each recipient reaches the provider at most once, and exactly once when its message was
written; every recipient is accounted for (sent + not_sent == total, sent == messages written); quota
is conserved (start + top-ups - debits + refunds == final - owed, the reconciler having run); each
broadcast's progress counters equal a recount of its messages."""
from __future__ import annotations

import os
import random
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from tests.broadcasts.helpers import CountingProvider, Killed, fake_head, fake_validate, queued_jobs, ready_sms
from tests.conftest import Api, FrozenClock, Shop, set_quota, settle_changes

SEED = int(os.environ.get("SOAK_SEED", "22"))
RECIPIENTS = int(os.environ.get("BROADCAST_SOAK_RECIPIENTS", "90"))
LONG_NAME = "x" * 1600          # past 10 SMS segments once filled in: the worker refuses it (not_sent invalid)
LOST, THROTTLED = 0.04, 0.03    # each DynamoDB attempt of a job: its answer lost / refused
KILL_JOB, KILL_AFTER_SEND, TWICE, PAUSE = 0.35, 0.03, 0.2, 0.02
SHORT_BY = 15                   # the short shop's quota runs out this many units before its broadcast's end


def _drawn(total: int, what: str) -> float:
    return random.Random(f"{SEED}:{what}:{total}").random()


class _Chaos:
    """The seeded faults, armed only while a job runs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.on = rng, False
        self.kill_at: int | None = None
        self.calls = 0
        self.injected: Counter = Counter()

    def lose(self, _: dict) -> bool:
        return self._draw("dynamodb lost", LOST)

    def throttle(self, _: dict) -> bool:
        return self._draw("dynamodb throttle", THROTTLED)

    def slow_down(self, _: dict) -> bool:
        return self._draw("s3 slow down", 0.1)

    def _draw(self, kind: str, odds: float) -> bool:
        if not self.on or self.rng.random() >= odds:
            return False
        self.injected[kind] += 1
        return True

    def kill_here(self, _: dict) -> bool:
        if not self.on:
            return False
        self.calls += 1
        return self.kill_at is not None and self.calls == self.kill_at

    def die(self, _: dict) -> None:
        self.injected["killed at an AWS call"] += 1
        self.kill_at = None
        raise Killed()


def _rows(rng: random.Random, n: int, start: int) -> tuple[list[list[str]], int]:
    rows, long = [["phone", "name"]], 0
    for i in range(n):
        name = LONG_NAME if rng.random() < 0.05 else f"Pelanggan {i}"
        long += name == LONG_NAME
        rows.append([f"08127{start + i:06d}9", name])
    return rows, long


@pytest.fixture(scope="module")
def soak(client):
    from chalicelib.applications import quota
    from chalicelib.broadcasts import pacer, recipient_file, run, validation
    from chalicelib.broadcasts import service as broadcasts
    from chalicelib.broadcasts.models import Broadcast
    from chalicelib.core import clock
    from chalicelib.messages import queries
    from chalicelib.sending import dispatch, pipeline
    from local import faults

    rng = random.Random(SEED)
    chaos = _Chaos(rng)
    frozen = FrozenClock(datetime.now(timezone.utc).replace(microsecond=0))
    provider = CountingProvider()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recipient_file, "head", fake_head)
        patch.setattr(validation, "validate", fake_validate)
        patch.setattr(pacer, "MAX_DELAY", 0)
        patch.setattr(run, "CHECKPOINT", 3)
        patch.setattr(pipeline, "provider_for", lambda channel: provider)
        clock.use(frozen)
        try:
            api = Api(client)
            shops = {"plenty": Shop(api), "short": Shop(api)}
            sizes = {"a": RECIPIENTS // 3, "b": RECIPIENTS // 3, "c": RECIPIENTS - 2 * (RECIPIENTS // 3)}
            owner = {"a": "plenty", "b": "plenty", "c": "short"}
            figures: dict = {"broadcasts": {}, "start": {}, "top_ups": Counter()}
            first = 0
            long_rows = {}
            for name, size in sizes.items():
                rows, long_rows[name] = _rows(rng, size, first)
                first += size
                shop = shops[owner[name]]
                bc = ready_sms(shop, rows, name=f"Soak {name}")
                figures["broadcasts"][name] = (shop.app_id, bc["broadcast_id"])
            units = {"plenty": sizes["a"] + sizes["b"] + 50,
                     "short": sizes["c"] - long_rows["c"] - SHORT_BY}
            for key, shop in shops.items():
                set_quota(shop.app_id, "sms", units[key])
                figures["start"][shop.app_id] = units[key]
            for name, (app_id, broadcast_id) in figures["broadcasts"].items():
                shop = shops[owner[name]]
                started = api.call("POST", f"/applications/{app_id}/broadcasts/{broadcast_id}/start", None,
                                   shop.session)
                assert started.status_code == 200, started.json_body

            paused: set[str] = set()
            current: dict = {}

            def on_send(total: int) -> None:
                chaos.on = False
                try:
                    # Drawn by the send's number, not in turn: a chunk's sends run in threads, in any order.
                    if _drawn(total, "pause") < PAUSE and current["job"]["broadcast_id"] not in paused:
                        app_id, broadcast_id = current["job"]["application_id"], current["job"]["broadcast_id"]
                        bc = Broadcast.get(app_id, broadcast_id, consistent_read=True)
                        if bc.status == broadcasts.RUNNING:
                            broadcasts.pause(bc)
                            paused.add(broadcast_id)
                            chaos.injected["paused mid-chunk"] += 1
                finally:
                    chaos.on = True
                if _drawn(total, "kill") < KILL_AFTER_SEND:
                    chaos.injected["killed after a provider send"] += 1
                    raise Killed()

            provider.on_send = on_send
            pending: list[dict] = queued_jobs()
            rounds = 0
            with faults.injected("*", "*", when=chaos.kill_here, action=chaos.die, times=10 ** 9), \
                    faults.injected("dynamodb", "*", when=chaos.lose, lose_answer=True, times=10 ** 9), \
                    faults.injected("dynamodb", "*", when=chaos.throttle, code="ProvisionedThroughputExceededException",
                                    times=10 ** 9), \
                    faults.injected("s3", "GetObject", when=chaos.slow_down, code="SlowDown", status=503,
                                    times=10 ** 9):
                while True:
                    rounds += 1
                    assert rounds < 100, _stuck(figures["broadcasts"], chaos.injected)
                    while pending:
                        job = pending.pop(rng.randrange(len(pending)))   # SQS keeps no order
                        current["job"] = job
                        chaos.calls = 0
                        chaos.kill_at = rng.randint(1, 30) if rng.random() < KILL_JOB else None
                        chaos.on = True
                        try:
                            run.handle(job)
                        except (Exception, Killed):
                            chaos.injected["jobs handed over again"] += 1
                            pending.append(job)   # after its visibility timeout
                        else:
                            if rng.random() < TWICE:
                                chaos.injected["jobs delivered twice"] += 1
                                pending.append(job)
                        finally:
                            chaos.on = False
                        pending.extend(queued_jobs())
                    states = {name: Broadcast.get(app_id, broadcast_id, consistent_read=True)
                              for name, (app_id, broadcast_id) in figures["broadcasts"].items()}
                    if all(bc.status == broadcasts.COMPLETED for bc in states.values()):
                        break
                    for name, bc in states.items():
                        if bc.status == broadcasts.PAUSED and bc.status_reason is None:
                            shop = shops[owner[name]]
                            resumed = api.call("POST", f"/applications/{bc.application_id}/broadcasts/"
                                               f"{bc.broadcast_id}/resume", None, shop.session)
                            assert resumed.status_code == 200, resumed.json_body
                        elif bc.status == broadcasts.PAUSED and bc.status_reason == "quota":
                            if not figures["top_ups"][bc.application_id]:
                                quota.top_up(bc.application_id, "sms", SHORT_BY + 10)
                                figures["top_ups"][bc.application_id] += SHORT_BY + 10
                                chaos.injected["quota ran out"] += 1
                    # The pacer's next minutes: it resumes a topped-up broadcast, and past QUEUE_GRACE
                    # queues again a chunk whose job was lost.
                    frozen.advance(61 if rounds % 4 else pacer.QUEUE_GRACE + 1)
                    pacer.tick()
                    pending.extend(queued_jobs())
            settle_changes()
            # A worker killed between a message's write and its provider call (a write whose answer was
            # lost, then a kill at botocore's second attempt): the send pipeline's own case, failed and
            # refunded by the sweeper at its deadline, never sent. Only those are swept: the counting
            # provider sends no events, so every other message would look unanswered too.
            unsent = {m.message_id for shop in shops.values() for m in queries.channel_messages(shop.app_id, "sms")
                      if m.target not in provider.sent}
            frozen.advance(dispatch.FIRST_EVENT_DEADLINE.total_seconds() + 60)
            figures["swept"] = dispatch.sweep(only=unsent)
            settle_changes()
            frozen.advance(quota.GRACE.total_seconds() + 120)
            figures["reconciled"] = quota.reconcile_due()
            figures["rounds"], figures["injected"] = rounds, dict(chaos.injected)
            figures["provider"] = provider
            figures["long_rows"] = long_rows
            figures["final"] = {shop.app_id: quota.balances(shop.app_id, ["sms"])["sms"] for shop in shops.values()}
            figures["owed"] = {shop.app_id: quota.owed(shop.app_id, "sms", clock.now() + timedelta(minutes=1))
                               for shop in shops.values()}
            figures["messages"] = {shop.app_id: list(queries.channel_messages(shop.app_id, "sms"))
                                   for shop in shops.values()}
            figures["after"] = {name: Broadcast.get(app_id, broadcast_id, consistent_read=True)
                                for name, (app_id, broadcast_id) in figures["broadcasts"].items()}
            print(f"\nbroadcast soak: seed {SEED}, {RECIPIENTS} recipients, {rounds} rounds, injected "
                  f"{dict(sorted(chaos.injected.items()))}")
            return figures
        finally:
            clock.use(None)


def _stuck(ids: dict, injected: Counter) -> str:
    """What a broadcast that never completed was left with: its counts and its chunks."""
    from chalicelib.broadcasts.models import Broadcast, Chunk, chunk_sk

    lines = [f"injected {dict(injected)}"]
    for name, (app_id, broadcast_id) in ids.items():
        bc = Broadcast.get(app_id, broadcast_id, consistent_read=True)
        chunks = [(c.broadcast_id.rsplit("#", 1)[1], c.state, int(c.cursor)) for c in
                  Chunk.query(app_id, Chunk.broadcast_id.startswith(chunk_sk(broadcast_id, 0)[:-5]))]
        lines.append(f"{name}: {bc.status} {bc.status_reason} chunks {bc.chunks} next {bc.next_chunk} done "
                     f"{bc.chunks_done} due {bc.due_at} sent {bc.sent} {chunks}")
    return "\n".join(lines)


def _details(message) -> dict:
    details = message.details
    return details.as_dict() if hasattr(details, "as_dict") else dict(details or {})


def _of(figures: dict, broadcast_id: str, app_id: str) -> list:
    return [m for m in figures["messages"][app_id] if _details(m).get("broadcast_id") == broadcast_id]


def test_the_soak_injected_every_kind_of_fault(soak):
    for kind in ("dynamodb lost", "dynamodb throttle", "s3 slow down", "killed at an AWS call",
                 "killed after a provider send", "jobs handed over again", "jobs delivered twice", "paused mid-chunk",
                 "quota ran out"):
        assert soak["injected"].get(kind, 0) > 0, (kind, soak["injected"])


def test_each_recipient_reached_the_provider_at_most_once_and_once_unless_its_message_failed(soak):
    from chalicelib.messages.status_rules import RULES

    provider = soak["provider"]
    messages = [m for ms in soak["messages"].values() for m in ms if _details(m).get("source") == "broadcast"]
    written = Counter(m.target for m in messages)
    assert [t for t, n in provider.sent.items() if n > 1] == []
    assert [t for t, n in written.items() if n > 1] == []          # one message per recipient
    assert set(provider.sent) <= set(written)                      # nothing reached it unrecorded
    unsent = [m for m in messages if m.target not in provider.sent]
    assert set(soak["swept"].values()) <= {"failed"}, soak["swept"]
    assert [(m.target, m.status) for m in unsent if m.status not in RULES["sms"].failure or not m.refunded_at] == []


def test_every_recipient_is_accounted_for(soak):
    for name, (app_id, broadcast_id) in soak["broadcasts"].items():
        bc = soak["after"][name]
        not_sent = bc.not_sent()
        assert bc.status == "completed"
        assert int(bc.sent) == len(_of(soak, broadcast_id, app_id)), name
        assert not_sent == ({"invalid": soak["long_rows"][name]} if soak["long_rows"][name] else {}), (name, not_sent)
        assert int(bc.sent) + sum(not_sent.values()) == int(bc.total), name


def test_quota_is_conserved(soak):
    for app_id, messages in soak["messages"].items():
        debits = sum(int(m.cost) for m in messages)
        refunds = sum(int(m.cost) for m in messages if m.refunded_at)
        start, top_ups = soak["start"][app_id], soak["top_ups"][app_id]
        assert start + top_ups - debits + refunds == soak["final"][app_id] - soak["owed"][app_id], (
            app_id, start, top_ups, debits, refunds, soak["final"][app_id], soak["owed"][app_id])


def test_progress_counters_equal_a_recount(soak):
    for name, (app_id, broadcast_id) in soak["broadcasts"].items():
        bc = soak["after"][name]
        recount = Counter(m.status for m in _of(soak, broadcast_id, app_id))
        assert {word: n for word, n in bc.counts().items() if n} == dict(recount), name
