"""Environment variables -> one typed, immutable settings object.

Resource names default to what `infra/template.yaml` creates for the stage
(`kirim-<stage>-<x>`), and the deploy script writes the stack outputs into
the same variables, so either source gives the same answer.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple


def _name(env: str, stage: str, suffix: str) -> str:
    return os.environ.get(env) or f"kirim-{stage}-{suffix}"


class Limits(NamedTuple):
    """Every budget that guards the service, each overridable by its variable (the field's name in
    capitals). Production's values are the defaults; a stage may set its own below."""
    registrations_per_hour: int = 10      # per source address, successes and "already exists" alike
    login_max_failures: int = 5           # free password checks per email and address per window
    login_window_seconds: int = 15 * 60   # (4x that per address, and per account from new addresses)
    default_rate_limit: int = 25          # requests per second of an application without its own
    verify_starts_per_hour: int = 5       # per recipient and application
    verify_starts_per_day: int = 10
    verify_max_attempts: int = 5          # wrong codes before a verification is canceled
    # Per account on the dashboard API (accounts.dashboard_limits); each request counts in one of them.
    dashboard_requests_per_minute: int = 300
    message_searches_per_minute: int = 30  # message lists filtered by status: up to 400 Queries each
    reports_per_hour: int = 30             # new reports: each reads every message of its range
    # Meta's messaging limit tier of a WhatsApp number: unique recipients per 24 h (broadcasts wait
    # with reason tier_limit past it). 0 = unlimited (the local stage: the simulator has no tier).
    whatsapp_tier_limit: int = 1000


# The local stage is a twin people run their own integration tests against (many accounts, many
# logins, from one machine); it keeps the rules, with budgets a test suite does not exhaust.
STAGE_LIMITS: dict[str, Limits] = {
    "local": Limits(registrations_per_hour=500, login_max_failures=50, verify_starts_per_hour=100,
                    verify_starts_per_day=500, dashboard_requests_per_minute=100_000,
                    message_searches_per_minute=10_000, reports_per_hour=10_000, whatsapp_tier_limit=0),
}


def limits_for(stage: str, env: Mapping[str, str]) -> Limits:
    defaults = STAGE_LIMITS.get(stage, Limits())
    return Limits(*(int(env.get(name.upper(), value)) for name, value in zip(Limits._fields, defaults)))


class Settings(NamedTuple):
    """Immutable, as a frozen dataclass would be, and cheaper to define at every cold start (a
    dataclass compiles its generated methods there). Tests change one with `_replace`."""
    stage: str
    region: str
    users_table: str
    sessions_table: str
    applications_table: str
    tokens_table: str
    limits_table: str
    messages_table: str
    idempotency_table: str
    counters_table: str
    ivr_table: str
    templates_table: str
    reports_table: str
    dispatch_queue_name: str
    simulator_queue_name: str
    email_configuration_set: str
    sms_configuration_set: str
    providers: dict[str, str]
    owner_manages_limits: bool
    master_key_secret_arn: str
    provider_secret_arn: str
    report_queue_name: str
    report_bucket: str
    report_slice_seconds: int
    report_part_bytes: int
    provider_events_topic_arn: str
    messages_stream_arn: str
    default_quota: int
    session_ttl_seconds: int
    max_body_bytes: int
    basic_auth_cache_seconds: int
    callbacks_table: str
    verifications_table: str
    simulator_inbox_table: str
    callback_queue_name: str
    callback_dlq_name: str
    callback_ports: frozenset[int]
    verify_sender_email: str
    broadcasts_table: str
    broadcast_queue_name: str
    unit_price: int
    limits: Limits


CHANNEL_WORDS = ("whatsapp", "sms", "sms_otp", "ivr", "email")


