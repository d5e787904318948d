"""What the recipient's phone shows for a template, for the dashboard's live preview.

Works on drafts: anything missing or of the wrong shape is left out (body None, no header) rather than
refused, and a word not in its list shows as None; only the masking name, which the caller supplies, is checked.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core.errors import bad_parameter
from chalicelib.templates.rules import (
    BUTTON_TYPES,
    HEADER_FORMATS,
    VARIABLE,
    copy_code_text,
    expiry_line,
    preset_body,
    security_line,
    upper,
    variable_number,
)

MASKING_NAME_MAX = 50
BUTTONS_SHOWN = 3  # the rest sit behind "See all options"
COPY_OFFER_CODE = "Copy offer code"  # WhatsApp's fixed label on a marketing COPY_CODE button
EXAMPLE_CODE = "123456"  # stands in for the OTP in an authentication preview


def preview(t: dict[str, Any], masking_name: str) -> dict[str, Any]:
    """{"masking_name", "header": {...} | None, "body": str | None, "footer": str | None,
    "buttons": [{"type", "text"}] (first 3), "more_buttons": int}."""
    masking_name = _check_masking_name(masking_name)
    t = t if isinstance(t, dict) else {}
    if upper(t.get("category")) == "AUTHENTICATION":
        shown = _authentication(t)
    else:
        shown = _message(t)
    return {"masking_name": masking_name, **shown}


def _check_masking_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise bad_parameter("masking_name", "masking_name is required")
    name = name.strip()
    if len(name) > MASKING_NAME_MAX:
        raise bad_parameter("masking_name",
                            f"masking_name must be at most {MASKING_NAME_MAX} characters, got {len(name)}")
    return name


def fill(text: str, values: list[Any]) -> str:
    """{{n}} -> values[n-1]; a variable with no usable value keeps its placeholder (drafts may lack examples)."""
    def value(match: Any) -> str:
        n = variable_number(match.group(1))
        example = values[n - 1] if 1 <= n <= len(values) else None
        return example if isinstance(example, str) and example else match.group(0)
    return VARIABLE.sub(value, text)


def _message(t: dict[str, Any]) -> dict[str, Any]:
    body = _dict(t.get("body"))
    examples = body.get("examples") if isinstance(body.get("examples"), list) else []
    body_text = fill(body["text"], examples) if _text(body.get("text")) else None
    footer = _dict(t.get("footer")).get("text")
    buttons = [b for b in t.get("buttons") or [] if isinstance(b, dict)] if isinstance(t.get("buttons"), list) else []
    return {
        "header": _header(_dict(t.get("header"))),
        "body": body_text,
        "footer": footer if _text(footer) else None,
        "buttons": [_button(b) for b in buttons[:BUTTONS_SHOWN]],
        "more_buttons": max(0, len(buttons) - BUTTONS_SHOWN),
    }


def _header(header: dict[str, Any]) -> dict[str, Any] | None:
    if not header:
        return None
    shown: dict[str, Any] = {"format": _word(header.get("format"), HEADER_FORMATS)}
    if _text(header.get("text")):
        shown["text"] = fill(header["text"], [header.get("example")])
    if _text(header.get("media_url")):
        shown["media_url"] = header["media_url"]
    return shown


def _button(button: dict[str, Any]) -> dict[str, Any]:
    kind = _word(button.get("type"), BUTTON_TYPES)
    text = COPY_OFFER_CODE if kind == "COPY_CODE" else button.get("text")
    return {"type": kind, "text": text if isinstance(text, str) else None}


def _authentication(t: dict[str, Any]) -> dict[str, Any]:
    language = t.get("language")
    auth = _dict(t.get("authentication"))
    lines = [fill(preset_body(language), [EXAMPLE_CODE])]
    if auth.get("add_security_recommendation") is True:
        lines.append(security_line(language))
    minutes = auth.get("code_expiration_minutes")
    has_expiry = isinstance(minutes, int) and not isinstance(minutes, bool)
    kind = "ONE_TAP" if upper(auth.get("otp_type")) == "ONE_TAP" else "COPY_CODE"
    text = auth.get("button_text") if _text(auth.get("button_text")) else copy_code_text(language)
    return {
        "header": None,
        "body": "\n".join(lines),
        "footer": expiry_line(minutes, language) if has_expiry else None,
        "buttons": [{"type": kind, "text": text}],
        "more_buttons": 0,
    }


def _word(value: Any, words: tuple[str, ...]) -> str | None:
    """The word as Meta spells it when it is one of `words`, else None (a form half typed)."""
    value = upper(value)
    return value if value in words else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)

