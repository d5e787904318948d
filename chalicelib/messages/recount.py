"""Regroup an application's daily counters after its time zone changed (counters are per local
day), or re-check every message and counter (the operator's repair after a bug).

The regrouping never writes a counter. It fixes a message's `day` with a conditional
UpdateItem, and the stream consumer (messages.changes) moves that message's count from the
old day to the new one, exactly as it moves a count on a status change; so the counters stay
right while sends and status events go on, and a job that runs twice changes nothing more.

Only messages created between the two zones' midnights can change day: for each date, the
instants from one zone's midnight to the other's (two hours a day for Jakarta -> Jayapura).
Message ids sort by time, so each date's band is one key range of each of `by_app_channel`'s
SHARDS partitions of the channel; the job reads just those, shard after shard, in pages, and passes its place on to a fresh job through the dispatch queue
(core.jobs) after MAX_PAGES pages, so no job nears its Lambda's timeout.

The repair (no zone change) reads every message, date by date, fixes any wrong `day`, and
tallies each date. A date whose counter differs from its tally is rewritten only when it is
quiet: the pass fixed no message (their moves would still be on the stream), no message of the
date changed in the last QUIET minutes, and the counter's version is the one read before the
tally. A busy date is left for the next pass, which the job queues itself.

On paper, for 10 million messages over a year with a 2-hour shift: 365 dates x 5 channels,
about 14,600 Queries (x 8 shards) reading 0.83 million messages (2/24 of them) and rewriting
those; at 40 pages of up to 500 per job, about 370 jobs of a few seconds each (most pages hold a
shard's ~60 messages of a band). The repair reads every message: about 35,000 pages, 870 jobs.

The target day is computed with the application's zone as read for each page, so two zone
changes in a row also end right: a band of the first change that the second change does not
move already has the second zone's day.

A zone change's job is queued before the change is written (applications.sending_settings) and
carries the change's `settings_version`: until the application reaches that version the job queues
itself again every WAIT_DELAY, for at most COMMIT_WAIT, then ends (the change failed). A job that
finds the application still in its old zone (the change failed, or was undone since) reads nothing.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import PutError

from chalicelib.applications import service as applications
from chalicelib.applications.models import Application
from chalicelib.core import clock, jobs
from chalicelib.core.db import update_if
from chalicelib.messages.models import SHARDS, Counter, Message, app_channel_key, app_channel_shard_key, id_range
from chalicelib.messages.transitions import local_day

log = logging.getLogger(__name__)

PAGE = 500
MAX_PAGES = 40
# Sends that read the old zone just before the change may write for this long after it.
STALE_WINDOW = timedelta(minutes=2)
# A date whose messages all stayed still this long has no change left on the stream.
QUIET = timedelta(minutes=5)
# How long a zone change's job waits for the change to be written, and how often it looks.
COMMIT_WAIT = timedelta(minutes=2)
WAIT_DELAY = 10


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone))


def band(day: date, old_zone: str | None, new_zone: str) -> tuple[datetime, datetime] | None:
    """The instants whose local day may differ between the zones (the whole date for a re-check)."""
    if old_zone is None:
        return _midnight(day, new_zone), _midnight(day + timedelta(days=1), new_zone)
    start, end = sorted((_midnight(day, old_zone), _midnight(day, new_zone)))
    return (start, end) if start < end else None


def _first_date(application_id: str, channel: str, zone: str) -> date | None:
    firsts = [message.created_at for n in range(SHARDS)
              for message in Message.by_app_channel.query(app_channel_shard_key(application_id, channel, n), limit=1)]
    if not firsts:
        return None
    return clock.parse_iso(min(firsts)).astimezone(ZoneInfo(zone)).date() - timedelta(days=1)


def _fix(message: Message, zone: str) -> bool:
    day = local_day(clock.parse_iso(message.created_at), zone)
    if message.day == day:
        return False
    # False: another job fixed it meanwhile.
    return update_if(Message(message.message_id), [Message.day.set(day)], Message.day == message.day,
                     "this message", mark=Message.write_id)


def _counter(pk: str, day: str) -> Counter | None:
    try:
        return Counter.get(pk, day, consistent_read=True)
    except Counter.DoesNotExist:
        return None


def _repair(pk: str, day: str, state: dict[str, Any]) -> bool:
    """Rewrite a date's counter to its tally when the date is quiet. Returns True when rewritten."""
    tally = {word: n for word, n in state["tally"].items() if n}
    hours = {int(h): n for h, n in state.get("hours", {}).items() if n}
    current = _counter(pk, day)
    if (current.counts() if current else {}) == tally and (current.hours() if current else {}) == hours:
        return False
    newest = state["newest"]
    if state["fixed_any"] or (newest and clock.parse_iso(newest) > clock.now() - QUIET):
        state["busy"] = True
        return False
    version = state["version"]
    item = Counter(pk, day, version=(version or 0) + 1)
    item.refunded = current.refunded if current else None  # refunds are not recounted: kept as they are
    for word, n in tally.items():
        item.set_count(word, n)
    for hour, n in hours.items():
        item.set_hour(hour, n)
    condition = Counter.version.does_not_exist() if version is None else Counter.version == version
    try:
        item.save(condition=condition)  # the whole item: words no longer counted go back to nothing
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        state["busy"] = True  # the stream moved it while we counted: next pass
        return False
    log.warning("counter repaired", extra={"pk": pk, "day": day, "was": current.counts() if current else {},
                                           "now": tally, "hours": hours})
    return True


