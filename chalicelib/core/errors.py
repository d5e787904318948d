"""Every error Kirim answers, in OCA's body and codes, in one place.

Body: {"errors": [{"message": "...", "code": N, "field"?: "..."}]}
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

HTTP_STATUS = {
    BALANCE_LOW: 402,
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
    QUOTA_LOW: 402,
    TOO_MANY_CONCURRENT: 429,
    TEMPLATE_NOT_FOUND: 406,
    CONFLICT: 409,
    UNPROCESSABLE: 422,
}

DEFAULT_MESSAGE = {
    BALANCE_LOW: "Balance too low",
    TOO_MANY_REQUESTS: "Too many requests",
    INTERNAL: "Internal error",
    INVALID_CREDENTIALS: "Invalid Authentication Credentials",
    AUTH_HEADER_MISSING: "Authorization header is missing",
    NOT_FOUND: "The data does not exist",
    BAD_PARAMETER: "Bad or missing body parameter",
    USER_NOT_FOUND: "The user does not exist",
    TOKEN_MISSING: "Auth token not supplied",
    TOKEN_INVALID: "Auth token not valid",
    ACCOUNT_EXPIRED: "Account expired",
    QUOTA_LOW: "Quota not enough",
    TOO_MANY_CONCURRENT: "Too many concurrent calls",
    TEMPLATE_NOT_FOUND: "Template does not exist",
    CONFLICT: "Conflict",
    UNPROCESSABLE: "Unprocessable request",
}


class ApiError(ChaliceUnhandledError):
    """Raised anywhere; the HTTP middleware renders it.

    It subclasses ChaliceUnhandledError because Chalice turns every other
    exception into its own 500 body before middleware can see it.
    """

    def __init__(self, code: int, message: str | None = None, *, field: str | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGE[code]
        self.field = field
        self.status = status or HTTP_STATUS[code]
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.field)

    def to_response(self) -> Response:
        return Response(body=self.body(), status_code=self.status,
                        headers={"Content-Type": "application/json", **self.headers})


def error_body(code: int, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "code": code}
    if field is not None:
        error["field"] = field
    return {"errors": [error]}


def bad_parameter(field: str, message: str) -> ApiError:
    return ApiError(BAD_PARAMETER, message, field=field)


def not_found(message: str | None = None) -> ApiError:
    return ApiError(NOT_FOUND, message)


def too_large(limit: int) -> ApiError:
    return ApiError(BAD_PARAMETER, f"Request body is larger than {limit} bytes", field="body", status=413)


# Chalice's own error responses ({"Code": "...", "Message": "..."}) mapped to OCA codes.
_CHALICE_STATUS_TO_CODE = {
    400: BAD_PARAMETER, 401: TOKEN_INVALID, 403: NOT_FOUND, 404: NOT_FOUND, 405: NOT_FOUND,
    409: CONFLICT, 413: BAD_PARAMETER, 415: BAD_PARAMETER, 422: UNPROCESSABLE, 429: TOO_MANY_REQUESTS,
}


def normalise(response: Response) -> Response:
    """Rewrite a Chalice-made error (405, 415, 500...) into the OCA body."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    status = response.status_code
    code = _CHALICE_STATUS_TO_CODE.get(status, INTERNAL if status >= 500 else BAD_PARAMETER)
    message = "An internal error occurred" if status >= 500 else str(body.get("Message") or DEFAULT_MESSAGE[code])
    if status == 415:
        message += "; send Content-Type: application/json"
    headers = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
    return Response(body=error_body(code, message), status_code=status,
                    headers={"Content-Type": "application/json", **headers})
