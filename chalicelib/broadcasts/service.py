"""Broadcasts: the rules behind the dashboard routes (create, edit, upload, validate, schedule, start,
pause, resume, cancel, progress) and the application's suppression list.

Statuses: draft -> validating -> ready -> scheduled | running <-> paused -> completed | canceled | failed.
A broadcast is sent by the chunk worker (broadcasts.run), paced by the pacer (broadcasts.pacer)."""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from chalicelib.broadcasts import plan
from chalicelib.broadcasts.models import (
    BROADCAST_PREFIX,
    SUPPRESSION_PREFIX,
    Broadcast,
    Chunk,
    Suppression,
    chunk_prefix,
    suppression_sk,
)
from chalicelib.core import aws, clock, cursors, validation
from chalicelib.core.channels import EMAIL, IVR, SMS, WHATSAPP
from chalicelib.core.config import get_settings
from chalicelib.core.db import update_if
from chalicelib.core.errors import CONFLICT, UNPROCESSABLE, ApiError, bad_parameter, not_found

log = logging.getLogger(__name__)

DRAFT, VALIDATING, READY, SCHEDULED, RUNNING, PAUSED = "draft", "validating", "ready", "scheduled", "running", "paused"
COMPLETED, CANCELED, FAILED = "completed", "canceled", "failed"
STATUSES = (DRAFT, VALIDATING, READY, SCHEDULED, RUNNING, PAUSED, COMPLETED, CANCELED, FAILED)
REASONS = ("quota", "template_paused", "template_not_approved", "tier_limit", "quiet_hours", "canceled", "file")
CHANNELS = (WHATSAPP, SMS, EMAIL, IVR)
SUPPRESSION_REASONS = ("added", "bounced", "unsubscribed")
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60
LINK_SECONDS = 15 * 60
MAX_PAGE = 100
MAX_TARGETS = 1000
# A validation not done by then is queued again by the pacer (validating again writes the same chunks).
VALIDATION_GRACE = 30 * 60
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# --- reading and showing -------------------------------------------------------------------------

def _json(value: str | None) -> Any:
    return json.loads(value) if value else None


def get(application_id: str, broadcast_id: str) -> Broadcast:
    if not isinstance(broadcast_id, str) or not broadcast_id.startswith(BROADCAST_PREFIX) or len(broadcast_id) > 40:
        raise not_found("Broadcast not found")
    try:
        bc = Broadcast.get(application_id, broadcast_id, consistent_read=True)
    except Broadcast.DoesNotExist:
        raise not_found("Broadcast not found") from None
    if not bc.name:  # only late progress of a deleted broadcast
        raise not_found("Broadcast not found")
    return bc


def progress(bc: Broadcast) -> dict[str, Any]:
    from chalicelib.messages.status_rules import RULES

    rules = RULES[bc.channel]
    counts = bc.counts()
    not_sent = {reason: n for reason, n in bc.not_sent().items() if n}
    delivered = sum(n for word, n in counts.items() if word in rules.success)
    read = sum(n for word, n in counts.items() if word in rules.success[1:])
    failed = sum(n for word, n in counts.items() if word in rules.failure)
    sent = int(bc.sent or 0)
    total = int(bc.total or 0)
    return {"total": total, "queued": max(0, total - sent - sum(not_sent.values())), "sent": sent,
            "delivered": delivered, "read": read, "failed": failed, "not_sent": sum(not_sent.values()),
            "not_sent_reasons": not_sent}


def _file(bc: Broadcast) -> dict[str, Any] | None:
    file = _json(bc.file)
    return None if not file or file.get("pending") else file


def render(bc: Broadcast) -> dict[str, Any]:
    return {"broadcast_id": bc.broadcast_id, "name": bc.name, "channel": bc.channel, "status": bc.status,
            "status_reason": bc.status_reason, "content": _json(bc.content), "file": _file(bc),
            "mapping": _json(bc.mapping), "validation": _json(bc.validation), "schedule": _json(bc.schedule),
            "progress": progress(bc), "created_at": bc.created_at, "updated_at": bc.updated_at,
            "started_at": bc.started_at, "completed_at": bc.completed_at}


