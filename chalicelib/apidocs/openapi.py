"""The OpenAPI 3.1 document of every route: OCA's channel routes (built from sending's route table, so a
new line there is a new operation here), the dashboard API, Meta's webhook, the console and these docs.

It is the one description of the API: served at /openapi.json, checked by openapi-spec-validator,
fuzzed by schemathesis against `make run`'s stack, the source of the route table in docs/channel-api.md
(local/readme_routes.py) and of the console's TypeScript types (openapi-typescript).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.apidocs.dashboard_schemas import SCHEMAS as DASHBOARD_SCHEMAS
from chalicelib.apidocs.json_schema import BOOL, INT, TIME, TRUE, Schema, array, nullable, obj, ref, string
from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP
from chalicelib.messages.api_words import API_WORDS, ROUTE_WORDS
from chalicelib.sending.oca_table import ROUTES, Route

OPENAPI_VERSION = "3.1.0"


def _api_words(channel: str) -> list[str]:
    words = set(API_WORDS[channel].values())
    for (route_channel, _, _), extra in ROUTE_WORDS.items():
        if route_channel == channel:
            words.update(extra.values())
    return sorted(words)


# --- errors ---------------------------------------------------------------------------------------

ERROR_SCHEMAS: dict[str, Schema] = {
    "DashboardError": obj({"errors": array(obj(
        {"message": string(description="in English, for developers"), "code": INT,
         "field": string(description="the request field at fault"),
         "reason": string(description="a stable word for what is wrong (required, too_long, https_required...); "
                                      "the console turns reason and field into text in the reader's language"),
         "params": {"type": "object", "description": "the figures the reason needs, such as {\"max\": 60}"}},
        ["message", "code", "reason"]), minItems=1)}, ["errors"], additionalProperties=False,
        description="Every error of the dashboard API (Kirim's own shape); a form's check lists every fault."),
    "OcaValidationDetail": obj(
        {"value": {"description": "the value sent (left out when the field was not sent; long values cut)"},
         "msg": string(), "param": string(description="the field, as a path such as message.template.payload[0]"),
         "location": string(enum=["body", "query", "params", "headers"])},
        ["msg", "param", "location"], additionalProperties=False),
    "OcaValidationError": obj({"message": array(ref("OcaValidationDetail"), minItems=1), "code": string(const="39")},
                              ["message", "code"], additionalProperties=False),
    "OcaPlainError": obj({"message": string(), "code": INT, "field": string()}, ["message", "code"],
                         additionalProperties=False),
    "OcaError": obj({"errors": array({"anyOf": [ref("OcaValidationError"), ref("OcaPlainError")]},
                                     minItems=1, maxItems=1)}, ["errors"], additionalProperties=False,
                    description="OCA's error body: a validation error (code \"39\", a list of validator objects) "
                                "or any other (an integer code, a message)."),
}

_ERROR_TEXT = {401: "Missing or wrong credentials (OCA codes 17, 43, 45; V2 and WhatsApp quota: 5, V1: 55)",
               403: "Forbidden (a cookie session without X-Kirim-Console, or a setting the operator manages)",
               404: "Not found (code 33): another account's data is never shown",
               405: "Method not allowed (code 33)",
               406: "Invalid input (code 39, naming the field); V1 and WhatsApp also for code 19",
               409: "Conflict (a name taken, a wrong state, a change that lost a race)",
               410: "Gone (an expired report file)",
               413: "Body larger than the limit (code 39, field body)",
               415: "Unsupported Content-Type (code 39)",
               422: "The Idempotency-Key was used with another body",
               429: "Rate limit (code 9: an application's requests per second on the channel routes; an account's "
                    "dashboard requests, message lists by status or new reports on the dashboard), or storage "
                    "contention past a few retries (code 57), with Retry-After",
               500: "Internal error (code 13), never with details",
               503: "Storage throttled or not answering (code 57), or a background job that could not be queued "
                    "(code 13), with Retry-After; nothing was sent, debited or changed"}
OCA_ERRORS = (401, 404, 406, 409, 413, 415, 422, 429, 500, 503)
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "schema": string(minLength=1, maxLength=255),
                   "description": "a retry with the same key answers the first answer and sends nothing"}
DASHBOARD_ERRORS = (401, 403, 404, 406, 409, 413, 415, 429, 500, 503)


def _errors(statuses: tuple[int, ...], schema: str) -> dict[str, Any]:
    return {str(status): {"description": _ERROR_TEXT[status], "content": {"application/json": {"schema": ref(schema)}}}
            for status in statuses}


RATE_HEADERS = {name: {"description": text, "schema": string()} for name, text in (
    ("X-RateLimit-Limit", "requests per second allowed to the application"),
    ("X-RateLimit-Remaining", "requests left in this second"),
    ("X-RateLmit-Remaining", "the same, as OCA's pages spell it"),
    ("X-RateLimit-Reset", "Unix time the window ends"))}


# --- OCA's channel routes -------------------------------------------------------------------------

def _history_status(channel: str) -> Schema:
    return array(obj({"status": string(enum=_api_words(channel)), "at": TIME, "provider_status": nullable(string())},
                     ["status", "at"]))


def _sms_record(version: int, action: str, channel: str = SMS) -> Schema:
    properties = {
        "application": string(), "phone_number": string(), "message_body": nullable(string()),
        "status": string(enum=_api_words(channel)), "operator_cell": nullable(string()),
        "status_description": string(), "country": nullable(string()), "source": string(), "total_sms": INT,
        "created_at": TIME, "updated_at": TIME, "history_status": _history_status(channel)}
    required = ["phone_number", "status", "created_at"]
    if channel == WHATSAPP:
        for key in ("message_body", "total_sms"):
            properties.pop(key)
        properties.update({"msgid": string(), "template_code_id": nullable(string())})
        return obj(properties, [*required, "msgid"])
    if version == 1:
        properties["msg_uid"] = string()
        return obj(properties, [*required, "msg_uid", "message_body", "total_sms"])
    properties["msgid"] = string()
    if action == "history":
        properties.update({"aditional_data": {"type": "null", "description": "sic: OCA's spelling, always null"},
                           "uuid": string(description="the same as msgid")})
    return obj(properties, [*required, "msgid", "message_body", "total_sms"])


def _email_record(version: int) -> Schema:
    id_key = "msg_id" if version == 1 else "msgid"
    return obj({"email": string(), "message_body": string(description="the HTML, cut at 2,000 characters"),
                "status": string(enum=_api_words(EMAIL)), "created_at": TIME, "updated_at": TIME,
                "subject": nullable(string()), "sender_email": nullable(string()), "attachment": BOOL,
                "source": string(), "history": _history_status(EMAIL), id_key: string()},
               ["email", "status", "created_at", id_key])


OTP_STATUS = obj({"total_sms": INT, "sender_id": nullable(string()), "receipent_number": string(description="sic"),
                  "recipient_number": string(), "message_body": nullable(string()),
                  "status": string(enum=_api_words(SMS_OTP)), "country": nullable(string()), "created_at": TIME,
                  "updated_at": TIME, "msg_id": string(), "history_status": _history_status(SMS_OTP)},
                 ["sender_id", "receipent_number", "status", "created_at", "updated_at", "msg_id"])
CALL_STATUS = obj({
    "from_number": nullable(string()), "to_number": string(), "ivr_id": nullable(string()), "call_id": string(),
    "application_id": string(), "call_start": nullable(TIME), "call_answer": nullable(TIME), "call_end": nullable(TIME),
    "duration": nullable(INT), "talk_duration": nullable(INT), "tta": nullable(INT), "hangup_cause": nullable(string()),
    "status": string(enum=_api_words(IVR)), "created_at": TIME, "updated_at": TIME,
    "result": array(obj({"question": string(), "type": string(), "answer": array({})}))},
    ["to_number", "call_id", "status", "created_at", "result"])
AUDIO = obj({"id": string(), "filename": string(), "name": string(), "url": string(format="uri"), "size": INT,
             "created_at": TIME}, ["id", "filename", "name", "url"])
IVR_ITEM = obj({"ivr_id": string(), "ivr_name": string(), "required_variable": array(string()), "created_at": TIME,
                "deleted_at": {"type": "null"}}, ["ivr_id", "ivr_name", "required_variable", "created_at"])

PAYLOAD_PARAMETER = obj({"type": string(enum=["text", "image", "video", "document", "location", "coupon_code",
                                               "payload"]),
                          "text": string(),
                          **{kind: obj({"url": string(), "caption": string(), "filename": string()}, ["url"])
                             for kind in ("image", "video", "document")}}, ["type"])
BUTTON_SUB_TYPE = string(enum=["url", "copy_code", "quick_reply"])
BUTTON_INDEX = {"type": ["string", "integer"], "description": "the button's position in the template, 0-9"}
# {"position": "button", "parameters": [<this>]}: the OCA client libraries (Go, TypeScript) nest Meta's button here.
NESTED_BUTTON = obj({"type": string(enum=["button"], description="optional"), "sub_type": BUTTON_SUB_TYPE,
                     "index": BUTTON_INDEX,
                     "parameters": array(PAYLOAD_PARAMETER, minItems=1, maxItems=1,
                                         description="the button's one parameter: a URL's suffix "
                                                     '{"type": "text", "text"}, a coupon code, a quick reply\'s '
                                                     "payload")},
                    ["parameters"], description="a button entry's button, as the OCA client libraries nest it")
PAYLOAD_ITEM = obj({
    "position": string(enum=["header", "body", "button"]),
    "sub_type": {**BUTTON_SUB_TYPE, "description": "Meta's form: the button's kind"},
    "index": {**BUTTON_INDEX, "description": "Meta's form: the button's position, 0-9"},
    "parameters": array({"anyOf": [PAYLOAD_PARAMETER, NESTED_BUTTON]},
                        description="the component's parameters; a button entry's may instead be button objects "
                                    '({"sub_type", "index", "parameters"}, at most 10), the form the OCA client '
                                    "libraries send")},
    ["position"])
SEND_BODIES: dict[str, Schema] = {
    SMS: obj({"phone": string(description="0812…, 62812… or +62812…"), "message": string(maxLength=1600)},
             ["phone", "message"], examples=[{"phone": "081234567890", "message": "Halo dari Kirim"}]),
    SMS_OTP: obj({"sender_id": string(), "recipient_number": string(),
                  "receipent_number": string(description="OCA's V1 spelling, accepted too"),
                  "message_body": string()}, ["sender_id", "message_body"],
                 examples=[{"sender_id": "KIRIM", "recipient_number": "6281234567890",
                            "message_body": "Kode OTP Anda 123456"}]),
    EMAIL: obj({"email": string(format="email"), "message": string(description="base64 HTML (text as written "
                                                                              "when it is not base64)"),
                "sender_email": string(format="email"), "sender_name": string(), "subject": string(),
                "attachment": {"description": "a file (multipart), or {filename, content_type?, content: base64}"}},
               ["email", "message", "sender_email", "subject"],
               examples=[{"email": "budi@example.com", "message": "PGgxPkhhbG88L2gxPg==",
                          "sender_email": "noreply@kirim.dev", "sender_name": "Toko", "subject": "Pesanan"}]),
    IVR: obj({"from_number": string(description="one of the numbers collection"), "to_number": string(),
              "ivr_id": string(), "variable": obj({}, additionalProperties=string())},
             ["from_number", "to_number", "ivr_id"]),
    WHATSAPP: obj({"phone_number": string(), "message": obj({"type": string(const="template"), "template": obj(
        {"template_code_id": string(description="'<template id, _ for ->:<name>' or '<category>:<name>'"),
         "payload": array(PAYLOAD_ITEM)}, ["template_code_id"])}, ["type", "template"])},
        ["phone_number", "message"], examples=[{"phone_number": "6281234567890", "message": {
            "type": "template", "template": {"template_code_id": "utility:order_update", "payload": [
                {"position": "body", "parameters": [{"type": "text", "text": "Budi"}]}]}}}]),
}


def _send_answer(channel: str, version: int) -> Schema:
    if channel == SMS:
        return obj({"status": string(const="sent"), "msg_uid": string()}, ["status", "msg_uid"])
    if channel == SMS_OTP:
        flag = "success" if version == 2 else "sender_id"
        return obj({flag: TRUE, "msg_id": string()}, [flag, "msg_id"])
    if channel == EMAIL:
        if version == 2:
            return obj({"success": TRUE, "msg_id": string()}, ["success", "msg_id"])
        return obj({"status": TRUE, "msg_uid": string(), "success": TRUE, "msg_id": string()},
                   ["status", "msg_uid", "success", "msg_id"])
    if channel == IVR:
        return obj({"success": TRUE, "call_id": string(), "to_number": string(description="the call id, as OCA's "
                                                                                            "example answers it")},
                   ["success", "call_id", "to_number"])
    return obj({"msgid": string(), "success": TRUE}, ["msgid", "success"])


def _status_answer(channel: str, version: int) -> Schema:
    if channel == SMS_OTP:
        return OTP_STATUS
    if channel == IVR:
        return CALL_STATUS
    data = _email_record(version) if channel == EMAIL else _sms_record(version, "status", channel)
    return obj({"status": TRUE, "data": data}, ["status", "data"])


# What each route answers, in short, and OCA's quirks it keeps on purpose (the route table in docs/channel-api.md).
# Keys: (channel, action, version); version None = both.
ANSWERS: dict[tuple[str, str, int | None], tuple[str, str]] = {
    (SMS, "send", None): ('`{"status": "sent", "msg_uid"}`', "`status` is the string \"sent\" (the table says success)"),
    (SMS, "history", 1): ("array of `{phone_number, message_body, status, msg_uid, total_sms, created_at, ...}`",
                          "bare array; id key `msg_uid`"),
    (SMS, "history", 2): ("array of OCA's V2 history item", "`msgid` and `uuid` (same value), `aditional_data: null`, "
                                                            "status word `send`"),
    (SMS, "status", 1): ('`{"status": true, "data": {msg_uid, application, ...}}`', "id key `msg_uid`"),
    (SMS, "status", 2): ('`{"status": true, "data": {msgid, operator_cell, status_description, country, source, '
                         '...}}`', "id key `msgid`; `operator_cell` upper case (TELKOMSEL)"),
    (SMS_OTP, "send", 1): ('`{"sender_id": true, "msg_id"}`', "the success flag is `sender_id`; "
                                                               "`receipent_number` accepted"),
    (SMS_OTP, "send", 2): ('`{"success": true, "msg_id"}`', "`recipient_number` and `receipent_number` accepted"),
    (SMS_OTP, "status", None): ("flat `{total_sms, sender_id, receipent_number, message_body, status, country, "
                                "msg_id, ...}`", "no wrapper; `receipent_number`; status word `submited`"),
    (SMS_OTP, "sender_ids", None): ('`{"sender_id": [...]}`', ""),
    (EMAIL, "send", 1): ('`{"status": true, "msg_uid", "success": true, "msg_id"}`',
                         "the page's example and its table, side by side; `message` base64 (or text as written)"),
    (EMAIL, "send", 2): ('`{"success": true, "msg_id"}`', "`message` base64 (or text as written)"),
    (EMAIL, "history", 1): ("array of `{email, message_body, status, msg_id, created_at, ...}`", "bare array"),
    (EMAIL, "history", 2): ("array of the V2 status `data` (undocumented by OCA)", "bare array"),
    (EMAIL, "status", 1): ('`{"status": true, "data": {email, message_body, status, msg_id, ...}}`', ""),
    (EMAIL, "status", 2): ('`{"status": true, "data": {msgid, attachment, history, source, message_body, ...}}`',
                           "`attachment` a boolean"),
    (IVR, "send", None): ('`{"success": true, "call_id", "to_number"}`', "the id under `to_number` too "
                                                                          "(OCA's example)"),
    (IVR, "ivr_list", None): ("array of `{ivr_id, ivr_name, required_variable, created_at, deleted_at}`",
                              "bare array; `deleted_at` null"),
    (IVR, "status", None): ("flat `{call_id, from_number, to_number, call_start, call_answer, call_end, duration, "
                            "talk_duration, tta, hangup_cause, status, result, ...}`", "status word `answered`"),
    (IVR, "audio_upload", None): ("`{id, filename, name, url}`", "multipart field `audio`"),
    (IVR, "audio_list", None): ("array of `{id, filename, name, url, ...}`", "path is Kirim's (OCA's is unpublished)"),
    (IVR, "audio_delete", None): ('`{"success": true, "id"}`', "path is Kirim's (OCA's is unpublished)"),
    (IVR, "caller_ids", None): ('`{"from_number": [...]}`', "path is Kirim's (OCA's is unpublished)"),
    (IVR, "audio_play", None): ("302 to the file", "the `url` an upload answers"),
    (WHATSAPP, "send", None): ('`{"msgid", "success": true}`', "id key `msgid`; forms of OCA, Meta and PHP"),
    (WHATSAPP, "status", None): ('`{"status": true, "data": {msgid, status, history_status, ...}}`',
                                 "both paths clients call"),
}


def answer_of(route: Route) -> tuple[str, str]:
    return ANSWERS.get((route.channel, route.action, route.version)) or ANSWERS[(route.channel, route.action, None)]


_SUMMARY = {"send": "Send", "history": "History", "status": "Status", "sender_ids": "Sender ids (maskings)",
            "ivr_list": "IVR scripts", "audio_upload": "Upload audio", "audio_list": "Audio files",
            "audio_delete": "Delete an audio file", "caller_ids": "Numbers collection", "audio_play": "Play an audio file"}
_CHANNEL_NAME = {SMS: "SMS", SMS_OTP: "SMS OTP", EMAIL: "Email", IVR: "IVR call", WHATSAPP: "WhatsApp"}


def _oca_answer(route: Route) -> tuple[str, dict[str, Any]]:
    """(status, response object) of a route's success."""
    json_of = lambda schema: {"application/json": {"schema": schema}}  # noqa: E731
    channel, version, action = route.channel, route.version, route.action
    if action == "audio_play":
        return "302", {"description": "A redirect to the file (a presigned URL, valid 15 minutes)",
                       "headers": {"Location": {"schema": string(format="uri")}}}
    if action == "history":
        item = _email_record(version) if channel == EMAIL else _sms_record(version, "history", channel)
        return "200", {"description": "Newest first, as a bare array (OCA's); the next page's cursor is in headers",
                       "headers": {**RATE_HEADERS,
                                   "X-Next-Cursor": {"description": "pass as ?cursor= for the next page",
                                                     "schema": string()},
                                   "Link": {"description": 'RFC 8288: <?limit=..&cursor=..>; rel="next"',
                                            "schema": string()}},
                       "content": json_of(array(item))}
    schema = {"send": lambda: _send_answer(channel, version), "status": lambda: _status_answer(channel, version),
              "sender_ids": lambda: obj({"sender_id": array(string())}, ["sender_id"]),
              "caller_ids": lambda: obj({"from_number": array(string())}, ["from_number"]),
              "ivr_list": lambda: array(IVR_ITEM), "audio_upload": lambda: AUDIO,
              "audio_list": lambda: array(AUDIO),
              "audio_delete": lambda: obj({"success": TRUE, "id": string()}, ["success", "id"])}[action]()
    return "200", {"description": "OK", "headers": dict(RATE_HEADERS), "content": json_of(schema)}


