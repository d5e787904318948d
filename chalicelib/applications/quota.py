"""Quota: the units each application channel may still send, never below zero, never debited
twice, never lost.

Each channel's quota is kept in HALVES halves, each a whole account: a quota item (balance and
journal) and a ledger item, reconciled on its own. One item taking every send's debit would be
1,000 WCU/s at 1,000 sends/s, exactly a DynamoDB partition's limit; two halves take 500 each.

A send debits its cost with one conditional UpdateItem (`balance >= cost`) on the half its
message id picks, outside any transaction: a transaction holding an item every send shares
would make a busy application's sends cancel each other on DynamoDB. If that half is short, the
other half is tried the same way. If each half alone is short, both balances are read (one
BatchGetItem): short together is refused; otherwise a part is taken from each, each with its
own conditional UpdateItem (a part taken before the other failed is given back). The message
records what each half paid (Message.paid), so that its settlement and its refund go back to
the right halves. Each debit adds its units to its half's journal under the current minute.
Then:

- the send writes its message carrying that minute (Message.debit_minute); the messages
  stream consumer adds what each half paid to that half's ledger item under that minute,
  exactly once (messages.changes);
- a send whose message write failed gives its units back at once (`undo_debit`);
- a refund (a failure that is not billed) is credited to each paying half's ledger by the
  stream consumer, from the message's own refund mark;
- every minute the reconciler moves, for each half and each minute older than GRACE, journal
  minus settled (the units of a send that died between a debit and its message write) and the
  ledger's credit into the balance, in one transaction, and forgets those minutes.

The debit and the give-back are ADDs on an item every send shares, so each is sent once:
botocore never sends them again (a second ADD would move the units twice), and throttling is
retried by Kirim. When a debit's answer is lost, the send counts it as taken and goes on: the
journal and the ledger still tell the truth, and the reconciler squares them. A debit that did
land is settled by its message like any other; one that did not is taken from the balance after
GRACE, from its half or else the other, never below zero: if the whole channel is empty by then, the
units stay owed (`owed`) until its next top-up.

So the halves' balance + credit is what the channel has left, and each journal is the proof
that nothing was lost in between. A quota item stays a few hundred bytes: one unit per debit.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications.models import DUE_PART, HALVES, LEDGER, QUOTA, TOP_UP, Quota, QuotaLedger, TopUp
from chalicelib.applications.models import parse_quota_key, quota_key, top_ups_partition
from chalicelib.core import clock
from chalicelib.core.db import (
    CONFLICT_ATTEMPTS,
    Unanswered,
    backoff,
    cancellation_reasons,
    connection,
    contended,
    update_if,
)
from chalicelib.core.errors import QUOTA_LOW, ApiError, not_found

log = logging.getLogger(__name__)

# Long enough for every send in flight at a minute's end to have written its message and for
# the stream consumer to have settled it (it runs within seconds); a send dead for this long
# will not write any more.
GRACE = timedelta(minutes=15)


def minute_of(moment: datetime) -> str:
    return clock.iso(moment)[:16].replace("-", "").replace("T", "").replace(":", "")


def split(amount: int) -> list[int]:
    """`amount` shared between the halves, the odd unit to half 0."""
    return [amount // HALVES + (1 if half < amount % HALVES else 0) for half in range(HALVES)]


def create_items(transaction: TransactWrite, application_id: str, channels: list[str], units: int) -> None:
    """A new application's quota and ledger items, both halves of each channel, in its transaction."""
    for channel in channels:
        for half, share in enumerate(split(units)):
            transaction.save(Quota(quota_key(QUOTA, application_id, channel, half), balance=share, journal={}),
                             condition=Quota.key.does_not_exist())
            transaction.save(QuotaLedger(quota_key(LEDGER, application_id, channel, half), settled={}, credit=0,
                                         version=0), condition=QuotaLedger.key.does_not_exist())


class Debit(NamedTuple):
    """What a send took: the journal minute, and {half: units} each half paid (filled as it pays)."""
    minute: str
    paid: dict[int, int]


