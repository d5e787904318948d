"""Applications: create, list, fetch for their owner only, render, and top up quota."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Iterator

from pynamodb.transactions import TransactWrite

from chalicelib.applications import quota
from chalicelib.applications.models import Application
from chalicelib.core import clock
from chalicelib.core.channels import CHANNELS
from chalicelib.core.config import get_settings
from chalicelib.core.db import connection
from chalicelib.core.errors import bad_parameter, not_found

if TYPE_CHECKING:  # accounts' login machinery stays out of a V2 send's imports
    from chalicelib.accounts.service import Principal

APP_NOT_FOUND = "Application not found"


def create(owner: Principal, name: str, channels: list[str]) -> Application:
    """The application and each channel's quota items, in one transaction."""
    app = Application(str(uuid.uuid4()), owner_id=owner.user_id, name=name, created_at=clock.now_iso(),
                      channels={channel: {} for channel in channels}, owner_email=owner.email)
    with TransactWrite(connection=connection()) as transaction:
        transaction.save(app, condition=Application.application_id.does_not_exist())
        quota.create_items(transaction, app.application_id, channels, get_settings().default_quota)
    return app


def list_owned(owner: Principal, limit: int = 100) -> Iterator[Application]:
    """Newest first, through the by_owner index: one Query per page."""
    return Application.by_owner.query(owner.user_id, scan_index_forward=False, limit=limit)


def _valid_id(application_id: str) -> bool:
    try:
        uuid.UUID(application_id)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def get(application_id: str) -> Application:
    if not _valid_id(application_id):
        raise not_found(APP_NOT_FOUND)
    try:
        return Application.get(application_id, consistent_read=True)
    except Application.DoesNotExist:
        raise not_found(APP_NOT_FOUND) from None


def get_many(application_ids: set[str]) -> dict[str, Application]:
    """Several applications by id, with BatchGetItem (100 keys a call); unknown ids are left out."""
    return {app.application_id: app for app in Application.batch_get([i for i in application_ids if _valid_id(i)])}


def get_owned(owner: Principal, application_id: str) -> Application:
    """404, never 403: another user's application does not exist as far as the caller knows."""
    app = get(application_id)
    if app.owner_id != owner.user_id:
        raise not_found(APP_NOT_FOUND)
    return app


def channel_names(app: Application) -> list[str]:
    """The channels the application was created with."""
    return list(app.channels.as_dict()) if app.channels else []


def channel_state(app: Application, channel: str) -> dict[str, Any]:
    """The stored state of one of the application's channels, or 404 when it has not got it."""
    state = app.channels.as_dict().get(channel) if app.channels else None
    if state is None:
        raise not_found(f"This application has no {channel} channel")
    return state


def render(app: Application, role: str = "owner", *, last_used: dict[str, str | None] | None = None) -> dict[str, Any]:
    """`role`: the caller's in the application (applications.team); `last_used`: each token's "last
    used" by channel (tokens.last_used), read for one application only."""
    states = app.channels.as_dict() if app.channels else {}
    left = quota.balances(app.application_id, [c for c in CHANNELS if c in states])
    channels = []
    for channel in CHANNELS:
        state = states.get(channel)
        if state is None:
            continue
        token = None
        if state.get("token_hash"):
            token = {"prefix": state["token_prefix"], "issued_at": state["token_issued_at"],
                     "last_used_at": (last_used or {}).get(channel)}
        channels.append({
            "channel": channel,
            "status": "Active" if token else "Inactive",
            "quota_remaining": left[channel],
            "token": token,
        })
    return {"application_id": app.application_id, "name": app.name, "created_at": app.created_at,
            "timezone": app.zone(), "channels": channels, "role": role}


def top_up(application_id: str, channel: str, amount: int, top_up_id: str | None = None) -> int:
    """Adds quota atomically (an ADD, safe beside concurrent sends); returns what is left."""
    return top_up_once(application_id, channel, amount, top_up_id)[0]


def top_up_once(application_id: str, channel: str, amount: int, top_up_id: str | None = None) -> tuple[int, bool]:
    """Adds quota and records the top-up, in one transaction; the same `top_up_id` sent again adds
    nothing. Returns (what is left, whether this call added it)."""
    if amount <= 0:
        raise bad_parameter("amount", "amount must be positive")
    top_up_id = top_up_id or str(uuid.uuid4())
    if not top_up_id.replace("-", "").replace("_", "").isalnum() or len(top_up_id) > 64:
        raise bad_parameter("id", "the top-up id is letters, digits, - and _ (at most 64)")
    added = quota.top_up(application_id, channel, amount, top_up_id)
    return quota.balances(application_id, [channel])[channel], added


def set_quota(application_id: str, channel: str, units: int) -> int:
    """An operator's correction: the channel's balance is set to `units`; returns what is left."""
    if units < 0:
        raise bad_parameter("units", "units must not be negative")
    quota.set_balance(application_id, channel, units)
    return quota.balances(application_id, [channel])[channel]


def v1_choice(apps: list[Application], channel: str) -> Application | None:
    """Which of an owner's applications (oldest first) answers V1 calls on `channel`: the one
    picked last for it (settings' v1_default_for), else the oldest that has the channel."""
    candidates = [app for app in apps if channel in channel_names(app)]
    picked = [app for app in candidates if channel in app.v1_picks()]
    if picked:
        return max(picked, key=lambda app: app.v1_picks()[channel])
    return candidates[0] if candidates else None


def oldest_first(owner_id: str) -> list[Application]:
    """The owner's applications, oldest first: one Query of the by_owner index."""
    return list(Application.by_owner.query(owner_id))


def v1_channels(app: Application) -> list[str]:
    """The channels whose V1 calls `app` answers now (`app` as given: the index may lag a write)."""
    apps = [app if other.application_id == app.application_id else other for other in oldest_first(app.owner_id)]
    return [c for c in CHANNELS if c in channel_names(app)
            and (choice := v1_choice(apps, c)) is not None and choice.application_id == app.application_id]


def for_channel(owner: Principal, channel: str, application_id: str | None) -> Application:
    """OCA V1 names no application: X-Application-Id when given (an optional override), else the
    owner's pick for the channel, else the oldest application with it. One Query either way."""
    if application_id:
        app = get_owned(owner, application_id)
        channel_state(app, channel)
        return app
    app = v1_choice(oldest_first(owner.user_id), channel)
    if app is None:
        raise not_found(f"No application of this account has the {channel} channel")
    return app
