"""Email sender identities: the addresses and domains an application may send from (`sender_email` on
OCA's email routes and Verify's email channel), as SMS OTP has its sender ids and IVR its caller numbers.

- The owner adds an address or a domain; the email provider verifies it (providers.ses_identities: SES
  mails an address a link, and gives a domain DKIM records for its DNS; the simulator's stages verify at
  once, providers.simulator). Only a verified identity sends.
- One application per identity: a claim is an item keyed by the identity itself (models.EmailIdentity),
  put on condition it does not exist, so the first claim wins and a second gets 409. A claim that never
  verified (failed, or pending past SES's 72 hours) may be taken over; a verified one never.
- A send may use an address when the most specific *verified* claim covering it (the address, its domain,
  a parent domain) is this application's: an address under an owned domain sends, and an address another
  application verified itself stays that application's. Claims not verified block no one.
- Claims owners cannot make: the operator's own Verify sender (VERIFY_SENDER_EMAIL) and its domain, an
  identity under a domain another application verified, and one the provider has already that Kirim did
  not make for this application (the operator's own, or another stage's). The operator assigns any
  identity with `assign` (the admin CLI; `make run`'s seed gives the demo application kirim.dev).

Reads: a send's check is one consistent BatchGetItem (the address and its domains); a listing asks the
provider about pending claims at most every REFRESH seconds each, a look at one claim every ASKED seconds.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from chalicelib.applications.models import Application, EmailIdentity, email_identity_key
from chalicelib.core import clock, validation
from chalicelib.core.config import get_settings
from chalicelib.core.db import cancellation_reasons, connection, update_if
from chalicelib.core.errors import CONFLICT, INTERNAL, ApiError, bad_parameter, not_found
from chalicelib.providers.base import (
    ABSENT,
    FAILED,
    PENDING,
    VERIFIED,
    IdentityState,
    ProviderRejected,
    ProviderUnavailable,
)

if TYPE_CHECKING:
    from chalicelib.providers.base import IdentityVerifier

ADDRESS, DOMAIN = "address", "domain"
FIELD = "identity"
MAX_IDENTITIES = 20
MAX_LABELS = 10
STALE_SECONDS = 72 * 3600    # SES stops looking for a domain's DKIM records after 72 hours
REFRESH = {PENDING: 10, VERIFIED: 3600}  # seconds between a listing's questions to the provider; FAILED stays
ASKED = 2                    # seconds between questions about one identity asked for by name
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_HINT = "an email address (name@example.com) or a domain (example.com)"


def _verifier() -> IdentityVerifier:
    from chalicelib.providers.registry import identity_verifier

    return identity_verifier()


def _ascii_domain(domain: str) -> str | None:
    """The domain in ASCII (IDNA), lowercased, if it is a domain names can be sent from."""
    import idna

    try:
        text = idna.encode(domain.strip().rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = text.split(".")
    if not 2 <= len(labels) <= MAX_LABELS or len(text) > 253 or labels[-1].isdigit():
        return None
    return text if all(_LABEL.fullmatch(label) for label in labels) else None


def parse(value: Any) -> tuple[str, str]:
    """(identity, ADDRESS or DOMAIN), lowercased with an ASCII domain, or a 406 naming `identity`."""
    if not isinstance(value, str) or not value.strip():
        raise bad_parameter(FIELD, f"identity is required: {_HINT}")
    text = value.strip().lower()
    if "@" not in text:
        domain = _ascii_domain(text)
        if domain is None:
            raise bad_parameter(FIELD, f"{value.strip()!r} is not a domain email can be sent from; give {_HINT}")
        return domain, DOMAIN
    local, _, domain = validation.email_address(text, FIELD).rpartition("@")
    ascii_domain = _ascii_domain(domain)
    if not local.isascii() or ascii_domain is None:
        raise bad_parameter(FIELD, f"{value.strip()!r} cannot be a sender: the part before @ must be ASCII, "
                                   "the domain a public one")
    return f"{local}@{ascii_domain}", ADDRESS


def chain(identity: str) -> list[str]:
    """The identity, then every domain that covers it, most specific first: a@b.c.d -> a@b.c.d, b.c.d, c.d."""
    local, at, domain = identity.rpartition("@")
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return []
    labels = ascii_domain.split(".")
    domains = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    return ([f"{local}@{ascii_domain}"] if at else []) + domains


def owner_tag(application_id: str) -> str:
    """Who a provider's identity belongs to: the stage and the application (stages may share an account)."""
    return f"{get_settings().stage}/{application_id}"


