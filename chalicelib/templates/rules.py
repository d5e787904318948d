"""Meta's rules for WhatsApp message templates, on Kirim's template dict (docs/whatsapp-templates.md).

check_draft is what "Save as Draft" needs; check_submit is every rule Meta applies at review, so a template
Meta would refuse is refused here first, every failure at once, each naming its field (406, code 39); to_meta is the
`POST /{waba-id}/message_templates` body.

Decisions where Meta's documents leave room (each has a test):
- Body variables are {{1}}..{{n}}, each used once, first to last in that order ("{{1}} {{1}}" is refused).
- "Cannot begin or end with a variable" is read on the text with whitespace stripped, and at the end also
  with trailing . ! ? stripped: "Halo {{1}}." counts as ending with a variable. Two variables with only
  whitespace between them are refused too (Meta rejects adjacent parameters).
- A field that does not belong (a media_url on a TEXT header, an example with no variable, text on a
  COPY_CODE button, package_name without ONE_TAP) is refused, not silently dropped.
- Empty objects and lists ({} header, [] buttons) count as absent.
- A draft may leave things out, but a word it gives (category, header.format, buttons[].type,
  authentication.otp_type) must be one of the list, in any case: a template never holds a word the API
  does not document.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import urlsplit

from chalicelib.core.errors import ApiError, bad_parameter

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
HEADER_FORMATS = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE")
OTP_TYPES = ("COPY_CODE", "ONE_TAP")

# Meta's supported template languages, {code: English name}; the JSON file is the only list.
LANGUAGES: Mapping[str, str] = MappingProxyType(
    json.loads((Path(__file__).parent / "data" / "whatsapp_languages.json").read_text(encoding="utf-8")))

VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")

NAME_MAX = 512
BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTON_TEXT_MAX = 25
BUTTONS_MAX = 10
URL_BUTTONS_MAX = 2
PHONE_BUTTONS_MAX = 1
COPY_CODE_BUTTONS_MAX = 1
URL_MAX = 2000
COUPON_MAX = 15  # Meta's limit on a copy-code (coupon) value
EXPIRY_MIN, EXPIRY_MAX = 1, 90
SIGNATURE_HASH_LEN = 11

_NAME = re.compile(r"[a-z0-9_]+")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")  # "+" then 8..15 digits; a country code never starts with 0
_JAVA_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")
_SIGNATURE_HASH = re.compile(r"[A-Za-z0-9+/]{%d}" % SIGNATURE_HASH_LEN)  # base64 of the app's key hash
_VARIABLE_SYNTAX = "variables are written {{1}}, {{2}}, ...: a number from 1 in double braces"
_PRESET = "authentication templates use Meta's preset text"

# Every key Kirim keeps, with its JSON type; a one-item list means "a list of these".
_SCHEMA: dict[str, Any] = {
    "name": str, "language": str, "category": str, "accept_terms": bool,
    "header": {"format": str, "text": str, "example": str, "media_url": str},
    "body": {"text": str, "examples": [str]},
    "footer": {"text": str},
    "buttons": [{"type": str, "text": str, "url": str, "example": str, "phone_number": str}],
    "authentication": {"add_security_recommendation": bool, "code_expiration_minutes": int, "otp_type": str,
                       "button_text": str, "package_name": str, "signature_hash": str},
}
_TYPE_WORDS = {str: "a string", bool: "true or false", int: "a whole number"}


# --- helpers the other template modules reuse -------------------------------------------------------------

def variable_number(digits: str) -> int:
    """The number in a {{n}}; absurdly long ones (drafts have no length limit) become one no template reaches,
    rather than tripping Python's limit on converting long digit strings."""
    return int(digits) if len(digits) <= 9 else 10**9


def body_variables(text: Any) -> list[int]:
    """The variable numbers in `text`, every occurrence, in order ("{{2}} {{1}} {{2}}" -> [2, 1, 2])."""
    return [variable_number(m.group(1)) for m in VARIABLE.finditer(text)] if isinstance(text, str) else []