def render_progress(bc: Broadcast) -> dict[str, Any]:
    return {"status": bc.status, "status_reason": bc.status_reason, "progress": progress(bc)}


def list_for(application_id: str, query: dict[str, str]) -> dict[str, Any]:
    status = query.get("status") or None
    if status is not None and status not in STATUSES:
        raise bad_parameter("status", f"status is one of: {', '.join(STATUSES)}")
    limit = validation.whole_number(query.get("limit", "50"), "limit", 1, MAX_PAGE)
    scope = f"broadcasts:{application_id}:{status or ''}"
    start = cursors.decode(query.get("cursor"), scope)
    page = Broadcast.query(application_id, Broadcast.broadcast_id.startswith(BROADCAST_PREFIX),
                           filter_condition=Broadcast.name.exists() & (Broadcast.status == status) if status
                           else Broadcast.name.exists(),
                           scan_index_forward=False, limit=limit, last_evaluated_key=start, page_size=limit)
    items = [render(bc) for bc in page]
    return {"items": items, "next_cursor": cursors.encode(page.last_evaluated_key, scope)}


# --- content ---------------------------------------------------------------------------------------

def placeholders(channel: str, content: dict[str, Any], application_id: str) -> list[str]:
    """The names `mapping.values` must map for this content."""
    if channel == SMS:
        return list(dict.fromkeys(PLACEHOLDER.findall(content["text"])))
    if channel == EMAIL:
        return list(dict.fromkeys(PLACEHOLDER.findall(content["subject"] + " " + content["html"])))
    if channel == IVR:
        from chalicelib.ivr import scripts

        return scripts.required_variables(scripts.get(application_id, content["script_id"]).script)
    from chalicelib.templates import rules
    from chalicelib.templates import service as templates

    t = templates.as_dict(templates.get(application_id, content["template_id"]))
    names = [str(n) for n in sorted(set(rules.body_variables((t.get("body") or {}).get("text"))))]
    header = t.get("header") if isinstance(t.get("header"), dict) else {}
    media_header = rules.upper(header.get("format")) in rules.MEDIA_FORMATS
    if rules.header_has_variable(t) or (media_header and not content.get("header_media_url")):
        names.append("header")  # its text, or (a media header without header_media_url) each row's URL
    names += [f"button_{i}" for i in rules.url_buttons_with_variable(t)]
    return names


def template_problem(application_id: str, template_id: str) -> str | None:
    """None when the template can be sent; else the broadcast's status_reason."""
    from chalicelib.templates import service as templates

    try:
        template = templates.get(application_id, template_id)
    except ApiError:
        return "template_not_approved"
    return None if template.status == templates.APPROVED else "template_not_approved"


