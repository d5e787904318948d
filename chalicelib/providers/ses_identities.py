"""Email sender identities verified by Amazon SES v2 (`create_email_identity`, `get_email_identity`,
`delete_email_identity`), one per application's address or domain.

An address gets SES's verification email; a domain gets Easy DKIM tokens, published by its owner as
CNAME records. Every identity Kirim creates carries the tag OWNER_TAG (the stage and application), so
an identity that exists already tells who made it: this application (a create whose answer was lost,
then resent: SES answers AlreadyExists), another stage or application, or nobody (the operator made it
outside Kirim). Only identities Kirim made are ever deleted.
"""
from __future__ import annotations

from typing import Any

from chalicelib.providers.aws_adapter import AwsAdapter
from chalicelib.providers.base import ABSENT, FAILED, PENDING, VERIFIED, IdentityState, ProviderRejected
from chalicelib.providers.ses_email import TRANSIENT_CODES as SEND_TRANSIENT_CODES

OWNER_TAG = "kirim:owner"
# Sends treat NotFound (the configuration set) as the operator's to fix; here it means "no such identity".
TRANSIENT_CODES = SEND_TRANSIENT_CODES - {"NotFoundException", "SendingPausedException"}
# SES's VerificationStatus; TEMPORARY_FAILURE is a DNS hiccup SES retries by itself.
_STATUS = {"SUCCESS": VERIFIED, "FAILED": FAILED, "PENDING": PENDING, "TEMPORARY_FAILURE": PENDING,
           "NOT_STARTED": PENDING}


def _state(answer: dict[str, Any], owner: str | None) -> IdentityState:
    verified = answer.get("VerifiedForSendingStatus") or answer.get("VerificationStatus") == "SUCCESS"
    status = VERIFIED if verified else _STATUS.get(str(answer.get("VerificationStatus")), PENDING)
    tokens = tuple((answer.get("DkimAttributes") or {}).get("Tokens") or ())
    return IdentityState(status, owner, tokens)


class SesIdentityVerifier(AwsAdapter):
    name = "ses"
    service = "sesv2"
    transient_codes = TRANSIENT_CODES

    def request(self, identity: str, owner: str) -> IdentityState:
        try:
            answer = self.call("create_email_identity", {"EmailIdentity": identity,
                                                         "Tags": [{"Key": OWNER_TAG, "Value": owner}]})
        except ProviderRejected as refused:
            if refused.provider_status != "AlreadyExistsException":
                raise
            return self.state(identity, None)
        return _state(answer, owner)

    def state(self, identity: str, requested_at: float | None) -> IdentityState:
        try:
            answer = self.call("get_email_identity", {"EmailIdentity": identity})
        except ProviderRejected as refused:
            if refused.provider_status == "NotFoundException":
                return IdentityState(ABSENT)
            raise
        tags = {tag.get("Key"): tag.get("Value") for tag in answer.get("Tags") or ()}
        return _state(answer, tags.get(OWNER_TAG))

    def remove(self, identity: str, owner: str) -> None:
        if self.state(identity, None).owner != owner:
            return  # made outside Kirim, or by another owner since: not this application's to delete
        try:
            self.call("delete_email_identity", {"EmailIdentity": identity})
        except ProviderRejected as refused:
            if refused.provider_status != "NotFoundException":
                raise