def header_has_variable(t: Mapping[str, Any]) -> bool:
    header = t.get("header")
    return (isinstance(header, dict) and upper(header.get("format")) == "TEXT"
            and bool(body_variables(header.get("text"))))


def url_buttons_with_variable(t: Mapping[str, Any]) -> list[int]:
    """Indexes in `buttons` of the URL buttons whose url has the {{1}} suffix."""
    buttons = t.get("buttons")
    if not isinstance(buttons, list):
        return []
    return [i for i, b in enumerate(buttons)
            if isinstance(b, dict) and upper(b.get("type")) == "URL" and body_variables(b.get("url"))]


def is_web_url(value: Any) -> bool:
    """An http or https URL (what Meta fetches media from at send time)."""
    return is_https_url(value, schemes=("http", "https"))


def is_https_url(value: Any, schemes: tuple[str, ...] = ("https",)) -> bool:
    if not isinstance(value, str) or not value or len(value) > URL_MAX or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in schemes and bool(parts.hostname)
    except ValueError:  # e.g. a malformed [IPv6] host or port
        return False


def canonical_variables(text: str) -> str:
    """"{{ 1 }}" -> "{{1}}": the form Meta parses."""
    return VARIABLE.sub(lambda m: "{{%s}}" % m.group(1), text)


# --- authentication presets (Meta writes these; Kirim shows them in the preview) -----------------------------

PRESET_BODY = {"en": "{{1}} is your verification code.", "id": "{{1}} adalah kode verifikasi Anda."}
SECURITY_LINE = {"en": "For your security, do not share this code.",
                 "id": "Demi keamanan Anda, jangan bagikan kode ini."}
COPY_CODE_TEXT = {"en": "Copy code", "id": "Salin kode"}


def _locale(language: Any) -> str:
    # Kirim knows English and Indonesian; Meta localises the rest itself, so English stands in.
    return "id" if language == "id" else "en"


def preset_body(language: Any) -> str:
    return PRESET_BODY[_locale(language)]


def security_line(language: Any) -> str:
    return SECURITY_LINE[_locale(language)]


def expiry_line(minutes: int, language: Any) -> str:
    if _locale(language) == "id":
        return f"Kode ini kedaluwarsa dalam {minutes} menit."
    return f"This code expires in {minutes} minute{'' if minutes == 1 else 's'}."


def copy_code_text(language: Any) -> str:
    return COPY_CODE_TEXT[_locale(language)]


# --- drafts ---------------------------------------------------------------------------------------------------

class _Faults:
    """Collects every fault of a template (each check that raises adds its error), so one answer
    lists them all; raise_all() raises them together (ApiError.combined), if any."""

    def __init__(self) -> None:
        self.errors: list[ApiError] = []

    def check(self, fn: Any, *args: Any) -> bool:
        try:
            fn(*args)
            return True
        except ApiError as error:
            self.errors.append(error)
            return False

    def add(self, error: ApiError) -> None:
        self.errors.append(error)

    def raise_all(self) -> None:
        if self.errors:
            raise ApiError.combined(self.errors)


def check_draft(t: Any) -> dict[str, Any]:
    """What "Save as Draft" needs: a valid name and language; every other field may be missing or incomplete,
    but must have its JSON type, and its words must be from their lists. Returns a copy with only known keys,
    None values dropped, and category, header.format, buttons[].type and authentication.otp_type upper-cased.
    Every fault found is answered at once."""
    faults = _Faults()
    draft = _draft(t, faults)
    faults.raise_all()
    return draft


