"""The status words OCA's channel API answers, per channel, for each word the dashboard shows.

The dashboard keeps OCA's dashboard words (status_rules: "Delivered", "RNA"...); the API answers
the lowercase words OCA's route pages print ("sent", "delivered", "answered"...). Where OCA's pages
print none for a status, the dashboard word in lowercase is used; where two pages disagree, each
route answers its own page's word (ROUTE_WORDS). docs/oca-compatibility.md has the same table.
"""
from __future__ import annotations

from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP

API_WORDS = {
    SMS: {"Submitted": "submitted", "Sent": "sent", "Delivered": "delivered", "Failed": "failed"},
    # OCA's OTP status page prints "submited" (one t).
    SMS_OTP: {"Submitted": "submited", "Sent": "sent", "Delivered": "delivered", "Undelivered": "undelivered",
              "Failed": "failed"},
    # OCA's email pages print opened, delivered and failed; a bounce is a failure to a client.
    EMAIL: {"Accepted": "accepted", "Delivered": "delivered", "Opened": "opened", "Clicked": "clicked",
            "Failed": "failed", "Failed by mail server": "failed"},
    # OCA's call pages print submitted, success, failed (table) and answered (example, which wins);
    # why a call failed (no answer, busy) is in hangup_cause.
    IVR: {"In Call": "submitted", "Answered": "answered", "RNA": "failed", "Failed": "failed"},
    WHATSAPP: {"Submitted": "submitted", "Delivered": "delivered", "Read": "read", "Rejected": "rejected",
               "Failed": "failed"},
}
# (channel, route action, version) -> the words that route's page prints instead.
ROUTE_WORDS = {(SMS, "history", 2): {"Sent": "send"}}


def api_word(channel: str, word: str, action: str = "status", version: int = 2) -> str:
    return ROUTE_WORDS.get((channel, action, version), {}).get(word) or API_WORDS[channel].get(word, word.lower())
