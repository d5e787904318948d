"""WhatsApp template message: {phone_number, message: {type: "template", template:
{template_code_id, payload: [{position, parameters}]}}} -> {"msgid", "success": true}.

The template_code_id must name an APPROVED template of the token's application (else code 59),
and the payload's parameters must match its variables by position and type; the provider
receives Meta's template message built from them.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core.errors import bad_parameter
from chalicelib.core.phone_numbers import normalise_phone
from chalicelib.providers.base import Outbound
from chalicelib.sending.prepared import Prepared, Sender
from chalicelib.templates import service as templates


def prepare(sender: Sender, fields: dict[str, Any]) -> Prepared:
    from chalicelib.templates import payloads  # lazy: only WhatsApp sends need it

    phone = normalise_phone(fields.get("phone_number"), "phone_number")
    message = fields.get("message")
    if not isinstance(message, dict) or message.get("type") != "template":
        raise bad_parameter("message.type", 'message must be {"type": "template", "template": {...}}')
    request = message.get("template")
    if not isinstance(request, dict):
        raise bad_parameter("message.template", "message.template is required")
    template = templates.for_send(sender.application_id, request.get("template_code_id"))
    meta_template = payloads.build(template, request.get("payload"))
    return Prepared(target=phone, details={"template_code_id": request["template_code_id"],
                                        "template_name": template["name"], "category": template.get("category")},
                 outbound=lambda message_id: Outbound(message_id, sender.channel, phone, template=meta_template))


def response(message_id: str, version: int) -> dict[str, Any]:
    return {"msgid": message_id, "success": True}
