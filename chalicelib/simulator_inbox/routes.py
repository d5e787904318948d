"""GET /simulator/messages?to=&channel=&limit=: the local test inbox (session auth; only the
caller's own applications). app.py registers this blueprint in the local stage only, so the
route does not exist in dev or prod."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.accounts.request_auth import session_principal
from chalicelib.core import validation
from chalicelib.core.channels import parse_channel
from chalicelib.core.errors import bad_parameter

inbox_routes = Blueprint(__name__)
MAX_LIMIT = 200


def _recipient(value: str | None) -> str | None:
    """Phone numbers in any form Kirim accepts (0812..., 62812..., +62812...), or an email address."""
    if not value:
        return None
    if "@" in value:
        return validation.email_address(value, "to")
    from chalicelib.core.phone_numbers import normalise_phone

    return normalise_phone(value, "to")


@inbox_routes.route("/simulator/messages", methods=["GET"])
def simulator_messages() -> dict:
    from chalicelib.simulator_inbox import service as inbox

    request = inbox_routes.current_request
    owner = session_principal(request)
    query = request.query_params or {}
    channel = parse_channel(query["channel"]) if query.get("channel") else None
    limit = validation.whole_number(query.get("limit", "50"), "limit", 1, MAX_LIMIT)
    if len(query.get("to") or "") > 254:
        raise bad_parameter("to", "to must be at most 254 characters")
    return {"items": inbox.messages(owner, _recipient(query.get("to")), channel, limit)}