def _operators(identity: str) -> bool:
    """The operator's own Verify sender, its domain, or a domain over it."""
    sender = get_settings().verify_sender_email.strip().lower()
    domain = sender.rpartition("@")[2]
    named = identity.rpartition("@")[2]
    return identity == sender or named == domain or named.endswith("." + domain) or domain.endswith("." + named)


def _claims(identities: list[str]) -> dict[str, EmailIdentity]:
    if not identities:
        return {}
    keys = [email_identity_key(identity) for identity in dict.fromkeys(identities)]
    return {claim.identity: claim for claim in EmailIdentity.batch_get(keys, consistent_read=True)}


def _verified(claim: EmailIdentity) -> bool:
    """Verified by the provider that sends this stage's email (a simulator's word does not count for SES)."""
    return claim.status == VERIFIED and claim.verifier == _verifier().name


def usable(application_id: str, address: str) -> bool:
    names = chain(address.strip().lower())
    claims = _claims(names)
    for name in names:
        claim = claims.get(name)
        if claim is not None and _verified(claim):
            return claim.claimed_by == application_id
    return False


def check_sender(application_id: str, address: str, field: str = "sender_email") -> None:
    """406 naming `field` unless the application may send from `address`."""
    if not usable(application_id, address):
        raise bad_parameter(field, f"{field} {address} is not a verified sender of this application: add the "
                                   "address or its domain to the application's email senders, and verify it")


# --- the provider's word on a claim -----------------------------------------------------------------------

def _record(claim: EmailIdentity, state: IdentityState, requested: bool | None) -> EmailIdentity:
    """Keep what the provider said, on condition the claim is still the same application's. `requested`:
    True when Kirim has just asked the provider for it, None when the provider's identity is not this
    claim's (so it is never read as this claim's state), False to leave it."""
    now = clock.epoch()
    claim.status = state.status if state.status != ABSENT else PENDING
    claim.verifier, claim.checked_at = _verifier().name, now
    claim.dkim_tokens = list(state.dkim_tokens) or None
    actions = [EmailIdentity.status.set(claim.status), EmailIdentity.verifier.set(claim.verifier),
               EmailIdentity.checked_at.set(now),
               EmailIdentity.dkim_tokens.set(claim.dkim_tokens) if claim.dkim_tokens
               else EmailIdentity.dkim_tokens.remove()]
    if requested:
        claim.requested_at = now
        actions.append(EmailIdentity.requested_at.set(now))
    elif requested is None:
        claim.requested_at = None
        actions.append(EmailIdentity.requested_at.remove())
    if claim.status == VERIFIED and not claim.verified_at:
        claim.verified_at = clock.now_iso()
        actions.append(EmailIdentity.verified_at.set(claim.verified_at))
    update_if(EmailIdentity(claim.key), actions, EmailIdentity.claimed_by == claim.claimed_by, "this identity")
    return claim


def _request(claim: EmailIdentity, *, strict: bool = False) -> EmailIdentity:
    """Ask the provider to verify the claim. An identity the provider has already that is not this
    claim's (made outside Kirim, or for another stage or application) is refused: a new claim (`strict`)
    is dropped with a 409, a claim looked at again is marked failed. The operator's assignments take
    what the provider has."""
    owner = owner_tag(claim.claimed_by)
    try:
        state = _verifier().request(claim.identity, owner)
    except ProviderUnavailable:
        return claim  # still pending and unrequested: the next look asks again
    except ProviderRejected as refused:
        if strict:
            _drop(claim)
            raise bad_parameter(FIELD, f"The email service refused {claim.identity}: {refused.reason}") from None
        return _record(claim, IdentityState(FAILED), requested=None)
    if state.owner != owner and not claim.assigned:
        if strict:
            _drop(claim)
            raise ApiError(CONFLICT, f"{claim.identity} is managed outside this application in the email "
                                     "service; ask the operator of this deployment", field=FIELD)
        return _record(claim, IdentityState(FAILED), requested=None)
    return _record(claim, state, requested=True)


