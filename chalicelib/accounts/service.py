"""Accounts: register, log in and out, and resolve sessions and Basic credentials to a user."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import PutError

from chalicelib.accounts import login_throttle, passwords
from chalicelib.accounts.credential_cache import CredentialCache
from chalicelib.accounts.models import Session, User
from chalicelib.core import clock, opaque_tokens
from chalicelib.core.config import get_settings
from chalicelib.core.errors import CONFLICT, INVALID_CREDENTIALS, TOKEN_INVALID, ApiError, bad_parameter

SESSION_PREFIX = "kirim_sess_"
MIN_PASSWORD, MAX_PASSWORD = 10, 256


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str


def register(email: str, password: str, name: str) -> User:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise bad_parameter("password", f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters",
                            "password_length", min=MIN_PASSWORD, max=MAX_PASSWORD)
    user = User(email, user_id=str(uuid.uuid4()), name=name,
                password_hash=passwords.hash_password(password), created_at=clock.now_iso())
    try:
        user.save(condition=User.email.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise ApiError(CONFLICT, "An account with this email already exists", field="email",
                           reason="email_taken") from None
        raise
    return user


def _verify(email: str, password: str, source: str) -> User:
    """Check a password under the login throttle; the same 401 for a wrong email or password.
    The attempt is reserved before the (slow) check, so parallel guesses are counted too; a right
    password gives it back (accounts.login_throttle)."""
    reservation = login_throttle.reserve(email, source)
    right = False
    try:
        try:
            user = User.get(email)
        except User.DoesNotExist:
            passwords.verify_password(password, passwords.dummy_hash())
            user = None
        right = user is not None and passwords.verify_password(password, user.password_hash)
    finally:
        # Resolved whatever happened, so requests waiting on this attempt stop waiting.
        (login_throttle.succeeded if right else login_throttle.failed)(reservation)
    if not right:
        raise ApiError(INVALID_CREDENTIALS)
    return user


def login(email: str, password: str, source: str, code: str | None = None) -> tuple[str, str]:
    """Returns (session token, expires_at). Only the token's SHA-256 is stored. An account with
    two-factor sign-in also needs `code` (accounts.two_factor): without it, a 401 naming `code`."""
    user = _verify(email, password, source)
    if user.totp is not None:
        from chalicelib.accounts import two_factor

        two_factor.check(user, code, source)
    ttl = get_settings().session_ttl_seconds
    expires = clock.now() + timedelta(seconds=ttl)
    token = opaque_tokens.new_token(SESSION_PREFIX)
    Session(opaque_tokens.digest(token), user_id=user.user_id, email=user.email,
            expires_at=clock.iso(expires), expires_ttl=int(expires.timestamp())).save()
    return token, clock.iso(expires)


def get_user(email: str) -> User:
    try:
        return User.get(email)
    except User.DoesNotExist:
        raise ApiError(TOKEN_INVALID, "Session is not valid") from None


def logout(token: str) -> None:
    Session(opaque_tokens.digest(token)).delete()


def session_principal(token: str) -> Principal:
    """One consistent GetItem. TTL deletes lazily, so expiry is checked here too."""
    try:
        session = Session.get(opaque_tokens.digest(token), consistent_read=True)
    except Session.DoesNotExist:
        raise ApiError(TOKEN_INVALID, "Session is not valid") from None
    if session.expires_ttl <= clock.epoch():
        raise ApiError(TOKEN_INVALID, "Session has expired")
    return Principal(session.user_id, session.email)


_basic_cache: CredentialCache | None = None


def _credential_cache() -> CredentialCache:
    global _basic_cache
    if _basic_cache is None:
        _basic_cache = CredentialCache(get_settings().basic_auth_cache_seconds)
    return _basic_cache


def basic_principal(email: str, password: str, source: str) -> Principal:
    """V1 Basic auth. A verified credential is remembered briefly (see CredentialCache), so a
    client sending the same credential many times a second pays the KDF once a minute."""
    cached = _credential_cache().get(email, password)
    if cached is not None:
        return cached
    user = _verify(email, password, source)
    principal = Principal(user.user_id, user.email)
    _credential_cache().put(email, password, principal)
    return principal


def forget_cached_credentials() -> None:
    _credential_cache().clear()
