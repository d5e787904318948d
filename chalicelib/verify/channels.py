"""A verification's message per channel, as the send pipeline's Prepared: the provider gets the
code; the stored details (the messages table, monitoring, reports, callbacks) get it masked.

- sms: through the application's SMS OTP channel, from one of its sender ids;
- whatsapp: the application's APPROVED AUTHENTICATION template (in the locale's language when
  there is one), with the code as its parameter;
- ivr: the code spoken digit by digit, twice;
- email: a short HTML message from `sender_email`, a verified sender identity of the application
  (applications.email_identities), or else the operator's VERIFY_SENDER_EMAIL: any application may send
  from that one, because only Verify's own text ever goes out from it.
"""
from __future__ import annotations

from typing import Any

from chalicelib.applications import email_identities
from chalicelib.core import validation
from chalicelib.core.channels import EMAIL, IVR, SMS_OTP, WHATSAPP
from chalicelib.core.config import get_settings
from chalicelib.core.errors import TEMPLATE_NOT_FOUND, ApiError, bad_parameter
from chalicelib.core.phone_numbers import country_of, normalise_phone, operator_of
from chalicelib.providers.base import Outbound
from chalicelib.sending.prepared import Prepared, Sender
from chalicelib.sending.sms_segments import check_sms_text
from chalicelib.templates import service as templates
from chalicelib.verify import texts

# The Verify channel -> the channel (and token) it sends through.
SENDS_THROUGH = {"sms": SMS_OTP, "whatsapp": WHATSAPP, "ivr": IVR, "email": EMAIL}


def recipient(channel: str, value: Any) -> str:
    if channel == "email":
        return validation.email_address(value, "to")
    return normalise_phone(value, "to")


def _sms(sender: Sender, to: str, code: str, locale: str, fields: dict[str, Any], verification_id: str) -> Prepared:
    sender_id = fields.get("sender_id") or min(sender.sender_ids, default=None)
    if not isinstance(sender_id, str) or sender_id not in sender.sender_ids:
        known = ", ".join(sorted(sender.sender_ids)) or "none yet (PUT /applications/{id}/settings)"
        raise bad_parameter("sender_id", f"sender_id must be one of the application's sender ids: {known}")
    text, info = check_sms_text(texts.sms(locale, code), "message")
    masked = texts.sms(locale, texts.mask(code))
    return Prepared(target=to, cost=info.segments,
                    details={"message_body": masked, "total_sms": info.segments, "sender_id": sender_id,
                             "encoding": info.encoding, "country": country_of(to), "operator_cell": operator_of(to),
                             "source": "verify",
                             "verification_id": verification_id},
                    outbound=lambda message_id: Outbound(message_id, sender.channel, to, text=text,
                                                         sender_id=sender_id))


def authentication_template(application_id: str, locale: str) -> dict[str, Any]:
    """The application's APPROVED AUTHENTICATION template, preferring the locale's language."""
    found = [{**templates.as_dict(t), "template_code_id": templates.code_id(t)}
             for t in templates.list_for(application_id, "APPROVED") if (t.category or "").upper() == "AUTHENTICATION"]
    if not found:
        raise ApiError(TEMPLATE_NOT_FOUND, "WhatsApp verification needs an APPROVED AUTHENTICATION template "
                                           "in this application")
    return next((t for t in found if (t.get("language") or "").split("_")[0] == locale), found[0])


def _whatsapp(sender: Sender, to: str, code: str, locale: str, fields: dict[str, Any],
              verification_id: str) -> Prepared:
    from chalicelib.templates import payloads

    template = authentication_template(sender.application_id, locale)
    meta_template = payloads.build(template, [{"position": "body", "parameters": [{"type": "text", "text": code}]}])
    return Prepared(target=to, details={"template_code_id": template["template_code_id"],
                                        "template_name": template["name"], "category": "AUTHENTICATION",
                                        "source": "verify", "verification_id": verification_id},
                    outbound=lambda message_id: Outbound(message_id, sender.channel, to, template=meta_template))


def _ivr(sender: Sender, to: str, code: str, locale: str, fields: dict[str, Any], verification_id: str) -> Prepared:
    from_number = normalise_phone(fields["from_number"], "from_number") if fields.get("from_number") else None
    ssml = texts.voice_ssml(locale, code)
    return Prepared(target=to, details={"from_number": from_number, "script": texts.voice_text(locale, texts.mask(code)),
                                        "source": "verify", "verification_id": verification_id},
                    outbound=lambda message_id: Outbound(message_id, sender.channel, to, ssml=ssml,
                                                         from_number=from_number))


def _email(sender: Sender, to: str, code: str, locale: str, fields: dict[str, Any],
           verification_id: str) -> Prepared:
    from chalicelib.sending import email_rules

    default = get_settings().verify_sender_email
    sender_email = validation.email_address(fields.get("sender_email") or default, "sender_email")
    if sender_email.lower() != default.strip().lower():
        email_identities.check_sender(sender.application_id, sender_email)
    sender_name = email_rules.check_sender_name(fields.get("sender_name"))
    subject = texts.email_subject(locale)
    html = texts.email_html(locale, code)
    details = {"subject": subject, "sender_email": sender_email, "sender_name": sender_name, "source": "verify",
               "verification_id": verification_id}
    return Prepared(target=to, details={k: v for k, v in details.items() if v is not None},
                    outbound=lambda message_id: Outbound(message_id, sender.channel, to, sender_email=sender_email,
                                                         sender_name=sender_name, subject=subject, html=html))


_BUILDERS = {"sms": _sms, "whatsapp": _whatsapp, "ivr": _ivr, "email": _email}


def prepared(channel: str, sender: Sender, to: str, code: str, locale: str, fields: dict[str, Any],
             verification_id: str) -> Prepared:
    return _BUILDERS[channel](sender, to, code, locale, fields, verification_id)
