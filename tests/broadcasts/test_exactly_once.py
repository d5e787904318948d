"""Exactly once per recipient, whatever fails (issue 22): the chunk worker run again after a
redelivery, killed at each step (after a provider send, at a message's write, before its cursor
save), a cursor save whose answer is lost inside botocore's retry loop (local.faults), a pause or a
cancel mid-chunk, the quota running out then topped up. Each time every recipient reaches the
provider exactly once, counted at the provider.

A kill is a BaseException raised where the process would die: what survives is what AWS (moto)
holds, as after a real kill. The kill between a message's write and its provider call is the send
pipeline's own case (sending.dispatch; tests/faults/test_dispatch_faults.py)."""
from __future__ import annotations

import pytest

from chalicelib.applications import service as applications
from chalicelib.broadcasts import pacer, run
from chalicelib.broadcasts import service as broadcasts
from chalicelib.broadcasts.models import Broadcast, Chunk, chunk_sk
from chalicelib.sending import pipeline
from local import faults
from tests.broadcasts.helpers import file_side  # noqa: F401 - autouse: the file side faked here
from tests.broadcasts.helpers import CountingProvider, Killed, queued_jobs, ready_sms, table
from tests.conftest import Shop, set_quota

RECIPIENTS = 30   # three chunks of the tests' 10


@pytest.fixture(autouse=True)
def often(monkeypatch):
    monkeypatch.setattr(run, "CHECKPOINT", 3)   # a cursor save (and a status check) every 3 sends


_start = iter(range(1000, 100_000, 100))


def _running(shop: Shop) -> tuple[str, list[dict]]:
    """A fresh running broadcast to RECIPIENTS new numbers; its chunk jobs, taken off the queue."""
    set_quota(shop.app_id, "sms", 10_000)
    bc = ready_sms(shop, table(RECIPIENTS, next(_start)))
    started = shop.api.call("POST", f"/applications/{shop.app_id}/broadcasts/{bc['broadcast_id']}/start", None,
                            shop.session)
    assert started.status_code == 200 and started.json_body["status"] == "running", started.json_body
    jobs = queued_jobs()
    assert sorted(job["chunk"] for job in jobs) == [0, 1, 2]   # one message per chunk
    return bc["broadcast_id"], jobs


def _provider(monkeypatch, on_send=None) -> CountingProvider:
    counting = CountingProvider(on_send)
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: counting)
    return counting


def _each_once(provider: CountingProvider) -> None:
    assert provider.total == RECIPIENTS and len(provider.sent) == RECIPIENTS, provider.sent
    assert set(provider.sent.values()) == {1}


def _status(shop: Shop, broadcast_id: str) -> tuple[str, str | None]:
    bc = Broadcast.get(shop.app_id, broadcast_id, consistent_read=True)
    return bc.status, bc.status_reason


def _run_all(jobs: list[dict]) -> None:
    for job in jobs:
        run.handle(job)


def test_a_redelivered_chunk_sends_nobody_twice(shop, monkeypatch):
    provider = _provider(monkeypatch)
    broadcast_id, jobs = _running(shop)
    _run_all(jobs)
    _run_all(jobs)   # SQS hands every message over again
    # A chunk half done, its message delivered twice at once: the second run finds its cursor.
    _each_once(provider)
    assert _status(shop, broadcast_id) == ("completed", None)


def _kill_on(n: int):
    def on_send(total: int) -> None:
        if total == n:
            raise Killed()
    return on_send


@pytest.mark.parametrize("at", [1, 4, 10, 17])
def test_a_worker_killed_right_after_a_send_sends_nobody_twice(shop, monkeypatch, at):
    provider = _provider(monkeypatch, _kill_on(at))
    broadcast_id, jobs = _running(shop)
    with pytest.raises(Killed):
        _run_all(jobs)
    provider.on_send = None
    _run_all(jobs)   # each message comes back after its visibility timeout
    _each_once(provider)
    assert _status(shop, broadcast_id) == ("completed", None)


def _is_chunk_save(call: dict) -> bool:
    return call["TransactItems"][0]["Put"]["Item"]["broadcast_id"]["S"].startswith("chunk#")


def _fifth_message_write() -> object:
    seen = []

    def when(call: dict) -> bool:
        if "message_id" in call["TransactItems"][0]["Put"]["Item"]:
            seen.append(1)
        return len(seen) == 5
    return when


def _die(_: dict) -> None:
    raise Killed()


@pytest.mark.parametrize("step", ["before a cursor save", "at a message's write"])
def test_a_worker_killed_mid_chunk_resumes_from_its_cursor(shop, monkeypatch, step):
    provider = _provider(monkeypatch)
    broadcast_id, jobs = _running(shop)
    when = _is_chunk_save if step == "before a cursor save" else _fifth_message_write()
    with faults.injected("dynamodb", "TransactWriteItems", when=when, action=_die, times=1) as fault:
        with pytest.raises(Killed):
            _run_all(jobs)
    assert fault.hits == 1
    sent_before = provider.total
    _run_all(jobs)
    _each_once(provider)
    assert sent_before >= 3 and _status(shop, broadcast_id) == ("completed", None)


