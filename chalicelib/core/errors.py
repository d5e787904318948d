"""Every error Kirim answers, in one place: the codes, their HTTP statuses, and the two bodies.

- The dashboard API (/auth/*, /applications/*) is Kirim's own: one shape for every error,
  {"errors": [{"message": str, "code": int, "field"?: str, "reason": str, "params"?: {}}]}. `reason` is a
  stable word the console turns into text in the reader's language (with `params`, e.g. {"max": 60});
  `message` stays English for developers. A form's check may answer several errors at once.
- OCA's channel routes answer what OCA documents (oca-api-reference.md 0.4 and 0.7), per version:
  a validation error is {"errors": [{"message": [{"value"?, "msg", "param", "location"}], "code": "39"}]},
  anything else {"errors": [{"message": str, "code": int}]}, with the code's documented HTTP status.

Code raises ApiError(code, message, field=...) without knowing who asked; the HTTP middleware
renders it in the dialect of the route that was called (docs/oca-compatibility.md has the table).
"""
from __future__ import annotations

from typing import Any

from chalice.app import ChaliceUnhandledError, Response

BALANCE_LOW = 5
TOO_MANY_REQUESTS = 9
INTERNAL = 13
INVALID_CREDENTIALS = 17
AUTH_HEADER_MISSING = 19
NOT_FOUND = 33
BAD_PARAMETER = 39
USER_NOT_FOUND = 41
TOKEN_MISSING = 43
TOKEN_INVALID = 45
ACCOUNT_EXPIRED = 51
QUOTA_LOW = 55
TOO_MANY_CONCURRENT = 57
TEMPLATE_NOT_FOUND = 59
# Not in OCA's table: Kirim's own answers for idempotency and uniqueness conflicts.
CONFLICT = 409
UNPROCESSABLE = 422
FORBIDDEN = 403  # a team member whose role does not allow the action (applications.access)

# Who is answering: Kirim's dashboard API, or OCA's V1, V2 and WhatsApp routes.
DASHBOARD, OCA_V1, OCA_V2, OCA_WHATSAPP = "dashboard", "v1", "v2", "whatsapp"
OCA_DIALECTS = (OCA_V1, OCA_V2, OCA_WHATSAPP)

# Each code's HTTP status, as OCA's tables give it; the dashboard uses the same.
HTTP_STATUS = {
    BALANCE_LOW: 401,          # V2 and WA give none; V1's quota code (55) is 401
    TOO_MANY_REQUESTS: 429,
    INTERNAL: 500,
    INVALID_CREDENTIALS: 401,
    AUTH_HEADER_MISSING: 401,
    NOT_FOUND: 404,
    BAD_PARAMETER: 406,
    USER_NOT_FOUND: 404,
    TOKEN_MISSING: 401,
    TOKEN_INVALID: 401,
    ACCOUNT_EXPIRED: 401,
    QUOTA_LOW: 401,
    TOO_MANY_CONCURRENT: 401,
    TEMPLATE_NOT_FOUND: 406,
    CONFLICT: 409,
    UNPROCESSABLE: 422,
    FORBIDDEN: 403,
}
# Where a version's table differs: code 19 is 406 on V1 and WhatsApp, 401 on V2.
DIALECT_STATUS = {OCA_V1: {AUTH_HEADER_MISSING: 406}, OCA_WHATSAPP: {AUTH_HEADER_MISSING: 406}}
# Codes a version's table lacks, answered with the version's own: V2 and WhatsApp say
# "low-balance" (5) where V1 says "Your Quota Is not Enough" (55).
DIALECT_CODE = {OCA_V2: {QUOTA_LOW: BALANCE_LOW}, OCA_WHATSAPP: {QUOTA_LOW: BALANCE_LOW}}

# Each code's `reason` when the raiser gives none (dashboard bodies only; OCA's bodies never carry it).
DEFAULT_REASON = {
    BALANCE_LOW: "balance_low",
    TOO_MANY_REQUESTS: "too_many_requests",
    INTERNAL: "internal",
    INVALID_CREDENTIALS: "invalid_credentials",
    AUTH_HEADER_MISSING: "auth_missing",
    NOT_FOUND: "not_found",
    BAD_PARAMETER: "invalid",
    USER_NOT_FOUND: "user_not_found",
    TOKEN_MISSING: "session_missing",
    TOKEN_INVALID: "session_invalid",
    ACCOUNT_EXPIRED: "account_expired",
    QUOTA_LOW: "quota_low",
    TOO_MANY_CONCURRENT: "too_many_concurrent",
    TEMPLATE_NOT_FOUND: "template_not_found",
    CONFLICT: "conflict",
    FORBIDDEN: "forbidden",
    UNPROCESSABLE: "unprocessable",
}

DEFAULT_MESSAGE = {
    BALANCE_LOW: "low-balance",
    TOO_MANY_REQUESTS: "Too Many Request",
    INTERNAL: "Internal Error",
    INVALID_CREDENTIALS: "Invalid Authentication Credentials",
    AUTH_HEADER_MISSING: "Missing Authorization Header",
    NOT_FOUND: "Data doesn't exist",
    BAD_PARAMETER: "Bad or missing body parameter",
    USER_NOT_FOUND: "User Is Not Exist",
    TOKEN_MISSING: "Auth token is not supplied",
    TOKEN_INVALID: "Auth token is not valid",
    ACCOUNT_EXPIRED: "Account Expired",
    QUOTA_LOW: "Your Quota Is not Enough",
    TOO_MANY_CONCURRENT: "Reached Maximum Concurrent Call Limit",
    TEMPLATE_NOT_FOUND: "Template doesn't exist",
    CONFLICT: "Conflict",
    UNPROCESSABLE: "Unprocessable request",
    FORBIDDEN: "Your role in this application does not allow this",
}

