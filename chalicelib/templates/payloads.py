"""Sending by template: OCA's `payload` checked against an approved template, turned into Meta's `template`.

OCA: payload = [{"position": "header"|"body"|"button", "parameters": [{"type": "text", "text"} |
{"type": "image"|"video"|"document", <type>: {"url"}}]}]; None or [] means no parameters.

Decisions:
- LOCATION headers: Meta needs the place at send time and OCA has no type for it, so Kirim takes
  {"type": "location", "location": {"latitude", "longitude", "name"?, "address"?}} (a Kirim extension).
- Button entries take Meta's form too, {"position": "button", "sub_type", "index", "parameters"}: an entry
  with an `index` names its button; entries without one fill, in order, first the URL buttons whose url
  ends in {{1}}, then COPY_CODE buttons (which Meta needs a coupon for at send time). A quick reply takes
  no entry, or one with a {"type": "payload"} parameter (what Meta echoes back when the user taps it).
- The OCA client libraries (a Go one, a TypeScript one) nest that form one level deeper: {"position":
  "button", "parameters": [{"sub_type", "index", "parameters": [{"type": "text", "text"}]}]}. Each such
  button object (a parameter with its own `parameters`; `type`, if given, is "button") is read as the entry
  above with its sub_type, index and parameters; one entry may hold several. Its inner list is checked as
  strictly: a list of 1 parameter (every button takes exactly one), named by its own path
  (payload[1].parameters[0].parameters[0].text).
- An entry with an empty `parameters: []` (OCA's media example sends one for a body without variables)
  is the same as no entry.
- Media parameters take an http(s) `url` (OCA's table), a `filename` (documents: the name the phone
  shows) and a `caption` (OCA's media example): Meta's template headers show no caption, so it is dropped.
- Text parameters follow Meta's send rules: no newline or tab, no more than 4 spaces in a row.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import bad_parameter
from chalicelib.templates.rules import (
    BODY_MAX,
    COUPON_MAX,
    HEADER_MAX,
    MEDIA_FORMATS,
    URL_MAX,
    body_variables,
    header_has_variable,
    is_web_url,
    upper,
    url_buttons_with_variable,
)

PAYLOAD = "message.template.payload"
POSITIONS = ("header", "body", "button")
OTP_MAX = 15
_OTP = re.compile(r"[A-Za-z0-9]{1,%d}" % OTP_MAX)
_BAD_SPACING = re.compile(r"[\n\r\t]| {5,}")
BUTTONS_MAX = 10  # Meta's limit on a template's buttons


@dataclass(frozen=True)
class _Entry:
    at: str  # its field path: message.template.payload[1], or payload[1].parameters[0] for a nested button
    position: str
    parameters: list[dict[str, Any]]
    button_index: int | None = None   # Meta's form: the button it fills
    sub_type: str | None = None


def build(t: dict[str, Any], payload: object, field: str = PAYLOAD) -> dict[str, Any]:
    """Meta's `template` object {"name", "language": {"code"}, "components"} for an APPROVED template `t`.
    Each mismatch between payload and template raises a 406 naming the payload field."""
    entries = _entries(payload, field)
    if upper(t.get("category")) == "AUTHENTICATION":
        components = _authentication(entries, field)
    else:
        components = _header(t, entries, field) + _body(t, entries, field) + _buttons(t, entries, field)
    return {"name": t.get("name"), "language": {"code": t.get("language")}, "components": components}


def _entries(payload: object, field: str) -> list[_Entry]:
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise bad_parameter(field, f"{field} must be a list of {{position, parameters}} entries")
    entries: list[_Entry] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(payload):
        at = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise bad_parameter(at, f"{at} must be an object with position and parameters")
        position = item.get("position")
        if not isinstance(position, str) or position.lower() not in POSITIONS:
            raise bad_parameter(f"{at}.position", f"{at}.position must be one of {', '.join(POSITIONS)}")
        position = position.lower()
        if position in seen and position != "button" and item.get("parameters"):
            # one entry per button, but one header and one body
            raise bad_parameter(f"{at}.position", f"only one {position} entry is allowed; "
                                                  f"{field}[{seen[position]}] is one already")
        # Absent is empty: PHP's http_build_query writes nothing at all for an empty list.
        parameters = item.get("parameters", [])
        if not isinstance(parameters, list):
            raise bad_parameter(f"{at}.parameters", f"{at}.parameters must be a list")
        if not parameters:
            continue  # an empty part is no part (OCA's own media example sends one)
        seen.setdefault(position, i)
        if position == "button" and _nested(parameters):
            entries.extend(_nested_buttons(item, parameters, at))
            continue
        _check_parameters(parameters, f"{at}.parameters")
        button_index, sub_type = _button_position(item, at) if position == "button" else (None, None)
        entries.append(_Entry(at, position, parameters, button_index, sub_type))
    return entries


def _check_parameters(parameters: list[Any], at: str) -> None:
    for j, p in enumerate(parameters):
        if not isinstance(p, dict):
            raise bad_parameter(f"{at}[{j}]", f"{at}[{j}] must be an object")
        if not isinstance(p.get("type"), str):
            raise bad_parameter(f"{at}[{j}].type", f"{at}[{j}].type is required")


def _nested(parameters: list[Any]) -> bool:
    """Whether a button entry's parameters are button objects (the client libraries' nested form)."""
    return any(isinstance(p, dict) and "parameters" in p for p in parameters)


def _nested_buttons(item: dict[str, Any], buttons: list[Any], at: str) -> list[_Entry]:
    """{"position": "button", "parameters": [{"sub_type", "index", "parameters": [...]}, ...]}: one entry per
    button object, as if each were its own {"position": "button", "sub_type", "index", "parameters"}."""
    for key in ("sub_type", "index"):
        if item.get(key) is not None:
            raise bad_parameter(f"{at}.{key}", f"{at}.{key} goes inside each button object of {at}.parameters, "
                                               "not beside them")
    if len(buttons) > BUTTONS_MAX:
        raise bad_parameter(f"{at}.parameters", f"{at}.parameters holds at most {BUTTONS_MAX} buttons, "
                                                f"got {len(buttons)}")
    entries = []
    for j, button in enumerate(buttons):
        where = f"{at}.parameters[{j}]"
        if not isinstance(button, dict) or "parameters" not in button:
            raise bad_parameter(where, f"{where} must be a button object {{sub_type, index, parameters}} like "
                                       f"the others in {at}.parameters")
        if button.get("type") is not None and (not isinstance(button["type"], str)
                                               or button["type"].lower() != "button"):
            raise bad_parameter(f"{where}.type", f"{where}.type must be button, or left out")
        inner = button["parameters"]
        if not isinstance(inner, list):
            raise bad_parameter(f"{where}.parameters", f"{where}.parameters must be a list of 1 parameter, "
                                                       'such as {"type": "text", "text": ...}')
        if not inner:
            raise bad_parameter(f"{where}.parameters", f"{where}.parameters must hold the button's parameter, "
                                                       "and is empty (a quick reply that needs none takes no "
                                                       "button object)")
        _check_parameters(inner, f"{where}.parameters")
        for k, p in enumerate(inner):
            if "parameters" in p:
                raise bad_parameter(f"{where}.parameters[{k}]", f"{where}.parameters[{k}] is a parameter "
                                                                "{type, text}, not another button object")
        button_index, sub_type = _button_position(button, where)
        entries.append(_Entry(where, "button", inner, button_index, sub_type))
    return entries


def _button_position(item: dict[str, Any], at: str) -> tuple[int | None, str | None]:
    """A button entry's `index` (a number, or digits as Meta and form encodings write it) and `sub_type`."""
    index, sub_type = item.get("index"), item.get("sub_type")
    if index is not None:
        if isinstance(index, str) and index.isascii() and index.isdigit() and len(index) <= 2:
            index = int(index)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 10:
            raise bad_parameter(f"{at}.index", f"{at}.index must be the button's position, 0 to 9")
    if sub_type is not None:
        if not isinstance(sub_type, str) or sub_type.lower() not in ("url", "copy_code", "quick_reply"):
            raise bad_parameter(f"{at}.sub_type", f"{at}.sub_type must be url, copy_code or quick_reply")
        sub_type = sub_type.lower()
    return index, sub_type


