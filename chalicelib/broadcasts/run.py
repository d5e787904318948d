"""The broadcast queue's jobs: a validation (the whole file into chunks), and one chunk of a run.

A chunk's worker sends each recipient through the normal send pipeline with a claim made from the
broadcast and the recipient's row (plan.idempotency_scope), so the send's message and its claim are
written in one transaction: a recipient whose send was recorded is never sent again, whatever is
run twice (a redelivered chunk, a worker killed at any step, a resumed pause). A chunk sends
CHECKPOINT recipients at once (threads: the provider's call is most of a send's time), then saves its
cursor (recipients done) with the recipients not sent since, in one transaction, and waits what the
broadcast's rate asks: a chunk run again starts from its cursor, and replays at most CHECKPOINT claims
(answered from their records: nothing reaches the provider twice)."""
from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.broadcasts import plan
from chalicelib.broadcasts import service as broadcasts
from chalicelib.broadcasts.models import Broadcast, Chunk, chunk_sk
from chalicelib.core import aws, clock
from chalicelib.core.channels import EMAIL, IVR, SMS, WHATSAPP
from chalicelib.core.config import get_settings
from chalicelib.core.db import cancellation_reasons, connection, update_if
from chalicelib.core.errors import QUOTA_LOW, TEMPLATE_NOT_FOUND, ApiError

log = logging.getLogger(__name__)
# Sends made at once, between two cursor saves (and status checks: pause within a chunk): with Meta's
# ~200 ms a call, a chunk sends ~90 a second, and the worker's 16 chunks at once ~1,400.
CHECKPOINT = 20
BUDGET_SECONDS = 240    # a chunk's sends, paced, end within the worker's 300 s timeout whatever the rate
# A claim outlives any broadcast: a year covers the latest start (a year ahead) and a long pause.
CLAIM_SECONDS = 2 * 366 * 24 * 3600
HELD, OPEN, DONE = "held", "open", "done"


# --- validation --------------------------------------------------------------------------------------

def run_validation(application_id: str, broadcast_id: str) -> str:
    from chalicelib.applications import quota
    from chalicelib.broadcasts import recipient_file, validation

    try:
        bc = Broadcast.get(application_id, broadcast_id, consistent_read=True)
    except Broadcast.DoesNotExist:
        return "gone"
    if bc.status != broadcasts.VALIDATING:
        return "not validating"
    mapping = json.loads(bc.mapping)
    file = json.loads(bc.file)
    spec = validation.Spec(bc.channel, mapping["recipient"], mapping["values"], json.loads(bc.content))
    try:
        summary = validation.validate(aws.client("s3"), get_settings().report_bucket, application_id, broadcast_id,
                                      file["name"], spec,
                                      suppressed=lambda targets: broadcasts.suppressed(application_id, targets))
    except recipient_file.FileProblem as problem:
        report = {"rows": 0, "valid": 0, "invalid": 0, "duplicates": 0, "suppressed": 0, "units": 0,
                  "quota_available": 0, "estimated_cost": 0, "estimated_seconds": 0,
                  "error": {"code": problem.code, "message": problem.message}, "errors_file": False}
        _settle(bc, broadcasts.DRAFT, report, [Broadcast.status_reason.set("file")])
        return "refused"
    rate = int(json.loads(bc.schedule)["rate_per_second"])
    report = {"rows": summary.rows, "valid": summary.valid, "invalid": summary.invalid,
              "duplicates": summary.duplicates, "suppressed": summary.suppressed, "units": summary.units,
              "quota_available": quota.balances(application_id, [bc.channel])[bc.channel],
              "estimated_cost": summary.units * get_settings().unit_price,
              "estimated_seconds": math.ceil(summary.valid / max(1, rate)), "error": None,
              "errors_file": summary.invalid > 0}
    _settle(bc, broadcasts.READY, report, [Broadcast.chunks.set(summary.chunks), Broadcast.total.set(summary.valid),
                                           Broadcast.status_reason.remove()])
    return "ready"