# How many times a debit paid from both halves reads them again when another send took a part first.
SPLIT_ATTEMPTS = 3


def _quota_low(cost: int) -> ApiError:
    return ApiError(QUOTA_LOW, f"Quota not enough: this message needs {cost}")


def debit(application_id: str, channel: str, cost: int, spread: int = 0) -> Debit:
    """Take `cost` units, or answer 402 code 55. `spread` (the message's shard) picks the half
    tried first, so that sends spread evenly over the halves. One UpdateItem in the common case."""
    minute = minute_of(clock.now())
    order = [(spread + offset) % HALVES for offset in range(HALVES)]
    for half in order:
        if _take(application_id, channel, half, cost, minute):
            return Debit(minute, {half: cost})
    for _ in range(SPLIT_ATTEMPTS):
        left = _balances(application_id, channel)
        if sum(left) < cost:
            raise _quota_low(cost)
        taken = Debit(minute, {})
        try:
            for half in order:
                part = min(left[half], cost - sum(taken.paid.values()))
                if part <= 0:
                    continue
                if not _take(application_id, channel, half, part, minute):
                    break
                taken.paid[half] = part
        except BaseException:
            undo_debit(application_id, channel, taken)  # the other part's fate is in its journal
            raise
        if sum(taken.paid.values()) == cost:
            return taken
        undo_debit(application_id, channel, taken)  # another send took it first: read again
    raise contended()


def _take(application_id: str, channel: str, half: int, units: int, minute: str) -> bool:
    """One conditional UpdateItem on one half: False if that half is short. Sent once (never
    again by botocore: a second ADD would take the units twice, or fail its condition and refuse
    a send already paid for). An unknown outcome counts as taken (see the module's docstring):
    the client is not told 503 for Kirim's own bookkeeping, and the reconciler settles it."""
    actions = [Quota.balance.add(-units), Quota.journal[minute].set((Quota.journal[minute] | 0) + units),
               Quota.due_part.set(DUE_PART), Quota.due.set(Quota.due | minute)]
    try:
        # A conflict is the reconciler's transaction holding the item for a moment.
        return update_if(Quota(quota_key(QUOTA, application_id, channel, half)), actions, Quota.balance >= units,
                         once=True)
    except Unanswered:
        log.warning("a quota debit went unanswered; counted as taken, the reconciler settles it", extra={
            "application_id": application_id, "channel": channel, "half": half, "units": units, "minute": minute})
        return True


def undo_debit(application_id: str, channel: str, taken: Debit) -> bool:
    """Give back a debit whose message was not written. Best effort: if this fails too, the
    journals still show the units and the reconciler gives them back."""
    done = True
    for half, units in taken.paid.items():
        done = _give_back(application_id, channel, half, units, taken.minute) and done
    return done


def _give_back(application_id: str, channel: str, half: int, units: int, minute: str) -> bool:
    """Sent once, like the debit: a second ADD would give the units back twice."""
    actions = [Quota.balance.add(units), Quota.journal[minute].set((Quota.journal[minute] | 0) - units)]
    try:
        return update_if(Quota(quota_key(QUOTA, application_id, channel, half)), actions, once=True)
    except Exception:  # noqa: BLE001 - refused or unanswered: the journal still tells the reconciler
        log.warning("could not give a debit back; the reconciler will", extra={
            "application_id": application_id, "channel": channel, "half": half, "units": units, "minute": minute})
        return False


def add_to_ledger(transaction: TransactWrite, application_id: str, channel: str, half: int,
                  settled: dict[str, int], credit: int) -> None:
    """The stream consumer's part, inside its transaction: units one half was paid for messages
    written, per debit minute, and its refunds. Marks the ledger due for the reconciler."""
    actions: list[Any] = [QuotaLedger.settled[minute].set((QuotaLedger.settled[minute] | 0) + units)
                          for minute, units in settled.items() if units]
    if credit:
        actions.append(QuotaLedger.credit.add(credit))
    if not actions:
        return
    # Refunds are due at once; settlements when their minute is older than GRACE.
    due = min(list(settled) + ([minute_of(clock.now() - GRACE)] if credit else []))
    actions += [QuotaLedger.version.add(1), QuotaLedger.due_part.set(DUE_PART), QuotaLedger.due.set(
        QuotaLedger.due | due)]
    transaction.update(QuotaLedger(quota_key(LEDGER, application_id, channel, half)), actions=actions)