def _start_date(state: dict[str, Any], pk: str, day: date) -> None:
    state.update(date=day.isoformat(), shard=0, after=None, tally={}, hours={}, newest=None)
    counter = _counter(pk, day.isoformat())
    state["version"] = int(counter.version) if counter and counter.version is not None else None


def run_job(body: dict[str, Any]) -> dict[str, Any]:
    """One job: up to MAX_PAGES pages, then a fresh job with the place reached. Returns the state."""
    body = {"old_zone": None, "changed_at": clock.now_iso(), **body}
    repair = body["old_zone"] is None
    app = Application.get(body["application_id"], consistent_read=True)
    expected = body.get("settings_version")
    if expected is not None and int(app.settings_version or 0) < int(expected):
        return _wait_for_change(body)
    if not repair and app.zone() == body["old_zone"]:
        log.info("recount: the zone is the old one, nothing to regroup", extra={"application_id": app.application_id})
        return {**body, "done": True}
    channels = applications.channel_names(app)
    state: dict[str, Any] = {"channel": 0, "date": None, "shard": 0, "after": None, "moved": 0, "repaired": 0,
                             "fixed_any": False, "busy": False, "tally": {}, "hours": {}, "newest": None, "version": None, **body}
    pages = 0
    while state["channel"] < len(channels):
        channel = channels[state["channel"]]
        pk = app_channel_key(app.application_id, channel)
        zone = Application.get(app.application_id, consistent_read=True).zone()
        if state["date"] is None:
            first = (date.fromisoformat(state["from_date"]) if state.get("from_date")
                     else _first_date(app.application_id, channel, zone))
            if first is None:
                state.update(channel=state["channel"] + 1, date=None, after=None)
                continue
            _start_date(state, pk, first)
        day = date.fromisoformat(state["date"])
        if day > clock.now().astimezone(ZoneInfo(zone)).date() + timedelta(days=1):
            state.update(channel=state["channel"] + 1, date=None, after=None)
            continue
        span = band(day, state["old_zone"], zone)
        if span is not None:
            partition = app_channel_shard_key(app.application_id, channel, state["shard"])
            start = {"app_channel": {"S": partition}, "message_id": {"S": state["after"]}} if state["after"] else None
            page = Message.by_app_channel.query(partition, Message.message_id.between(*id_range(*span)), limit=PAGE,
                                                page_size=PAGE, last_evaluated_key=start)
            read = list(page)
            pages += 1
            for message in read:
                if _fix(message, zone):
                    state["moved"] += 1
                    state["fixed_any"] = True
                state["tally"][message.status] = state["tally"].get(message.status, 0) + 1
                hour = str(clock.parse_iso(message.created_at).astimezone(timezone.utc).hour)  # a job body is JSON
                state["hours"][hour] = state["hours"].get(hour, 0) + 1
                state["newest"] = max(filter(None, (state["newest"], message.updated_at)))
            if read and page.last_evaluated_key:
                state["after"] = read[-1].message_id  # more of this date's band: the next page
                if pages >= MAX_PAGES:
                    return _continue(state)
                continue
            if state["shard"] + 1 < SHARDS:  # the band's next shard
                state.update(shard=state["shard"] + 1, after=None)
                if pages >= MAX_PAGES:
                    return _continue(state)
                continue
        if repair:
            state["repaired"] += _repair(pk, day.isoformat(), state)
        _start_date(state, pk, day + timedelta(days=1))
        if pages >= MAX_PAGES:
            return _continue(state)
    _follow_up(body, state)
    log.info("recount done", extra={k: state[k] for k in ("application_id", "moved", "repaired", "busy")})
    state["done"] = True
    return state


def _follow_up(body: dict[str, Any], state: dict[str, Any]) -> None:
    again = {k: body[k] for k in ("application_id", "old_zone", "changed_at")}
    changed_at = clock.parse_iso(body["changed_at"])
    if state["old_zone"] is None and (state["fixed_any"] or state["busy"]) and not body.get("last_pass"):
        # Days were fixed (their moves are still on the stream) or some dates were busy: once
        # more, later, when they have settled.
        jobs.enqueue(jobs.RECOUNT, {**again, "last_pass": bool(body.get("second_pass")), "second_pass": True},
                     delay_seconds=int(QUIET.total_seconds()))
    elif state["old_zone"] is not None and clock.now() < changed_at + STALE_WINDOW and not body.get("tail"):
        # Late sends may still write the old zone's day: look at the last two dates again later.
        wait = int((changed_at + STALE_WINDOW - clock.now()).total_seconds()) + 1
        jobs.enqueue(jobs.RECOUNT, {**again, "tail": True,
                                    "from_date": (changed_at.date() - timedelta(days=1)).isoformat()},
                     delay_seconds=wait)


def _wait_for_change(body: dict[str, Any]) -> dict[str, Any]:
    """The zone change this job regroups is not written yet: look again shortly, or give up."""
    if clock.now() < clock.parse_iso(body["changed_at"]) + COMMIT_WAIT:
        jobs.enqueue(jobs.RECOUNT, body, delay_seconds=WAIT_DELAY)
        return {**body, "waiting": True}
    log.info("recount: the zone change was never written", extra={"application_id": body["application_id"]})
    return {**body, "done": True}


def _continue(state: dict[str, Any]) -> dict[str, Any]:
    jobs.enqueue(jobs.RECOUNT, {k: v for k, v in state.items() if k != "done"})
    return state
