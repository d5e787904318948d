"""Kirim's CloudWatch metrics, as Embedded Metric Format log lines (Powertools Metrics): the
names, units and dimensions live here, so every call site is one line. Each call writes one
EMF line at once (`single_metric`): nothing to flush at the end of a handler, nothing lost when
a handler raises. The alarms in infra/template.yaml read ProviderErrors and ProviderCalls by
these exact dimensions.

POWERTOOLS_METRICS_DISABLED=true (the local stage, tests) turns them off.
"""
from __future__ import annotations

from chalicelib.core.config import get_settings

NAMESPACE = "Kirim"

MESSAGES_SENT = "MessagesSent"            # {stage, channel}: messages accepted by a send
PROVIDER_CALLS = "ProviderCalls"          # {stage, provider}: every send handed to a provider
PROVIDER_ERRORS = "ProviderErrors"        # {stage, provider}: the provider could not take it (retried)
PROVIDER_REJECTIONS = "ProviderRejections"  # {stage, provider}: refused for good (the message's fault)
STATUS_EVENTS = "StatusEvents"            # {stage, channel, status}: status changes applied
REPORT_DURATION = "ReportDuration"        # {stage, format}: seconds to build one report
THROTTLES = "Throttles"                   # {stage, kind}: requests answered 429 (rate_limit, login)


def _emit(name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    if is_metrics_disabled():
        return
    with single_metric(name=name, unit=MetricUnit[unit], value=value, namespace=NAMESPACE,
                       default_dimensions={"stage": get_settings().stage, **dimensions}):
        pass


def sent(channel: str) -> None:
    _emit(MESSAGES_SENT, 1, channel=channel)


def provider_call(provider: str) -> None:
    _emit(PROVIDER_CALLS, 1, provider=provider)


def provider_error(provider: str) -> None:
    _emit(PROVIDER_ERRORS, 1, provider=provider)


def provider_rejection(provider: str) -> None:
    _emit(PROVIDER_REJECTIONS, 1, provider=provider)


def status_event(channel: str, status: str) -> None:
    _emit(STATUS_EVENTS, 1, channel=channel, status=status)


def report_duration(report_format: str, seconds: float) -> None:
    _emit(REPORT_DURATION, round(seconds, 3), "Seconds", format=report_format)


def throttled(kind: str) -> None:
    _emit(THROTTLES, 1, kind=kind)
