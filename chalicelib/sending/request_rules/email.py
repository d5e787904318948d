"""Email: {email, message (base64 HTML), sender_email, sender_name, subject, attachment?}, in JSON or
either form encoding. `sender_email` must be a verified sender identity of the application (the address,
or a domain over it: applications.email_identities). V2 answers {"success": true, "msg_id"}; V1 its page's example {"status": true,
"msg_uid"} with its table's {"success": true, "msg_id"} beside it (the page shows both).
A `message` that is not base64 is sent as written (email_rules.html_body)."""
from __future__ import annotations

from typing import Any

from chalicelib.applications import email_identities
from chalicelib.core import validation
from chalicelib.providers.base import Attachment, Outbound
from chalicelib.sending.prepared import Prepared, Sender


def prepare(sender: Sender, fields: dict[str, Any], files: dict[str, tuple[str, str, bytes]] | None = None) -> Prepared:
    from chalicelib.sending import email_rules  # lazy: MIME and base64 handling only email sends need

    to = validation.email_address(fields.get("email"), "email")
    sender_email = validation.email_address(fields.get("sender_email"), "sender_email")
    sender_name = email_rules.check_sender_name(fields.get("sender_name"))
    subject = email_rules.check_subject(fields.get("subject"))
    html = email_rules.html_body(fields.get("message"), "message")
    attachment: Attachment | None
    if files and "attachment" in files:
        attachment = email_rules.attachment_from_part(*files["attachment"])
    else:
        attachment = email_rules.attachment_from_json(fields.get("attachment"))
    # Last, as it reads the table: only an identity this application verified sends.
    email_identities.check_sender(sender.application_id, sender_email)
    details = {"subject": subject, "sender_email": sender_email, "sender_name": sender_name,
               "attachment": attachment.filename if attachment else None, "source": "api",
               "message_body": email_rules.stored_body(html)}
    return Prepared(target=to, details={k: v for k, v in details.items() if v is not None},
                 outbound=lambda message_id: Outbound(message_id, sender.channel, to, sender_email=sender_email,
                                                      sender_name=sender_name, subject=subject, html=html,
                                                      attachment=attachment))


def response(message_id: str, version: int) -> dict[str, Any]:
    if version == 2:
        return {"success": True, "msg_id": message_id}
    return {"status": True, "msg_uid": message_id, "success": True, "msg_id": message_id}
