"""Each channel's status words (oca-reference.md) and which moves between them are allowed.

A message moves only forward: from a pending word to a later pending word, a success or a
failure; from a success only to a later success (Read after Delivered, never back); never
out of a failure. So duplicates and late events change nothing, and finals stay final.
"""
from __future__ import annotations

from typing import NamedTuple

from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP


class Rules(NamedTuple):
    pending: tuple[str, ...]   # in order; the first is the status at acceptance
    success: tuple[str, ...]   # in order
    failure: tuple[str, ...]
    refunded: tuple[str, ...] = ()  # failures that are not billed

    @property
    def initial(self) -> str:
        return self.pending[0]

    @property
    def words(self) -> tuple[str, ...]:
        return self.pending + self.success + self.failure

    def outcome(self, word: str) -> str:
        return "success" if word in self.success else "failed" if word in self.failure else "pending"

    def allows(self, current: str, new: str) -> bool:
        if new == current or new not in self.words:
            return False
        if current in self.failure:
            return False
        if current in self.success:
            return new in self.success and self.success.index(new) > self.success.index(current)
        if new in self.pending:
            return self.pending.index(new) > self.pending.index(current)
        return True


RULES = {
    WHATSAPP: Rules(pending=("Submitted",), success=("Delivered", "Read"), failure=("Rejected", "Failed")),
    SMS: Rules(pending=("Submitted", "Sent"), success=("Delivered",), failure=("Failed",)),
    SMS_OTP: Rules(pending=("Submitted", "Sent"), success=("Delivered",), failure=("Undelivered", "Failed")),
    IVR: Rules(pending=("In Call",), success=("Answered",), failure=("RNA", "Failed")),
    # "Failed" for email is an error before sending: not billed (oca-reference.md).
    EMAIL: Rules(pending=("Accepted",), success=("Delivered", "Opened", "Clicked"),
                 failure=("Failed", "Failed by mail server"), refunded=("Failed",)),
}
# Every word of every channel, once, in table order (the counters hold one number per word).
ALL_WORDS = tuple(dict.fromkeys(word for rules in RULES.values() for word in rules.words))