def _draft(t: Any, faults: _Faults) -> dict[str, Any]:
    if not isinstance(t, dict):
        raise bad_parameter("template", "the template must be a JSON object", "wrong_type")
    draft = _shape(t, _SCHEMA, "")
    faults.check(_check_name, draft.get("name"))
    faults.check(_check_language, draft.get("language"))
    faults.check(_word_in, draft, "category", CATEGORIES, "category")
    faults.check(_word_in, draft.get("header"), "format", HEADER_FORMATS, "header.format")
    for i, button in enumerate(draft.get("buttons") or []):
        faults.check(_word_in, button, "type", BUTTON_TYPES, f"buttons[{i}].type")
    faults.check(_word_in, draft.get("authentication"), "otp_type", OTP_TYPES, "authentication.otp_type")
    return draft


def _word_in(obj: dict[str, Any] | None, key: str, words: tuple[str, ...], field: str) -> None:
    """Upper-cases obj[key], which must then be one of `words` (absent is fine: drafts may be incomplete)."""
    _upper_in(obj, key)
    if obj and key in obj and obj[key] not in words:
        raise bad_parameter(field, f"{field} must be one of {', '.join(words)}", "not_allowed")


def _shape(value: Any, schema: Any, path: str) -> Any:
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise bad_parameter(path, f"{path} must be an object", "wrong_type")
        return {key: _shape(value[key], sub, f"{path}.{key}" if path else key)
                for key, sub in schema.items() if value.get(key) is not None}
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise bad_parameter(path, f"{path} must be a list", "wrong_type")
        return [_shape(item, schema[0], f"{path}[{i}]") for i, item in enumerate(value)]
    # bool is an int in Python, but true is not a number of minutes
    if not isinstance(value, schema) or (schema is int and isinstance(value, bool)):
        raise bad_parameter(path, f"{path} must be {_TYPE_WORDS[schema]}", "wrong_type")
    return value


def _check_name(name: str | None) -> None:
    if not name:
        raise bad_parameter("name", "name is required", "required")
    if len(name) > NAME_MAX:
        raise bad_parameter("name", f"name must be at most {NAME_MAX} characters, got {len(name)}", "too_long",
                            max=NAME_MAX)
    if not _NAME.fullmatch(name):
        raise bad_parameter("name", "name may only have lowercase letters a-z, digits and _", "name_format")


def _check_language(language: str | None) -> None:
    if not language:
        raise bad_parameter("language", "language is required", "required")
    if language not in LANGUAGES:
        raise bad_parameter("language", f"language {language!r} is not one of Meta's template languages",
                            "not_allowed")


# --- submission -----------------------------------------------------------------------------------------------

def check_submit(t: Any) -> None:
    """Every rule Meta applies at review; raises one 406 listing every failure, each naming its field."""
    faults = _Faults()
    t = _draft(t, faults)
    category = t.get("category")
    if category is None:
        faults.add(bad_parameter("category", "category is required", "required"))
    elif category == "AUTHENTICATION":
        _check_authentication(t, faults)
    elif category in CATEGORIES:
        _check_message(t, category, faults)
    # Last, so a template's own faults show before the terms do.
    if t.get("accept_terms") is not True:
        faults.add(bad_parameter("accept_terms", "Terms of Use must be accepted", "terms_required"))
    faults.raise_all()


def _check_message(t: dict[str, Any], category: str, faults: _Faults) -> None:
    if t.get("authentication"):
        faults.add(bad_parameter("authentication", "only AUTHENTICATION templates take authentication settings",
                                 "auth_only"))
    if t.get("header"):
        faults.check(_check_header, t["header"])
    if not t.get("body"):
        faults.add(bad_parameter("body", "body is required", "required"))
    else:
        _check_body(t["body"], faults)
    if t.get("footer"):
        faults.check(_check_footer, t["footer"])
    if t.get("buttons"):
        _check_buttons(t["buttons"], category, faults)


def _require_text(value: str | None, field: str, max_len: int) -> str:
    if value is None or not value.strip():
        raise bad_parameter(field, f"{field} is required", "required")
    if len(value) > max_len:
        raise bad_parameter(field, f"{field} must be at most {max_len} characters, got {len(value)}", "too_long",
                            max=max_len)
    return value


