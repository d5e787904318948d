"""Two-factor sign-in for the console: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of
clock drift either way) and 10 single-use recovery codes.

The secret is stored wrapped like the callback signing secrets: XOR with a pad derived from the master key
(core.stack_keys), the account and a random nonce, so a copy of the users table alone gives no secret.
Recovery codes are stored as SHA-256 hashes (50 random bits each, and every guess is throttled). Code
guesses go through the login throttle, on counters of their own. A code's time step is spent when used:
the same code never signs in twice.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from typing import Any
from urllib.parse import quote

from chalicelib.accounts import login_throttle
from chalicelib.accounts.models import User
from chalicelib.core import clock, stack_keys
from chalicelib.core.db import plain, update_if
from chalicelib.core.errors import CONFLICT, INVALID_CREDENTIALS, ApiError, bad_parameter

DIGITS, STEP_SECONDS, DRIFT_STEPS = 6, 30, 1
ISSUER = "Kirim"
RECOVERY_CODES = 10
_WRAP = "totp-wrap"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # no 0/o, 1/l/i: read from paper
CODE_NEEDED = "Enter the code from your authenticator app"
CODE_WRONG = "The code is not right. Enter the current code, or a recovery code"


def code_at(secret: bytes, step: int) -> str:
    """RFC 4226's HOTP value for `step` (RFC 6238: step = unix time // 30)."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** DIGITS).zfill(DIGITS)


def _pad(user_id: str, nonce: str, kid: str, size: int) -> bytes:
    return stack_keys.derive(_WRAP, user_id, nonce, kid=kid)[:size]


def _wrap(user_id: str, secret: bytes) -> dict[str, str]:
    nonce, kid = secrets.token_urlsafe(12), stack_keys.current_kid()
    wrapped = bytes(a ^ b for a, b in zip(secret, _pad(user_id, nonce, kid, len(secret)), strict=True))
    return {"kid": kid, "nonce": nonce, "wrapped": base64.b64encode(wrapped).decode()}


def _unwrap(user_id: str, stored: Any) -> bytes:
    item = plain(stored)
    wrapped = base64.b64decode(item["wrapped"])
    return bytes(a ^ b for a, b in zip(wrapped, _pad(user_id, item["nonce"], item["kid"], len(wrapped)), strict=True))


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(ch for ch in str(code).lower() if ch.isalnum())


def enabled(user: User) -> bool:
    return user.totp is not None


def status(user: User) -> dict[str, Any]:
    return {"enabled": enabled(user), "recovery_codes_left": len(user.recovery_hashes or ()) if enabled(user) else 0}


def setup(user: User) -> dict[str, str]:
    """A new secret to put in an authenticator app (shown this once); it counts once a code confirms it."""
    if enabled(user):
        raise ApiError(CONFLICT, "Two-factor sign-in is on already; turn it off first", reason="two_factor_on")
    secret = secrets.token_bytes(20)
    user.update(actions=[User.totp_pending.set(_wrap(user.user_id, secret))])
    text = base64.b32encode(secret).decode().rstrip("=")
    uri = (f"otpauth://totp/{quote(ISSUER)}:{quote(user.email)}?secret={text}&issuer={quote(ISSUER)}"
           f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}")
    return {"secret": text, "otpauth_uri": uri, "qr_svg": qr_data_uri(uri)}


def qr_data_uri(uri: str) -> str:
    """The URI as a QR code, an SVG data: URI (an <img> shows it; the page's CSP allows data: images).
    Medium error correction: a phone still reads it off a dim or scratched screen."""
    import segno  # only this route draws one

    return segno.make(uri, error="m").svg_data_uri(scale=4, border=4, dark="#0f172a")


def _matching_step(secret: bytes, code: str, after: int | None) -> int | None:
    """The time step whose code `code` is, within the drift allowed, and later than `after`."""
    now = int(clock.epoch()) // STEP_SECONDS
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def _throttled(user: User, source: str, check: Any) -> bool:
    """`check()` under the login throttle's counters for codes of this account."""
    reservation = login_throttle.reserve("2fa#" + user.email, source)
    right = False
    try:
        right = bool(check())
    finally:
        (login_throttle.succeeded if right else login_throttle.failed)(reservation)
    return right


def enable(user: User, code: str, source: str) -> list[str]:
    """Turn it on with a code from the app just set up; answers the recovery codes (shown this once)."""
    if enabled(user):
        raise ApiError(CONFLICT, "Two-factor sign-in is on already; turn it off first", reason="two_factor_on")
    if user.totp_pending is None:
        raise ApiError(CONFLICT, "Start the setup first", reason="two_factor_setup_first")
    secret = _unwrap(user.user_id, user.totp_pending)
    code = _normal(code)
    step: list[int] = []

    def right() -> bool:
        found = _matching_step(secret, code, None)
        step.extend([] if found is None else [found])
        return found is not None

    # 406, not 401: the session is fine, the code is not (a 401 would end the console's session).
    if not _throttled(user, source, right):
        raise bad_parameter("code", CODE_WRONG, "code_wrong")
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    if not update_if(user, [User.totp.set(plain(user.totp_pending)), User.totp_pending.remove(),
                            User.totp_step.set(step[0]),
                            User.recovery_hashes.set({_recovery_hash(c) for c in codes})],
                     User.totp.does_not_exist(), "this account"):
        raise ApiError(CONFLICT, "Two-factor sign-in is on already; turn it off first", reason="two_factor_on")
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def check(user: User, code: str | None, source: str) -> None:
    """A sign-in's second step: the current code or an unused recovery code, else 401 naming `code`."""
    if not code:
        raise ApiError(INVALID_CREDENTIALS, CODE_NEEDED, field="code", reason="code_needed")
    code = _normal(code)

    def right() -> bool:
        if len(code) == DIGITS and code.isdigit():
            step = _matching_step(_unwrap(user.user_id, user.totp), code, int(user.totp_step or 0) or None)
            # Spent once: a second use of the same code (or an older one) is refused.
            return step is not None and update_if(
                user, [User.totp_step.set(step)], User.totp_step.does_not_exist() | (User.totp_step < step),
                "this account")
        digest = _recovery_hash(code)
        return digest in (user.recovery_hashes or ()) and update_if(
            user, [User.recovery_hashes.delete({digest})], User.recovery_hashes.contains(digest), "this account")

    if not _throttled(user, source, right):
        raise ApiError(INVALID_CREDENTIALS, CODE_WRONG, field="code", reason="code_wrong")


def disable(user: User, code: str | None, source: str) -> None:
    """Turn it off, with a current code or a recovery code."""
    if not enabled(user):
        raise ApiError(CONFLICT, "Two-factor sign-in is off", reason="two_factor_off")
    try:
        check(user, code, source)
    except ApiError as error:
        if error.status == 401:   # signed in: a wrong code is bad input, not an ended session
            raise bad_parameter("code", error.message, error.reason) from None
        raise
    update_if(user, [User.totp.remove(), User.totp_step.remove(), User.recovery_hashes.remove()], None, "this account")
