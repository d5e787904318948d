"""The demo `make run` prints must work as printed: its WhatsApp template is approved, so the
template sends of the README's tour and of docs/channel-api.md (both forms of template_code_id) are accepted
with the demo token."""
from __future__ import annotations

import json

from local.seed import seed


def test_the_demo_whatsapp_template_sends_at_once_in_both_forms(client):
    demo = seed()
    for code_id in (demo.whatsapp_template, "utility:order_update"):
        body = {"phone_number": "081234567890", "message": {"type": "template", "template": {
            "template_code_id": code_id,
            "payload": [{"position": "body", "parameters": [{"type": "text", "text": "Budi"}]}]}}}
        answer = client.http.post("/api/v2/push/message", body=json.dumps(body), headers={
            "Authorization": demo.tokens["whatsapp"], "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.body
        assert json.loads(answer.body)["success"] is True, answer.body