def _refresh(claim: EmailIdentity, every: float | None = None) -> EmailIdentity:
    """Ask the provider again about a claim, at most `every` seconds after the last time (by default
    REFRESH's for its status: a failed claim is not asked again); a claim another provider verified (the
    stage moved from the simulator to SES) is asked for anew."""
    verifier = _verifier()
    every = REFRESH.get(claim.status) if every is None else every
    if claim.verifier == verifier.name and (every is None or clock.epoch() < float(claim.checked_at or 0) + every):
        return claim
    if claim.verifier != verifier.name or claim.requested_at is None:
        return _request(claim)
    try:
        state = verifier.state(claim.identity, float(claim.requested_at))
    except (ProviderUnavailable, ProviderRejected):
        return claim  # as it stood: asked again next time
    if state.status == ABSENT:
        return _request(claim)  # removed at the provider: asked for again
    if state.owner not in (None, owner_tag(claim.claimed_by)) and not claim.assigned:
        return _record(claim, IdentityState(FAILED), requested=None)  # made again since, for someone else
    return _record(claim, state, requested=False)


# --- claims -----------------------------------------------------------------------------------------------

def _write(claim: EmailIdentity, previous: EmailIdentity | None) -> None:
    """The claim and the application's list in one transaction; `previous`, a claim taken over, leaves
    its application's list."""
    claim_condition = EmailIdentity.key.does_not_exist() if previous is None else (
        (EmailIdentity.claimed_by == previous.claimed_by) & (EmailIdentity.created_at == previous.created_at))
    room = Application.email_identities.does_not_exist() | (size(Application.email_identities) < MAX_IDENTITIES)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(claim, condition=claim_condition)
            transaction.update(Application(claim.claimed_by), actions=[Application.email_identities.add({claim.identity})],
                               condition=Application.owner_id.exists() & room)
            if previous is not None and previous.claimed_by != claim.claimed_by:
                transaction.update(Application(previous.claimed_by),
                                   actions=[Application.email_identities.delete({claim.identity})],
                                   condition=Application.owner_id.exists())
    except TransactWriteError as error:
        reasons = cancellation_reasons(error)
        if not reasons:
            raise
        if reasons[0] == "ConditionalCheckFailed":  # puts come before updates (core.db.cancellation_reasons)
            raise ApiError(CONFLICT, f"{claim.identity} was just claimed by another application", field=FIELD) from None
        raise bad_parameter(FIELD, f"An application has at most {MAX_IDENTITIES} email senders") from None