def _numbers(text: str, field: str) -> list[int]:
    """Variable numbers in `text`, refusing anything in double braces that is not {{n}}."""
    leftover = VARIABLE.sub("", text)
    # \d also matches non-ASCII digits; Meta parses only 1, 2, ... written plainly.
    if "{{" in leftover or "}}" in leftover or any(
            m.group(1).startswith("0") or not m.group(1).isascii() for m in VARIABLE.finditer(text)):
        raise bad_parameter(field, f"{field}: {_VARIABLE_SYNTAX}", "variable_syntax")
    return body_variables(text)


def _check_body_text(text: str | None) -> None:
    text = _require_text(text, "body.text", BODY_MAX)
    numbers = _numbers(text, "body.text")
    for position, number in enumerate(numbers, start=1):
        if number != position:
            raise bad_parameter("body.text", "variables must be {{1}}, {{2}}, ... in order, each used once: found "
                                f"{{{{{number}}}}} where {{{{{position}}}}} was expected", "variable_order",
                                found=number, expected=position)
    stripped = text.strip()
    if VARIABLE.match(stripped):
        raise bad_parameter("body.text", "body.text must not begin with a variable", "variable_at_start")
    if re.search(r"\{\{\s*\d+\s*\}\}[\s.!?]*\Z", stripped):
        raise bad_parameter("body.text", "body.text must not end with a variable (a final . ! or ? still counts)",
                            "variable_at_end")
    if re.search(r"\}\}\s*\{\{", text):
        raise bad_parameter("body.text", "body.text must have words between two variables", "variables_adjacent")


def _check_body(body: dict[str, Any], faults: _Faults) -> None:
    faults.check(_check_body_text, body.get("text"))
    numbers = body_variables(body.get("text"))
    examples = body.get("examples") or []
    if len(examples) != len(numbers):
        want = (f"{len(numbers)} examples, one for each variable in order" if numbers
                else "no examples: it has no variables")
        faults.add(bad_parameter("body.examples", f"body.examples must have {want}; got {len(examples)}",
                                 "examples_count", expected=len(numbers)))
        return
    for i, example in enumerate(examples):
        faults.check(_require_text, example, f"body.examples[{i}]", BODY_MAX)


def _refuse_keys(obj: dict[str, Any], keys: tuple[str, ...], allowed: tuple[str, ...], path: str, what: str) -> None:
    for key in keys:
        if key in obj and key not in allowed:
            raise bad_parameter(f"{path}.{key}", f"{what} takes no {key}", "not_expected")


def _check_header(header: dict[str, Any]) -> None:
    fmt = header.get("format")
    if fmt is None:
        raise bad_parameter("header.format", "header.format is required", "required")
    if fmt not in HEADER_FORMATS:
        raise bad_parameter("header.format", f"header.format must be one of {', '.join(HEADER_FORMATS)}",
                            "not_allowed")
    allowed = {"TEXT": ("text", "example"), "LOCATION": ()}.get(fmt, ("media_url",))
    _refuse_keys(header, ("text", "example", "media_url"), allowed, "header", f"this {fmt} header")
    if fmt == "TEXT":
        numbers = _numbers(_require_text(header.get("text"), "header.text", HEADER_MAX), "header.text")
        if numbers not in ([], [1]):
            raise bad_parameter("header.text", "header.text may have one variable, and it must be {{1}}",
                                "header_variable")
        if numbers:
            _require_text(header.get("example"), "header.example", HEADER_MAX)
        elif "example" in header:
            raise bad_parameter("header.example", "header.text has no variable, so it takes no example",
                                "not_expected")
    elif fmt in MEDIA_FORMATS:
        _check_https(header.get("media_url"), "header.media_url")


