"""The V1 credential cache: entries live their lifetime on Kirim's clock, then are gone."""
from __future__ import annotations

from chalicelib.accounts.credential_cache import CredentialCache


def test_an_entry_is_served_within_its_lifetime_and_dropped_past_it(frozen_clock):
    cache = CredentialCache(60)
    cache.put("budi@example.com", "right password", "principal")
    frozen_clock.advance(59.9)
    assert cache.get("budi@example.com", "right password") == "principal" and len(cache) == 1
    assert cache.get("budi@example.com", "wrong password") is None
    frozen_clock.advance(0.2)   # 60.1 s after it was put: the expiry runs on Kirim's clock
    assert cache.get("budi@example.com", "right password") is None
    assert len(cache) == 0      # expired and dropped, not merely missed


def test_a_lifetime_of_zero_turns_the_cache_off(frozen_clock):
    cache = CredentialCache(0)
    cache.put("budi@example.com", "right password", "principal")
    assert cache.get("budi@example.com", "right password") is None and len(cache) == 0
