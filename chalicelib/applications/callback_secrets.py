"""Status callbacks' signing secrets, in the Standard Webhooks format (`whsec_` + base64 of the
key). Shown once: when a callback URL is first set, and on rotation.

The applications table holds only a random seed per key; the secret is HMAC-SHA256(the stack's
secret, application id and seed) (core.stack_keys), so a copy of the table (a backup, an
export, a stolen read) gives no signing secret. After a rotation the previous key stays valid
for OVERLAP_SECONDS: deliveries carry both signatures meanwhile, so the receiver can switch
without losing one.
"""
from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

from chalicelib.applications.models import Application
from chalicelib.core import clock, stack_keys
from chalicelib.core.db import plain, update_if
from chalicelib.core.errors import CONFLICT, ApiError

PREFIX = "whsec_"
OVERLAP_SECONDS = 24 * 3600
_PURPOSE = "callback-signing"


def _secret(application_id: str, seed: str) -> str:
    return PREFIX + base64.b64encode(stack_keys.derive(_PURPOSE, application_id, seed)).decode()


def _keys(app: Application) -> list[dict[str, Any]]:
    return [plain(key) for key in (app.callback_keys or [])]


def new_key() -> dict[str, Any]:
    return {"seed": secrets.token_urlsafe(24), "created_at": clock.now_iso()}


def first_key(app: Application) -> tuple[list[Any], str | None]:
    """(update actions, the new secret) when the application has no key yet, else ([], None)."""
    if _keys(app):
        return [], None
    key = new_key()
    app.callback_keys = [key]
    return [Application.callback_keys.set([key])], _secret(app.application_id, key["seed"])


def active(app: Application) -> list[str]:
    """The secrets deliveries are signed with now: the current one, then a rotated one that is
    still inside its overlap."""
    now = clock.now_iso()
    return [_secret(app.application_id, key["seed"]) for key in _keys(app)
            if not key.get("expires_at") or key["expires_at"] > now]


def rotate(app: Application) -> dict[str, Any]:
    """A new current secret; the current one is kept for OVERLAP_SECONDS (an older one, still in
    an earlier overlap, ends now). On condition nobody rotated meanwhile (409 otherwise)."""
    keys = _keys(app)
    current = keys[0] if keys else None
    key = new_key()
    expires = clock.iso(clock.now() + timedelta(seconds=OVERLAP_SECONDS))
    stored = [key] + ([{**current, "expires_at": expires}] if current else [])
    condition = (Application.callback_keys[0]["seed"] == current["seed"] if current
                 else Application.callback_keys.does_not_exist())
    if not update_if(Application(app.application_id), [Application.callback_keys.set(stored)],
                     condition & (Application.owner_id == app.owner_id), mark=Application.write_id):
        raise ApiError(CONFLICT, "The callback secret was rotated meanwhile; try again")
    app.callback_keys = stored
    return {"callback_secret": _secret(app.application_id, key["seed"]), "created_at": key["created_at"],
            "previous_secret_expires_at": expires if current else None}


def describe(app: Application) -> dict[str, Any]:
    """What the settings show of the keys (never a secret)."""
    keys = _keys(app)
    now = clock.now_iso()
    previous = [k for k in keys[1:] if k.get("expires_at") and k["expires_at"] > now]
    return {"callback_secret_set": bool(keys), "callback_secret_created_at": keys[0]["created_at"] if keys else None,
            "previous_secret_expires_at": previous[0]["expires_at"] if previous else None}