def _batch_get(keys: list[str]) -> list[dict[str, Any]]:
    """The items of `keys` (strongly consistent), with one BatchGetItem (more if DynamoDB leaves some)."""
    table = Quota.Meta.table_name
    request: dict[str, Any] = {table: {"Keys": [{"application_id": {"S": key}} for key in keys],
                                       "ConsistentRead": True}}
    items: list[dict[str, Any]] = []
    for attempt in range(CONFLICT_ATTEMPTS):
        answer = connection().client.batch_get_item(RequestItems=request)
        items += answer.get("Responses", {}).get(table, [])
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return items
        backoff(attempt)
    raise contended()


def _balances(application_id: str, channel: str) -> list[int]:
    """Each half's balance (what a debit can take now)."""
    left = [0] * HALVES
    for item in _batch_get([quota_key(QUOTA, application_id, channel, half) for half in range(HALVES)]):
        parsed = parse_quota_key(item["application_id"]["S"])
        if parsed:
            left[parsed[3]] = int(item.get("balance", {}).get("N", "0"))
    return left


def balances(application_id: str, channels: list[str]) -> dict[str, int]:
    """{channel: units left} (both halves' balance + refunds not yet moved in), with one BatchGetItem."""
    keys = [quota_key(kind, application_id, channel, half)
            for channel in channels for half in range(HALVES) for kind in (QUOTA, LEDGER)]
    left = dict.fromkeys(channels, 0)
    if not keys:
        return left
    for item in _batch_get(keys):
        parsed = parse_quota_key(item["application_id"]["S"])
        if parsed:
            kind, _, channel, _ = parsed
            left[channel] += int(item.get("balance" if kind == QUOTA else "credit", {}).get("N", "0"))
    return left


def top_up(application_id: str, channel: str, amount: int, top_up_id: str | None = None) -> bool:
    """Add units, shared between the halves (ADDs, safe beside concurrent sends), in one
    transaction with the top-up's record (TopUp, put on condition its key is new), so that a
    failed top-up never credits one half alone and one sent again (same `top_up_id`) adds
    nothing. Returns False when that top-up was made before."""
    top_up_id = top_up_id or str(uuid.uuid4())
    record = TopUp(f"{TOP_UP}#{application_id}#{top_up_id}", owner_id=top_ups_partition(application_id),
                   created_at=clock.now_iso(), channel=channel, top_up_id=top_up_id, amount=amount)
    return _write_halves(application_id, channel, [Quota.balance.add(share) for share in split(amount)], record)


def top_ups(application_id: str, limit: int = 50) -> list[TopUp]:
    """The application's top-ups, newest first: one Query of `by_owner`."""
    return list(TopUp.by_owner.query(top_ups_partition(application_id), scan_index_forward=False, limit=limit))


def set_balance(application_id: str, channel: str, units: int) -> None:
    """An operator's correction (the admin CLI's `setquota`): the halves' balances hold exactly
    `units`, shared between them. Debits still in their journals and refunds not yet moved in
    (the reconciler's business) come on top."""
    _write_halves(application_id, channel, [Quota.balance.set(share) for share in split(units)])


def _write_halves(application_id: str, channel: str, actions: list[Any], record: TopUp | None = None) -> bool:
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            with TransactWrite(connection=connection()) as transaction:
                if record is not None:
                    transaction.save(record, condition=TopUp.key.does_not_exist())
                for half, action in enumerate(actions):
                    transaction.update(Quota(quota_key(QUOTA, application_id, channel, half)), actions=[action],
                                       condition=Quota.key.exists())
            return True
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            # Puts come before updates in the reasons (core.db.cancellation_reasons): the record's first.
            if record is not None and reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # this top-up landed before (a resend, or an answer that was lost)
            if "ConditionalCheckFailed" in reasons:
                raise not_found(f"Application {application_id} has no {channel} channel") from None
            if "TransactionConflict" not in reasons:
                raise
            backoff(attempt)
    raise contended()