def _oca_request(route: Route) -> dict[str, Any] | None:
    if route.action == "audio_upload":
        return {"required": True, "content": {"multipart/form-data": {"schema": obj(
            {"audio": string(contentMediaType="audio/mpeg", description="an MP3 or WAV file, at most 4 MiB")},
            ["audio"])}}}
    if route.action != "send":
        return None
    schema = SEND_BODIES[route.channel]
    content = {"application/json": {"schema": schema}, "application/x-www-form-urlencoded": {"schema": schema}}
    if route.channel == EMAIL:
        content["multipart/form-data"] = {"schema": schema}
    return {"required": True, "content": content}


def _oca_operation(route: Route) -> dict[str, Any]:
    version = f"V{route.version}"
    operation: dict[str, Any] = {
        "operationId": _operation_id(route.method, route.path),
        "summary": f"{_CHANNEL_NAME[route.channel]}: {_SUMMARY[route.action]} ({version})",
        "tags": [f"OCA {version}" if route.channel != WHATSAPP else "OCA WhatsApp"],
        "x-oca": {"version": route.version, "channel": route.channel, "action": route.action,
                  "answer": answer_of(route)[0], "quirks": answer_of(route)[1]},
    }
    if route.authenticated:
        operation["security"] = [{"basicAuth": []}] if route.version == 1 else [{"channelToken": []}]
    parameters = [{"name": name, "in": "path", "required": True, "schema": string(minLength=1)}
                  for name in _path_names(route.path)]
    if route.action == "history":
        parameters += [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                                                    "default": 50}},
                       {"name": "cursor", "in": "query", "schema": string(description="X-Next-Cursor of the page "
                                                                                     "before")}]
    if route.action == "send":
        parameters.append(IDEMPOTENCY_KEY)
    if route.version == 1 and route.authenticated:
        parameters.append({"name": "X-Application-Id", "in": "header", "schema": string(),
                           "description": "optional: which application (else the owner's pick for the channel, "
                                          "else the oldest)"})
    if parameters:
        operation["parameters"] = parameters
    request = _oca_request(route)
    if request:
        operation["requestBody"] = request
    status, answer = _oca_answer(route)
    errors = (404, 500) if not route.authenticated else OCA_ERRORS
    operation["responses"] = {status: answer, **_errors(errors, "OcaError")}
    return operation


