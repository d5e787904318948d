"""Issue 12, items 4 and 5: a new token never carries settings older than the application's,
two settings changes cannot leave the tokens with a mix; and the regrouping after a time-zone
change is correct while sends and events go on, pages through the dispatch queue job by job,
and leaves the counters equal to a recount."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.applications import sending_settings, tokens
from chalicelib.applications import service as applications
from chalicelib.applications.models import Token
from chalicelib.core import clock, opaque_tokens
from chalicelib.core.errors import ApiError
from chalicelib.messages import recount as recount_job
from chalicelib.messages import status_updates
from chalicelib.messages.models import Message
from chalicelib.messages import queries
from chalicelib.providers.base import StatusEvent
from chalicelib.sending import pipeline
from tests.conftest import Api, Shop, drain, recount
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import sms_body


def test_a_token_issued_from_a_stale_read_carries_the_settings_as_they_are(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    stale = applications.get(app_id)                 # read while the rate limit is still 25
    assert api.call("PUT", f"/applications/{app_id}/settings", {"rate_limit": 7}, session).status_code == 200
    token, _ = tokens.generate(stale, "sms")         # its write is conditioned on the settings' version
    record = Token.get(opaque_tokens.digest(token), consistent_read=True)
    assert record.settings.as_dict()["rate_limit"] == 7
    assert record.settings.as_dict()["version"] == applications.get(app_id).settings_version
    answer = api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers={"Authorization": token})
    assert answer.headers["X-RateLimit-Limit"] == "7"


def test_two_settings_changes_from_stale_reads_cannot_mix(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    token = api.token(session, app_id, "sms")
    first, second = applications.get(app_id), applications.get(app_id)
    sending_settings.update(first, {"rate_limit": 9})
    with pytest.raises(ApiError) as refused:
        sending_settings.update(second, {"timezone": "Asia/Makassar"})
    assert refused.value.status == 409
    copy = Token.get(opaque_tokens.digest(token), consistent_read=True).settings.as_dict()
    app = applications.get(app_id)
    assert (copy["rate_limit"], copy["timezone"], copy["version"]) == (9, app.zone(), app.settings_version)


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())


def test_regrouping_after_a_zone_change_pages_through_jobs_while_traffic_goes_on(client, worker, quiet,
                                                                                  monkeypatch, frozen_clock):
    shop = Shop(Api(client))
    # Messages on either side of Jakarta's and Jayapura's midnights (17:00 and 15:00 UTC), over days.
    start = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)
    sent = []
    for day in range(4):
        for minute in (0, 40, 80, 150, 200):
            frozen_clock.set(start + timedelta(days=day, minutes=minute))
            sent.append(shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).json_body["msg_uid"])
    frozen_clock.set(datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc))
    # Small pages, a few per job (each date's band is read in 8 shards): the work is handed on
    # through the queue many times.
    monkeypatch.setattr(recount_job, "PAGE", 2)
    monkeypatch.setattr(recount_job, "MAX_PAGES", 4)
    jobs, real_run = [], recount_job.run_job

    def run_and_meddle(body):
        # Traffic meanwhile: a send in the new zone's time and an event on an old message.
        jobs.append(body.get("date"))
        if len(jobs) % 3 == 0:
            shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms"))
            status_updates.apply(StatusEvent(sent[len(jobs) % len(sent)], "TEXT_SENT", clock.now_iso()))
        return real_run(body)

    monkeypatch.setattr(recount_job, "run_job", run_and_meddle)
    assert shop.api.call("PUT", f"/applications/{shop.app_id}/settings", {"timezone": "Asia/Jayapura"},
                         shop.session).status_code == 200
    frozen_clock.advance(recount_job.STALE_WINDOW.total_seconds() + 1)  # no late sends to wait for
    drain(worker)
    assert len(jobs) > 8                              # it paged, job after job
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual
    for message in queries.channel_messages(shop.app_id, "sms"):
        local = clock.parse_iso(message.created_at).astimezone(timezone(timedelta(hours=9))).date().isoformat()
        assert message.day == local
    # The days did move: 15:00-17:00 UTC belongs to the next day in Jayapura, not in Jakarta.
    assert actual.get("2026-11-21#Submitted", 0) + actual.get("2026-11-21#Sent", 0) == 5


def test_the_regrouping_reads_only_the_hours_that_change_day():
    band = recount_job.band(datetime(2026, 11, 21).date(), "Asia/Jakarta", "Asia/Jayapura")
    assert band == (datetime(2026, 11, 20, 15, tzinfo=timezone.utc), datetime(2026, 11, 20, 17, tzinfo=timezone.utc))
    assert recount_job.band(datetime(2026, 11, 21).date(), "Asia/Jakarta", "Asia/Bangkok") is None  # same offset


def _sends_around_midnights(shop, frozen_clock) -> None:
    """Messages on either side of Jakarta's and Jayapura's midnights (17:00 and 15:00 UTC)."""
    start = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)
    for day in range(2):
        for minute in (0, 40, 80, 150):
            frozen_clock.set(start + timedelta(days=day, minutes=minute))
            assert shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).status_code == 200
    frozen_clock.set(datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc))


def _days_follow_the_zone(shop, hours: int) -> None:
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual
    for message in queries.channel_messages(shop.app_id, "sms"):
        local = clock.parse_iso(message.created_at).astimezone(timezone(timedelta(hours=hours))).date().isoformat()
        assert message.day == local, (message.created_at, message.day)


def test_a_zone_change_whose_regrouping_cannot_be_queued_is_not_made_and_its_retry_regroups(
        client, worker, quiet, frozen_clock):
    """The job used to be queued after the change was written: when the queue failed, the change
    stood (a 500) and was never regrouped, and the owner's retry changed nothing more."""
    from local import faults

    shop = Shop(Api(client))
    _sends_around_midnights(shop, frozen_clock)
    drain(worker)
    path = f"/applications/{shop.app_id}/settings"
    with faults.injected("sqs", "SendMessage", code="InternalError", status=500, times=10) as fault:
        failed = shop.api.call("PUT", path, {"timezone": "Asia/Jayapura"}, shop.session)
    assert fault.hits >= 1
    assert failed.status_code == 503 and failed.headers["Retry-After"], failed.body
    assert applications.get(shop.app_id).zone() == "Asia/Jakarta"  # nothing changed
    assert shop.api.call("PUT", path, {"timezone": "Asia/Jayapura"}, shop.session).status_code == 200
    frozen_clock.advance(recount_job.STALE_WINDOW.total_seconds() + 1)
    drain(worker)
    _days_follow_the_zone(shop, 9)


