"""Starting and checking verifications.

Start: at most VERIFY_STARTS_PER_HOUR starts per recipient per hour and VERIFY_STARTS_PER_DAY per day
(core.config.Limits), per application (sliding windows kept on the recipient's item); the new verification is written, the
recipient's starts and pending verification updated and the pending one canceled, in one
transaction, on condition nobody started meanwhile. Then the message goes through the channel's
normal send pipeline (quota, idempotency); if it cannot be sent, the verification is canceled.
A repeat of a start with a recorded Idempotency-Key is answered before any of this
(verify.routes); one that raced its first copy and lost is undone (undo_start).

Check: approved is final (a second check is 404), canceled is 404 (or 429 when it was canceled
for too many wrong codes), expired is 404; a wrong code counts, and the VERIFY_MAX_ATTEMPTS-th wrong
one cancels the verification and answers 429. Every change is conditional on the attempt count
read, so parallel guesses cannot get more than VERIFY_MAX_ATTEMPTS tries between them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.config import get_settings
from chalicelib.core.db import CONFLICT_ATTEMPTS, backoff, cancellation_reasons, connection, update_if
from chalicelib.core.errors import TOO_MANY_CONCURRENT, TOO_MANY_REQUESTS, ApiError, bad_parameter, not_found
from chalicelib.verify import codes
from chalicelib.verify.models import (
    APPROVED,
    CANCELED,
    NOT_SENT,
    PENDING,
    REPLACED,
    TOO_MANY_ATTEMPTS,
    Recipient,
    Verification,
    is_verification_id,
    recipient_key,
)

TTL_SECONDS = 10 * 60
_KEEP_SECONDS = 86400
NOT_FOUND_MESSAGE = "Verification not found"


@dataclass(frozen=True)
class Started:
    verification_id: str
    expires_at: str
    replaced: str | None = None   # the recipient's pending verification this start canceled


def _too_many(message: str, retry_after: float) -> ApiError:
    return ApiError(TOO_MANY_REQUESTS, message, headers={"Retry-After": str(max(1, int(retry_after + 0.999)))})


def _check_caps(starts: list[float], now: float) -> None:
    limits = get_settings().limits
    per_hour, per_day = limits.verify_starts_per_hour, limits.verify_starts_per_day
    hour = sorted(t for t in starts if t > now - 3600)
    if len(hour) >= per_hour:
        raise _too_many(f"At most {per_hour} verifications per recipient per hour", hour[-per_hour] + 3600 - now)
    day = sorted(starts)
    if len(day) >= per_day:
        raise _too_many(f"At most {per_day} verifications per recipient per day", day[-per_day] + 86400 - now)


def start(verification_id: str, application_id: str, channel: str, to: str, code: str, locale: str) -> Started:
    """Record a new pending verification of `code` for `to` (the caps checked, the recipient's
    pending one canceled). Raises 429 past a cap."""
    key = recipient_key(application_id, to)
    cancel_pending = True
    for attempt in range(CONFLICT_ATTEMPTS):
        now = clock.now()
        epoch = now.timestamp()
        try:
            recipient = Recipient.get(key, consistent_read=True)
        except Recipient.DoesNotExist:
            recipient = Recipient(key)
        starts = [float(t) for t in (recipient.starts or []) if float(t) > epoch - _KEEP_SECONDS]
        _check_caps(starts, epoch)
        salt = codes.new_salt()
        verification = Verification(
            verification_id, application_id=application_id, channel=channel, to=to, locale=locale, status=PENDING,
            created_at=clock.iso(now), expires_at=clock.iso(now + timedelta(seconds=TTL_SECONDS)),
            code_hash=codes.digest(verification_id, salt, code), salt=salt, code_length=len(code), attempts=0,
            expires_ttl=int(epoch) + _KEEP_SECONDS)
        version = int(recipient.version or 0)
        same = Recipient.version == version if recipient.version is not None else Recipient.version.does_not_exist()
        previous = recipient.pending if cancel_pending and recipient.pending != verification_id else None
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(verification, condition=Verification.pk.does_not_exist())
                transaction.update(Recipient(key), condition=same, actions=[
                    Recipient.starts.set([*starts, epoch]), Recipient.pending.set(verification_id),
                    Recipient.version.set(version + 1), Recipient.expires_ttl.set(int(epoch) + _KEEP_SECONDS)])
                if previous:
                    transaction.update(Verification(previous), condition=Verification.status == PENDING,
                                       actions=[Verification.status.set(CANCELED),
                                                Verification.cancel_reason.set(REPLACED)])
            return Started(verification_id, verification.expires_at, previous)
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            # Order: the put, then the updates (the recipient, the previous verification).
            if len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed" and reasons[1] != "ConditionalCheckFailed":
                cancel_pending = False  # the previous one is no longer pending: nothing to cancel
                continue
            if "ConditionalCheckFailed" not in reasons and "TransactionConflict" not in reasons:
                raise
            backoff(attempt)  # another start for this recipient got in first: read again
    raise ApiError(TOO_MANY_CONCURRENT, "Too many concurrent verifications for this recipient; retry shortly")


def cancel_unsent(verification_id: str) -> None:
    """The message could not be sent (quota, provider refused the request): the code is void."""
    update_if(Verification(verification_id), [Verification.status.set(CANCELED),
                                              Verification.cancel_reason.set(NOT_SENT)],
              Verification.status == PENDING, "this verification")


def cancel_failed_sends(statuses: list[Any]) -> None:
    """A status-change hook (messages.changes): a verification whose message failed (refused by the
    provider, undelivered, a call not answered, a bounce) is canceled, as one that could not be sent
    at all is. Idempotent: only a pending verification changes."""
    from chalicelib.messages.status_rules import RULES

    for change in statuses:
        details = change.message.get("details") or {}
        verification_id = details.get("verification_id")
        if details.get("source") == "verify" and verification_id and \
                RULES[change.channel].outcome(change.new_status) == "failed":
            cancel_unsent(verification_id)


def undo_start(started: Started, application_id: str, to: str) -> None:
    """A start that lost to an earlier copy of its own request (the same Idempotency-Key, both
    in flight at once): the client holds the earlier answer, so this verification is canceled
    and, while nobody has started since, the one it replaced is pending again, as if this start
    had never run. Its code was never sent."""
    if started.replaced:
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(Verification(started.verification_id), condition=Verification.status == PENDING,
                                   actions=[Verification.status.set(CANCELED), Verification.cancel_reason.set(NOT_SENT)])
                transaction.update(Recipient(recipient_key(application_id, to)),
                                   condition=Recipient.pending == started.verification_id,
                                   actions=[Recipient.pending.set(started.replaced), Recipient.version.add(1)])
                transaction.update(Verification(started.replaced),
                                   condition=(Verification.status == CANCELED) & (Verification.cancel_reason == REPLACED),
                                   actions=[Verification.status.set(PENDING), Verification.cancel_reason.remove()])
            return
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in cancellation_reasons(error):
                raise
    cancel_unsent(started.verification_id)  # someone started since (or nothing was replaced)


def find(verification_id: Any) -> Verification:
    """One strongly consistent GetItem; an id that is not one of ours, or unknown, is 404."""
    if is_verification_id(verification_id):
        try:
            return Verification.get(verification_id, consistent_read=True)
        except Verification.DoesNotExist:
            pass
    raise not_found(NOT_FOUND_MESSAGE)


def _max_attempts() -> int:
    return get_settings().limits.verify_max_attempts


def _usable(verification: Verification) -> None:
    """404 (or 429) for a verification that can no longer be checked."""
    if verification.status == APPROVED:
        raise not_found("This verification was already approved")
    if verification.status == CANCELED:
        if verification.cancel_reason == TOO_MANY_ATTEMPTS:
            raise ApiError(TOO_MANY_REQUESTS, f"Too many wrong codes ({_max_attempts()}); start a new verification")
        raise not_found("This verification was canceled")
    if clock.now_iso() >= verification.expires_at:
        raise not_found("This verification has expired; start a new one")


def check(verification: Verification, code: Any) -> str:
    """'approved' or 'pending'; 404 or 429 as the module says."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) > codes.MAX_LENGTH:
        raise bad_parameter("code", f"code must be {codes.MIN_LENGTH} to {codes.MAX_LENGTH} digits")
    max_attempts = _max_attempts()
    for _ in range(CONFLICT_ATTEMPTS):
        _usable(verification)
        seen = int(verification.attempts or 0)
        same = (Verification.status == PENDING) & (Verification.attempts == seen)
        right = len(code) == int(verification.code_length) and codes.matches(
            verification.code_hash, verification.pk, verification.salt, code)
        if right:
            actions = [Verification.status.set(APPROVED), Verification.approved_at.set(clock.now_iso())]
        elif seen + 1 >= max_attempts:
            actions = [Verification.attempts.set(seen + 1), Verification.status.set(CANCELED),
                       Verification.cancel_reason.set(TOO_MANY_ATTEMPTS)]
        else:
            actions = [Verification.attempts.set(seen + 1)]
        # Marked: an approval botocore sent again after losing its answer is still this check's.
        if not update_if(Verification(verification.pk), actions, same, "this verification",
                         mark=Verification.write_id):
            verification = find(verification.pk)  # another check got in first: judge it afresh
            continue
        if right:
            return APPROVED
        if seen + 1 >= max_attempts:
            raise ApiError(TOO_MANY_REQUESTS, f"Too many wrong codes ({max_attempts}); the verification is canceled")
        return PENDING
    raise ApiError(TOO_MANY_CONCURRENT, "Too many concurrent checks of this verification")


def render(verification: Verification, status: str | None = None) -> dict[str, Any]:
    return {"verification_id": verification.pk, "to": verification.to, "channel": verification.channel,
            "status": status or verification.status, "expires_at": verification.expires_at}