def _settle(bc: Any, status: str, report: dict[str, Any], actions: list[Any]) -> None:
    update_if(bc, [Broadcast.status.set(status), Broadcast.validation.set(json.dumps(report)),
                   Broadcast.updated_at.set(clock.now_iso()), Broadcast.due_at.remove(), *actions],
              Broadcast.status == broadcasts.VALIDATING, "this broadcast", mark=Broadcast.write_id)


# --- one recipient -----------------------------------------------------------------------------------

def _fill(text: str, values: dict[str, str]) -> str:
    return broadcasts.PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def _whatsapp_payload(template: dict[str, Any], content: dict[str, Any], values: dict[str, str]) -> list[dict]:
    from chalicelib.templates import rules

    payload: list[dict[str, Any]] = []
    header = template.get("header") or {}
    media = rules.upper(header.get("format")) if isinstance(header, dict) else None
    if media in rules.MEDIA_FORMATS:
        url = values.get("header") or content.get("header_media_url")
        if url:
            payload.append({"position": "header", "parameters": [{"type": media.lower(), media.lower(): {"url": url}}]})
    elif "header" in values:
        payload.append({"position": "header", "parameters": [{"type": "text", "text": values["header"]}]})
    body = sorted(set(rules.body_variables((template.get("body") or {}).get("text"))))
    if body:
        payload.append({"position": "body", "parameters": [{"type": "text", "text": values.get(str(n), "")}
                                                          for n in body]})
    for index in rules.url_buttons_with_variable(template):
        payload.append({"position": "button", "sub_type": "url", "index": index,
                        "parameters": [{"type": "text", "text": values.get(f"button_{index}", "")}]})
    return payload


def prepare(sender: Any, bc: Any, content: dict[str, Any], recipient: plan.Recipient) -> Any:
    """The send request for one recipient, through the channel's own request rules."""
    values = recipient.values
    if bc.channel == SMS:
        from chalicelib.sending.request_rules import sms

        prepared = sms.prepare(sender, {"phone": recipient.to, "message": _fill(content["text"], values)})
    elif bc.channel == EMAIL:
        from chalicelib.sending.request_rules import email

        prepared = email.prepare(sender, {"email": recipient.to, "sender_email": content["sender_email"],
                                          "subject": _fill(content["subject"], values),
                                          "message": _fill(content["html"], values)})
        prepared = _with_unsubscribe(prepared, bc)
    elif bc.channel == IVR:
        from chalicelib.sending.request_rules import ivr

        prepared = ivr.prepare(sender, {"from_number": content["caller_id"], "to_number": recipient.to,
                                        "ivr_id": content["script_id"], "variable": values})
    else:
        from chalicelib.sending.request_rules import whatsapp
        from chalicelib.templates import service as templates

        template = templates.get(bc.application_id, content["template_id"])
        prepared = whatsapp.prepare(sender, {"phone_number": recipient.to, "message": {"type": "template", "template": {
            "template_code_id": templates.code_id(template),
            "payload": _whatsapp_payload(templates.as_dict(template), content, values)}}})
    # Monitoring and status callbacks know the message by its broadcast.
    return prepared._replace(details={**prepared.details, "broadcast_id": bc.broadcast_id, "source": "broadcast"})


def _with_unsubscribe(prepared: Any, bc: Any) -> Any:
    """A broadcast email carries RFC 8058's one-click List-Unsubscribe (Gmail and Yahoo require it of
    bulk senders); the API's transactional emails do not (broadcasts.unsubscribe)."""
    from chalicelib.broadcasts import unsubscribe

    extra = unsubscribe.headers(unsubscribe.links_base(bc.links_base), bc.application_id, prepared.target)
    if extra is None:
        return prepared
    build = prepared.outbound
    return prepared._replace(outbound=lambda message_id: build(message_id)._replace(headers=extra))


