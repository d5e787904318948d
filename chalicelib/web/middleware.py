"""HTTP middleware: one place that renders errors (in the dialect of the route called), adds the
channel routes' CORS headers, and writes the access log line."""
from __future__ import annotations

from typing import Callable

from aws_lambda_powertools import Logger
from chalice.app import Chalice, Request, Response

from chalicelib.core import errors
from chalicelib.web import bodies, field_values, response_headers


def _request_id(request: Request) -> str:
    context = getattr(request, "lambda_context", None)
    return (getattr(context, "aws_request_id", None)
            or (request.context or {}).get("requestId") or "-")


def _render(error: errors.ApiError, dialect: str, request: Request) -> Response:
    if dialect == errors.DASHBOARD or error.code != errors.BAD_PARAMETER:
        return error.to_response(dialect)
    location, value = field_values.describe(request, error.field)
    return error.to_response(dialect, location=location, value=value)


def register(app: Chalice, logger: Logger, dialect_of: Callable[[str | None], str]) -> None:
    """`dialect_of(resource_path)` says who answers a route: errors.DASHBOARD or one of OCA's."""

    @app.middleware("http")
    def render_errors_and_log(request: Request, get_response: Callable[[Request], Response]) -> Response:
        request_id = _request_id(request)
        logger.append_keys(request_id=request_id)
        response_headers.reset()
        bodies.reset()
        resource_path = (request.context or {}).get("resourcePath")
        dialect = dialect_of(resource_path)
        try:
            response = get_response(request)
        except errors.ApiError as exc:
            response = _render(exc, dialect, request)
        except Exception:  # noqa: BLE001 - the last line of defence: an OCA 500, never a stack trace
            logger.exception("unhandled error")
            response = errors.ApiError(errors.INTERNAL).to_response(dialect)
        chalice_error = errors.from_chalice(response)
        if chalice_error is not None:
            response = _render(chalice_error, dialect, request)
        response.headers["X-Request-Id"] = request_id
        extra = response_headers.pending()
        if dialect != errors.DASHBOARD:
            extra.update(response_headers.CHANNEL_CORS_HEADERS)
        for name, value in extra.items():
            response.headers.setdefault(name, value)
        # Method, path and status only: headers and bodies carry credentials.
        logger.info("request", method=request.method, path=resource_path, status=response.status_code)
        logger.remove_keys(["request_id"])
        bodies.reset()
        return response
