"""PUT /applications/{id}/settings: sender ids (OTP masking names), caller numbers (IVR), time zone,
rate limit, callback URL, and which channels' V1 calls this application answers. The application
and the settings copy on each of its live tokens change in one transaction, so a V2 request never
needs to read the application. Every change bumps the application's `settings_version`, on
condition it is still the version read: two concurrent changes cannot leave the tokens with a mix,
and a token issued meanwhile (applications.tokens) is conditioned on the same version, so it never
carries stale settings. The first callback URL also issues the callbacks' signing secret, shown in
that answer only (applications.callback_secrets).

A time-zone change regroups the daily counters in the background (messages.recount). Its job is
queued before the change is written and waits for the change's version, so the two cannot part:
a change whose job cannot be queued is not made (503, nothing changed), and a job whose change
then fails (a 409) finds the zone as it was and does nothing."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications.models import Application, Token
from chalicelib.core import clock
from chalicelib.core.clock import DEFAULT_TIMEZONE
from chalicelib.core.config import get_settings
from chalicelib.core.db import connection
from chalicelib.core.errors import CONFLICT, INTERNAL, ApiError, bad_parameter

MAX_SENDER_IDS = 20
MAX_CALLER_IDS = 20
MAX_RATE_LIMIT = 1000
OPERATOR_FIELDS = ("sender_ids", "caller_ids", "rate_limit")  # what an operator sells, in a shared deployment


def snapshot(app: Application) -> dict[str, Any]:
    """What a token carries of its application's settings."""
    return {"rate_limit": int(app.rate_limit or get_settings().limits.default_rate_limit),
            "timezone": app.zone(),
            "sender_ids": sorted(app.sender_ids or []),
            "caller_ids": sorted(app.caller_ids or []),
            "version": int(app.settings_version or 0)}


def version_condition(app: Application) -> Any:
    """True while the application's settings are still the ones read into `app`."""
    if app.settings_version is None:
        return Application.settings_version.does_not_exist()
    return Application.settings_version == int(app.settings_version)


def _sender_ids(value: Any) -> set[str]:
    if not isinstance(value, list) or len(value) > MAX_SENDER_IDS:
        raise bad_parameter("sender_ids", f"sender_ids must be a list of at most {MAX_SENDER_IDS} names",
                            "item_count", min=0, max=MAX_SENDER_IDS)
    names = set()
    for name in value:
        # Alphanumeric sender ids are at most 11 characters on the handset (GSM 03.40).
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 11 or not all(
                c.isascii() and (c.isalnum() or c in " -_.") for c in name):
            raise bad_parameter("sender_ids", "each sender id is 1 to 11 letters, digits, spaces, - _ or .",
                                "sender_id_format")
        names.add(name.strip())
    return names


def _caller_ids(value: Any) -> set[str]:
    from chalicelib.core.phone_numbers import normalise_phone

    if not isinstance(value, list) or len(value) > MAX_CALLER_IDS:
        raise bad_parameter("caller_ids", f"caller_ids must be a list of at most {MAX_CALLER_IDS} phone numbers")
    return {normalise_phone(number, f"caller_ids[{i}]") for i, number in enumerate(value)}


def _v1_channels(value: Any, app: Application) -> list[str]:
    channels = list(app.channels.as_dict()) if app.channels else []
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise bad_parameter("v1_default_for", "v1_default_for must be a list of this application's channels")
    unknown = [c for c in value if c not in channels]
    if unknown:
        raise bad_parameter("v1_default_for", f"{unknown[0]!r} is not a channel of this application "
                                              f"({', '.join(channels)})")
    return sorted(set(value))


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(value, str) or not value or len(value) > 64:
        raise bad_parameter("timezone", f"timezone must be an IANA name such as {DEFAULT_TIMEZONE}",
                            "timezone_invalid")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_parameter("timezone",
                            f"Unknown time zone {value!r}; use an IANA name such as {DEFAULT_TIMEZONE}",
                            "timezone_invalid") from None
    return value


def _rate_limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RATE_LIMIT:
        raise bad_parameter("rate_limit", f"rate_limit must be a whole number from 1 to {MAX_RATE_LIMIT}",
                            "out_of_range", min=1, max=MAX_RATE_LIMIT)
    return value


def _callback_url(value: Any) -> str | None:
    """None (no callbacks), or a URL Kirim may call (core.safe_urls: https, an allowed port, and a
    host that resolves to public addresses only)."""
    from chalicelib.core import safe_urls  # DNS and address rules: settings edits only, never a send

    if value is None or value == "":
        return None
    safe_urls.check(value, "callback_url")
    return value