def check_content(app: Any, channel: str, content: Any) -> dict[str, Any]:
    """The content as stored, or 406 naming the field at fault (content.<name>)."""
    from chalicelib.applications import email_identities

    if not isinstance(content, dict):
        raise bad_parameter("content", "content is an object; its fields depend on the channel")
    if channel == WHATSAPP:
        template_id = validation.string(content, "template_id", max_len=64)
        media = content.get("header_media_url")
        if media is not None:
            if not isinstance(media, str) or not media.startswith("https://") or len(media) > 2000:
                raise bad_parameter("content.header_media_url", "header_media_url is an https:// address",
                                    "https_required")
        if template_problem(app.application_id, template_id):
            raise bad_parameter("content.template_id", "Only an APPROVED template of this application can be "
                                                       "broadcast", "template_not_approved")
        return {"template_id": template_id, "header_media_url": media}
    if channel == SMS:
        sender_id = content.get("sender_id")
        if not isinstance(sender_id, str) or sender_id not in (app.sender_ids or set()):
            raise bad_parameter("content.sender_id", "sender_id must be one of this application's sender ids",
                                "unknown_sender_id")
        text = content.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 1600:
            raise bad_parameter("content.text", "text is required, at most 1600 characters", "required")
        return {"sender_id": sender_id, "text": text}
    if channel == EMAIL:
        sender = content.get("sender_email")
        try:
            sender = validation.email_address(sender, "content.sender_email")
            email_identities.check_sender(app.application_id, sender, "content.sender_email")
        except ApiError as error:
            raise bad_parameter("content.sender_email", error.message, "unverified_sender") from None
        subject, html = content.get("subject"), content.get("html")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 998:
            raise bad_parameter("content.subject", "subject is required", "required")
        if not isinstance(html, str) or not html.strip() or len(html) > 500_000:
            raise bad_parameter("content.html", "html is required", "required")
        return {"sender_email": sender, "subject": subject, "html": html}
    from chalicelib.core.phone_numbers import normalise_phone
    from chalicelib.ivr import scripts

    script_id = content.get("script_id")
    try:
        scripts.get(app.application_id, script_id)
    except ApiError:
        raise bad_parameter("content.script_id", "script_id must name an IVR script of this application",
                            "unknown_script") from None
    try:
        caller = normalise_phone(content.get("caller_id"), "content.caller_id")
    except ApiError:
        caller = None
    if caller is None or caller not in (app.caller_ids or set()):
        raise bad_parameter("content.caller_id", "caller_id must be one of this application's caller numbers",
                            "unknown_caller_id")
    return {"script_id": script_id, "caller_id": caller}


# --- the life of a broadcast ------------------------------------------------------------------------

def _rate_limit(app: Any) -> int:
    return int(app.rate_limit or get_settings().limits.default_rate_limit)


def create(app: Any, body: dict[str, Any], links_base: str | None = None) -> Broadcast:
    from ulid import ULID

    name = validation.string(body, "name", max_len=100)
    channel = body.get("channel")
    from chalicelib.applications import service as applications

    if channel not in CHANNELS or channel not in applications.channel_names(app):
        mine = [c for c in CHANNELS if c in applications.channel_names(app)]
        raise bad_parameter("channel", f"channel is one of this application's: {', '.join(mine)}")
    content = check_content(app, channel, body.get("content"))
    now = clock.now_iso()
    bc = Broadcast(app.application_id, BROADCAST_PREFIX + str(ULID()), name=name, channel=channel, status=DRAFT,
                   content=json.dumps(content), created_at=now, updated_at=now, links_base=links_base,
                   schedule=json.dumps({"start_at": None, "rate_per_second": _rate_limit(app), "quiet_hours": None}))
    bc.save(condition=Broadcast.broadcast_id.does_not_exist())
    return bc


def _conflict(bc: Broadcast, doing: str, field: str = "status") -> ApiError:
    return ApiError(CONFLICT, f"A {bc.status} broadcast cannot be {doing}", field=field, reason="wrong_status",
                    params={"status": bc.status})


def _move(bc: Broadcast, allowed: tuple[str, ...], doing: str, actions: list[Any]) -> Broadcast:
    """One conditional UpdateItem: `actions` happen only while the status is one of `allowed`."""
    if bc.status not in allowed:
        raise _conflict(bc, doing)
    actions = [*actions, Broadcast.updated_at.set(clock.now_iso())]
    if not update_if(bc, actions, Broadcast.status.is_in(*allowed), "this broadcast", mark=Broadcast.write_id):
        bc.refresh(consistent_read=True)
        raise _conflict(bc, doing)
    return bc


def patch(app: Any, bc: Broadcast, body: dict[str, Any]) -> Broadcast:
    actions: list[Any] = []
    if "name" in body:
        actions.append(Broadcast.name.set(validation.string(body, "name", max_len=100)))
    back_to_draft = False
    if "content" in body:
        actions.append(Broadcast.content.set(json.dumps(check_content(app, bc.channel, body["content"]))))
        back_to_draft = True
    if "mapping" in body:
        mapping = check_mapping(app, bc, body["mapping"]) if body["mapping"] is not None else None
        actions.append(Broadcast.mapping.set(json.dumps(mapping)) if mapping else Broadcast.mapping.remove())
        back_to_draft = True
    if not actions:
        raise bad_parameter("body", "Send name, content or mapping to change", "required")
    if back_to_draft:
        actions += [Broadcast.status.set(DRAFT), Broadcast.validation.remove()]
    return _move(bc, (DRAFT, READY), "changed", actions)