# A validation error's `value` when the field was not sent (express-validator leaves it out).
ABSENT = object()
MAX_ECHOED_VALUE = 256


class ApiError(ChaliceUnhandledError):
    """Raised anywhere; the HTTP middleware renders it for the route that was called.

    It subclasses ChaliceUnhandledError because Chalice turns every other
    exception into its own 500 body before middleware can see it.
    `status` given here wins over the tables (413, 403, 410 are Kirim's own answers).
    `others` are further errors answered with this one (every fault of a form at once).
    """

    def __init__(self, code: int, message: str | None = None, *, field: str | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None,
                 reason: str | None = None, params: dict[str, Any] | None = None) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGE[code]
        self.field = field
        self.reason = reason or DEFAULT_REASON.get(code, "error")
        self.params = params
        self.others: list[ApiError] = []
        self.explicit_status = status
        self.status = status or HTTP_STATUS[code]
        self.headers = headers or {}
        super().__init__(self.message)

    def item(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.field is not None:
            error["field"] = self.field
        error["reason"] = self.reason
        if self.params:
            error["params"] = self.params
        return error

    def body(self) -> dict[str, Any]:
        """The dashboard's body: this error, then its others."""
        return {"errors": [self.item()] + [other.item() for other in self.others]}

    @classmethod
    def combined(cls, errors: list[ApiError]) -> ApiError:
        """One error answering all of `errors` (the first gives the status), at most one per field."""
        seen: set[str | None] = set()
        unique = []
        for error in errors:
            if error.field not in seen:
                seen.add(error.field)
                unique.append(error)
        first = unique[0]
        first.others = unique[1:]
        return first

    def status_for(self, dialect: str) -> int:
        if self.explicit_status:
            return self.explicit_status
        code = DIALECT_CODE.get(dialect, {}).get(self.code, self.code)
        return DIALECT_STATUS.get(dialect, {}).get(code, HTTP_STATUS[code])

    def oca_body(self, dialect: str, *, location: str = "body", value: Any = ABSENT) -> dict[str, Any]:
        """OCA's body for this error on a route of `dialect` (V1, V2 or WhatsApp)."""
        if self.code == BAD_PARAMETER:
            detail: dict[str, Any] = {}
            if value is not ABSENT:
                detail["value"] = echoed(value)
            detail.update({"msg": self.message, "param": self.field or "body", "location": location})
            return {"errors": [{"message": [detail], "code": str(BAD_PARAMETER)}]}
        error: dict[str, Any] = {"message": self.message,
                                 "code": DIALECT_CODE.get(dialect, {}).get(self.code, self.code)}
        if self.field is not None:  # an extra key inside the object: breaks no OCA client
            error["field"] = self.field
        return {"errors": [error]}

    def to_response(self, dialect: str = DASHBOARD, *, location: str = "body", value: Any = ABSENT) -> Response:
        body = self.body() if dialect == DASHBOARD else self.oca_body(dialect, location=location, value=value)
        return Response(body=body, status_code=self.status_for(dialect),
                        headers={"Content-Type": "application/json", **self.headers})


def echoed(value: Any) -> Any:
    """The value a validation error echoes back, cut to a readable size (a 1 MiB base64 body
    helps nobody twice). Objects and lists too large to echo are left out as null."""
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHOED_VALUE else value[:MAX_ECHOED_VALUE] + "…"
    if isinstance(value, (dict, list)):
        import json

        return value if len(json.dumps(value, default=str)) <= MAX_ECHOED_VALUE else None
    return value if isinstance(value, (int, float, bool)) or value is None else str(value)[:MAX_ECHOED_VALUE]


def bad_parameter(field: str, message: str, reason: str | None = None, **params: Any) -> ApiError:
    """A 406 naming `field`; `reason` and `params` let the console say it in the reader's language."""
    return ApiError(BAD_PARAMETER, message, field=field, reason=reason, params=params or None)


def not_found(message: str | None = None) -> ApiError:
    return ApiError(NOT_FOUND, message)


def too_large(limit: int) -> ApiError:
    return ApiError(BAD_PARAMETER, f"Request body is larger than {limit} bytes", field="body", status=413,
                    reason="too_large")


# Chalice's own error responses ({"Code": "...", "Message": "..."}) mapped to OCA codes.
_CHALICE_STATUS_TO_CODE = {
    400: BAD_PARAMETER, 401: TOKEN_INVALID, 403: NOT_FOUND, 404: NOT_FOUND, 405: NOT_FOUND,
    409: CONFLICT, 413: BAD_PARAMETER, 415: BAD_PARAMETER, 422: UNPROCESSABLE, 429: TOO_MANY_REQUESTS,
}


def from_chalice(response: Response) -> ApiError | None:
    """A Chalice-made error (405, 415, 500...) as the ApiError to render in its place."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return None
    status = response.status_code
    code = _CHALICE_STATUS_TO_CODE.get(status, INTERNAL if status >= 500 else BAD_PARAMETER)
    message = "An internal error occurred" if status >= 500 else str(body.get("Message") or DEFAULT_MESSAGE[code])
    if status == 415:
        message += "; send Content-Type: application/json"
    headers = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
    return ApiError(code, message, field="body" if code == BAD_PARAMETER else None, status=status, headers=headers)
