"""The master key, and the keys derived from it for each purpose (HMAC-SHA256 as the derivation,
as HKDF's expand step does): page cursors, status callbacks' `whsec_` signing secrets and Verify
code hashes. One purpose's key is never another's, but all of them hang on this one secret.

The master key is a keyring: `{"current": kid, "keys": {kid: key, ...}, "rotation": {...}}` in the
stage's secret (`kirim-<stage>-cursor-secret`, output MasterKeySecretArn). A plain string, as
CloudFormation generates it, is the keyring of one key with id LEGACY_KID. Every derived value
records the id of the key it was made with (a value without one was made with LEGACY_KID), so a
rotation (infra/master_key.py, docs/operating.md#the-master-key) makes new values with the new key
while the values made before still check against the old one, until they expire or are moved.

Read from the secret on first use and kept CACHE_SECONDS per container (a key given in the
environment, or the local stage's, is read once); a key id the container does not hold
makes it read the secret again at once (then not again for RELOAD_SECONDS, so forged ids cost
little), so a value made by a container that already has a new key checks everywhere.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any, NamedTuple

from chalicelib.core import clock
from chalicelib.core.config import get_settings

LEGACY_KID = "0"
CACHE_SECONDS = 300
RELOAD_SECONDS = 10


class RetiredKey(LookupError):
    """A value made with a key the keyring no longer holds (or never held)."""


class Keyring(NamedTuple):
    current: str
    keys: dict[str, str]
    rotation: dict[str, Any] | None = None   # {"from": kid, "started_at": iso} while one runs

    def dump(self) -> str:
        body: dict[str, Any] = {"current": self.current, "keys": self.keys}
        if self.rotation:
            body["rotation"] = self.rotation
        return json.dumps(body, sort_keys=True)


def parse(text: str) -> Keyring:
    """A keyring from the secret's text: JSON as `dump` writes it, or a plain string (one key)."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if not text:
            raise ValueError("the master key is empty")
        return Keyring(LEGACY_KID, {LEGACY_KID: text})
    keys, current = body.get("keys"), body.get("current")
    if not isinstance(keys, dict) or current not in keys or not all(isinstance(v, str) and v for v in keys.values()):
        raise ValueError("the master key's keyring has no current key")
    return Keyring(str(current), {str(k): v for k, v in keys.items()}, body.get("rotation") or None)


def _load() -> tuple[Keyring, bool]:
    """(the keyring, whether it comes from the secret: only that one changes while a process runs)."""
    # KIRIM_MASTER_KEY for local runs and tests; CURSOR_SECRET(_ARN) are the names before the
    # rename, still read by this release (changelog).
    text = os.environ.get("KIRIM_MASTER_KEY") or os.environ.get("CURSOR_SECRET")
    if text:
        return parse(text), False
    settings = get_settings()
    if settings.master_key_secret_arn:
        from chalicelib.core import aws

        secret = aws.client("secretsmanager").get_secret_value(SecretId=settings.master_key_secret_arn)
        return parse(secret["SecretString"]), True
    if settings.stage not in ("local", "test"):
        raise RuntimeError("MASTER_KEY_SECRET_ARN (from the stack) or KIRIM_MASTER_KEY must be set outside local")
    return Keyring(LEGACY_KID, {LEGACY_KID: f"kirim-{settings.stage}-cursors"}), False


_cache: dict[str, Any] = {"ring": None, "stored": False, "at": 0.0, "missed_at": None}


def _older_than(moment: float | None, seconds: float) -> bool:
    # A moment ahead of the clock (a test's clock put back) counts as old, never as forever fresh.
    return moment is None or not 0 <= clock.monotonic() - moment < seconds


def ring(max_age: float = CACHE_SECONDS) -> Keyring:
    """The keyring, read again when older than `max_age` seconds."""
    if _cache["ring"] is None or (_cache["stored"] and _older_than(_cache["at"], max_age)):
        _cache["ring"], _cache["stored"] = _load()
        _cache["at"] = clock.monotonic()
    return _cache["ring"]


def clear_cache() -> None:
    """Forget the keyring (tests; an operator's command after it changed the secret)."""
    _cache.update(ring=None, stored=False, at=0.0, missed_at=None)


def current_kid() -> str:
    return ring().current


def key(kid: str) -> bytes:
    """The key `kid`; RetiredKey when the keyring has no such key, even after reading it again."""
    keys = ring().keys
    if kid not in keys and _cache["stored"] and _older_than(_cache["missed_at"], RELOAD_SECONDS):
        _cache["missed_at"] = clock.monotonic()
        keys = ring(max_age=0).keys
    if kid not in keys:
        raise RetiredKey(f"master key {kid!r} is not in the keyring")
    return keys[kid].encode()


def derive(purpose: str, *parts: str, kid: str) -> bytes:
    """A 32-byte key for `purpose` (and, say, an application id and a random seed) from key `kid`."""
    info = "\x1f".join((purpose, *parts)).encode()
    return hmac.new(key(kid), info, hashlib.sha256).digest()
