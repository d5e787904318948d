"""The suppression list fills itself from what providers tell Kirim about a message (a status-change
hook of the messages stream, registered by chalicelib.workers):

- an email's hard bounce (SES `Bounce` of type Permanent): the address, reason `bounced`;
- a WhatsApp message Meta refused with error 131050 (the customer stopped marketing messages from
  this business, Meta's own unsubscribe): the number, reason `unsubscribed`.

A hook runs at least once per change (a redelivered stream chunk runs it again), so each entry is
written only if the target is not on the list yet: added once, and an entry the owner made keeps its
reason and date. Kirim receives no inbound SMS or WhatsApp replies and sends no email unsubscribe link,
so a "STOP" reply cannot reach it (docs/broadcasts.md)."""
from __future__ import annotations

import logging
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.broadcasts.models import Suppression, suppression_sk
from chalicelib.core import clock
from chalicelib.core.channels import EMAIL, WHATSAPP
from chalicelib.core.errors import ApiError
from chalicelib.messages.status_rules import RULES

log = logging.getLogger(__name__)
HARD_BOUNCE = "Bounce:Permanent"
WHATSAPP_OPTED_OUT = "failed:131050"


def reason_for(channel: str, new_status: str, provider_statuses: list[str]) -> str | None:
    """`bounced`, `unsubscribed`, or None: what a message's new status says about its target."""
    rules = RULES.get(channel)
    if rules is None or new_status not in rules.failure:
        return None
    if channel == EMAIL and HARD_BOUNCE in provider_statuses:
        return "bounced"
    if channel == WHATSAPP and WHATSAPP_OPTED_OUT in provider_statuses:
        return "unsubscribed"
    return None


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