def delete(bc: Broadcast) -> None:
    if bc.status in (VALIDATING, SCHEDULED, RUNNING, PAUSED):
        raise _conflict(bc, "deleted")
    from pynamodb.exceptions import DeleteError

    try:
        bc.delete(condition=Broadcast.status.is_in(DRAFT, READY, COMPLETED, CANCELED, FAILED))
    except DeleteError:
        bc.refresh(consistent_read=True)
        raise _conflict(bc, "deleted") from None
    # Only once it is gone (a start racing the delete still finds its chunks): what it left behind.
    # Its messages and the suppression list stay.
    _delete_files(bc.application_id, bc.broadcast_id)
    _delete_chunk_cursors(bc.application_id, bc.broadcast_id)


def _delete_files(application_id: str, broadcast_id: str) -> int:
    """Every S3 object under the broadcast's own prefix: the upload, the chunks, the errors file."""
    s3, bucket = aws.client("s3"), get_settings().report_bucket
    prefix = plan.broadcast_prefix(application_id, broadcast_id)
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:  # a page holds at most 1,000 keys: one DeleteObjects
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


def _delete_chunk_cursors(application_id: str, broadcast_id: str) -> int:
    """The run's chunk cursors: a Query on the broadcast's own sort-key prefix, deleted in batches."""
    deleted = 0
    with Chunk.batch_write() as batch:
        for chunk in Chunk.query(application_id, Chunk.broadcast_id.startswith(chunk_prefix(broadcast_id)),
                                 attributes_to_get=["application_id", "broadcast_id"]):
            batch.delete(chunk)
            deleted += 1
    return deleted


def upload(bc: Broadcast, body: dict[str, Any]) -> dict[str, Any]:
    filename = validation.string(body, "filename", max_len=255)
    size = body.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise bad_parameter("size", "size is the file's size in bytes", "required")
    if size > MAX_UPLOAD_BYTES:
        raise bad_parameter("size", "A recipient file holds at most 100 MB", "too_large", max=MAX_UPLOAD_BYTES)
    content_type = body.get("content_type")
    if not isinstance(content_type, str) or len(content_type) > 255:
        content_type = "application/octet-stream"
    # The stub keeps the name until /file reads the upload; validation and status start again.
    _move(bc, (DRAFT, READY), "given a new file",
          [Broadcast.status.set(DRAFT), Broadcast.validation.remove(),
           Broadcast.file.set(json.dumps({"pending": True, "name": filename}))])
    settings = get_settings()
    key = plan.upload_key(bc.application_id, bc.broadcast_id)
    post = aws.client("s3").generate_presigned_post(
        settings.report_bucket, key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, MAX_UPLOAD_BYTES]],
        ExpiresIn=UPLOAD_SECONDS)
    return {"url": post["url"], "fields": post["fields"],
            "expires_at": clock.iso(clock.now() + timedelta(seconds=UPLOAD_SECONDS))}