def _check_https(value: str | None, field: str) -> None:
    if not value:
        raise bad_parameter(field, f"{field} is required", "required")
    if len(value) > URL_MAX:
        raise bad_parameter(field, f"{field} must be at most {URL_MAX} characters, got {len(value)}", "too_long",
                            max=URL_MAX)
    if not is_https_url(value):
        raise bad_parameter(field, f"{field} must be an https:// URL", "https_required")


def _check_footer(footer: dict[str, Any]) -> None:
    text = _require_text(footer.get("text"), "footer.text", FOOTER_MAX)
    if VARIABLE.search(text) or "{{" in text or "}}" in text:
        raise bad_parameter("footer.text", "footer.text cannot have variables", "no_variables")


_BUTTON_KEYS = ("text", "url", "example", "phone_number")
_BUTTON_ALLOWED = {"QUICK_REPLY": ("text",), "URL": ("text", "url", "example"),
                   "PHONE_NUMBER": ("text", "phone_number"), "COPY_CODE": ("example",)}
_BUTTON_LIMITS = (("URL", URL_BUTTONS_MAX), ("PHONE_NUMBER", PHONE_BUTTONS_MAX), ("COPY_CODE", COPY_CODE_BUTTONS_MAX))


def _check_buttons(buttons: list[dict[str, Any]], category: str, faults: _Faults) -> None:
    if len(buttons) > BUTTONS_MAX:
        faults.add(bad_parameter("buttons", f"a template has at most {BUTTONS_MAX} buttons, got {len(buttons)}",
                                 "too_many_buttons", max=BUTTONS_MAX))
        return
    for i, button in enumerate(buttons):
        faults.check(_check_button, button, f"buttons[{i}]", category)
    counts = Counter(b.get("type") for b in buttons)
    for kind, limit in _BUTTON_LIMITS:
        if counts[kind] > limit:
            faults.add(bad_parameter("buttons", f"a template has at most {limit} {kind} button"
                                     f"{'s' if limit > 1 else ''}, got {counts[kind]}",
                                     "too_many_of_kind", kind=kind, max=limit))
            return
    # Meta: quick replies and the other buttons form two groups; QUICK_REPLY, URL, QUICK_REPLY is refused.
    quick = [b.get("type") == "QUICK_REPLY" for b in buttons]
    if sum(a != b for a, b in zip(quick, quick[1:])) > 1:
        faults.add(bad_parameter("buttons", "QUICK_REPLY buttons must be grouped together, before or after the others",
                                 "quick_replies_grouped"))


def _check_button(button: dict[str, Any], path: str, category: str) -> None:
    kind = button.get("type")
    if kind is None:
        raise bad_parameter(f"{path}.type", f"{path}.type is required", "required")
    if kind not in BUTTON_TYPES:
        raise bad_parameter(f"{path}.type", f"{path}.type must be one of {', '.join(BUTTON_TYPES)}", "not_allowed")
    what = "this COPY_CODE button (WhatsApp shows its own text)" if kind == "COPY_CODE" else f"this {kind} button"
    _refuse_keys(button, _BUTTON_KEYS, _BUTTON_ALLOWED[kind], path, what)
    if kind != "COPY_CODE":
        _require_text(button.get("text"), f"{path}.text", BUTTON_TEXT_MAX)
    if kind == "URL":
        _check_url_button(button, path)
    elif kind == "PHONE_NUMBER":
        number = button.get("phone_number")
        if not number:
            raise bad_parameter(f"{path}.phone_number", f"{path}.phone_number is required", "required")
        if not _E164.fullmatch(number):
            raise bad_parameter(f"{path}.phone_number",
                                f"{path}.phone_number must be in E.164 form: + and 8 to 15 digits", "phone_format")
    elif kind == "COPY_CODE":
        if category != "MARKETING":
            raise bad_parameter(f"{path}.type", "only MARKETING templates can have a COPY_CODE button",
                                "copy_code_marketing")
        _require_text(button.get("example"), f"{path}.example", COUPON_MAX)


