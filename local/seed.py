"""The demo account that `make run` prints: one application with all five channels, and kirim.dev as its
verified email sender (so the README's email, from noreply@kirim.dev, is sent)."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.accounts import service as accounts
from chalicelib.applications import email_identities, tokens
from chalicelib.applications import service as applications
from chalicelib.applications.models import Application
from chalicelib.core.channels import CHANNELS
from chalicelib.templates import service as templates

DEMO_EMAIL = "demo@kirim.dev"
DEMO_PASSWORD = "kirim-demo-pass"
DEMO_SENDER_IDS = {"KIRIM", "KIRIM OTP"}
DEMO_CALLER_IDS = {"+622150001234"}  # the IVR numbers collection: calls come from this number
DEMO_SENDER_DOMAIN = "kirim.dev"      # the operator's own domain, given to the demo as the operator would


@dataclass
class Demo:
    email: str
    password: str
    session_token: str
    application_id: str
    tokens: dict[str, str]
    whatsapp_template: str


def seed() -> Demo:
    try:
        accounts.register(DEMO_EMAIL, DEMO_PASSWORD, "Kirim Demo")
    except Exception as exc:  # noqa: BLE001 - a second seed into a kept moto keeps the account
        if getattr(exc, "status", None) != 409:
            raise
    session_token, _ = accounts.login(DEMO_EMAIL, DEMO_PASSWORD, "127.0.0.1")
    owner = accounts.session_principal(session_token)
    app = applications.create(owner, "Demo Shop", list(CHANNELS))
    Application(app.application_id).update(actions=[Application.sender_ids.set(DEMO_SENDER_IDS),
                                                    Application.caller_ids.set(DEMO_CALLER_IDS)])
    # A second seed into a kept moto moves it to the new demo application.
    email_identities.assign(app.application_id, DEMO_SENDER_DOMAIN)
    issued = {channel: tokens.generate(applications.get(app.application_id), channel)[0] for channel in CHANNELS}
    # An approved template, so a WhatsApp send works at once (reviews otherwise take a few seconds).
    template = templates.create(app.application_id, {
        "name": "order_update", "language": "id", "category": "UTILITY",
        "body": {"text": "Halo {{1}}, pesanan Anda sudah dikirim.", "examples": ["Budi"]}})
    # Reviews of a template never submitted are dropped (Meta never saw it): submit, then approve.
    templates.submit(app.application_id, template.template_id, {"accept_terms": True})
    templates.apply_review(app.application_id, template.template_id, "APPROVED")
    return Demo(DEMO_EMAIL, DEMO_PASSWORD, session_token, app.application_id, issued, templates.code_id(template))