def providers_from(env: Mapping[str, str]) -> dict[str, str]:
    """Which provider serves each channel: PROVIDERS sets all, PROVIDER_<CHANNEL> one.
    (infra/deploy.py asks the same of a stage's configured variables.)"""
    default = env.get("PROVIDERS", "simulator")
    return {c: env.get(f"PROVIDER_{c.upper()}", default) for c in CHANNEL_WORDS}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = os.environ.get("KIRIM_STAGE", "local")
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    return Settings(
        stage=stage,
        region=region,
        users_table=_name("USERS_TABLE", stage, "users"),
        sessions_table=_name("SESSIONS_TABLE", stage, "sessions"),
        applications_table=_name("APPLICATIONS_TABLE", stage, "applications"),
        tokens_table=_name("TOKENS_TABLE", stage, "tokens"),
        limits_table=_name("LIMITS_TABLE", stage, "limits"),
        messages_table=_name("MESSAGES_TABLE", stage, "messages"),
        idempotency_table=_name("IDEMPOTENCY_TABLE", stage, "idempotency"),
        counters_table=_name("COUNTERS_TABLE", stage, "counters"),
        ivr_table=_name("IVR_TABLE", stage, "ivr"),
        templates_table=_name("TEMPLATES_TABLE", stage, "templates"),
        reports_table=_name("REPORTS_TABLE", stage, "reports"),
        dispatch_queue_name=_name("DISPATCH_QUEUE_NAME", stage, "dispatch"),
        simulator_queue_name=_name("SIMULATOR_QUEUE_NAME", stage, "simulator"),
        email_configuration_set=_name("EMAIL_CONFIGURATION_SET", stage, "email"),
        sms_configuration_set=_name("SMS_CONFIGURATION_SET", stage, "sms"),
        providers=providers_from(os.environ),
        # In a shared deployment the operator sells throughput and sender names: then only the
        # admin CLI may change rate_limit and sender_ids.
        owner_manages_limits=os.environ.get("OWNER_MANAGES_LIMITS", "true").lower() == "true",
        # The master key (core.stack_keys); CURSOR_SECRET_ARN is its name before the rename.
        master_key_secret_arn=os.environ.get("MASTER_KEY_SECRET_ARN") or os.environ.get("CURSOR_SECRET_ARN", ""),
        provider_secret_arn=os.environ.get("PROVIDER_SECRET_ARN", ""),
        report_queue_name=_name("REPORT_QUEUE_NAME", stage, "reports"),
        report_bucket=os.environ.get("REPORT_BUCKET", ""),
        # A report job works in slices of this many seconds (then queues its next slice), and
        # uploads (and checkpoints) every this many bytes; S3 wants parts of 5 MiB or more.
        report_slice_seconds=int(os.environ.get("REPORT_SLICE_SECONDS", "600")),
        report_part_bytes=int(os.environ.get("REPORT_PART_BYTES", str(8 << 20))),
        provider_events_topic_arn=os.environ.get("PROVIDER_EVENTS_TOPIC_ARN", ""),
        # The stack's output; Chalice needs an ARN to declare the stream consumer even where
        # none exists yet (unit tests import the app before any stack), hence the placeholder.
        messages_stream_arn=os.environ.get("MESSAGES_STREAM_ARN") or (
            f"arn:aws:dynamodb:{region}:000000000000:table/kirim-{stage}-messages/stream/unknown"),
        # Prod starts every application at 0: quota is bought, never assumed.
        default_quota=int(os.environ.get("DEFAULT_QUOTA", "0" if stage == "prod" else "1000")),
        session_ttl_seconds=int(os.environ.get("SESSION_TTL_SECONDS", str(12 * 3600))),
        # API Gateway's own limit is 10 MB; OCA emails with attachments fit well inside 6 MB.
        max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", str(6 * 1024 * 1024))),
        basic_auth_cache_seconds=int(os.environ.get("BASIC_AUTH_CACHE_SECONDS", "60")),
        callbacks_table=_name("CALLBACKS_TABLE", stage, "callbacks"),
        verifications_table=_name("VERIFICATIONS_TABLE", stage, "verifications"),
        # Exists in the local stage only (infra/template.yaml): the simulator's test inbox.
        simulator_inbox_table=_name("SIMULATOR_INBOX_TABLE", stage, "simulator-inbox"),
        callback_queue_name=_name("CALLBACK_QUEUE_NAME", stage, "callbacks.fifo"),
        callback_dlq_name=_name("CALLBACK_DLQ_NAME", stage, "callbacks-dlq.fifo"),
        # Ports a callback URL may name besides 443 (outside the local stage).
        callback_ports=frozenset({443, *(int(p) for p in os.environ.get("CALLBACK_PORTS", "").split(",") if p.strip())}),
        # The Verify API's email sender when the start request names none (an SES-verified identity).
        verify_sender_email=os.environ.get("VERIFY_SENDER_EMAIL", "noreply@kirim.dev"),
        # Broadcasts: the table (broadcasts, their chunks' cursors, the suppression list), and the
        # queue of their jobs (validation and chunks).
        broadcasts_table=_name("BROADCASTS_TABLE", stage, "broadcasts"),
        broadcast_queue_name=_name("BROADCAST_QUEUE_NAME", stage, "broadcasts"),
        # What one quota unit costs, for a broadcast's estimated cost (in the operator's own money).
        unit_price=int(os.environ.get("UNIT_PRICE", "1")),
        limits=limits_for(stage, os.environ),
    )
