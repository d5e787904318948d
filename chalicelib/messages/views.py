"""Messages as OCA shows them: one status shape per channel, exactly as documented."""
from __future__ import annotations

from typing import Any

from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP
from chalicelib.core.errors import not_found
from chalicelib.messages import queries
from chalicelib.messages.models import Message
from chalicelib.messages.queries import MESSAGE_NOT_FOUND


def _history(message: Message) -> list[dict[str, Any]]:
    return [{"status": h["status"], "at": h["at"], "provider_status": h.get("provider_status")}
            for h in message.history_entries()]


def details_of(message: Message) -> dict[str, Any]:
    return message.details_dict()


_CALL_ENDS = ("VOICE_COMPLETED", "VOICE_NO_ANSWER", "VOICE_BUSY", "VOICE_FAILED", "VOICE_TTL_EXPIRED")


def _seconds_between(start: str | None, end: str | None) -> int | None:
    from datetime import datetime

    if not start or not end:
        return None
    delta = datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))
    return max(0, round(delta.total_seconds()))


def call_times(history: list[dict[str, Any]]) -> dict[str, Any]:
    """OCA's call timings, read from the voice events in the history (nothing stored twice)."""
    first = {}
    for entry in history:
        first.setdefault(entry.get("provider_status"), entry.get("at"))
    start = first.get("VOICE_INITIATED") or first.get("VOICE_RINGING")
    answer = first.get("VOICE_ANSWERED")
    ended = next((entry for entry in reversed(history) if entry.get("provider_status") in _CALL_ENDS), None)
    end = ended.get("at") if ended else None
    return {"call_start": start, "call_answer": answer, "call_end": end,
            "duration": _seconds_between(start, end), "talk_duration": _seconds_between(answer, end),
            "hangup_cause": ended.get("provider_status") if ended else None}


def status_body(message: Message) -> dict[str, Any]:
    d = details_of(message)
    if message.channel in (SMS, WHATSAPP):
        return {"status": True, "data": {
            "application": message.application_id, "phone_number": message.target,
            "message_body": d.get("message_body"), "status": message.status,
            "total_sms": int(d.get("total_sms", 1)), "created_at": message.created_at,
            "updated_at": message.updated_at, "msgid": message.message_id,
            "history_status": _history(message)}}
    if message.channel == SMS_OTP:
        return {"total_sms": int(d.get("total_sms", 1)), "sender_id": d.get("sender_id"),
                "recipient_number": message.target, "status": message.status, "country": d.get("country"),
                "created_at": message.created_at, "updated_at": message.updated_at,
                "msg_id": message.message_id, "history_status": _history(message)}
    if message.channel == EMAIL:
        return {"status": True, "data": {
            "msgid": message.message_id, "email": message.target, "status": message.status,
            "created_at": message.created_at, "history": _history(message), "source": d.get("source", "api")}}
    if message.channel == IVR:
        return {"from_number": d.get("from_number"), "to_number": message.target, "ivr_id": d.get("ivr_id"),
                "call_id": message.message_id, "application_id": message.application_id,
                **call_times(_history(message)), "status": message.status,
                "created_at": message.created_at, "updated_at": message.updated_at}
    raise not_found(MESSAGE_NOT_FOUND)


def history_item(message: Message) -> dict[str, Any]:
    """One row of the SMS and Email history routes (OCA's fields)."""
    d = details_of(message)
    if message.channel == EMAIL:
        return {"msgid": message.message_id, "email": message.target, "subject": d.get("subject"),
                "sender_email": d.get("sender_email"), "status": message.status,
                "created_at": message.created_at, "updated_at": message.updated_at,
                "history": _history(message), "source": d.get("source", "api")}
    last = (_history(message) or [{}])[-1]
    return {"phone_number": message.target, "message_body": d.get("message_body"), "status": message.status,
            "status_description": (last.get("provider_status") or ""), "operator_cell": d.get("operator_cell"),
            "country": d.get("country"), "source": d.get("source", "api"),
            "total_sms": int(d.get("total_sms", 1)), "created_at": message.created_at,
            "updated_at": message.updated_at, "msgid": message.message_id, "history_status": _history(message)}


def history_page(application_id: str, channel: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first, one Query per page; next_cursor is opaque and bound to this listing."""
    from chalicelib.core import cursors

    scope = f"history:{application_id}:{channel}"
    start = cursors.decode(cursor, scope)
    results = queries.history(application_id, channel, limit, start)
    items = [history_item(message) for message in results]
    return {"status": True, "data": items, "next_cursor": cursors.encode(results.last_evaluated_key, scope)}
