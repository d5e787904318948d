"""Per-application, per-channel API tokens (OCA V2).

"Last used" adds no write per send: the token's record (read anyway) says when it was last noted, and
only a use over an hour later writes it, by one plain conditional UpdateItem of the token alone (no
transaction, nothing other sends write), so concurrent sends agree on one writer.

A token is shown once; the tokens table holds only its SHA-256, which is also the key, so
checking a token is one strongly consistent GetItem. The application item records the
current hash of each channel, and every change swaps both in one transaction, so the old
token is dead the moment the new one exists.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications import sending_settings
from chalicelib.applications import service as applications
from chalicelib.applications.models import Application, Token
from chalicelib.core import clock, opaque_tokens
from chalicelib.core.channels import TOKEN_PREFIX
from chalicelib.core.db import connection
from chalicelib.core.errors import CONFLICT, TOKEN_INVALID, ApiError
from chalicelib.web.credentials import channel_token

# Shown in the dashboard so an owner can tell tokens apart: the channel prefix and 4 characters.
VISIBLE_CHARS = 4
LAST_USED_EVERY = timedelta(hours=1)
_ATTEMPTS = 3


class ChannelPrincipal(NamedTuple):
    application_id: str
    channel: str
    owner_id: str
    settings: dict  # the application's sending settings (sending_settings.snapshot)


def _swap(app: Application, channel: str, new_hash: str | None, new_token: Token | None,
          prefix: str | None, issued_at: str | None) -> None:
    """One TransactWriteItems: put the new token, delete the old one, and move the application's
    record of the channel from the old hash to the new, on condition nobody swapped it meanwhile
    and, for a new token, that the settings it copies are still the application's."""
    state = applications.channel_state(app, channel)
    old_hash = state.get("token_hash")
    path = Application.channels[channel]
    condition = path["token_hash"] == old_hash if old_hash else path["token_hash"].does_not_exist()
    condition = condition & Application.owner_id.exists()
    if new_token is not None:
        condition = condition & sending_settings.version_condition(app)
    if new_hash:
        actions = [path["token_hash"].set(new_hash), path["token_prefix"].set(prefix),
                   path["token_issued_at"].set(issued_at)]
    else:
        actions = [path["token_hash"].remove(), path["token_prefix"].remove(), path["token_issued_at"].remove()]
    with TransactWrite(connection=connection()) as transaction:
        if new_token is not None:
            transaction.save(new_token, condition=Token.token_hash.does_not_exist())
        if old_hash:
            transaction.delete(Token(old_hash))
        transaction.update(Application(app.application_id), actions=actions, condition=condition)


def _with_retries(app: Application, channel: str, attempt) -> None:
    for _ in range(_ATTEMPTS):
        try:
            attempt(app)
            return
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            # Someone changed this channel's token, or the settings, between our read and write:
            # read again (the new token then copies the settings as they are now).
            app = applications.get(app.application_id)
    raise ApiError(CONFLICT, "The token or the settings changed concurrently; try again")


def generate(app: Application, channel: str) -> tuple[str, str]:
    """Issue a new token for the channel and revoke the old one. Returns (token, issued_at)."""
    applications.channel_state(app, channel)
    token = opaque_tokens.new_token(TOKEN_PREFIX[channel])
    token_hash = opaque_tokens.digest(token)
    issued_at = clock.now_iso()
    prefix = token[: len(TOKEN_PREFIX[channel]) + VISIBLE_CHARS]

    def attempt(current: Application) -> None:
        record = Token(token_hash, application_id=current.application_id, channel=channel,
                       owner_id=current.owner_id, issued_at=issued_at, settings=sending_settings.snapshot(current))
        _swap(current, channel, token_hash, record, prefix, issued_at)

    _with_retries(app, channel, attempt)
    return token, issued_at


def revoke(app: Application, channel: str) -> None:
    applications.channel_state(app, channel)
    _with_retries(app, channel, lambda current: _swap(current, channel, None, None, None, None))


def authenticate(header: str | None, channel: str) -> ChannelPrincipal:
    """The whole V2 check: one strongly consistent GetItem by the token's hash."""
    token = channel_token(header)
    try:
        record = Token.get(opaque_tokens.digest(token), consistent_read=True)
    except Token.DoesNotExist:
        raise ApiError(TOKEN_INVALID) from None
    if record.channel != channel:
        raise ApiError(TOKEN_INVALID, f"This token is for the {record.channel} channel")
    note_use(record)
    settings = record.settings.as_dict() if record.settings else {}
    return ChannelPrincipal(record.application_id, record.channel, record.owner_id, settings)


def note_use(record: Token) -> None:
    """Note "last used" when the last note is over an hour old (else no call at all). Best effort: a lost
    race or a failure keeps the older time and never fails the request."""
    now = clock.now()
    last = record.last_used_at
    if last and clock.parse_iso(last) > now - LAST_USED_EVERY:
        return
    unchanged = Token.last_used_at == last if last else Token.last_used_at.does_not_exist()
    try:
        Token(record.token_hash).update(actions=[Token.last_used_at.set(clock.iso(now))],
                                        condition=Token.token_hash.exists() & unchanged)
    except Exception:  # noqa: BLE001 - a note, not the request
        logging.getLogger(__name__).debug("last-used note skipped", exc_info=True)


def last_used(app: Application) -> dict[str, str | None]:
    """Each live token's "last used", by channel: one BatchGetItem of the application's tokens."""
    states = app.channels.as_dict() if app.channels else {}
    hashes = {state["token_hash"]: channel for channel, state in states.items() if state.get("token_hash")}
    if not hashes:
        return {}
    return {hashes[t.token_hash]: t.last_used_at
            for t in Token.batch_get(list(hashes), attributes_to_get=["token_hash", "last_used_at"])}
