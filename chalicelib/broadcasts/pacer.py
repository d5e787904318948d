"""The pacer (a 1-minute schedule; on AWS it stands for EventBridge Scheduler's one-off schedules,
kept as one rule so the local stage plays it the same way): found by a Query of the sparse `by_due`
index per status, never a Scan, it
- queues again a validation not done within VALIDATION_GRACE (its job lost);
- starts scheduled broadcasts whose start_at has come;
- queues each running broadcast's next minute: rate x 60 recipients, in chunks of plan.CHUNK_SIZE,
  one SQS message per chunk, their DelaySeconds spread over the minute (a rate under one chunk a
  minute queues one chunk every few minutes); quiet hours in the application's time zone queue nothing;
- once every chunk is queued, looks every QUEUE_GRACE for chunks never finished (a lost message)
  and queues them again: a chunk run twice sends nobody twice (broadcasts.run);
- resumes a broadcast paused for quota once the channel has quota again;
- keeps WhatsApp broadcasts within Meta's messaging tier of the stage's number (Limits.whatsapp_tier_limit
  recipients per 24 hours, counted in whole chunks across every application's broadcasts in one window
  item, taken in the same transaction as the chunks): past it, a broadcast waits with reason tier_limit."""
from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.broadcasts import plan
from chalicelib.broadcasts import service as broadcasts
from chalicelib.broadcasts.models import TIER_PARTITION, WHATSAPP_TIER, Broadcast, Chunk, TierWindow, chunk_sk
from chalicelib.core import aws, clock
from chalicelib.core.channels import WHATSAPP
from chalicelib.core.config import get_settings
from chalicelib.core.db import busy, cancellation_reasons, connection, update_if

log = logging.getLogger(__name__)
PER_TICK = 200
QUEUE_GRACE = 15 * 60   # a queued chunk not finished by then is queued again
MAX_DELAY = 900         # SQS's longest DelaySeconds
DAY = 24 * 3600         # Meta's messaging tier counts unique recipients per 24 hours


def tick(now: float | None = None) -> dict[str, int]:
    """Every broadcast due by `now`, paced once: {"paced": n}."""
    now = clock.epoch() if now is None else now
    paced = 0
    for status in (broadcasts.VALIDATING, broadcasts.SCHEDULED, broadcasts.RUNNING, broadcasts.PAUSED):
        for due in Broadcast.by_due.query(status, Broadcast.due_at <= now, limit=PER_TICK):
            try:
                pace(due.application_id, due.broadcast_id, now)
                paced += 1
            except Exception:  # noqa: BLE001 - one broadcast's trouble never stops the others
                log.exception("broadcast not paced", extra={"broadcast_id": due.broadcast_id})
    return {"paced": paced}


def pace_now(bc: Any) -> Any:
    """A broadcast just started or resumed: its first minute queued at once, not at the next tick."""
    if bc.status == broadcasts.RUNNING:
        try:
            pace(bc.application_id, bc.broadcast_id)
            bc.refresh(consistent_read=True)
        except Exception:  # noqa: BLE001 - the pacer's next tick does it
            log.warning("broadcast not paced at once; the pacer will", exc_info=True)
    return bc


