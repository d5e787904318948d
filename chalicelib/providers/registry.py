"""Which provider serves each channel: a per-stage setting (PROVIDERS / PROVIDER_<CHANNEL>).

Provider settings and credentials (META_* for the WhatsApp Cloud API, EUM_* for End User
Messaging identities) come from the stage's secret through chalicelib.core.secrets; SETTINGS
says which each provider needs, and `make deploy` refuses a stage that selects a provider
without them. Adapters are built once per container, and every send through one is counted
(chalicelib.core.metrics).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from chalicelib.core import metrics, secrets
from chalicelib.core.config import get_settings
from chalicelib.providers.base import Outbound, Provider, ProviderRejected, ProviderUnavailable

# Per provider: the settings it cannot work without, and those it may use.
SETTINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "simulator": {"required": (), "optional": ()},
    "ses": {"required": (), "optional": ()},
    "eum": {"required": (), "optional": ("EUM_SENDER_IDENTITIES", "EUM_ORIGINATION_IDENTITY",
                                         "EUM_VOICE_IDENTITY", "EUM_VOICE_ID")},
    "meta": {"required": ("META_PHONE_NUMBER_ID", "META_WABA_ID", "META_ACCESS_TOKEN", "META_APP_SECRET",
                          "META_VERIFY_TOKEN"),
             "optional": ("META_BASE_URL",)},
}
# Settings that are credentials: asked for without echo, never printed.
CREDENTIALS = frozenset({"META_ACCESS_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN"})


class _Metered:
    """A provider whose sends are counted: calls, errors (retried) and rejections (final)."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self.name = provider.name

    def send(self, message: Outbound) -> str:
        metrics.provider_call(self.name)
        try:
            return self._provider.send(message)
        except ProviderUnavailable:
            metrics.provider_error(self.name)
            raise
        except ProviderRejected:
            metrics.provider_rejection(self.name)
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)


@lru_cache(maxsize=None)
def _build(kind: str) -> Provider:
    settings = get_settings()
    setting = secrets.provider_setting
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
            sender_identities=json.loads(setting("EUM_SENDER_IDENTITIES") or "{}"),
            default_origination_identity=setting("EUM_ORIGINATION_IDENTITY"),
            default_voice_identity=setting("EUM_VOICE_IDENTITY"),
            voice_id=setting("EUM_VOICE_ID"))
    if kind == "meta":
        from chalicelib.providers.meta_whatsapp import DEFAULT_BASE_URL, MetaWhatsAppProvider
        return MetaWhatsAppProvider(secrets.require("META_PHONE_NUMBER_ID"), secrets.require("META_ACCESS_TOKEN"),
                                    base_url=setting("META_BASE_URL") or DEFAULT_BASE_URL)
    raise ValueError(f"Unknown provider {kind!r}")


@lru_cache(maxsize=None)
def _metered(kind: str) -> _Metered:
    return _Metered(_build(kind))


def provider_for(channel: str) -> Provider:
    return _metered(get_settings().providers[channel])  # type: ignore[return-value]


def reset() -> None:
    """Forget built adapters and cached settings (tests switch providers through the environment)."""
    _build.cache_clear()
    _metered.cache_clear()
    _identity_verifier.cache_clear()
    secrets.clear_cache()


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
        return _MetaTemplateReviewer(_build("meta"), secrets.require("META_WABA_ID"))
    from chalicelib.providers.simulator import SimulatorTemplateReviewer
    return SimulatorTemplateReviewer()


def identity_verifier():
    """Who verifies email sender identities: SES for the `ses` email provider, else the simulator."""
    return _identity_verifier(get_settings().providers["email"])


@lru_cache(maxsize=None)
def _identity_verifier(kind: str):
    if kind == "ses":
        from chalicelib.providers.ses_identities import SesIdentityVerifier
        return SesIdentityVerifier()
    from chalicelib.providers.simulator import SimulatorIdentityVerifier
    return SimulatorIdentityVerifier()
