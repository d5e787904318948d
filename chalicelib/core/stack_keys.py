"""The stack's secret, and keys derived from it for each purpose (HMAC-SHA256 as the derivation,
as HKDF's expand step does), so that one secret serves page cursors, callback signing secrets and
verification-code hashes without one purpose's key ever being another's."""
from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from chalicelib.core.config import get_settings


@lru_cache(maxsize=1)
def master() -> bytes:
    """CURSOR_SECRET if set, else the stack's Secrets Manager secret (read once per container),
    else a key derived from the stage, which is only fit for local use."""
    if os.environ.get("CURSOR_SECRET"):
        return os.environ["CURSOR_SECRET"].encode()
    settings = get_settings()
    if settings.cursor_secret_arn:
        from chalicelib.core import aws

        secret = aws.client("secretsmanager").get_secret_value(SecretId=settings.cursor_secret_arn)
        return secret["SecretString"].encode()
    if settings.stage not in ("local", "test"):
        raise RuntimeError("CURSOR_SECRET_ARN (from the stack) or CURSOR_SECRET must be set outside local")
    return f"kirim-{settings.stage}-cursors".encode()


def derive(purpose: str, *parts: str) -> bytes:
    """A 32-byte key for `purpose` (and, say, an application id and a random seed)."""
    info = "\x1f".join((purpose, *parts)).encode()
    return hmac.new(master(), info, hashlib.sha256).digest()
