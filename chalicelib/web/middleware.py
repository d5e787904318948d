"""HTTP middleware: one place that renders errors and writes the access log line."""
from __future__ import annotations

from typing import Callable

from aws_lambda_powertools import Logger
from chalice.app import Chalice, Request, Response

from chalicelib.core import errors
from chalicelib.web import response_headers


def _request_id(request: Request) -> str:
    context = getattr(request, "lambda_context", None)
    return (getattr(context, "aws_request_id", None)
            or (request.context or {}).get("requestId") or "-")


def register(app: Chalice, logger: Logger) -> None:
    @app.middleware("http")
    def render_errors_and_log(request: Request, get_response: Callable[[Request], Response]) -> Response:
        request_id = _request_id(request)
        logger.append_keys(request_id=request_id)
        response_headers.reset()
        try:
            response = get_response(request)
        except errors.ApiError as exc:
            response = exc.to_response()
        except Exception:  # noqa: BLE001 - the last line of defence: an OCA 500, never a stack trace
            logger.exception("unhandled error")
            response = errors.ApiError(errors.INTERNAL).to_response()
        response = errors.normalise(response)
        response.headers["X-Request-Id"] = request_id
        for name, value in response_headers.pending().items():
            response.headers.setdefault(name, value)
        # Method, path and status only: headers and bodies carry credentials.
        logger.info("request", method=request.method, path=request.context.get("resourcePath"),
                    status=response.status_code)
        logger.remove_keys(["request_id"])
        return response