def claim_for(application_id: str, broadcast_id: str, row: int) -> Any:
    from chalicelib.sending.idempotency import Claim
    from chalicelib.sending.models import idempotency_id

    key = str(row)
    digest = "b1:" + hashlib.sha256(f"{broadcast_id}\n{key}".encode()).hexdigest()
    return Claim(idempotency_id(plan.idempotency_scope(application_id, broadcast_id), key), digest, digest,
                 ttl_seconds=CLAIM_SECONDS)


# --- one chunk ---------------------------------------------------------------------------------------

def _chunk(application_id: str, broadcast_id: str, number: int) -> Any:
    try:
        return Chunk.get(application_id, chunk_sk(broadcast_id, number), consistent_read=True)
    except Chunk.DoesNotExist:
        return Chunk(application_id, chunk_sk(broadcast_id, number), state=OPEN, cursor=0)


def _save(chunk: Any, cursor: int, not_sent: Counter, *, state: str | None = None, bc: Any = None,
          done: bool = False) -> bool:
    """The cursor, the recipients not sent since the last save, and (done) the broadcast's chunk
    count, in one transaction; False when another run of this chunk moved the cursor meanwhile."""
    old = int(chunk.cursor or 0)
    new_state = DONE if done else (state or OPEN)
    condition = (Chunk.broadcast_id.does_not_exist() if chunk.updated_at is None
                 else (Chunk.cursor == old) & (Chunk.state != DONE))
    token = secrets.token_hex(8)
    chunk.cursor, chunk.state, chunk.updated_at, chunk.write_id = cursor, new_state, clock.now_iso(), token
    bc_actions = [Broadcast.not_sent_of(reason).add(n) for reason, n in not_sent.items() if n]
    if done:
        bc_actions.append(Broadcast.chunks_done.add(1))
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(chunk, condition=condition)
            if bc_actions:
                transaction.update(Broadcast(chunk.application_id, bc.broadcast_id if bc else ""), actions=bc_actions)
    except TransactWriteError as error:
        if (cancellation_reasons(error) or [None])[0] != "ConditionalCheckFailed":
            raise
        # Failed its condition: another run's save, or this very save landed and its answer was lost.
        chunk.refresh(consistent_read=True)
        if chunk.write_id != token:
            return False
    not_sent.clear()
    return True


def _stop(bc: Any, reason: str) -> None:
    """Paused (or waiting) with `reason`; the pacer looks again at due_at (quota, tier)."""
    update_if(bc, [Broadcast.status.set(broadcasts.PAUSED), Broadcast.status_reason.set(reason),
                   Broadcast.due_at.set(int(clock.epoch()) + 60), Broadcast.updated_at.set(clock.now_iso())],
              Broadcast.status == broadcasts.RUNNING, "this broadcast", mark=Broadcast.write_id)


def _hold(chunk: Any, cursor: int, not_sent: Counter, bc: Any) -> None:
    if not _save(chunk, cursor, not_sent, state=HELD, bc=bc):
        log.info("chunk moved meanwhile; left to the other run", extra={"chunk": chunk.broadcast_id})


def _prepare_window(sender: Any, bc: Any, content: dict[str, Any],
                    window: list[plan.Recipient]) -> tuple[list[tuple[int, Any]], str | None]:
    """(row, request or None when the recipient cannot be sent) for each recipient up to the first whose
    template is gone, and then "template_paused"."""
    prepared: list[tuple[int, Any]] = []
    for recipient in window:
        try:
            prepared.append((recipient.row, prepare(sender, bc, content, recipient)))
        except ApiError as refused:
            if refused.code == TEMPLATE_NOT_FOUND:
                return prepared, "template_paused"
            prepared.append((recipient.row, None))
    return prepared, None


