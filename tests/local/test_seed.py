"""The demo `make run` prints must work as printed: its WhatsApp template is approved, so the
template sends of the README's tour and of docs/channel-api.md (both forms of template_code_id) are accepted
with the demo token; and kirim.dev is its verified email sender, so the README's email is sent."""
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


def test_the_demo_sends_the_readmes_email_from_noreply_at_kirim_dev(client):
    from tests.sends import email_body

    demo = seed()
    for _ in range(2):  # a second seed (a kept moto) moves the sender to its new application
        answer = client.http.post("/email/v2/send-single", body=json.dumps(email_body(sender="noreply@kirim.dev")),
                                  headers={"Authorization": demo.tokens["email"], "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.body
        demo = seed()
