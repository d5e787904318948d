"""SMS OTP: {sender_id, recipient_number or OCA's receipent_number, message_body}. V2 answers
{"success": true, "msg_id"}; V1 carries its success flag in `sender_id` ({"sender_id": true, "msg_id"}),
as OCA's V1 page documents. The sender id must be one of the application's names."""
from __future__ import annotations

from typing import Any

from chalicelib.core.errors import bad_parameter
from chalicelib.core.phone_numbers import country_of, normalise_phone, operator_of
from chalicelib.providers.base import Outbound
from chalicelib.sending.prepared import Prepared, Sender
from chalicelib.sending.sms_segments import check_sms_text


def prepare(sender: Sender, fields: dict[str, Any]) -> Prepared:
    sender_id = fields.get("sender_id")
    if not isinstance(sender_id, str) or not sender_id.strip():
        raise bad_parameter("sender_id", "sender_id is required")
    if sender_id not in sender.sender_ids:
        known = ", ".join(sorted(sender.sender_ids)) or "none yet (PUT /applications/{id}/settings)"
        raise bad_parameter("sender_id", f"Unknown sender_id {sender_id!r}; this application's are: {known}")
    # OCA's pages spell it receipent_number (V1, V2's markdown) and recipient_number (V2's page):
    # accept both, prefer the right spelling.
    field = "receipent_number" if "receipent_number" in fields and "recipient_number" not in fields \
        else "recipient_number"
    phone = normalise_phone(fields.get(field), field)
    text, info = check_sms_text(fields.get("message_body"), "message_body")
    return Prepared(target=phone, cost=info.segments,
                 details={"message_body": text, "total_sms": info.segments, "sender_id": sender_id,
                          "encoding": info.encoding, "country": country_of(phone),
                          "operator_cell": operator_of(phone)},
                 outbound=lambda message_id: Outbound(message_id, sender.channel, phone, text=text,
                                                      sender_id=sender_id))


def response(message_id: str, version: int) -> dict[str, Any]:
    return {"success": True, "msg_id": message_id} if version == 2 else {"sender_id": True, "msg_id": message_id}