def read_file(bc: Broadcast) -> Broadcast:
    from chalicelib.broadcasts import recipient_file

    if bc.status not in (DRAFT, READY):
        raise _conflict(bc, "given a new file")
    stub = _json(bc.file) or {}
    if not stub.get("name"):
        raise ApiError(CONFLICT, "Upload the file first (POST .../upload)", field="file", reason="no_file")
    settings = get_settings()
    key = plan.upload_key(bc.application_id, bc.broadcast_id)
    try:
        head = aws.client("s3").head_object(Bucket=settings.report_bucket, Key=key)
    except Exception:  # noqa: BLE001 - absent (404) or unreadable: the person uploads again
        raise ApiError(CONFLICT, "The file has not arrived yet: upload it again", field="file",
                       reason="no_file") from None
    try:
        shape = recipient_file.head(aws.client("s3"), settings.report_bucket, key, stub["name"])
    except recipient_file.FileProblem as problem:
        raise ApiError(UNPROCESSABLE, problem.message, field="file", reason=problem.code) from None
    file = {"name": stub["name"], "size": int(head.get("ContentLength") or 0), "format": shape.format,
            "columns": list(shape.columns), "preview": [list(row) for row in shape.preview[:5]],
            "delimiter": shape.delimiter, "encoding": shape.encoding}
    return _move(bc, (DRAFT, READY), "given a new file",
                 [Broadcast.file.set(json.dumps(file)), Broadcast.status.set(DRAFT), Broadcast.validation.remove()])


def check_mapping(app: Any, bc: Broadcast, mapping: Any) -> dict[str, Any]:
    file = _json(bc.file) or {}
    columns = file.get("columns") or []
    if not columns:
        raise ApiError(CONFLICT, "Upload the file and read it first (POST .../file)", field="file", reason="no_file")
    if not isinstance(mapping, dict):
        raise bad_parameter("mapping", "mapping is {recipient, values}", "required")
    recipient = mapping.get("recipient")
    if recipient not in columns:
        raise bad_parameter("mapping.recipient", "recipient must be one of the file's columns", "missing_column")
    values = mapping.get("values") or {}
    if not isinstance(values, dict):
        raise bad_parameter("mapping.values", "values maps each placeholder to {column} or {value}")
    needed = placeholders(bc.channel, json.loads(bc.content), app.application_id)
    checked: dict[str, dict[str, str]] = {}
    for name in needed:
        value = values.get(name)
        if isinstance(value, dict) and value.get("column") in columns:
            checked[name] = {"column": value["column"]}
        elif isinstance(value, dict) and isinstance(value.get("value"), str) and value["value"].strip():
            checked[name] = {"value": value["value"][:1000]}
        else:
            raise bad_parameter("mapping.values", f"Map the placeholder {name} to a column or a fixed value",
                                "unmapped_placeholder", placeholder=name)
    return {"recipient": recipient, "values": checked}


def validate(app: Any, bc: Broadcast, body: dict[str, Any]) -> Broadcast:
    mapping = check_mapping(app, bc, body.get("mapping", _json(bc.mapping)))
    _move(bc, (DRAFT, READY), "validated",
          [Broadcast.mapping.set(json.dumps(mapping)), Broadcast.status.set(VALIDATING),
           Broadcast.validation.remove(), Broadcast.status_reason.remove(),
           Broadcast.due_at.set(int(clock.epoch()) + VALIDATION_GRACE)])
    queue({"job": "validate", "application_id": bc.application_id, "broadcast_id": bc.broadcast_id})
    return bc


def queue(body: dict[str, Any], delay_seconds: int = 0) -> None:
    aws.send_to_queue(get_settings().broadcast_queue_name, body, delay_seconds=delay_seconds)


def errors_link(bc: Broadcast, lang: str = "en") -> dict[str, Any]:
    """A link to the bad rows file in `lang` (broadcasts.row_words.LANGUAGES)."""
    report = _json(bc.validation) or {}
    if not report.get("errors_file"):
        raise ApiError(CONFLICT, "This broadcast's file has no bad rows to download", field="file",
                       reason="no_errors")
    url = aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": get_settings().report_bucket,
                              "Key": plan.errors_key(bc.application_id, bc.broadcast_id, lang)},
        ExpiresIn=LINK_SECONDS)
    return {"url": url, "expires_at": clock.iso(clock.now() + timedelta(seconds=LINK_SECONDS))}


def _quiet_hours(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) and _HHMM.match(value[k])
                                              for k in ("start", "end")) or value["start"] == value["end"]:
        raise bad_parameter("quiet_hours", "quiet_hours is {start, end}, each HH:MM, not equal", "invalid_time")
    return {"start": value["start"], "end": value["end"]}


