"""The Verify API, authenticated like V2 sends by the token of the channel it sends through
(sms_otp for sms; whatsapp, ivr and email for theirs):

- POST /verify/v2/start {to, channel, locale?, code_length?, sender_id?, from_number?,
  sender_email?, sender_name?} -> 201 {verification_id, to, channel, status: "pending", expires_at}
- POST /verify/v2/check {verification_id, code} -> {verification_id, to, channel, status, expires_at}
"""
from __future__ import annotations

from chalice import Blueprint, Response

verify_routes = Blueprint(__name__)
# The slice is imported by the first Verify request, not by `import app` (bench/cold_import.py).


@verify_routes.route("/verify/v2/start", methods=["POST"])
def start() -> Response:
    from chalicelib.verify import verify_requests

    return verify_requests.start(verify_routes.current_request)


@verify_routes.route("/verify/v2/check", methods=["POST"])
def check() -> dict:
    from chalicelib.verify import verify_requests

    return verify_requests.check(verify_routes.current_request)