def _operation_id(method: str, path: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "_", f"{method} {path}").strip("_").lower()


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"\{([^}]+)\}", path)


# --- the dashboard API ----------------------------------------------------------------------------

RANGE = [{"name": "from", "in": "query", "schema": string(), "description": "a date (2026-11-27) or an ISO 8601 time"},
         {"name": "to", "in": "query", "schema": string(), "description": "inclusive; a date or an ISO 8601 time"}]
APP_ID = {"name": "application_id", "in": "path", "required": True, "schema": string()}


def _dash(summary: str, answer: tuple[str, str | None], *, body: str | None = None, body_required: bool = True,
          parameters: list[dict[str, Any]] | None = None, auth: bool = True, tag: str = "Dashboard",
          errors: tuple[int, ...] = DASHBOARD_ERRORS, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A dashboard operation. `answer` is (status, the answer's schema name or None) and `body` the request's
    schema name: the dashboard's bodies are named (dashboard_schemas.py), the console's types come from them."""
    status, name = answer
    response: dict[str, Any] = {"description": summary}
    if name is not None:
        response["content"] = {"application/json": {"schema": ref(name)}}
    if headers:
        response["headers"] = headers
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {status: response,
                                                                                   **_errors(errors, "DashboardError")}}
    if auth:
        operation["security"] = [{"session": []}, {"sessionCookie": []}]
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": ref(body)}}}
    return operation


def _verify_paths() -> dict[str, dict[str, Any]]:
    """The Verify API: authenticated by the token of the channel it sends through."""
    paths = {"/verify/v2/start": _dash("Verify: send a one-time code", ("201", "Verification"), body="VerifyStart",
                                       auth=False, tag="Verify", parameters=[IDEMPOTENCY_KEY],
                                       errors=(*DASHBOARD_ERRORS, 422)),
             "/verify/v2/check": _dash("Verify: check a code", ("200", "Verification"), body="VerifyCheck",
                                       auth=False, tag="Verify")}
    for operation in paths.values():
        operation["security"] = [{"channelToken": []}]
    return {path: {"post": operation} for path, operation in paths.items()}


def _local_paths() -> dict[str, dict[str, Any]]:
    """Routes of the local stage only (the app registers them there only)."""
    from chalicelib.core.config import get_settings

    if get_settings().stage != "local":
        return {}
    return {"/simulator/messages": {"get": _dash(
        "The test inbox: what the simulator delivered, in full (local stage only)", ("200", "InboxList"), tag="Local",
        parameters=[{"name": "to", "in": "query", "schema": string()},
                    {"name": "channel", "in": "query", "schema": string()},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}])}}


def _broadcast_paths() -> dict[str, dict[str, Any]]:
    tag = "Dashboard: broadcasts"
    base = "/applications/{application_id}/broadcasts"
    one = base + "/{broadcast_id}"
    bc = [APP_ID, {"name": "broadcast_id", "in": "path", "required": True, "schema": string()}]
    app = [APP_ID]
    page = [{"name": "cursor", "in": "query", "schema": string()},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}]
    return {
        base: {"post": _dash("Create a broadcast (a draft)", ("201", "Broadcast"), parameters=app,
                             body="BroadcastRequest", tag=tag),
               "get": _dash("List broadcasts, newest first", ("200", "BroadcastList"), tag=tag, parameters=[
                   *app, {"name": "status", "in": "query", "schema": ref("BroadcastStatus")}, *page])},
        one: {"get": _dash("A broadcast", ("200", "Broadcast"), parameters=bc, tag=tag),
              "patch": _dash("Change a draft or ready broadcast (content or mapping: back to draft)",
                             ("200", "Broadcast"), parameters=bc, body="BroadcastChanges", tag=tag),
              "delete": _dash("Delete a broadcast that is not validating, scheduled, running or paused",
                              ("204", None), parameters=bc, tag=tag)},
        one + "/upload": {"post": _dash("A presigned S3 POST for the recipient file (at most 100 MB)",
                                        ("200", "UploadForm"), parameters=bc, body="UploadRequest", tag=tag)},
        one + "/file": {"post": _dash("Read the uploaded file's first rows: columns and a preview", ("200", "Broadcast"),
                                      parameters=bc, tag=tag, errors=(*DASHBOARD_ERRORS, 422))},
        one + "/validate": {"post": _dash("Validate the whole file with this mapping (in the background)",
                                          ("202", "Broadcast"), parameters=bc, body="ValidateRequest", tag=tag)},
        one + "/errors": {"get": _dash(
            "A download link (15 minutes) of the bad rows as CSV: line, code, reason (in the asked language), the "
            "row's cells", ("200", "DownloadLink"), tag=tag, parameters=[
                *bc, {"name": "lang", "in": "query", "schema": string(enum=["en", "id"]),
                      "description": "the reasons' language; without it, the first of Accept-Language's that is "
                                     "en or id, else en"},
                {"name": "Accept-Language", "in": "header", "schema": string()}])},
        one + "/schedule": {"put": _dash("Set the start time, rate and quiet hours", ("200", "Broadcast"),
                                         parameters=bc, body="BroadcastScheduleRequest", tag=tag)},
        one + "/start": {"post": _dash("Start a ready broadcast: scheduled (start_at ahead) or running",
                                       ("200", "Broadcast"), parameters=bc, tag=tag)},
        one + "/pause": {"post": _dash("Pause (within one chunk)", ("200", "Broadcast"), parameters=bc, tag=tag)},
        one + "/resume": {"post": _dash("Resume a paused broadcast", ("200", "Broadcast"), parameters=bc, tag=tag)},
        one + "/cancel": {"post": _dash("Cancel: nothing more is sent", ("200", "Broadcast"), parameters=bc, tag=tag)},
        one + "/progress": {"get": _dash("Status and progress (cheap: poll it)", ("200", "BroadcastProgressAnswer"),
                                         parameters=bc, tag=tag)},
        one + "/results": {"post": _dash("Per-recipient results: a report job of this broadcast's messages (CSV or "
                                         "XLSX), downloaded like any report", ("202", "Report"), parameters=bc,
                                         body="BroadcastResultsRequest", tag=tag)},
        "/applications/{application_id}/suppressions": {
            "get": _dash("The suppression list: never broadcast to these", ("200", "SuppressionList"),
                         parameters=[*app, *page], tag=tag),
            "post": _dash("Add phone numbers or email addresses to the suppression list", ("200", "SuppressionsAdded"),
                          parameters=app, body="SuppressionRequest", tag=tag)},
        "/applications/{application_id}/suppressions/{target}": {"delete": _dash(
            "Remove one from the suppression list", ("204", None), tag=tag, parameters=[
                APP_ID, {"name": "target", "in": "path", "required": True, "schema": string(),
                         "description": "URL-encoded (%2B for +, %40 for @)"}])},
    }


def _dashboard_paths() -> dict[str, dict[str, Any]]:
    app = [APP_ID]
    channel_param = {"name": "channel", "in": "path", "required": True, "schema": string()}
    template_param = {"name": "template_id", "in": "path", "required": True, "schema": string()}
    report_param = {"name": "report_id", "in": "path", "required": True, "schema": string()}
    identity_param = {"name": "identity", "in": "path", "required": True, "schema": string(),
                      "description": "an address (URL-encoded: %40 for @) or a domain"}
    add_identity = _dash("Add an email sender (an address or a domain) to verify; 409 when another application's",
                         ("201", "EmailIdentity"), parameters=app, body="EmailIdentityRequest")
    add_identity["responses"]["200"] = {"description": "It is this application's already: as it stands",
                                        "content": {"application/json": {"schema": ref("EmailIdentity")}}}
    templates_tag = "Dashboard: WhatsApp templates"
    callbacks_tag = "Dashboard: status callbacks"
    team_tag = "Dashboard: team"
    member_param = {"name": "user_id", "in": "path", "required": True, "schema": string()}
    no_session = (406, 409, 413, 415, 429, 500)
    return {
        "/auth/register": {"post": _dash("Register an account", ("201", "Me"), body="RegisterRequest", auth=False,
                                         errors=no_session)},
        "/auth/login": {"post": _dash("Log in: a session token (or, with X-Kirim-Console: 1, an HttpOnly cookie)",
                                      ("200", "LoginAnswer"), body="LoginRequest", auth=False,
                                      errors=(401, 406, 413, 415, 429, 500),
                                      headers={"Cache-Control": {"schema": string(const="no-store")}})},
        "/auth/me": {"get": _dash("Who am I (and the stage: local has the test inbox)", ("200", "Me"),
                                  errors=(401, 429, 500, 503))},
        "/auth/logout": {"post": _dash("Log out", ("204", None), errors=(401, 403, 500))},
        "/auth/two-factor": {"get": _dash("Is two-factor sign-in on, and how many recovery codes are left",
                                          ("200", "TwoFactorStatus"))},
        "/auth/two-factor/setup": {"post": _dash(
            "Start two-factor sign-in: a new TOTP secret (shown once; on only after /enable)", ("201", "TwoFactorSetup"),
            headers={"Cache-Control": {"schema": string(const="no-store")}})},
        "/auth/two-factor/enable": {"post": _dash(
            "Turn two-factor sign-in on with a code from the app: 10 recovery codes (shown once)",
            ("200", "RecoveryCodes"), body="TwoFactorCode",
            headers={"Cache-Control": {"schema": string(const="no-store")}})},
        "/auth/two-factor/disable": {"post": _dash(
            "Turn two-factor sign-in off with a current code or a recovery code", ("204", None),
            body="TwoFactorCode")},
        "/applications": {
            "post": _dash("Create an application", ("201", "Application"), body="ApplicationRequest"),
            "get": _dash("List my applications, newest first", ("200", "ApplicationList"),
                         errors=(401, 429, 500, 503))},
        "/applications/{application_id}": {
            "get": _dash("Get an application", ("200", "Application"), parameters=app),
            "patch": _dash("Rename an application", ("200", "Application"), parameters=app, body="ApplicationRename"),
            "delete": _dash("Delete an application, typing its name; its keys stop working at once", ("204", None),
                            parameters=app, body="ApplicationDelete")},
        "/applications/{application_id}/members": {"get": _dash(
            "The team: the owner, members and pending invitations (any member)", ("200", "Team"), parameters=app,
            tag=team_tag)},
        "/applications/{application_id}/invitations": {"post": _dash(
            "Invite someone by email with a role (owner only; the token is shown once, valid 7 days)",
            ("201", "CreatedInvitation"), parameters=app, body="InvitationRequest", tag=team_tag,
            headers={"Cache-Control": {"schema": string(const="no-store")}})},
        "/applications/{application_id}/invitations/{invitation_id}": {"delete": _dash(
            "Withdraw an invitation (owner only)", ("204", None), tag=team_tag,
            parameters=[APP_ID, {"name": "invitation_id", "in": "path", "required": True, "schema": string()}])},
        "/applications/{application_id}/members/{user_id}": {
            "put": _dash("Change a member's role (owner only)", ("200", "TeamMember"), tag=team_tag,
                         parameters=[APP_ID, member_param], body="RoleChange"),
            "delete": _dash("Remove a member (owner only)", ("204", None), tag=team_tag,
                            parameters=[APP_ID, member_param])},
        "/invitations/accept": {"post": _dash(
            "Accept an invitation: the signed-in account (with the invited email) joins the team",
            ("200", "Application"), body="AcceptInvitation", tag=team_tag)},
        "/applications/{application_id}/channels/{channel}/token": {
            "post": _dash("Generate a channel token (shown once; the old one dies)", ("201", "GeneratedToken"),
                          parameters=[APP_ID, channel_param]),
            "delete": _dash("Revoke a channel token", ("204", None), parameters=[APP_ID, channel_param])},
        "/applications/{application_id}/test-messages": {"post": _dash(
            "Send a test message (Kirim's own text by SMS, SMS OTP or Email) through the normal send pipeline: "
            "it uses quota and counts against the rate limit", ("201", "TestMessage"), parameters=app,
            body="TestMessageRequest")},
        "/applications/{application_id}/settings": {
            "get": _dash("Sending settings", ("200", "Settings"), parameters=app),
            "put": _dash("Change sending settings", ("200", "Settings"), parameters=app, body="SettingsUpdate")},
        "/applications/{application_id}/settings/callback-secret": {"post": _dash(
            "Rotate the callback signing secret (shown once; the old one signs too for 24 hours)",
            ("201", "RotatedSecret"), parameters=app, headers={"Cache-Control": {"schema": string(const="no-store")}})},
        "/applications/{application_id}/email-identities": {
            "get": _dash("Email senders, each with its verification status (pending ones asked again)",
                         ("200", "EmailIdentityList"), parameters=app),
            "post": add_identity},
        "/applications/{application_id}/email-identities/{identity}": {
            "get": _dash("One email sender, its status asked again", ("200", "EmailIdentity"),
                         parameters=[APP_ID, identity_param]),
            "delete": _dash("Remove an email sender (and its SES identity, when Kirim made it)", ("204", None),
                            parameters=[APP_ID, identity_param])},
        "/applications/{application_id}/callbacks/failed": {"get": _dash(
            "Failed status callbacks, newest first", ("200", "DeliveryList"), parameters=[APP_ID, *RANGE],
            tag=callbacks_tag)},
        "/applications/{application_id}/callbacks/replay": {"post": _dash(
            "Replay every callback that failed in a range (at most 500 a call)", ("200", "ReplayAnswer"),
            parameters=app, tag=callbacks_tag, body="ReplayRange")},
        "/applications/{application_id}/callbacks/{delivery_id}/replay": {"post": _dash(
            "Replay one callback delivery", ("200", "Delivery"), tag=callbacks_tag, parameters=[
                APP_ID, {"name": "delivery_id", "in": "path", "required": True, "schema": string()}])},
        "/applications/{application_id}/ivr": {
            "post": _dash("Create an IVR script", ("201", "IvrScript"), parameters=app, body="IvrScriptRequest"),
            "get": _dash("List IVR scripts", ("200", "IvrScriptList"), parameters=app)},
        "/applications/{application_id}/overview": {"get": _dash(
            "Overview: totals, rates, daily series and the latest messages", ("200", "Overview"),
            parameters=[APP_ID, {"name": "channel", "in": "query", "schema": string()}, *RANGE])},
        "/applications/{application_id}/usage": {"get": _dash(
            "Usage: each channel's quota left and alert, messages and refunds per day (default: 30 days), "
            "the operator's top-ups", ("200", "Usage"), parameters=[APP_ID, *RANGE])},
        "/applications/{application_id}/usage/alert": {"put": _dash(
            "Set or clear a channel's quota alert (a quota.low callback once per crossing); answers the usage",
            ("200", "Usage"), parameters=app, body="UsageAlert")},
        "/applications/{application_id}/messages": {"get": _dash(
            "Messages, filtered and paged", ("200", "MessagePage"),
            parameters=[APP_ID, {"name": "channel", "in": "query", "schema": string()},
                        {"name": "status", "in": "query", "schema": string(), "description": "comma-separated"},
                        {"name": "recipient", "in": "query", "schema": string(), "description":
                         "a phone number in any form the send routes take (0812..., 62812..., +62 812-...) or an email"},
                        {"name": "broadcast_id", "in": "query", "schema": string(), "description":
                         "only this broadcast's messages (bc_...), newest first by default, from its own index"},
                        *RANGE, {"name": "order", "in": "query", "schema": string(enum=["desc", "asc"])},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                        {"name": "cursor", "in": "query", "schema": string()}])},
        "/applications/{application_id}/messages/{message_id}": {"get": _dash(
            "One message with its history and its status callbacks", ("200", "MessageDetail"),
            parameters=[APP_ID, {"name": "message_id", "in": "path", "required": True, "schema": string()}])},
        "/applications/{application_id}/reports": {
            "post": _dash("Ask for a report", ("202", "Report"), parameters=app, body="ReportRequest"),
            "get": _dash("List reports", ("200", "ReportList"), parameters=app)},
        "/applications/{application_id}/reports/{report_id}": {"get": _dash(
            "A report's progress", ("200", "Report"), parameters=[APP_ID, report_param])},
        "/applications/{application_id}/reports/{report_id}/download": {"get": _dash(
            "A fresh download link (15 minutes)", ("200", "DownloadLink"), parameters=[APP_ID, report_param],
            errors=(*DASHBOARD_ERRORS, 410))},
        **_broadcast_paths(),
        "/applications/{application_id}/whatsapp/templates": {
            "post": _dash("Create a template (a draft, or submitted)", ("201", "Template"), parameters=app,
                          body="TemplateForm", tag=templates_tag),
            "get": _dash("List templates", ("200", "TemplateList"), tag=templates_tag,
                         parameters=[APP_ID, {"name": "status", "in": "query", "schema": ref("TemplateStatus")}])},
        "/applications/{application_id}/whatsapp/templates/preview": {"post": _dash(
            "Preview a template being typed (nothing saved)", ("200", "Preview"), parameters=app, tag=templates_tag,
            body="PreviewRequest")},
        "/applications/{application_id}/whatsapp/templates/{template_id}": {
            "get": _dash("Get a template", ("200", "Template"), parameters=[APP_ID, template_param],
                         tag=templates_tag),
            "patch": _dash("Edit a DRAFT or REJECTED template", ("200", "Template"), tag=templates_tag,
                           parameters=[APP_ID, template_param], body="TemplateChanges"),
            "delete": _dash("Delete a template", ("204", None), parameters=[APP_ID, template_param],
                            tag=templates_tag)},
        "/applications/{application_id}/whatsapp/templates/{template_id}/submit": {"post": _dash(
            "Submit a template to Meta's review", ("200", "Template"), tag=templates_tag,
            parameters=[APP_ID, template_param], body="TemplateSubmit", body_required=False)},
        "/applications/{application_id}/whatsapp/templates/{template_id}/preview": {"get": _dash(
            "What the phone shows", ("200", "Preview"), tag=templates_tag, parameters=[
                APP_ID, template_param, {"name": "masking_name", "in": "query", "schema": string()}])},
    }


def _page(summary: str, errors: tuple[int, ...]) -> dict[str, Any]:
    return {"summary": summary, "tags": ["Console and docs"],
            "responses": {"200": {"description": "its page", "content": {"text/html": {"schema": string()}}},
                          **_errors(errors, "DashboardError")}}


def _file(summary: str) -> dict[str, Any]:
    return {"summary": summary, "tags": ["Console and docs"],
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": string()}],
            "responses": {"200": {"description": "a file"}, **_errors((404, 500), "DashboardError")}}


def _unsubscribe_paths() -> dict[str, Any]:
    """A broadcast email's List-Unsubscribe link (RFC 8058): the token signs the application and address."""
    token = [{"name": "token", "in": "path", "required": True, "schema": string(),
              "description": "from the email's List-Unsubscribe header"}]
    html = {"content": {"text/html": {"schema": string()}}}
    return {
        "get": {"summary": "The unsubscribe page, in Indonesian and English, with its button (changes nothing)",
                "tags": ["Webhooks"], "parameters": token,
                "responses": {"200": {"description": "the page", **html},
                              "404": {"description": "a token Kirim did not sign", **html},
                              **_errors((500,), "DashboardError")}},
        "post": {"summary": "One-click unsubscribe: the address joins the application's suppression list "
                            "(`unsubscribed`), once; a repeat answers the same",
                 "tags": ["Webhooks"], "parameters": token,
                 "requestBody": {"required": True, "content": {
                     media: {"schema": string(), "example": "List-Unsubscribe=One-Click"}
                     for media in ("application/x-www-form-urlencoded", "multipart/form-data")}},
                 "responses": {"200": {"description": "unsubscribed (now or before)", **html},
                               "400": {"description": "the body is not List-Unsubscribe=One-Click", **html},
                               "404": {"description": "a token Kirim did not sign", **html},
                               **_errors((500,), "DashboardError")}}}


def _other_paths() -> dict[str, dict[str, Any]]:
    text = lambda media: {"content": {media: {"schema": string()}}}  # noqa: E731
    return {
        "/webhooks/whatsapp": {
            "get": {"summary": "Meta's subscription check (hub.mode, hub.verify_token, hub.challenge)",
                    "tags": ["Webhooks"],
                    "parameters": [{"name": name, "in": "query", "schema": string()}
                                   for name in ("hub.mode", "hub.verify_token", "hub.challenge")],
                    "responses": {"200": {"description": "the challenge, echoed", **text("text/plain")},
                                  **_errors((403, 500), "DashboardError")}},
            "post": {"summary": "Meta's signed events: message statuses and template reviews", "tags": ["Webhooks"],
                     "parameters": [{"name": "X-Hub-Signature-256", "in": "header", "required": True,
                                     "schema": string(), "description": "sha256=HMAC of the raw body"}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": obj({})}}},
                     "responses": {"200": {"description": "Applied", "content": {"application/json": {
                         "schema": obj({"received": INT, "applied": INT}, ["received", "applied"])}}},
                         **_errors((401, 406, 413, 415, 500), "DashboardError")}}},
        "/unsubscribe/{token}": _unsubscribe_paths(),
        "/console": {"get": _page("The web console", (404, 500))},
        "/console/assets/{name}": {"get": _file("The console's files")},
        "/openapi.json": {"get": {"summary": "This document", "tags": ["Console and docs"],
                                  "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                                      "application/json": {"schema": obj({})}}},
                                      **_errors((500,), "DashboardError")}}},
        "/docs": {"get": _page("This document, readable (Swagger UI)", (500,))},
        "/docs/assets/{name}": {"get": _file("The docs page's files")},
    }


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _oca_operation(route)
    paths.update(_dashboard_paths())
    paths.update(_other_paths())
    paths.update(_verify_paths())
    paths.update(_local_paths())
    for path, operations in paths.items():
        for method, operation in operations.items():
            operation.setdefault("operationId", _operation_id(method, path))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Kirim", "version": "1.0.0",
                 "description": "OCA's channel API (V1 with Basic auth, V2 with a channel token; the wire format "
                                "OCA documents, docs/oca-compatibility.md) and Kirim's dashboard API (a session)."},
        "servers": [{"url": "/"}],
        "tags": [{"name": name} for name in ("OCA V1", "OCA V2", "OCA WhatsApp", "Dashboard",
                                             "Dashboard: WhatsApp templates", "Dashboard: status callbacks",
                                             "Dashboard: team", "Dashboard: broadcasts", "Verify", "Webhooks",
                                             "Console and docs", "Local")],
        "paths": paths,
        "components": {
            "schemas": {**ERROR_SCHEMAS, **DASHBOARD_SCHEMAS},
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic",
                              "description": "OCA V1: the dashboard login, email:password"},
                "channelToken": {"type": "apiKey", "in": "header", "name": "Authorization",
                                 "description": "OCA V2: the application's token for the route's channel, "
                                                "as `Bearer <token>` or bare"},
                "session": {"type": "http", "scheme": "bearer", "description": "the dashboard's session token"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "kirim_session",
                                  "description": "the console's HttpOnly cookie (unsafe methods also need "
                                                 "X-Kirim-Console: 1)"},
            },
        },
    }