def set_schedule(app: Any, bc: Broadcast, body: dict[str, Any]) -> Broadcast:
    zone = ZoneInfo(app.zone())
    start_at = body.get("start_at")
    if start_at is not None:
        moment = validation.moment(start_at, "start_at", zone)
        if moment < clock.now() - timedelta(minutes=1):
            raise bad_parameter("start_at", "start_at is in the past", "in_the_past")
        if moment > clock.now() + timedelta(days=365):
            raise bad_parameter("start_at", "start_at is at most a year from now", "too_late")
        start_at = moment.astimezone(zone).isoformat()
    most = _rate_limit(app)
    rate = body.get("rate_per_second", most)
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= most:
        raise bad_parameter("rate_per_second", f"rate_per_second must be a whole number from 1 to {most}",
                            "out_of_range", min=1, max=most)
    schedule = {"start_at": start_at, "rate_per_second": rate, "quiet_hours": _quiet_hours(body.get("quiet_hours"))}
    actions = [Broadcast.schedule.set(json.dumps(schedule))]
    if bc.status == SCHEDULED:
        due = clock.parse_iso(start_at).timestamp() if start_at else clock.epoch()
        actions.append(Broadcast.due_at.set(int(due)))
    return _move(bc, (DRAFT, READY, SCHEDULED, PAUSED), "rescheduled", actions)


def start(app: Any, bc: Broadcast) -> Broadcast:
    if bc.channel == WHATSAPP:
        problem = template_problem(bc.application_id, json.loads(bc.content)["template_id"])
        if problem:
            raise ApiError(CONFLICT, "The template is no longer APPROVED", field="content.template_id",
                           reason=problem)
    schedule = json.loads(bc.schedule)
    start_at = clock.parse_iso(schedule["start_at"]) if schedule.get("start_at") else None
    if start_at is not None and start_at > clock.now():
        return _move(bc, (READY,), "started", [Broadcast.status.set(SCHEDULED),
                                               Broadcast.due_at.set(int(start_at.timestamp()))])
    _move(bc, (READY,), "started", [Broadcast.status.set(RUNNING), Broadcast.started_at.set(clock.now_iso()),
                                    Broadcast.due_at.set(int(clock.epoch()))])
    return bc


def pause(bc: Broadcast) -> Broadcast:
    return _move(bc, (RUNNING, SCHEDULED), "paused",
                 [Broadcast.status.set(PAUSED), Broadcast.status_reason.remove(), Broadcast.due_at.remove()])


def resume(bc: Broadcast) -> Broadcast:
    schedule = json.loads(bc.schedule)
    start_at = clock.parse_iso(schedule["start_at"]) if schedule.get("start_at") else None
    if not bc.started_at and start_at is not None and start_at > clock.now():
        # Paused before it began: back to waiting for its start.
        return _move(bc, (PAUSED,), "resumed", [Broadcast.status.set(SCHEDULED), Broadcast.status_reason.remove(),
                                                Broadcast.due_at.set(int(start_at.timestamp()))])
    _move(bc, (PAUSED,), "resumed", [Broadcast.status.set(RUNNING), Broadcast.status_reason.remove(),
                                     Broadcast.due_at.set(int(clock.epoch()))])
    if not bc.started_at:
        update_if(bc, [Broadcast.started_at.set(clock.now_iso())], None, "this broadcast")
    requeue_held(bc)
    return bc


def requeue_held(bc: Broadcast) -> int:
    """Chunks a pause (or the quota) stopped half way: queued again, each from its cursor."""
    from chalicelib.broadcasts.models import chunk_sk

    held = 0
    for chunk in Chunk.query(bc.application_id, Chunk.broadcast_id.startswith(chunk_sk(bc.broadcast_id, 0)[:-5]),
                             filter_condition=Chunk.state == "held"):
        number = int(chunk.broadcast_id.rsplit("#", 1)[1])
        queue({"job": "chunk", "application_id": bc.application_id, "broadcast_id": bc.broadcast_id,
               "chunk": number})
        held += 1
    return held


