"""Which provider serves each channel: a per-stage setting (PROVIDERS / PROVIDER_<CHANNEL>).

Provider credentials come from the environment: META_* for the WhatsApp Cloud API and
EUM_* for End User Messaging identities. Adapters are built once per container.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache

from chalicelib.core.config import get_settings
from chalicelib.providers.base import Provider


@lru_cache(maxsize=None)
def _build(kind: str) -> Provider:
    settings = get_settings()
    if kind == "simulator":
        from chalicelib.providers.simulator import SimulatorProvider
        return SimulatorProvider()
    if kind == "ses":
        from chalicelib.providers.ses_email import SesEmailProvider
        return SesEmailProvider(configuration_set=settings.email_configuration_set)
    if kind == "eum":
        from chalicelib.providers.end_user_messaging import EumSmsProvider
        return EumSmsProvider(
            configuration_set=settings.sms_configuration_set,
            sender_identities=json.loads(os.environ.get("EUM_SENDER_IDENTITIES", "{}")),
            default_origination_identity=os.environ.get("EUM_ORIGINATION_IDENTITY") or None,
            default_voice_identity=os.environ.get("EUM_VOICE_IDENTITY") or None,
            voice_id=os.environ.get("EUM_VOICE_ID") or None)
    if kind == "meta":
        from chalicelib.providers.meta_whatsapp import DEFAULT_BASE_URL, MetaWhatsAppProvider
        return MetaWhatsAppProvider(os.environ["META_PHONE_NUMBER_ID"], os.environ["META_ACCESS_TOKEN"],
                                    base_url=os.environ.get("META_BASE_URL", DEFAULT_BASE_URL))
    raise ValueError(f"Unknown provider {kind!r}")


def provider_for(channel: str) -> Provider:
    return _build(get_settings().providers[channel])


def reset() -> None:
    """Forget built adapters (tests switch providers through the environment)."""
    _build.cache_clear()


class _MetaTemplateReviewer:
    """Submits to Meta (POST /{waba-id}/message_templates); the result arrives by webhook."""

    def __init__(self, provider, waba_id: str) -> None:
        self.provider, self.waba_id = provider, waba_id

    def submit(self, application_id: str, template_id: str, meta_template: dict) -> str | None:
        return str(self.provider.create_template(self.waba_id, meta_template)["id"])


def template_reviewer():
    """Who reviews WhatsApp templates: the simulator, or Meta for the `meta` provider."""
    kind = get_settings().providers["whatsapp"]
    if kind == "meta":
        return _MetaTemplateReviewer(_build("meta"), os.environ["META_WABA_ID"])
    from chalicelib.providers.simulator import SimulatorTemplateReviewer
    return SimulatorTemplateReviewer()
