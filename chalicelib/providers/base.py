"""The interface every provider adapter implements, and the normalised status event.

Sending: `Provider.send(Outbound) -> provider message id`, or one of three exceptions:
- ProviderRejected: the provider refused this message for good (bad number, invalid
  parameter...). Kirim marks it Failed and refunds the quota.
- ProviderUnavailable: the provider did not take it, for now (throttling, its own outage
  answered as such, no connection made, Kirim's credentials). It is sent again later.
- ProviderUnsure (a ProviderUnavailable): the request went out and no clear answer came back
  (a read timeout, a dropped connection, a 5xx, an answer that cannot be read): the provider
  may have it. It is never sent again unless the provider, asked, says it does not have it.

Asking: a provider that can tell whether it has a message, by Kirim's id, has
`lookup(message_id) -> bool` (raising ProviderUnavailable when it cannot say now). End User
Messaging, SES and Meta's Cloud API offer no such lookup and take no idempotency key, so
theirs is left out (sending.dispatch says what Kirim does then); the simulator has one.

Status events from any source are parsed into StatusEvent, carrying Kirim's message id
(taken from the provider's echo field) and the raw provider status word.

Email sender identities (an address or a domain) are verified by the email provider's
IdentityVerifier: SES (ses_identities.py), or the simulator. Which application may use one is
the applications slice's business; the verifier only asks the provider.

The values are NamedTuples rather than frozen dataclasses: as immutable, and defined in a tenth
of the time (a dataclass compiles its generated methods at import, on every cold start).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping, NamedTuple, Protocol


class Attachment(NamedTuple):
    filename: str
    content_type: str
    data: bytes


class Outbound(NamedTuple):
    message_id: str                 # Kirim's ULID: goes into the provider's echo field
    channel: str                    # sms | sms_otp | ivr | email | whatsapp
    target: str                     # E.164 (+628...) for phone channels; an address for email
    # sms, sms_otp
    text: str | None = None
    sender_id: str | None = None    # sms_otp masking name -> OriginationIdentity
    # email
    sender_email: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    html: str | None = None
    attachment: Attachment | None = None
    headers: dict[str, str] | None = None   # extra headers (a broadcast's List-Unsubscribe pair)
    # ivr
    ssml: str | None = None
    from_number: str | None = None  # E.164 caller id -> OriginationIdentity
    # whatsapp: Meta's "template" object {name, language: {code}, components: [...]}
    template: dict[str, Any] | None = None


class ProviderRejected(Exception):
    def __init__(self, reason: str, provider_status: str = "REJECTED") -> None:
        super().__init__(reason)
        self.reason = reason
        self.provider_status = provider_status


class ProviderUnavailable(Exception):
    """Not taken, for now: safe to send again later."""


class ProviderUnsure(ProviderUnavailable):
    """The request went out without a clear answer: the provider may have the message."""


class Provider(Protocol):
    name: str

    def send(self, message: Outbound) -> str:
        """Hand the message to the provider; return the provider's message id."""


def can_look_up(provider: object) -> bool:
    """Whether the provider can be asked if it has a message (its optional `lookup`)."""
    return callable(getattr(provider, "lookup", None))


class StatusEvent(NamedTuple):
    message_id: str                 # Kirim's id, from the echo field
    provider_status: str            # the provider's own word, kept in the history (e.g. TEXT_DELIVERED)
    at: str                         # ISO 8601 UTC with Z
    provider_message_id: str | None = None
    details: Mapping[str, Any] = MappingProxyType({})  # extra facts (error text, durations...); read-only


PENDING, VERIFIED, FAILED, ABSENT = "pending", "verified", "failed", "absent"


class IdentityState(NamedTuple):
    """What the email provider says of a sender identity."""
    status: str                     # PENDING, VERIFIED, FAILED, or ABSENT (the provider has none by that name)
    owner: str | None = None        # who created it, by Kirim's tag; None when it carries none (made outside Kirim)
    dkim_tokens: tuple[str, ...] = ()  # a domain's DKIM tokens: CNAME <token>._domainkey.<domain>


class IdentityVerifier(Protocol):
    name: str

    def request(self, identity: str, owner: str) -> IdentityState:
        """Start verifying `identity` for `owner`, or describe it when the provider has it already."""

    def state(self, identity: str, requested_at: float | None) -> IdentityState:
        """Where its verification stands (`requested_at`: when Kirim asked, None if it never did)."""

    def remove(self, identity: str, owner: str) -> None:
        """Forget it at the provider, if `owner` created it there (never an identity made outside Kirim)."""
