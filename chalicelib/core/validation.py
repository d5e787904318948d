"""Checks for values read from requests; each failure names its field (406, code 39)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from chalicelib.core.errors import bad_parameter

# The instants a client may ask for: a day inside datetime's calendar at either end, so that
# every zone's local time of them exists (a day's arithmetic near 9999-12-31 raised a 500).
EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 30, tzinfo=timezone.utc)


def unicode_text(value: str, field: str) -> str:
    """`value`, unless it holds a lone surrogate ("\\ud800"): no UTF-8 form, so no table or provider takes it."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_parameter(field, f"{field} is not valid Unicode text (it has a lone surrogate)",
                                "not_text") from None
    return value


def string(body: dict[str, Any], field: str, *, min_len: int = 1, max_len: int = 255,
           required: bool = True, strip: bool = True) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise bad_parameter(field, f"{field} is required", "required")
        return None
    if not isinstance(value, str):
        raise bad_parameter(field, f"{field} must be a string", "wrong_type")
    unicode_text(value, field)
    if strip:
        value = value.strip()
    if len(value) < min_len:
        raise bad_parameter(field, f"{field} must be at least {min_len} characters", "too_short", min=min_len)
    if len(value) > max_len:
        raise bad_parameter(field, f"{field} must be at most {max_len} characters", "too_long", max=max_len)
    return value


def email_address(value: Any, field: str = "email") -> str:
    """A normalised address (the domain lowercased and IDNA-checked) or a 406 naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise bad_parameter(field, f"{field} is required", "required")
    if len(value) > 254:
        raise bad_parameter(field, f"{field} must be at most 254 characters", "too_long", max=254)
    unicode_text(value, field)
    import email_validator  # lazy: not every cold start needs it

    try:
        result = email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise bad_parameter(field, f"{field} is not a valid email address: {exc}", "email_invalid") from None
    return result.normalized


def string_list(body: dict[str, Any], field: str, *, allowed: tuple[str, ...] | None = None,
                min_items: int = 1, max_items: int = 50, max_len: int = 100) -> list[str]:
    value = body.get(field)
    if value is None:
        raise bad_parameter(field, f"{field} is required", "required")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_parameter(field, f"{field} must be a list of strings", "wrong_type")
    if not min_items <= len(value) <= max_items:
        raise bad_parameter(field, f"{field} must have {min_items} to {max_items} items", "item_count",
                                min=min_items, max=max_items)
    if len(set(value)) != len(value):
        raise bad_parameter(field, f"{field} must not repeat an item", "repeated")
    for item in value:
        if allowed is not None and item not in allowed:
            raise bad_parameter(field, f"{field} items must be from: {', '.join(allowed)}", "not_allowed")
        if not item or len(item) > max_len:
            raise bad_parameter(field, f"{field} items must be 1 to {max_len} characters", "too_long", max=max_len)
    return value


def whole_number(value: Any, field: str, low: int, high: int) -> int:
    """A query parameter such as `limit`: ASCII digits only ("²" is a digit to str.isdigit)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise bad_parameter(field, f"{field} must be a whole number from {low} to {high}", "out_of_range",
                            min=low, max=high)
    return int(value)


def moment(value: Any, field: str, zone: tzinfo, *, end: bool = False) -> datetime:
    """A time a client asked for, in UTC: an ISO 8601 time (in `zone` when it names none), or a
    date (2026-11-27), which means that whole day in `zone`: its start, or with `end` the next
    day's start. Anything else, or a time outside EARLIEST..LATEST, is a 406 naming the field."""
    from chalicelib.core import clock

    problem = f"{field} must be a date (2026-11-27) or an ISO 8601 time"
    if not isinstance(value, str):
        raise bad_parameter(field, problem, "date_invalid")
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            parsed = datetime.combine(day + timedelta(days=1) if end else day, time(), zone)
        else:
            parsed = clock.parse_iso(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone)
        utc = parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # year 1 at +07:00 is no UTC time at all
        raise bad_parameter(field, problem, "date_invalid") from None
    if not EARLIEST <= utc <= LATEST:
        raise bad_parameter(field, f"{field} must be between {EARLIEST.date()} and {LATEST.date()} (UTC)",
                            "date_invalid")
    return utc
