"""Every limit is a setting per stage, in one place (core.config.Limits): production keeps its
values, the local stage lets a test suite make a few hundred accounts an hour, and each one can
be set by its variable."""
from __future__ import annotations

from chalicelib.core.config import Limits, limits_for


def test_dev_and_prod_keep_the_production_values():
    production = Limits(registrations_per_hour=10, login_max_failures=5, login_window_seconds=900,
                        default_rate_limit=25, verify_starts_per_hour=5, verify_starts_per_day=10,
                        verify_max_attempts=5)
    assert limits_for("prod", {}) == limits_for("dev", {}) == production


def test_the_local_stage_is_generous_enough_for_a_test_suite():
    local = limits_for("local", {})
    assert local.registrations_per_hour >= 300
    assert local.login_max_failures >= 50
    assert local.verify_starts_per_hour >= 100 and local.verify_starts_per_day >= local.verify_starts_per_hour
    # A test suite's dashboard calls (bench/monitoring.py pages 200 status-filtered pages in seconds).
    assert local.dashboard_requests_per_minute >= 10_000
    assert local.message_searches_per_minute >= 1_000 and local.reports_per_hour >= 1_000
    # The rules themselves stay: the same rate limit and the same number of tries for a code.
    assert local.default_rate_limit == Limits().default_rate_limit
    assert local.verify_max_attempts == Limits().verify_max_attempts


def test_each_limit_is_set_by_its_variable():
    env = {name.upper(): str(n + 1000) for n, name in enumerate(Limits._fields)}
    for stage in ("local", "prod"):
        assert limits_for(stage, env) == Limits(*(n + 1000 for n in range(len(Limits._fields))))
