"""IVR call: {from_number, to_number, ivr_id, variable: {name: value}} -> {"success": true, "call_id"}, with
the id under `to_number` as well (OCA's example answers it there; its table says call_id).
from_number must be one of the application's caller numbers (the numbers collection); the
script's {{variables}} are filled in and spoken as SSML."""
from __future__ import annotations

from typing import Any

from chalicelib.core.errors import bad_parameter
from chalicelib.core.phone_numbers import normalise_phone
from chalicelib.ivr import scripts as ivr_scripts
from chalicelib.providers.base import Outbound
from chalicelib.sending.prepared import Prepared, Sender


def prepare(sender: Sender, fields: dict[str, Any]) -> Prepared:
    from_number = normalise_phone(fields.get("from_number"), "from_number")
    if from_number not in sender.caller_ids:
        known = ", ".join(sorted(sender.caller_ids)) or "none yet (PUT /applications/{id}/settings caller_ids)"
        raise bad_parameter("from_number", f"from_number {from_number} is not one of this application's caller "
                                           f"numbers: {known}")
    to_number = normalise_phone(fields.get("to_number"), "to_number")
    script = ivr_scripts.get(sender.application_id, fields.get("ivr_id"))
    variables = ivr_scripts.variables_for(script, fields.get("variable"))
    from chalicelib.ivr.ssml import build_ssml  # lazy: only calls need it

    ssml = build_ssml(script.script, variables)
    return Prepared(target=to_number,
                 details={"from_number": from_number, "ivr_id": script.ivr_id, "variable": variables},
                 outbound=lambda message_id: Outbound(message_id, sender.channel, to_number, ssml=ssml,
                                                      from_number=from_number))


def response(message_id: str, version: int) -> dict[str, Any]:
    return {"success": True, "call_id": message_id, "to_number": message_id}
