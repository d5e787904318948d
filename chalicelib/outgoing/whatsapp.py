"""WhatsApp template message: {phone_number, message: {type: "template", template:
{template_code_id, payload: [{position, parameters}]}}} -> {"msgid", "success": true}.

The template name is the part of template_code_id after ':'. Until the template store
exists, the language is Indonesian ("id") and parameters are passed through by position;
the templates work checks them against the approved template.
"""
from __future__ import annotations

from typing import Any

from chalicelib.errors import bad_parameter
from chalicelib.drafts import Draft, Sender
from chalicelib.phone_numbers import normalise_phone
from chalicelib.providers.base import Outbound

POSITIONS = ("header", "body", "button")
MEDIA = ("image", "video", "document")
MAX_PARAMETERS = 20


def _parameter(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("type") not in ("text",) + MEDIA:
        raise bad_parameter(field, "a parameter is {type: text, text} or {type: image|video|document, <type>: {url}}")
    kind = value["type"]
    if kind == "text":
        text = value.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 1024:
            raise bad_parameter(f"{field}.text", "text parameters are 1 to 1024 characters")
        return {"type": "text", "text": text}
    media = value.get(kind)
    url = media.get("url") if isinstance(media, dict) else None
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > 2048:
        raise bad_parameter(f"{field}.{kind}.url", f"{kind} parameters need an https url")
    return {"type": kind, kind: {"link": url}}


def components(payload: Any) -> list[dict[str, Any]]:
    """OCA's payload, by position, as Meta's template components."""
    if payload is None:
        return []
    if not isinstance(payload, list) or len(payload) > 12:
        raise bad_parameter("message.template.payload", "payload must be a list of {position, parameters}")
    result = []
    button_index = 0
    for i, item in enumerate(payload):
        field = f"message.template.payload[{i}]"
        if not isinstance(item, dict) or item.get("position") not in POSITIONS:
            raise bad_parameter(f"{field}.position", "position must be header, body or button")
        parameters = item.get("parameters")
        if not isinstance(parameters, list) or not 1 <= len(parameters) <= MAX_PARAMETERS:
            raise bad_parameter(f"{field}.parameters", f"parameters must be a list of 1 to {MAX_PARAMETERS}")
        converted = [_parameter(p, f"{field}.parameters[{j}]") for j, p in enumerate(parameters)]
        if item["position"] == "button":
            result.append({"type": "button", "sub_type": "url", "index": str(button_index),
                           "parameters": [{"type": "text", "text": p["text"]} if p["type"] == "text" else p
                                          for p in converted]})
            button_index += 1
        else:
            result.append({"type": item["position"], "parameters": converted})
    return result


def draft(sender: Sender, fields: dict[str, Any]) -> Draft:
    phone = normalise_phone(fields.get("phone_number"), "phone_number")
    message = fields.get("message")
    if not isinstance(message, dict) or message.get("type") != "template":
        raise bad_parameter("message.type", 'message must be {"type": "template", "template": {...}}')
    template = message.get("template")
    if not isinstance(template, dict):
        raise bad_parameter("message.template", "message.template is required")
    code = template.get("template_code_id")
    if not isinstance(code, str) or ":" not in code or len(code) > 600:
        raise bad_parameter("message.template.template_code_id", "template_code_id is '<id>:<template name>'")
    name = code.split(":", 1)[1]
    meta_template = {"name": name, "language": {"code": "id"}, "components": components(template.get("payload"))}
    return Draft(target=phone, details={"template_code_id": code, "template_name": name},
                 outbound=lambda message_id: Outbound(message_id, sender.channel, phone, template=meta_template))


def response(message_id: str) -> dict[str, Any]:
    return {"msgid": message_id, "success": True}
