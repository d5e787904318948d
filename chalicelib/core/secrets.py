"""Provider settings and credentials (Meta's token, app secret and verify token, End User
Messaging identities...): one JSON object in the stage's Secrets Manager secret, which
`make deploy` fills from the operator. Read on first use in a container and cached for
CACHE_SECONDS by Powertools Parameters, so a rotated value reaches warm containers within
minutes, without a call per request. Where no secret is configured (`make run`, tests), the
environment variable of the same name stands in.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from chalicelib.core.config import get_settings

CACHE_SECONDS = 300


class MissingSetting(RuntimeError):
    """A provider the stage selected has no value for a setting it needs."""


@lru_cache(maxsize=1)
def _provider() -> Any:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from botocore.config import Config

    from chalicelib.core.aws import TIMEOUTS

    return SecretsProvider(boto_config=Config(**TIMEOUTS))


def _stored() -> dict[str, Any]:
    arn = get_settings().provider_secret_arn
    if not arn:
        return {}
    values = _provider().get(arn, transform="json", max_age=CACHE_SECONDS)
    return values if isinstance(values, dict) else {}


def provider_setting(name: str, default: str | None = None) -> str | None:
    """A provider setting: the secret's value, else the environment's, else `default`."""
    value = _stored().get(name)
    if value in (None, ""):
        value = os.environ.get(name) or default
    return None if value is None else str(value)


def require(name: str) -> str:
    value = provider_setting(name)
    if not value:
        raise MissingSetting(f"{name} is not configured for stage {get_settings().stage}: "
                             "run `make deploy` with it set (docs/operating.md#secrets)")
    return value


def clear_cache() -> None:
    """Forget cached values (tests; a rotation that cannot wait for CACHE_SECONDS)."""
    if _provider.cache_info().currsize:
        _provider().clear_cache()