def cancel(bc: Broadcast) -> Broadcast:
    return _move(bc, (READY, SCHEDULED, RUNNING, PAUSED), "canceled",
                 [Broadcast.status.set(CANCELED), Broadcast.status_reason.set("canceled"), Broadcast.due_at.remove(),
                  Broadcast.completed_at.set(clock.now_iso())])


# --- the suppression list ---------------------------------------------------------------------------

def normalise_target(value: Any, field: str = "targets") -> str:
    from chalicelib.core.phone_numbers import normalise_phone

    if isinstance(value, str) and "@" in value:
        return validation.email_address(value.strip().lower(), field)
    return normalise_phone(value, field)


def suppressed(application_id: str, targets: list[str]) -> set[str]:
    """Which of `targets` are on the application's suppression list (BatchGet, 100 keys a call)."""
    found: set[str] = set()
    unique = list(dict.fromkeys(targets))
    for start in range(0, len(unique), 100):
        keys = [(application_id, suppression_sk(t)) for t in unique[start:start + 100]]
        for item in Suppression.batch_get(keys, attributes_to_get=["broadcast_id"]):
            found.add(item.broadcast_id[len(SUPPRESSION_PREFIX):])
    return found


def render_suppression(item: Suppression) -> dict[str, Any]:
    return {"target": item.target, "reason": item.reason, "created_at": item.created_at}


def list_suppressions(application_id: str, query: dict[str, str]) -> dict[str, Any]:
    limit = validation.whole_number(query.get("limit", "100"), "limit", 1, MAX_PAGE)
    scope = f"suppressions:{application_id}"
    page = Suppression.query(application_id, Suppression.broadcast_id.startswith(SUPPRESSION_PREFIX), limit=limit,
                             last_evaluated_key=cursors.decode(query.get("cursor"), scope), page_size=limit)
    items = [render_suppression(item) for item in page]
    return {"items": items, "next_cursor": cursors.encode(page.last_evaluated_key, scope)}


def add_suppressions(application_id: str, body: dict[str, Any], reason: str = "added") -> dict[str, int]:
    targets = body.get("targets")
    if not isinstance(targets, list) or not targets or len(targets) > MAX_TARGETS:
        raise bad_parameter("targets", f"targets is a list of 1 to {MAX_TARGETS} phone numbers or emails",
                            "required", max=MAX_TARGETS)
    normalised = list(dict.fromkeys(normalise_target(t) for t in targets))
    now = clock.now_iso()
    with Suppression.batch_write() as batch:
        for target in normalised:
            batch.save(Suppression(application_id, suppression_sk(target), target=target, reason=reason,
                                   created_at=now))
    return {"added": len(normalised)}


def remove_suppression(application_id: str, target: str) -> None:
    from urllib.parse import unquote

    try:
        normalised = normalise_target(unquote(target), "target")
    except ApiError:
        raise not_found("Not on the suppression list") from None
    try:
        Suppression.get(application_id, suppression_sk(normalised)).delete()
    except Suppression.DoesNotExist:
        raise not_found("Not on the suppression list") from None


# --- helpers for the run -----------------------------------------------------------------------------

def in_quiet_hours(quiet: dict[str, str] | None, zone_name: str, now: datetime | None = None) -> datetime | None:
    """When quiet hours end, if `now` is inside them; else None."""
    if not quiet:
        return None
    local = (now or clock.now()).astimezone(ZoneInfo(zone_name))
    start_h, start_m = map(int, quiet["start"].split(":"))
    end_h, end_m = map(int, quiet["end"].split(":"))
    minutes, start, end = local.hour * 60 + local.minute, start_h * 60 + start_m, end_h * 60 + end_m
    inside = start <= minutes < end if start < end else (minutes >= start or minutes < end)
    if not inside:
        return None
    ends = local.replace(hour=end_h, minute=end_m, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def all_of(application_id: str) -> Iterator[Broadcast]:
    return Broadcast.query(application_id, Broadcast.broadcast_id.startswith(BROADCAST_PREFIX))