def _find(entries: list[_Entry], position: str) -> list[_Entry]:
    return [e for e in entries if e.position == position]


def _single(entry: _Entry, kind: str | tuple[str, ...], where: str) -> tuple[dict[str, Any], str]:
    """The entry's one parameter, of type `kind` (or one of them), and its field path."""
    kinds = (kind,) if isinstance(kind, str) else kind
    at = f"{entry.at}.parameters"
    if len(entry.parameters) != 1:
        raise bad_parameter(at, f"the {where} takes exactly 1 {kinds[0]} parameter, got {len(entry.parameters)}")
    p = entry.parameters[0]
    if p["type"].lower() not in kinds:
        raise bad_parameter(f"{at}[0].type", f"the {where} takes a {kinds[0]} parameter, not {p['type']}")
    return p, f"{at}[0]"


def _text(value: Any, field: str, max_len: int, *, spaces: bool = True) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_parameter(field, f"{field} is required")
    if len(value) > max_len:
        raise bad_parameter(field, f"{field} must be at most {max_len} characters, got {len(value)}")
    if _BAD_SPACING.search(value):
        raise bad_parameter(field, f"{field} cannot have newlines, tabs or more than 4 spaces in a row")
    if not spaces and " " in value:
        raise bad_parameter(field, f"{field} cannot have spaces")
    return value


