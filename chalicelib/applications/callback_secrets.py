"""Status callbacks' signing secrets, in the Standard Webhooks format (`whsec_` + base64 of the
key). Shown once: when a callback URL is first set, and on rotation.

The applications table holds only a random seed per key and the id of the master key (`kid`,
core.stack_keys) it hangs on; the secret is HMAC-SHA256(that master key, application id and
seed), so a copy of the table (a backup, an export, a stolen read) gives no signing secret. After
a rotation the previous key stays valid for OVERLAP_SECONDS: deliveries carry both signatures
meanwhile, so the receiver can switch without losing one.

A master key rotation must not change any secret (receivers hold them), so `move_to_current`
keeps the secret and hangs it on the current master key instead: it stores the secret XORed
with a pad derived from the current master key, the application id and the seed (`wrapped`).
The pad is a PRF output used for this one secret only, so the table alone still reveals nothing.
"""
from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

from chalicelib.applications.models import Application
from chalicelib.core import clock, stack_keys
from chalicelib.core.db import CONFLICT_ATTEMPTS, backoff, plain, update_if
from chalicelib.core.errors import CONFLICT, ApiError

PREFIX = "whsec_"
OVERLAP_SECONDS = 24 * 3600
_PURPOSE, _WRAP = "callback-signing", "callback-wrap"


def _kid(key: dict[str, Any]) -> str:
    return key.get("kid") or stack_keys.LEGACY_KID


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def _raw(application_id: str, key: dict[str, Any]) -> bytes:
    if key.get("wrapped"):
        pad = stack_keys.derive(_WRAP, application_id, key["seed"], kid=_kid(key))
        return _xor(base64.b64decode(key["wrapped"]), pad)
    return stack_keys.derive(_PURPOSE, application_id, key["seed"], kid=_kid(key))


def _secret(application_id: str, key: dict[str, Any]) -> str:
    return PREFIX + base64.b64encode(_raw(application_id, key)).decode()


def _keys(app: Application) -> list[dict[str, Any]]:
    return [plain(key) for key in (app.callback_keys or [])]


def new_key() -> dict[str, Any]:
    return {"seed": secrets.token_urlsafe(24), "created_at": clock.now_iso(), "kid": stack_keys.current_kid()}


def first_key(app: Application) -> tuple[list[Any], str | None]:
    """(update actions, the new secret) when the application has no key yet, else ([], None)."""
    if _keys(app):
        return [], None
    key = new_key()
    app.callback_keys = [key]
    return [Application.callback_keys.set([key])], _secret(app.application_id, key)


def active(app: Application) -> list[str]:
    """The secrets deliveries are signed with now: the current one, then a rotated one that is
    still inside its overlap."""
    now = clock.now_iso()
    return [_secret(app.application_id, key) for key in _keys(app)
            if not key.get("expires_at") or key["expires_at"] > now]


def rotate(app: Application) -> dict[str, Any]:
    """A new current secret; the current one is kept for OVERLAP_SECONDS (an older one, still in
    an earlier overlap, ends now). On condition nobody rotated meanwhile (409 otherwise)."""
    keys = _keys(app)
    current = keys[0] if keys else None
    key = new_key()
    expires = clock.iso(clock.now() + timedelta(seconds=OVERLAP_SECONDS))
    stored = [key] + ([{**current, "expires_at": expires}] if current else [])
    condition = _is_current(current) if current else Application.callback_keys.does_not_exist()
    if not update_if(Application(app.application_id), [Application.callback_keys.set(stored)],
                     condition & (Application.owner_id == app.owner_id), mark=Application.write_id):
        raise ApiError(CONFLICT, "The callback secret was rotated meanwhile; try again")
    app.callback_keys = stored
    return {"callback_secret": _secret(app.application_id, key), "created_at": key["created_at"],
            "previous_secret_expires_at": expires if current else None}


def _is_current(key: dict[str, Any]) -> Any:
    """The stored current key is still `key`, under the same master key (a master key rotation
    may have moved it meanwhile: writing back the copy read before would undo that)."""
    first = Application.callback_keys[0]
    same_kid = first["kid"] == key["kid"] if key.get("kid") else first["kid"].does_not_exist()
    return (first["seed"] == key["seed"]) & same_kid


def _moved(application_id: str, key: dict[str, Any], kid: str) -> dict[str, Any]:
    if _kid(key) == kid:
        return key
    pad = stack_keys.derive(_WRAP, application_id, key["seed"], kid=kid)
    return {**key, "kid": kid, "wrapped": base64.b64encode(_xor(_raw(application_id, key), pad)).decode()}


def move_to_current(application_id: str) -> bool:
    """Hang every live key of the application on the current master key, each secret unchanged,
    and drop keys whose overlap ended. True when it wrote. Safe to run again and to resend: the
    write is conditional on the keys read, and a second run finds nothing to move."""
    kid = stack_keys.current_kid()
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            app = Application.get(application_id, consistent_read=True)
        except Application.DoesNotExist:
            return False
        keys, now = _keys(app), clock.now_iso()
        moved = [_moved(application_id, key, kid) for key in keys if not key.get("expires_at") or key["expires_at"] > now]
        if moved == keys:
            return False
        action = Application.callback_keys.set(moved) if moved else Application.callback_keys.remove()
        if update_if(Application(application_id), [action], Application.callback_keys == keys):
            return True
        backoff(attempt)  # the owner rotated (or a resent write landed): read again
    raise RuntimeError(f"the callback keys of {application_id} kept changing; run the command again")


def move_everyone_to_current() -> tuple[int, int]:
    """move_to_current for every application: (applications seen, applications written). Walks
    accounts with Query (users `by_kind`, then each owner's `by_owner`), never Scan."""
    from chalicelib.accounts.models import User

    seen = written = 0
    for user in User.by_kind.query("user"):
        for app in Application.by_owner.query(user.user_id):
            seen += 1
            written += move_to_current(app.application_id)
    return seen, written


def describe(app: Application) -> dict[str, Any]:
    """What the settings show of the keys (never a secret)."""
    keys = _keys(app)
    now = clock.now_iso()
    previous = [k for k in keys[1:] if k.get("expires_at") and k["expires_at"] > now]
    return {"callback_secret_set": bool(keys), "callback_secret_created_at": keys[0]["created_at"] if keys else None,
            "previous_secret_expires_at": previous[0]["expires_at"] if previous else None}