def _check_url_button(button: dict[str, Any], path: str) -> None:
    url = button.get("url")
    field = f"{path}.url"
    if not url:
        raise bad_parameter(field, f"{field} is required", "required")
    matches = list(VARIABLE.finditer(url)) if _numbers(url, field) else []
    if matches and (len(matches) > 1 or matches[0].group(0) != "{{1}}" or matches[0].end() != len(url)):
        raise bad_parameter(field, f"{field} may have one variable, {{{{1}}}}, and only at its very end",
                            "url_variable")
    prefix = url[:matches[0].start()] if matches else url
    if len(url) > URL_MAX:
        raise bad_parameter(field, f"{field} must be at most {URL_MAX} characters, got {len(url)}", "too_long",
                            max=URL_MAX)
    if not is_https_url(prefix + ("x" if matches else "")):
        raise bad_parameter(field, f"{field} must be an https:// URL", "https_required")
    if matches and not _after_host(prefix):
        raise bad_parameter(field, f"{field}: {{{{1}}}} must come after the host, e.g. https://x.id/{{{{1}}}}",
                            "url_variable")
    example = button.get("example")
    if not matches:
        if example is not None:
            raise bad_parameter(f"{path}.example", f"{field} has no variable, so it takes no example", "not_expected")
        return
    _check_https(example, f"{path}.example")
    if not example.startswith(prefix) or len(example) == len(prefix):
        raise bad_parameter(f"{path}.example", f"{path}.example must be the full URL: {field} with {{{{1}}}} filled in",
                            "url_example")


def _after_host(prefix: str) -> bool:
    """True when `prefix` already has its whole host, so {{1}} lands in the path, query or fragment."""
    if not is_https_url(prefix):
        return False
    parts = urlsplit(prefix)
    return len(prefix) > len(f"{parts.scheme}://{parts.netloc}")


def _check_authentication(t: dict[str, Any], faults: _Faults) -> None:
    for key in ("header", "body", "footer", "buttons"):
        if t.get(key):
            faults.add(bad_parameter(key, f"{_PRESET}: remove the {key}", "auth_preset"))
    auth = t.get("authentication")
    if auth is None:
        faults.add(bad_parameter("authentication", "authentication settings are required for AUTHENTICATION "
                                 "templates", "required"))
        return
    minutes = auth.get("code_expiration_minutes")
    if minutes is not None and not EXPIRY_MIN <= minutes <= EXPIRY_MAX:
        faults.add(bad_parameter("authentication.code_expiration_minutes",
                                 f"authentication.code_expiration_minutes must be {EXPIRY_MIN} to {EXPIRY_MAX}",
                                 "out_of_range", min=EXPIRY_MIN, max=EXPIRY_MAX))
    otp_type = auth.get("otp_type", "COPY_CODE")
    if otp_type not in OTP_TYPES:
        faults.add(bad_parameter("authentication.otp_type",
                                 f"authentication.otp_type must be one of {', '.join(OTP_TYPES)}", "not_allowed"))
        return
    if "button_text" in auth:
        faults.check(_require_text, auth["button_text"], "authentication.button_text", BUTTON_TEXT_MAX)
    if otp_type != "ONE_TAP":
        faults.check(_refuse_keys, auth, ("package_name", "signature_hash"), (), "authentication",
                     "this COPY_CODE authentication template")
        return
    package = auth.get("package_name")
    if not package or not _JAVA_PACKAGE.fullmatch(package):
        faults.add(bad_parameter("authentication.package_name", "authentication.package_name must be the Android "
                                 "app's package name, like com.example.app", "package_name"))
    if not _SIGNATURE_HASH.fullmatch(auth.get("signature_hash") or ""):
        faults.add(bad_parameter("authentication.signature_hash",
                                 f"authentication.signature_hash must be the app's {SIGNATURE_HASH_LEN}-character "
                                 "signing key hash", "signature_hash", length=SIGNATURE_HASH_LEN))