def _drop(claim: EmailIdentity) -> None:
    """Delete the claim and take it off its application's list (on condition it is still its)."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.delete(EmailIdentity(claim.key), condition=EmailIdentity.claimed_by == claim.claimed_by)
            transaction.update(Application(claim.claimed_by),
                               actions=[Application.email_identities.delete({claim.identity})],
                               condition=Application.owner_id.exists())
    except TransactWriteError as error:
        if not cancellation_reasons(error):
            raise


def _new_claim(identity: str, kind: str, application_id: str) -> EmailIdentity:
    return EmailIdentity(email_identity_key(identity), identity=identity, kind=kind, claimed_by=application_id,
                         status=PENDING, created_at=clock.now_iso(), verifier=_verifier().name)


def _abandoned(claim: EmailIdentity) -> bool:
    """Never verified, and never will be: failed, or pending longer than SES keeps looking."""
    if claim.status == FAILED:
        return True
    age = clock.epoch() - clock.parse_iso(claim.created_at).timestamp()
    return claim.status == PENDING and age > STALE_SECONDS


def add(app: Application, body: dict[str, Any]) -> tuple[EmailIdentity, bool]:
    """The owner claims an identity ({"identity": ...}): (the claim, True when it is new). Already this
    application's: the claim as it stands (False)."""
    unknown = sorted(set(body) - {FIELD})
    if unknown:
        raise bad_parameter(unknown[0], f"Unknown field {unknown[0]!r}; give only identity: {_HINT}")
    identity, kind = parse(body.get(FIELD))
    if _operators(identity):
        raise ApiError(CONFLICT, f"{identity} is the operator's own sender in this deployment", field=FIELD)
    names = chain(identity)
    claims = _claims(names)
    taken = claims.get(identity)
    if taken is not None and taken.claimed_by == app.application_id:
        return _refresh(taken, ASKED), False
    for name in names[1:]:
        above = claims.get(name)
        if above is not None and above.claimed_by != app.application_id and _verified(above):
            raise ApiError(CONFLICT, f"{identity} is under {name}, which another application has verified",
                           field=FIELD)
    if taken is not None and not _abandoned(_refresh(taken)):
        raise ApiError(CONFLICT, f"{identity} is already claimed by another application", field=FIELD)
    verifier, owner = _verifier(), owner_tag(app.application_id)
    for name in names[1:]:  # a domain over it verified at the provider by someone else sends for it
        if name not in claims:
            try:
                state = verifier.state(name, None)
            except ProviderRejected:
                continue  # a name the provider cannot hold (a public suffix): nobody verified it there
            except ProviderUnavailable:
                raise ApiError(INTERNAL, "The email service did not answer; try again", status=503,
                               headers={"Retry-After": "5"}) from None
            if state.status == VERIFIED and state.owner != owner:
                raise ApiError(CONFLICT, f"{identity} is under {name}, which is managed outside this application "
                                         "in the email service; ask the operator of this deployment", field=FIELD)
    claim = _new_claim(identity, kind, app.application_id)
    _write(claim, taken)
    app.email_identities = {*(app.email_identities or ()), identity}
    return _request(claim, strict=True), True


def assign(application_id: str, value: Any) -> EmailIdentity:
    """The operator gives an application an identity, whoever claimed it before (the admin CLI; the
    operator's own identities included)."""
    from chalicelib.applications import service as applications

    app = applications.get(application_id)
    identity, kind = parse(value)
    taken = _claims([identity]).get(identity)
    if taken is not None and taken.claimed_by == app.application_id:
        taken.assigned = True
        update_if(EmailIdentity(taken.key), [EmailIdentity.assigned.set(True)],
                  EmailIdentity.claimed_by == taken.claimed_by, "this identity")
        return _request(taken)
    claim = _new_claim(identity, kind, app.application_id)
    claim.assigned = True
    _write(claim, taken)
    return _request(claim)


def _own(app: Application, identity: str) -> EmailIdentity:
    try:
        name = parse(identity)[0]
    except ApiError:
        raise not_found("No such email sender in this application") from None
    claim = _claims([name]).get(name)
    if claim is None or claim.claimed_by != app.application_id:
        raise not_found("No such email sender in this application")
    return claim


def get(app: Application, identity: str) -> EmailIdentity:
    """One claim, the provider asked about it now (at most every ASKED seconds)."""
    return _refresh(_own(app, identity), ASKED)


def list_for(app: Application) -> list[EmailIdentity]:
    claims = _claims(sorted(app.email_identities or ()))
    return [_refresh(claim) for _, claim in sorted(claims.items()) if claim.claimed_by == app.application_id]


def remove(app: Application, identity: str) -> None:
    """The claim goes, and the provider's identity with it when Kirim made it for this application."""
    claim = _own(app, identity)
    if claim.requested_at is not None and claim.verifier == _verifier().name:
        try:
            _verifier().remove(claim.identity, owner_tag(app.application_id))
        except ProviderUnavailable:
            raise ApiError(INTERNAL, "The email service did not answer; nothing was removed, try again",
                           status=503, headers={"Retry-After": "5"}) from None
        except ProviderRejected:
            pass  # the provider will not delete it: the claim goes all the same, so it sends no more
    _drop(claim)


def render(claim: EmailIdentity) -> dict[str, Any]:
    records = [{"type": "CNAME", "name": f"{token}._domainkey.{claim.identity}", "value": f"{token}.dkim.amazonses.com"}
               for token in claim.dkim_tokens or ()]
    return {"identity": claim.identity, "kind": claim.kind, "status": claim.status, "created_at": claim.created_at,
            "verified_at": claim.verified_at, "dns_records": records}