# ---------------------------------------------------------------- the reconciler

def due_halves(now: datetime) -> list[tuple[str, str, int]]:
    """(application, channel, half) of each quota or ledger item with a minute old enough to settle."""
    cutoff = minute_of(now - GRACE)
    halves: list[tuple[str, str, int]] = []
    for item in Quota.by_due.query(DUE_PART, Quota.due <= cutoff):
        parsed = parse_quota_key(item.key)
        if parsed and parsed[1:] not in halves:
            halves.append(parsed[1:])
    return halves


def _due_actions(model: Any, rest: list[str]) -> list[Any]:
    return [model.due.set(rest[0])] if rest else [model.due_part.remove(), model.due.remove()]


def reconcile(application_id: str, channel: str, now: datetime | None = None) -> int:
    """Reconcile both halves of a channel. Returns the units moved."""
    return sum(reconcile_half(application_id, channel, half, now) for half in range(HALVES))


def reconcile_half(application_id: str, channel: str, half: int, now: datetime | None = None) -> int:
    """Move what is owed back into one half's balance: for every minute older than GRACE, the
    units debited but matched by no written message, plus the ledger's refunds. One transaction
    over the half's quota item and ledger item, conditioned on what was read. Returns the units moved."""
    now = now or clock.now()
    cutoff = minute_of(now - GRACE)
    q_key, l_key = quota_key(QUOTA, application_id, channel, half), quota_key(LEDGER, application_id, channel, half)
    for attempt in range(CONFLICT_ATTEMPTS):
        read_at = clock.now()
        try:
            quota = Quota.get(q_key, consistent_read=True)
            ledger = QuotaLedger.get(l_key, consistent_read=True)
        except (Quota.DoesNotExist, QuotaLedger.DoesNotExist):
            return 0
        journal = {m: int(v) for m, v in (quota.journal.as_dict() if quota.journal else {}).items()}
        settled = {m: int(v) for m, v in (ledger.settled.as_dict() if ledger.settled else {}).items()}
        minutes = sorted(m for m in set(journal) | set(settled) if m <= cutoff)
        credit = int(ledger.credit or 0)
        moved = sum(journal.get(m, 0) - settled.get(m, 0) for m in minutes) + credit

        # Units to take (a debit that never landed, a late settlement) come from this half, else from
        # the other if it alone can pay; if neither can, they stay owed until a top-up.
        payer = half if moved >= 0 or int(quota.balance or 0) >= -moved else _other_payer(
            application_id, channel, half, -moved)
        if payer is None:
            log.warning("quota cannot be taken back yet", extra={
                "application_id": application_id, "channel": channel, "half": half, "units": -moved})
            return 0
        q_actions: list[Any] = [Quota.journal[m].remove() for m in minutes if m in journal]
        q_condition = Quota.key.exists()
        for m in minutes:
            if m in journal:
                q_condition &= Quota.journal[m] == journal[m]
        q_rest = sorted(m for m in journal if m > cutoff)
        if not q_rest:
            # A debit after our read adds a minute near now: then keep `due`, read again.
            for m in _minutes_around(read_at):
                if m not in journal:
                    q_condition &= Quota.journal[m].does_not_exist()
        if moved and payer == half:
            q_actions.append(Quota.balance.add(moved))
            if moved < 0:
                # A debit that went unanswered and never landed, or a settlement after its minute
                # was reconciled (the stream lagged past GRACE): take the units, never below zero.
                q_condition &= Quota.balance >= -moved
        q_actions += _due_actions(Quota, q_rest) if (quota.due or q_rest) else []

        l_rest = sorted(m for m in settled if m > cutoff)
        l_actions: list[Any] = [QuotaLedger.settled[m].remove() for m in minutes if m in settled]
        if credit:
            l_actions.append(QuotaLedger.credit.add(-credit))
        l_actions += [QuotaLedger.version.add(1)] + (_due_actions(QuotaLedger, l_rest)
                                                     if (ledger.due or l_rest) else [])
        l_condition = QuotaLedger.version == int(ledger.version or 0)
        if not q_actions and len(l_actions) == 1:
            return 0
        try:
            with TransactWrite(connection=connection()) as transaction:
                if q_actions:
                    transaction.update(Quota(q_key), actions=q_actions, condition=q_condition)
                transaction.update(QuotaLedger(l_key), actions=l_actions, condition=l_condition)
                if payer != half:
                    transaction.update(Quota(quota_key(QUOTA, application_id, channel, payer)),
                                       actions=[Quota.balance.add(moved)], condition=Quota.balance >= -moved)
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            if not reasons:
                raise
            if moved < 0 and "ConditionalCheckFailed" in reasons and attempt == CONFLICT_ATTEMPTS - 1:
                log.warning("quota cannot be taken back yet", extra={
                    "application_id": application_id, "channel": channel, "half": half, "units": -moved})
                return 0
            backoff(attempt)  # a send, the stream consumer or another reconciler moved: read again
            continue
        if moved:
            log.info("quota reconciled", extra={"application_id": application_id, "channel": channel,
                                                "half": half, "units": moved, "minutes": minutes})
        return moved
    raise contended(f"the quota of {application_id} {channel} (half {half})")