def test_a_regrouping_job_waits_for_its_change_and_does_nothing_for_a_change_that_failed(
        client, monkeypatch, frozen_clock):
    """The job is queued before the change is written: it may run first (it waits for the
    settings' version), or the change may fail (the zone never changes: it reads nothing)."""
    from chalicelib.core import jobs
    from local.call_counter import counting

    shop = Shop(Api(client))
    queued: list = []
    monkeypatch.setattr(jobs, "enqueue", lambda kind, payload, delay_seconds=0: queued.append((payload, delay_seconds)))
    # A change whose version is not written yet: its job queues itself again a little later.
    stale, app = applications.get(shop.app_id), applications.get(shop.app_id)
    sending_settings.update(app, {"rate_limit": 30})
    early = {"application_id": shop.app_id, "old_zone": "Asia/Jakarta", "changed_at": clock.now_iso(),
             "settings_version": app.settings_version + 1}
    state = recount_job.run_job(early)
    assert not state.get("done") and queued == [(early, recount_job.WAIT_DELAY)]
    queued.clear()
    frozen_clock.advance(recount_job.COMMIT_WAIT.total_seconds() + 1)  # past the wait: it ends
    assert recount_job.run_job(early)["done"] and queued == []
    # A change that lost a race (409): its job was queued, and finds the zone unchanged.
    with pytest.raises(ApiError) as conflict:
        sending_settings.update(stale, {"timezone": "Asia/Jayapura"})
    assert conflict.value.status == 409
    ((job, _),) = queued
    queued.clear()
    with counting() as calls:
        assert recount_job.run_job(job)["done"]
    assert ("dynamodb", "Query") not in calls and queued == []