def run_chunk(application_id: str, broadcast_id: str, number: int) -> str:
    from chalicelib.applications import sending_settings
    from chalicelib.applications import service as applications
    from chalicelib.sending import pipeline
    from chalicelib.sending.prepared import Sender

    try:
        bc = Broadcast.get(application_id, broadcast_id, consistent_read=True)
    except Broadcast.DoesNotExist:
        return "gone"
    chunk = _chunk(application_id, broadcast_id, number)
    if chunk.state == DONE:
        # Its worker may have died between the chunk's last save and the broadcast's completion.
        complete_if_done(bc)
        return "done already"
    cursor = int(chunk.cursor or 0)
    not_sent: Counter = Counter()
    if bc.status != broadcasts.RUNNING:
        if bc.status == broadcasts.PAUSED:
            _hold(chunk, cursor, not_sent, bc)
        return "not running"
    content = json.loads(bc.content)
    if bc.channel == WHATSAPP and broadcasts.template_problem(application_id, content["template_id"]):
        _stop(bc, "template_paused")
        _hold(chunk, cursor, not_sent, bc)
        return "template_paused"
    app = applications.get(application_id)
    sender = Sender.from_settings(application_id, bc.channel, sending_settings.snapshot(app))
    data = aws.client("s3").get_object(Bucket=get_settings().report_bucket,
                                       Key=plan.chunk_key(application_id, broadcast_id, number))["Body"].read()
    recipients = list(plan.decode_chunk(data))
    at = cursor
    least = CHECKPOINT / max(float(json.loads(bc.schedule)["rate_per_second"]), plan.CHUNK_SIZE / BUDGET_SECONDS)
    with ThreadPoolExecutor(max_workers=CHECKPOINT) as pool:
        while at < len(recipients):
            if at > cursor:
                if not _save(chunk, at, not_sent, bc=bc):
                    return "raced"
                bc.refresh(consistent_read=True)
                if bc.status != broadcasts.RUNNING:
                    _hold(chunk, at, not_sent, bc)
                    return "stopped"
            began = clock.monotonic()
            prepared, stop = _prepare_window(sender, bc, content, recipients[at:at + CHECKPOINT])
            sends = [pool.submit(pipeline.send, sender, one, None, claim_for(application_id, broadcast_id, row))
                     if one is not None else None for row, one in prepared]
            for offset, send in enumerate(sends):
                if send is None:
                    not_sent["invalid"] += 1
                    continue
                try:
                    send.result()
                except ApiError as refused:
                    if refused.code != QUOTA_LOW:
                        raise  # storage busy or throttled: SQS hands the chunk over again, from its cursor
                    wait(sends[offset + 1:])  # sent or not, each later one is claimed: a resume replays it once
                    _stop(bc, "quota")
                    _hold(chunk, at + offset, not_sent, bc)
                    return "quota"
            at += len(prepared)
            if stop:
                _stop(bc, stop)
                _hold(chunk, at, not_sent, bc)
                return stop
            clock.sleep(max(0.0, least - (clock.monotonic() - began)))  # the broadcast's rate, within the chunk
    if not _save(chunk, len(recipients), not_sent, bc=bc, done=True):
        return "raced"
    complete_if_done(bc)
    return "done"


def complete_if_done(bc: Any) -> None:
    """Completed once every chunk is done (and only from running: a paused one completes on resume)."""
    bc.refresh(consistent_read=True)
    if int(bc.chunks_done or 0) >= int(bc.chunks or 0) and bc.status == broadcasts.RUNNING:
        update_if(bc, [Broadcast.status.set(broadcasts.COMPLETED), Broadcast.completed_at.set(clock.now_iso()),
                       Broadcast.due_at.remove(), Broadcast.status_reason.remove(),
                       Broadcast.updated_at.set(clock.now_iso())],
                  (Broadcast.status == broadcasts.RUNNING) & (Broadcast.chunks_done >= Broadcast.chunks),
                  "this broadcast", mark=Broadcast.write_id)


def handle(body: dict[str, Any]) -> str:
    """One message of the broadcast queue."""
    if body.get("job") == "validate":
        return run_validation(body["application_id"], body["broadcast_id"])
    return run_chunk(body["application_id"], body["broadcast_id"], int(body["chunk"]))