def update(app: Application, body: dict[str, Any], *, by_operator: bool = False) -> Application:
    from chalicelib.applications import callback_secrets  # edits only: a send reads snapshot()

    known = {"sender_ids", "caller_ids", "timezone", "rate_limit", "callback_url", "v1_default_for"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise bad_parameter(unknown[0], f"Unknown setting {unknown[0]!r}; settable: {', '.join(sorted(known))}")
    if not body:
        raise bad_parameter("body", "Give at least one of: " + ", ".join(sorted(known)))
    if not by_operator and not get_settings().owner_manages_limits:
        for field in OPERATOR_FIELDS:
            if field in body:
                raise ApiError(39, f"{field} is managed by the operator in this deployment", field=field,
                               status=403)
    actions = []
    if "sender_ids" in body:
        names = _sender_ids(body["sender_ids"])
        app.sender_ids = names or None
        actions.append(Application.sender_ids.set(names) if names else Application.sender_ids.remove())
    if "caller_ids" in body:
        numbers = _caller_ids(body["caller_ids"])
        app.caller_ids = numbers or None
        actions.append(Application.caller_ids.set(numbers) if numbers else Application.caller_ids.remove())
    if "v1_default_for" in body:
        # A pick is a time: the latest pick of a channel among the owner's applications wins
        # (applications.for_channel), so no other application's item needs a write.
        wanted = _v1_channels(body["v1_default_for"], app)
        picks = {c: at for c, at in app.v1_picks().items() if c in wanted}
        picks.update({c: clock.now_iso() for c in wanted if c not in picks})
        app.v1_default_for = picks or None
        actions.append(Application.v1_default_for.set(picks) if picks else Application.v1_default_for.remove())
    zone_changed = False
    if "timezone" in body:
        zone = _timezone(body["timezone"])
        old_zone = app.zone()
        zone_changed = zone != old_zone
        app.timezone = zone
        actions.append(Application.timezone.set(app.timezone))
    if "rate_limit" in body:
        app.rate_limit = _rate_limit(body["rate_limit"])
        actions.append(Application.rate_limit.set(app.rate_limit))
    app.callback_secret_once = None
    key_actions: list[Any] = []
    if "callback_url" in body:
        app.callback_url = _callback_url(body["callback_url"])
        actions.append(Application.callback_url.set(app.callback_url) if app.callback_url
                       else Application.callback_url.remove())
        if app.callback_url:
            key_actions, app.callback_secret_once = callback_secrets.first_key(app)
            actions += key_actions
    condition = (Application.owner_id == app.owner_id) & version_condition(app)
    if key_actions:
        condition &= Application.callback_keys.does_not_exist()  # a rotation meanwhile keeps its key
    app.settings_version = int(app.settings_version or 0) + 1
    actions.append(Application.settings_version.set(app.settings_version))
    copy = snapshot(app)
    token_hashes = [state["token_hash"] for state in (app.channels.as_dict() if app.channels else {}).values()
                    if state.get("token_hash")]
    if zone_changed:
        _queue_regrouping(app.application_id, old_zone, app.settings_version)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(Application(app.application_id), actions=actions, condition=condition)
            for token_hash in token_hashes:
                transaction.update(Token(token_hash), actions=[Token.settings.set(copy)],
                                   condition=Token.token_hash.exists())
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        raise ApiError(CONFLICT, "The application changed meanwhile (its settings or a token); "
                                 "send the settings again") from None
    return app


def _queue_regrouping(application_id: str, old_zone: str, version: int) -> None:
    """Counters are per local day: the job that regroups them for the new zone, before the change
    (version `version`) is written; 503 when it cannot be queued, and nothing is changed."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.core import jobs

    try:
        jobs.enqueue(jobs.RECOUNT, {"application_id": application_id, "old_zone": old_zone,
                                    "changed_at": clock.now_iso(), "settings_version": version})
    except (BotoCoreError, ClientError):
        raise ApiError(INTERNAL, "The time zone was not changed: regrouping its counters could not be queued; "
                                 "send the settings again", status=503, headers={"Retry-After": "5"}) from None


def render(app: Application, v1_channels: list[str] | None = None) -> dict[str, Any]:
    """`v1_channels`: the channels whose V1 calls this application answers (applications.v1_channels);
    `callback_secret` only in the answer that issued it (it is never shown again)."""
    from chalicelib.applications import callback_secrets

    shown = {k: v for k, v in snapshot(app).items() if k != "version"}
    rendered = {"application_id": app.application_id, **shown, "callback_url": app.callback_url,
                **callback_secrets.describe(app)}
    if v1_channels is not None:
        rendered["v1_default_for"] = v1_channels
    secret = getattr(app, "callback_secret_once", None)
    if secret:
        rendered["callback_secret"] = secret
    return rendered
