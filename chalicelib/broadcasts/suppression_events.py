"""The suppression list fills itself from what providers and recipients tell Kirim:

- an email's hard bounce (SES `Bounce` of type Permanent): the address, reason `bounced`;
- a WhatsApp message Meta refused with error 131050 (the customer stopped marketing messages from
  this business, Meta's own unsubscribe): the number, reason `unsubscribed`;
- an SMS End User Messaging refused because the number is on its opt-out list (ConflictException,
  reason DESTINATION_PHONE_NUMBER_OPTED_OUT): the number, `unsubscribed`;
  (those three: a status-change hook of the messages stream, registered by chalicelib.workers)
- a WhatsApp reply STOP, BERHENTI, UNSUBSCRIBE or STOP PROMO (typed, or a quick-reply button) to a
  message of the application: the number, `unsubscribed` (whatsapp_webhook calls `opt_out`);
- a broadcast email's one-click unsubscribe link: the address, `unsubscribed` (broadcasts.unsubscribe).

Each arrives at least once (a redelivered stream chunk, webhook or click runs it again), so each entry
is written only if the target is not on the list yet: added once, and an entry the owner made keeps
its reason and date (docs/broadcasts.md)."""
from __future__ import annotations

import logging
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.broadcasts.models import Suppression, suppression_sk
from chalicelib.core import clock
from chalicelib.core.channels import EMAIL, SMS, SMS_OTP, WHATSAPP
from chalicelib.core.errors import ApiError
from chalicelib.messages.status_rules import RULES
from chalicelib.providers.end_user_messaging import OPTED_OUT as SMS_OPTED_OUT

log = logging.getLogger(__name__)
HARD_BOUNCE = "Bounce:Permanent"
WHATSAPP_OPTED_OUT = "failed:131050"
# A WhatsApp reply that is one of these (trimmed, any case, spaces collapsed) unsubscribes its sender.
STOP_WORDS = frozenset({"STOP", "BERHENTI", "UNSUBSCRIBE", "STOP PROMO"})


def reason_for(channel: str, new_status: str, provider_statuses: list[str]) -> str | None:
    """`bounced`, `unsubscribed`, or None: what a message's new status says about its target."""
    rules = RULES.get(channel)
    if rules is None or new_status not in rules.failure:
        return None
    if channel == EMAIL and HARD_BOUNCE in provider_statuses:
        return "bounced"
    if channel == WHATSAPP and WHATSAPP_OPTED_OUT in provider_statuses:
        return "unsubscribed"
    if channel in (SMS, SMS_OTP) and SMS_OPTED_OUT in provider_statuses:
        return "unsubscribed"
    return None


def is_stop(words: tuple[str, ...] | list[str]) -> bool:
    """Whether a reply's text (or a button's payload or text) asks to stop."""
    return any(" ".join(word.split()).upper() in STOP_WORDS for word in words if isinstance(word, str))


def opt_out(application_id: str, target: str) -> bool:
    """The recipient asked to stop: `unsubscribed`, once. False when already listed (or not a target)."""
    from chalicelib.broadcasts.service import normalise_target

    try:
        target = normalise_target(target, "target")
    except ApiError:
        return False
    return add_once(application_id, target, "unsubscribed")


def on_status_changes(changes: list[Any]) -> int:
    """messages.changes' hook: each change that says "never send here again" suppresses its target.
    Returns how many entries it added."""
    from chalicelib.broadcasts.service import normalise_target

    added = 0
    for change in changes:
        history = change.message.get("history") or []
        reason = reason_for(change.channel, change.new_status,
                            [str(h.get("provider_status")) for h in history if isinstance(h, dict)])
        target = change.message.get("target")
        if reason is None or not isinstance(target, str):
            continue
        try:
            target = normalise_target(target, "target")
        except ApiError:
            continue
        added += add_once(change.application_id, target, reason)
    return added


def add_once(application_id: str, target: str, reason: str) -> bool:
    """Puts the entry unless the target is on the list already; True when it was added."""
    item = Suppression(application_id, suppression_sk(target), target=target, reason=reason,
                       created_at=clock.now_iso())
    try:
        item.save(condition=Suppression.broadcast_id.does_not_exist())
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    log.info("suppressed", extra={"application_id": application_id, "reason": reason})
    return True