# --- Meta's create body ---------------------------------------------------------------------------------------

def to_meta(t: dict[str, Any]) -> dict[str, Any]:
    """The `POST /{waba-id}/message_templates` body for a template that passed check_submit.
    An unfinished template (say, a REJECTED one being edited) gives a partial body rather than a crash:
    missing parts are left out."""
    t = check_draft(t)
    if t.get("category") == "AUTHENTICATION":
        components = _meta_authentication(t.get("authentication") or {})
    else:
        components = _meta_message(t)
    return {"name": t["name"], "language": t["language"], "category": t.get("category"), "components": components}


def _meta_message(t: dict[str, Any]) -> list[dict[str, Any]]:
    components: list[dict[str, Any]] = []
    header = t.get("header")
    if header:
        part = _present({"type": "HEADER", "format": header.get("format")})
        if header.get("format") == "TEXT":
            part.update(_present({"text": _canonical(header.get("text"))}))
            if header_has_variable(t) and header.get("example") is not None:
                part["example"] = {"header_text": [header["example"]]}
        elif header.get("format") in MEDIA_FORMATS and header.get("media_url") is not None:
            # Meta wants an upload handle here; the caller swaps the example URL for one when it has it.
            part["example"] = {"header_handle": [header["media_url"]]}
        components.append(part)
    body = t.get("body") or {}
    if body.get("text") is not None:
        part = {"type": "BODY", "text": _canonical(body["text"])}
        if body.get("examples"):
            part["example"] = {"body_text": [list(body["examples"])]}
        components.append(part)
    if (t.get("footer") or {}).get("text") is not None:
        components.append({"type": "FOOTER", "text": t["footer"]["text"]})
    if t.get("buttons"):
        components.append({"type": "BUTTONS", "buttons": [_meta_button(b) for b in t["buttons"]]})
    return components


def _meta_button(b: dict[str, Any]) -> dict[str, Any]:
    kind = b.get("type")
    if kind == "COPY_CODE":
        return _present({"type": kind, "example": b.get("example")})
    out = _present({"type": kind, "text": b.get("text")})
    if kind == "URL":
        out.update(_present({"url": _canonical(b.get("url"))}))
        if body_variables(b.get("url")) and b.get("example") is not None:
            out["example"] = [b["example"]]
    elif kind == "PHONE_NUMBER":
        out.update(_present({"phone_number": b.get("phone_number")}))
    return out


def _meta_authentication(auth: dict[str, Any]) -> list[dict[str, Any]]:
    components: list[dict[str, Any]] = [
        {"type": "BODY", "add_security_recommendation": bool(auth.get("add_security_recommendation", False))}]
    if auth.get("code_expiration_minutes") is not None:
        components.append({"type": "FOOTER", "code_expiration_minutes": auth["code_expiration_minutes"]})
    button: dict[str, Any] = {"type": "OTP", "otp_type": auth.get("otp_type", "COPY_CODE")}
    if auth.get("button_text"):
        button["text"] = auth["button_text"]
    if button["otp_type"] == "ONE_TAP":
        # Graph API v21.0+ takes the app as supported_apps; top-level package_name/signature_hash are gone.
        button["supported_apps"] = [_present({"package_name": auth.get("package_name"),
                                              "signature_hash": auth.get("signature_hash")})]
    components.append({"type": "BUTTONS", "buttons": [button]})
    return components


def _canonical(text: str | None) -> str | None:
    return canonical_variables(text) if text is not None else None


def _present(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


# --- small utilities ------------------------------------------------------------------------------------------

def upper(value: Any) -> Any:
    """A template word as Meta spells it (categories, formats, button types), whatever the case given."""
    return value.upper() if isinstance(value, str) else value


def _upper_in(obj: Any, key: str) -> None:
    if isinstance(obj, dict) and isinstance(obj.get(key), str):
        obj[key] = obj[key].upper()
