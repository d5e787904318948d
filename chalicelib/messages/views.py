"""Messages as OCA's route pages show them: one shape per channel, route and version, with OCA's
lowercase API words (api_words). Kirim's extras are extra keys inside the objects, never a change
of a documented key's type; history routes answer a bare array, and their paging travels in headers."""
from __future__ import annotations

from typing import Any

from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP
from chalicelib.core.errors import bad_parameter, not_found
from chalicelib.messages import queries
from chalicelib.messages.api_words import api_word
from chalicelib.messages.models import Message
from chalicelib.messages.queries import MESSAGE_NOT_FOUND

_CALL_ENDS = ("VOICE_COMPLETED", "VOICE_NO_ANSWER", "VOICE_BUSY", "VOICE_FAILED", "VOICE_TTL_EXPIRED")


def details_of(message: Message) -> dict[str, Any]:
    return message.details_dict()


def _word(message: Message, word: str, action: str, version: int) -> str:
    return api_word(message.channel, word, action, version)


def _history(message: Message, action: str = "status", version: int = 2) -> list[dict[str, Any]]:
    return [{"status": _word(message, h["status"], action, version), "at": h["at"],
             "provider_status": h.get("provider_status")} for h in message.history_entries()]


def _last_details(message: Message) -> dict[str, Any]:
    entries = message.history_entries()
    details = entries[-1].get("details") if entries else None
    return dict(details) if details else {}


def _status_description(message: Message) -> str:
    """Why the message is where it is, when a provider said: "" otherwise (as OCA's example)."""
    details = _last_details(message)
    return str(details.get("messageStatusDescription") or details.get("reason") or details.get("bounceSubType")
               or "")


def _operator(message: Message, d: dict[str, Any]) -> str | None:
    """The carrier: what the provider reported last, else what the number's prefix says (uppercase, as OCA)."""
    carrier = _last_details(message).get("carrierName") or d.get("operator_cell")
    return str(carrier).upper() if carrier else None


def _seconds_between(start: str | None, end: str | None) -> int | None:
    from datetime import datetime

    if not start or not end:
        return None
    delta = datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))
    return max(0, round(delta.total_seconds()))


def call_times(history: list[dict[str, Any]]) -> dict[str, Any]:
    """OCA's call timings, read from the voice events in the history (nothing stored twice)."""
    first: dict[str | None, str | None] = {}
    for entry in history:
        first.setdefault(entry.get("provider_status"), entry.get("at"))
    start = first.get("VOICE_INITIATED") or first.get("VOICE_RINGING")
    answer = first.get("VOICE_ANSWERED")
    ended = next((entry for entry in reversed(history) if entry.get("provider_status") in _CALL_ENDS), None)
    end = ended.get("at") if ended else None
    return {"call_start": start, "call_answer": answer, "call_end": end,
            "duration": _seconds_between(start, end), "talk_duration": _seconds_between(answer, end),
            "tta": _seconds_between(start, answer),
            "hangup_cause": ended.get("provider_status") if ended else None}


def _sms(message: Message, action: str, version: int) -> dict[str, Any]:
    """SMS (and WhatsApp): OCA's V2 detail fields; V1 names the id msg_uid, V2 msgid."""
    d = details_of(message)
    record: dict[str, Any] = {
        "application": message.application_id, "phone_number": message.target,
        "message_body": d.get("message_body"), "status": _word(message, message.status, action, version),
        "operator_cell": _operator(message, d), "status_description": _status_description(message),
        "country": d.get("country"), "source": d.get("source", "api"), "total_sms": int(d.get("total_sms", 1)),
        "created_at": message.created_at, "updated_at": message.updated_at,
        "history_status": _history(message, action, version)}
    if message.channel == WHATSAPP:
        record.update({"template_code_id": d.get("template_code_id"), "msgid": message.message_id})
        record.pop("total_sms")
        record.pop("message_body")
    elif version == 1:
        record["msg_uid"] = message.message_id
    else:
        record["msgid"] = message.message_id
        if action == "history":
            record.update({"aditional_data": None, "uuid": message.message_id})  # sic: OCA's spelling
    return record


def _otp(message: Message) -> dict[str, Any]:
    """OCA's OTP status, flat (no status/data wrapper), with OCA's `receipent_number` spelling."""
    d = details_of(message)
    return {"total_sms": int(d.get("total_sms", 1)), "sender_id": d.get("sender_id"),
            "receipent_number": message.target, "recipient_number": message.target,
            "message_body": d.get("message_body"), "status": _word(message, message.status, "status", 2),
            "country": d.get("country"), "created_at": message.created_at, "updated_at": message.updated_at,
            "msg_id": message.message_id, "history_status": _history(message)}


def _email(message: Message, action: str, version: int) -> dict[str, Any]:
    """V1 (history and detail): email, message_body, created_at, status, msg_id. V2 adds msgid,
    attachment (a boolean), history and source."""
    d = details_of(message)
    record: dict[str, Any] = {
        "email": message.target, "message_body": d.get("message_body", "-"),
        "status": _word(message, message.status, action, version), "created_at": message.created_at,
        "updated_at": message.updated_at, "subject": d.get("subject"), "sender_email": d.get("sender_email"),
        "attachment": bool(d.get("attachment")), "source": d.get("source", "api"),
        "history": _history(message, action, version)}
    record["msg_id" if version == 1 else "msgid"] = message.message_id
    return record


def _call(message: Message) -> dict[str, Any]:
    d = details_of(message)
    return {"from_number": d.get("from_number"), "to_number": message.target, "ivr_id": d.get("ivr_id"),
            "call_id": message.message_id, "application_id": message.application_id,
            **call_times(message.history_entries()), "status": _word(message, message.status, "status", 2),
            "created_at": message.created_at, "updated_at": message.updated_at,
            "result": []}  # answers to interactive steps: Kirim's scripts only speak


def status_body(message: Message, version: int = 2) -> dict[str, Any]:
    """The status route's answer for the message's channel and the route's version."""
    if message.channel in (SMS, WHATSAPP):
        return {"status": True, "data": _sms(message, "status", version)}
    if message.channel == SMS_OTP:
        return _otp(message)
    if message.channel == EMAIL:
        return {"status": True, "data": _email(message, "status", version)}
    if message.channel == IVR:
        return _call(message)
    raise not_found(MESSAGE_NOT_FOUND)


def history_item(message: Message, version: int = 2) -> dict[str, Any]:
    """One element of a history route's array."""
    if message.channel == EMAIL:
        return _email(message, "history", version)
    return _sms(message, "history", version)


def history_page(application_id: str, channel: str, version: int, limit: int,
                 cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, one Query per shard of the channel's index: (the page as OCA's array, the opaque
    cursor of the next page, or None when no message is left)."""
    from chalicelib.core import cursors

    scope = f"history:{application_id}:{channel}"
    start = cursors.decode(cursor, scope)
    after = start.get("after") if start else None
    if start is not None and not isinstance(after, str):  # a cursor of the unsharded listing
        raise bad_parameter("cursor", "cursor is not valid; use next_cursor from the previous page")
    results, last = queries.history(application_id, channel, limit, after)
    items = [history_item(message, version) for message in results]
    return items, cursors.encode({"after": last} if last else None, scope)


def find_status(application_id: str, message_id: str, channel: str, version: int) -> dict[str, Any]:
    return status_body(queries.find(application_id, message_id, channel), version)