def _send(bc: Any, numbers: list[int], spread: int) -> None:
    sqs = aws.client("sqs")
    url = aws.queue_url(get_settings().broadcast_queue_name)
    for start in range(0, len(numbers), 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps({"job": "chunk", "application_id": bc.application_id,
                                                               "broadcast_id": bc.broadcast_id, "chunk": n}),
                    "DelaySeconds": min(MAX_DELAY, (start + i) * spread // max(1, len(numbers)))}
                   for i, n in enumerate(numbers[start:start + 10])]
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if answer.get("Failed"):  # found again by the lost-chunk look once all are queued
            log.warning("chunks not queued", extra={"failed": len(answer["Failed"])})


def plan_minute(rate_per_second: int, next_chunk: int, chunks: int) -> tuple[list[int], int]:
    """(the chunks to queue now, seconds until the next look) for one minute at this rate."""
    share = rate_per_second * 60
    count = max(1, share // plan.CHUNK_SIZE)
    wait = 60 if share >= plan.CHUNK_SIZE else 60 * math.ceil(plan.CHUNK_SIZE / share)
    return list(range(next_chunk, min(chunks, next_chunk + count))), wait


def _resume_if_topped_up(bc: Any) -> bool:
    from chalicelib.applications import quota

    if bc.status_reason == "quota" and quota.balances(bc.application_id, [bc.channel])[bc.channel] > 0:
        broadcasts.resume(bc)
        return True
    update_if(bc, [Broadcast.due_at.set(int(clock.epoch()) + 60)], Broadcast.status == broadcasts.PAUSED,
              "this broadcast")
    return False


def pace(application_id: str, broadcast_id: str, now: float | None = None) -> str:
    from chalicelib.applications import service as applications

    now = clock.epoch() if now is None else now
    try:
        bc = Broadcast.get(application_id, broadcast_id, consistent_read=True)
    except Broadcast.DoesNotExist:
        return "gone"
    if bc.status == broadcasts.VALIDATING and bc.due_at is not None and bc.due_at <= now:
        # Its job was lost (or is very slow): queued again, after pushing due_at on.
        if update_if(bc, [Broadcast.due_at.set(int(now) + broadcasts.VALIDATION_GRACE)],
                     (Broadcast.status == broadcasts.VALIDATING) & (Broadcast.due_at == bc.due_at), "this broadcast"):
            broadcasts.queue({"job": "validate", "application_id": application_id, "broadcast_id": broadcast_id})
        return "validation queued again"
    if bc.status == broadcasts.PAUSED and bc.status_reason in ("quota", "tier_limit"):
        return "resumed" if _resume_if_topped_up(bc) else "waiting"
    if bc.status == broadcasts.SCHEDULED and bc.due_at is not None and bc.due_at <= now:
        if not update_if(bc, [Broadcast.status.set(broadcasts.RUNNING), Broadcast.started_at.set(clock.now_iso())],
                         (Broadcast.status == broadcasts.SCHEDULED) & (Broadcast.due_at == bc.due_at),
                         "this broadcast", mark=Broadcast.write_id):
            return "moved"
    if bc.status != broadcasts.RUNNING or bc.due_at is None or bc.due_at > now:
        return "not due"
    schedule = json.loads(bc.schedule)
    app = applications.get(application_id)
    moment = datetime.fromtimestamp(now, timezone.utc)
    quiet_until = broadcasts.in_quiet_hours(schedule.get("quiet_hours"), app.zone(), moment)
    if quiet_until is not None:
        update_if(bc, [Broadcast.status_reason.set("quiet_hours"), Broadcast.due_at.set(int(quiet_until.timestamp()))],
                  (Broadcast.status == broadcasts.RUNNING) & (Broadcast.due_at == bc.due_at), "this broadcast")
        return "quiet"
    next_chunk, chunks = int(bc.next_chunk or 0), int(bc.chunks or 0)
    if next_chunk >= chunks:
        return _queue_lost(bc, now)
    numbers, wait = plan_minute(int(schedule["rate_per_second"]), next_chunk, chunks)
    tier = get_settings().limits.whatsapp_tier_limit if bc.channel == WHATSAPP else 0
    if tier:
        window = _tier_window()
        since = int(window.since) if window.since is not None and now - window.since < DAY else int(now)
        used = int(window.used or 0) if since == window.since else 0
        room = max(0, (tier - used) // plan.CHUNK_SIZE)
        if room == 0:
            update_if(bc, [Broadcast.status_reason.set("tier_limit"), Broadcast.due_at.set(since + DAY)],
                      (Broadcast.status == broadcasts.RUNNING) & (Broadcast.due_at == bc.due_at), "this broadcast")
            return "tier_limit"
        numbers = numbers[:room]
    move_on = [Broadcast.next_chunk.set(next_chunk + len(numbers)), Broadcast.due_at.set(int(now) + wait),
               Broadcast.status_reason.remove()]
    unmoved = (Broadcast.status == broadcasts.RUNNING) & (Broadcast.next_chunk == next_chunk)
    if tier:
        moved = _queue_within_tier(bc, move_on, unmoved, len(numbers) * plan.CHUNK_SIZE, window, since, tier)
    else:
        moved = update_if(bc, move_on, unmoved, "this broadcast", mark=Broadcast.write_id)
    if not moved:
        return "moved"
    _send(bc, numbers, min(wait, 60))
    return f"queued {len(numbers)}"


def _tier_window() -> TierWindow:
    try:
        return TierWindow.get(TIER_PARTITION, WHATSAPP_TIER, consistent_read=True)
    except TierWindow.DoesNotExist:
        return TierWindow()


def _queue_within_tier(bc: Any, move_on: list[Any], unmoved: Any, taken: int, window: TierWindow, since: int,
                       tier: int) -> bool:
    """Moves the broadcast on (`move_on` if `unmoved`) and takes `taken` recipients from the tier window,
    in one transaction (safe to resend: botocore gives it a token). False when another pacer moved the
    broadcast, or the window, first: the next minute looks again."""
    if since == window.since:
        window_actions = [TierWindow.used.add(taken)]
        window_condition = (TierWindow.since == since) & (TierWindow.used <= tier - taken)
    else:   # a new window, from this moment
        window_actions = [TierWindow.since.set(since), TierWindow.used.set(taken)]
        window_condition = (TierWindow.since.does_not_exist() if window.since is None
                            else TierWindow.since == window.since)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(bc, move_on, condition=unmoved)
            transaction.update(window, window_actions, condition=window_condition)
    except TransactWriteError as error:
        reasons = cancellation_reasons(error)
        if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
            return False
        raise busy(error) or error from None
    return True


def _queue_lost(bc: Any, now: float) -> str:
    """Every chunk is queued: queue again the ones not done and not heard from for QUEUE_GRACE; once
    all are done, complete the broadcast (its last chunk ended while it was paused, or its worker died
    before completing it)."""
    if int(bc.chunks_done or 0) >= int(bc.chunks or 0):
        from chalicelib.broadcasts import run

        run.complete_if_done(bc)
        return "completed"
    update_if(bc, [Broadcast.due_at.set(int(now) + QUEUE_GRACE)], Broadcast.status == broadcasts.RUNNING,
              "this broadcast")
    started = clock.parse_iso(bc.started_at).timestamp() if bc.started_at else now
    if now - started < QUEUE_GRACE:
        return "all queued"
    prefix = chunk_sk(bc.broadcast_id, 0)[:-5]
    seen: dict[int, Any] = {int(c.broadcast_id.rsplit("#", 1)[1]): c
                            for c in Chunk.query(bc.application_id, Chunk.broadcast_id.startswith(prefix))}
    lost = [n for n in range(int(bc.chunks or 0))
            if n not in seen or (seen[n].state != "done" and seen[n].updated_at
                                 and clock.parse_iso(seen[n].updated_at).timestamp() < now - QUEUE_GRACE)]
    if lost:
        _send(bc, lost, 60)
    return f"queued again {len(lost)}"
