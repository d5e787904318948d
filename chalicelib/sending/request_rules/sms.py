"""SMS: {phone, message} -> {"status": "sent", "msg_uid": ...}; costs one unit per segment."""
from __future__ import annotations

from typing import Any

from chalicelib.core.phone_numbers import country_of, normalise_phone, operator_of
from chalicelib.providers.base import Outbound
from chalicelib.sending.prepared import Prepared, Sender
from chalicelib.sending.sms_segments import check_sms_text


def prepare(sender: Sender, fields: dict[str, Any]) -> Prepared:
    phone = normalise_phone(fields.get("phone"), "phone")
    text, info = check_sms_text(fields.get("message"), "message")
    return Prepared(target=phone, cost=info.segments,
                 details={"message_body": text, "total_sms": info.segments, "encoding": info.encoding,
                          "country": country_of(phone), "operator_cell": operator_of(phone)},
                 outbound=lambda message_id: Outbound(message_id, sender.channel, phone, text=text))


def response(message_id: str, version: int) -> dict[str, Any]:
    return {"status": "sent", "msg_uid": message_id}