def _other_payer(application_id: str, channel: str, half: int, units: int) -> int | None:
    """The other half, when its balance alone can pay `units` (read strongly consistent)."""
    left = _balances(application_id, channel)
    others = [h for h in range(HALVES) if h != half and left[h] >= units]
    return others[0] if others else None


def owed(application_id: str, channel: str, now: datetime | None = None) -> int:
    """Units the reconciler has to take but cannot yet: settled debits (older than GRACE) beyond
    the journal, with no half able to pay them. They are taken at the channel's next top-up; until
    then the channel has sent that many units more than it was given (the price of answering a
    send whose debit went unanswered, instead of refusing it)."""
    return sum(owed_halves(application_id, channel, now).values())


def owed_halves(application_id: str, channel: str, now: datetime | None = None) -> dict[int, int]:
    """{half: units} of `owed`: the halves whose reconciliation waits for a top-up."""
    cutoff = minute_of((now or clock.now()) - GRACE)
    left, halves = _balances(application_id, channel), {}
    for half in range(HALVES):
        try:
            quota = Quota.get(quota_key(QUOTA, application_id, channel, half), consistent_read=True)
            ledger = QuotaLedger.get(quota_key(LEDGER, application_id, channel, half), consistent_read=True)
        except (Quota.DoesNotExist, QuotaLedger.DoesNotExist):
            continue
        journal = quota.journal.as_dict() if quota.journal else {}
        settled = ledger.settled.as_dict() if ledger.settled else {}
        moved = sum(int(journal.get(m, 0)) - int(settled.get(m, 0)) for m in set(journal) | set(settled)
                    if m <= cutoff) + int(ledger.credit or 0)
        if moved < 0 and max(left) < -moved:   # what the reconciler would take from one half
            halves[half] = -moved
    return halves


def _minutes_around(moment: datetime) -> list[str]:
    """The minutes a debit racing with a read at `moment` could write under (clocks differ a little)."""
    return [minute_of(moment + timedelta(minutes=offset)) for offset in (-2, -1, 0, 1, 2)]


def reconcile_due(now: datetime | None = None, seen: set[tuple[str, str]] | None = None) -> dict[str, int]:
    """The scheduled run: reconcile every due half. Returns {"channels": n, "halves": n, "units": moved};
    adds each (application, channel) reconciled to `seen` (the quota alerts look at those)."""
    now = now or clock.now()
    moved, halves = 0, due_halves(now)
    if seen is not None:
        seen.update((a, c) for a, c, _ in halves)
    for application_id, channel, half in halves:
        moved += reconcile_half(application_id, channel, half, now)
    return {"channels": len({(a, c) for a, c, _ in halves}), "halves": len(halves), "units": moved}
