"""Renaming and deleting an application.

A delete is typed: the owner sends the application's name. One transaction deletes the
application item and every channel's token item, on condition no token changed since the read, so
its keys stop working the moment it is gone (a V2 send reads the token item; V1 finds the owner's
applications through `by_owner`, where it is gone too). Its email senders are released first, so
another application may claim them.

What stays: its messages, counters and quota items are left as they are, reachable by nobody (every
route reads the application item first and answers 404). The messages are kept for the record of
what was sent; the quota left is forfeit (an operator can see it in the table). Nothing is deleted
with a Scan or a Query of the messages.
"""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications import email_identities
from chalicelib.applications import service as applications
from chalicelib.applications.models import Application, Member, Token, member_key
from chalicelib.core import validation
from chalicelib.core.db import connection, update_if
from chalicelib.core.errors import CONFLICT, ApiError, bad_parameter, not_found

NAME_MAX = 100
_ATTEMPTS = 3


def rename(app: Application, body: dict[str, Any]) -> Application:
    name = validation.string(body, "name", max_len=NAME_MAX).strip()
    if not name:
        raise bad_parameter("name", "name is required")
    if not update_if(app, [Application.name.set(name)], Application.owner_id == app.owner_id):
        raise not_found(applications.APP_NOT_FOUND)
    app.name = name
    return app


def delete(app: Application, body: dict[str, Any]) -> None:
    """`confirm_name` must be the application's name, exactly."""
    typed = body.get("confirm_name")
    if not isinstance(typed, str) or typed != app.name:
        raise bad_parameter("confirm_name", "confirm_name must be the application's name, exactly")
    for identity in sorted(app.email_identities or ()):
        email_identities.remove(app, identity)
    for _ in range(_ATTEMPTS):
        states = app.channels.as_dict() if app.channels else {}
        hashes = {channel: state.get("token_hash") for channel, state in states.items()}
        condition = Application.owner_id == app.owner_id
        for channel, token_hash in hashes.items():
            path = Application.channels[channel]["token_hash"]
            condition &= (path == token_hash) if token_hash else path.does_not_exist()
        try:
            with TransactWrite(connection=connection()) as transaction:
                for token_hash in filter(None, hashes.values()):
                    transaction.delete(Token(token_hash))
                # Its members' index items (applications.team); one left by a concurrent change is
                # harmless: a shared application that is gone is skipped.
                for user_id in (app.members.as_dict() if app.members else {}):
                    transaction.delete(Member(member_key(user_id, app.application_id)))
                transaction.delete(Application(app.application_id), condition=condition)
            return
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            app = applications.get(app.application_id)  # a key changed meanwhile: read again
    raise ApiError(CONFLICT, "The application's keys changed while deleting it; try again")