def _header(t: dict[str, Any], entries: list[_Entry], field: str) -> list[dict[str, Any]]:
    header = t.get("header") if isinstance(t.get("header"), dict) else {}
    fmt = upper(header.get("format"))
    need = ("text" if fmt == "TEXT" and header_has_variable(t) else
            fmt.lower() if fmt in MEDIA_FORMATS else "location" if fmt == "LOCATION" else None)
    found = _find(entries, "header")
    if need is None:
        if found:
            raise bad_parameter(f"{found[0].at}.position", "this template's header takes no parameters")
        return []
    if not found:
        raise bad_parameter(field, f"this template's header needs 1 {need} parameter: add a header entry")
    p, at = _single(found[0], need, "header")
    if need == "text":
        parameter: dict[str, Any] = {"type": "text", "text": _text(p.get("text"), f"{at}.text", HEADER_MAX)}
    elif need == "location":
        parameter = {"type": "location", "location": _location(p.get("location"), f"{at}.location")}
    else:
        parameter = {"type": need, need: _media(p.get(need), f"{at}.{need}")}
    return [{"type": "header", "parameters": [parameter]}]


def _media(obj: Any, field: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise bad_parameter(field, f"{field} must be an object with a url")
    if not is_web_url(obj.get("url")):
        raise bad_parameter(f"{field}.url", f"{field}.url must be an http(s) URL of at most {URL_MAX} characters")
    media: dict[str, Any] = {"link": obj["url"]}
    for extra in ("filename", "caption"):
        if obj.get(extra) is not None and not isinstance(obj[extra], str):
            raise bad_parameter(f"{field}.{extra}", f"{field}.{extra} must be a string")
    if field.endswith("document") and obj.get("filename"):
        media["filename"] = _text(obj["filename"], f"{field}.filename", 240)  # what the phone shows
    return media


def _location(obj: Any, field: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise bad_parameter(field, f"{field} must be an object with latitude and longitude")
    place = {"latitude": _coordinate(obj.get("latitude"), f"{field}.latitude", 90),
             "longitude": _coordinate(obj.get("longitude"), f"{field}.longitude", 180)}
    for key in ("name", "address"):
        if obj.get(key) is not None:
            if not isinstance(obj[key], str):
                raise bad_parameter(f"{field}.{key}", f"{field}.{key} must be a string")
            place[key] = obj[key]
    return place


def _coordinate(value: Any, field: str, limit: int) -> float:
    try:
        number = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not -limit <= number <= limit:  # also false for nan
        raise bad_parameter(field, f"{field} must be a number from -{limit} to {limit}")
    return number


def _body(t: dict[str, Any], entries: list[_Entry], field: str) -> list[dict[str, Any]]:
    body = t.get("body") if isinstance(t.get("body"), dict) else {}
    count = len(set(body_variables(body.get("text"))))
    found = _find(entries, "body")
    if count == 0:
        if found:
            raise bad_parameter(f"{found[0].at}.position", "this template's body takes no parameters")
        return []
    if not found:
        raise bad_parameter(field, f"this template's body needs {count} text parameter{'s' if count > 1 else ''}: "
                                   "add a body entry")
    entry = found[0]
    at = f"{entry.at}.parameters"
    if len(entry.parameters) != count:
        raise bad_parameter(at, f"the body takes exactly {count} text parameter{'s' if count > 1 else ''}, "
                                f"one for each variable, got {len(entry.parameters)}")
    parameters = []
    for j, p in enumerate(entry.parameters):
        if p["type"].lower() != "text":
            raise bad_parameter(f"{at}[{j}].type", f"the body takes text parameters, not {p['type']}")
        parameters.append({"type": "text", "text": _text(p.get("text"), f"{at}[{j}].text", BODY_MAX)})
    return [{"type": "body", "parameters": parameters}]


def _buttons(t: dict[str, Any], entries: list[_Entry], field: str) -> list[dict[str, Any]]:
    buttons = t.get("buttons") if isinstance(t.get("buttons"), list) else []
    kinds = {i: upper(b.get("type")) for i, b in enumerate(buttons) if isinstance(b, dict)}
    expected = [(i, "url") for i in url_buttons_with_variable(t)] + [
        (i, "copy_code") for i, kind in kinds.items() if kind == "COPY_CODE"]
    found = _find(entries, "button")
    named = {e.button_index: e for e in found if e.button_index is not None}
    replies = [e for e in found if e.button_index is not None and kinds.get(e.button_index) == "QUICK_REPLY"]
    for entry in found:
        if entry.button_index is not None and entry.button_index not in kinds:
            raise bad_parameter(f"{entry.at}.index", f"this template has no button {entry.button_index}")
    # Entries naming their button take it; the others fill the rest in order.
    free = [e for e in found if e.button_index is None]
    open_slots = [(i, kind) for i, kind in expected if i not in named]
    named_expected = [e for e in found if e.button_index is not None and e not in replies]
    if len(free) != len(open_slots) or len(named_expected) + len(free) != len(expected):
        wanted = ", then ".join(f"one for the {'URL' if kind == 'url' else 'COPY_CODE'} button at index {i}"
                                for i, kind in expected) or "none"
        noun = "entry" if len(expected) == 1 else "entries"
        raise bad_parameter(field, f"this template takes {len(expected)} button {noun} ({wanted}), "
                                   f"got {len(found) - len(replies)}")
    assigned = {**{e.button_index: e for e in named_expected}, **dict(zip((i for i, _ in open_slots), free))}
    components = []
    for index, kind in sorted(expected):
        entry = assigned[index]
        if entry.sub_type is not None and entry.sub_type != kind:
            raise bad_parameter(f"{entry.at}.sub_type",
                                f"button {index} is a {kind} button, not {entry.sub_type}")
        if kind == "url":
            p, at = _single(entry, "text", "button")
            parameter = {"type": "text", "text": _text(p.get("text"), f"{at}.text", URL_MAX, spaces=False)}
        else:
            p, at = _single(entry, ("text", "coupon_code"), "button")
            value = p.get("coupon_code") if p["type"].lower() == "coupon_code" else p.get("text")
            parameter = {"type": "coupon_code", "coupon_code": _text(value, f"{at}.text", COUPON_MAX, spaces=False)}
        components.append({"type": "button", "sub_type": kind, "index": str(index), "parameters": [parameter]})
    for entry in replies:
        p, at = _single(entry, "payload", "quick reply")
        components.append({"type": "button", "sub_type": "quick_reply", "index": str(entry.button_index),
                           "parameters": [{"type": "payload", "payload": _text(p.get("payload"), f"{at}.payload",
                                                                                 1000)}]})
    return components


def _authentication(entries: list[_Entry], field: str) -> list[dict[str, Any]]:
    bodies = _find(entries, "body")
    for entry in entries:
        if entry.position == "header":
            raise bad_parameter(f"{entry.at}.position",
                                "authentication templates take only the code, as the one body parameter")
    if not bodies:
        raise bad_parameter(field, "authentication templates need the code: a body entry with 1 text parameter")
    p, at = _single(bodies[0], "text", "body")
    code = p.get("text")
    if not isinstance(code, str) or not _OTP.fullmatch(code):
        raise bad_parameter(f"{at}.text", f"the code must be 1 to {OTP_MAX} letters or digits")
    # Clients following Meta's own docs repeat the code in a button entry: fine when it is the same code.
    for entry in _find(entries, "button"):
        repeated, where = _single(entry, "text", "button")
        if repeated.get("text") != code or entry.button_index not in (None, 0):
            raise bad_parameter(f"{where}.text", "the button entry must repeat the body's code, for button 0")
    parameter = [{"type": "text", "text": code}]
    # Meta needs the code twice: in the body and as the OTP button's url parameter (button index 0).
    return [{"type": "body", "parameters": parameter},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [dict(parameter[0])]}]
