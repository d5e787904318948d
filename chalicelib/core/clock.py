"""The only reader of time. Everything asks here, so a test freezes or moves time in one place
(`clock.use(...)`), and the API writes every time one way: UTC ISO 8601 with a trailing Z."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

# OCA's customers are in Indonesia: an application's zone until its owner picks another.
DEFAULT_TIMEZONE = "Asia/Jakarta"


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


_now: Callable[[], datetime] = _system_now
_monotonic: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep


def now() -> datetime:
    return _now()


def epoch() -> float:
    return now().timestamp()


def monotonic() -> float:
    """For durations and cache lifetimes; frozen and moved with the rest in tests."""
    return _monotonic()


def sleep(seconds: float) -> None:
    """Waits between retries; a test's clock moves instead of waiting."""
    _sleep(seconds)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(now())


def parse_iso(value: str) -> datetime:
    """An ISO 8601 time as the API writes it (a trailing Z is UTC)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def use(source: Callable[[], datetime] | None) -> None:
    """Tests: read time from `source` (None restores the system clock). Monotonic time follows it,
    and a sleep moves it when the source can `advance(seconds)`."""
    global _now, _monotonic, _sleep
    if source is None:
        _now, _monotonic, _sleep = _system_now, time.monotonic, time.sleep
    else:
        _now = source
        _monotonic = lambda: source().timestamp()  # noqa: E731 - the frozen source, in seconds
        _sleep = getattr(source, "advance", time.sleep)