@pytest.mark.parametrize("lost", [1, 2])
def test_a_cursor_save_whose_answer_is_lost_is_not_taken_for_a_race(shop, monkeypatch, lost):
    """One lost answer: botocore sends the save again and its condition fails on the first's own
    write, told apart by its mark. Both attempts lost: the job fails and SQS hands it over again."""
    from pynamodb.exceptions import TransactWriteError

    provider = _provider(monkeypatch)
    broadcast_id, jobs = _running(shop)
    with faults.injected("dynamodb", "TransactWriteItems", when=_is_chunk_save, lose_answer=True,
                         times=lost) as fault:
        if lost == 1:
            _run_all(jobs)
        else:
            with pytest.raises(TransactWriteError):
                _run_all(jobs)
    assert fault.hits == lost
    _run_all(jobs)
    _each_once(provider)
    assert _status(shop, broadcast_id) == ("completed", None)
    assert all(Chunk.get(shop.app_id, chunk_sk(broadcast_id, n)).state == "done" for n in range(3))


def test_a_pause_takes_effect_within_a_chunk_and_resume_sends_the_rest_once(shop, monkeypatch):
    holder: dict = {}

    def pause_at_5(total: int) -> None:
        if total == 5:
            broadcasts.pause(broadcasts.get(shop.app_id, holder["id"]))

    provider = _provider(monkeypatch, pause_at_5)
    holder["id"], jobs = _running(shop)
    _run_all(jobs)
    assert _status(shop, holder["id"]) == ("paused", None)
    # Stopped at the next check (every 3 sends): the chunk is held, the others never started.
    assert 5 <= provider.total <= 6
    assert Chunk.get(shop.app_id, chunk_sk(holder["id"], 0)).state == "held"
    provider.on_send = None
    resumed = shop.api.call("POST", f"/applications/{shop.app_id}/broadcasts/{holder['id']}/resume", None,
                            shop.session)
    assert resumed.status_code == 200 and resumed.json_body["status"] == "running"
    _run_all(queued_jobs())
    _each_once(provider)
    assert _status(shop, holder["id"]) == ("completed", None)


def test_cancel_stops_the_run_within_a_chunk(shop, monkeypatch):
    holder: dict = {}

    def cancel_at_4(total: int) -> None:
        if total == 4:
            broadcasts.cancel(broadcasts.get(shop.app_id, holder["id"]))

    provider = _provider(monkeypatch, cancel_at_4)
    holder["id"], jobs = _running(shop)
    _run_all(jobs)
    _run_all(jobs)
    assert _status(shop, holder["id"]) == ("canceled", "canceled")
    assert 4 <= provider.total <= 6 and set(provider.sent.values()) == {1}


def test_the_quota_running_out_pauses_and_a_top_up_resumes_each_once(shop, monkeypatch, frozen_clock):
    provider = _provider(monkeypatch)
    broadcast_id, jobs = _running(shop)
    set_quota(shop.app_id, "sms", 12)
    _run_all(jobs)
    assert _status(shop, broadcast_id) == ("paused", "quota")
    assert provider.total == 12
    frozen_clock.advance(61)
    pacer.tick()
    assert _status(shop, broadcast_id) == ("paused", "quota")    # still nothing left
    applications.top_up(shop.app_id, "sms", 100)
    frozen_clock.advance(61)
    pacer.tick()
    assert _status(shop, broadcast_id)[0] == "running"
    _run_all(queued_jobs())
    _each_once(provider)
    assert _status(shop, broadcast_id) == ("completed", None)


def test_a_worker_killed_before_completing_the_broadcast_leaves_it_to_the_redelivery(shop, monkeypatch):
    """Found by the broadcast soak: the last chunk saved done, then its worker died before completing the
    broadcast; its job came again, found the chunk done, and the broadcast stayed running for ever."""
    provider = _provider(monkeypatch)
    broadcast_id, jobs = _running(shop)
    complete = run.complete_if_done

    def die_at_the_last(bc) -> None:
        bc.refresh(consistent_read=True)
        if int(bc.chunks_done) == int(bc.chunks):
            monkeypatch.setattr(run, "complete_if_done", complete)
            raise Killed()
        complete(bc)

    monkeypatch.setattr(run, "complete_if_done", die_at_the_last)
    with pytest.raises(Killed):
        _run_all(jobs)
    assert _status(shop, broadcast_id) == ("running", None)
    _run_all(jobs[-1:])   # the killed job, handed over again
    _each_once(provider)
    assert _status(shop, broadcast_id) == ("completed", None)


def test_a_broadcast_paused_as_its_last_chunk_ends_completes_on_resume(shop, monkeypatch):
    """Found by the broadcast soak: a pause after the last chunk's last status check lets that chunk end
    while the broadcast is paused; on resume nothing was held, so nothing ever completed it."""
    holder: dict = {}

    def pause_at_the_last(total: int) -> None:
        if total == RECIPIENTS:
            broadcasts.pause(broadcasts.get(shop.app_id, holder["id"]))

    provider = _provider(monkeypatch, pause_at_the_last)
    holder["id"], jobs = _running(shop)
    _run_all(jobs)
    assert _status(shop, holder["id"]) == ("paused", None)
    resumed = shop.api.call("POST", f"/applications/{shop.app_id}/broadcasts/{holder['id']}/resume", None,
                            shop.session)
    assert resumed.status_code == 200 and resumed.json_body["status"] == "completed", resumed.json_body
    _each_once(provider)
