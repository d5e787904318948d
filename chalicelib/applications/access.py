"""The one check every /applications/{id} route makes: the caller's session owns the application
(404 to anyone else, never 403), and, when asked, that it has the channel."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Request

from chalicelib.accounts import dashboard_limits
from chalicelib.accounts.request_auth import session_principal

if TYPE_CHECKING:
    from chalicelib.applications.models import Application


def owned_application(request: Request, application_id: str, channel: str | None = None, *,
                      limit: dashboard_limits.Kind = dashboard_limits.REQUESTS) -> Application:
    """`limit`: the account's window the request counts in (accounts.dashboard_limits)."""
    from chalicelib.applications import service as applications  # on first use: see request_auth

    app = applications.get_owned(session_principal(request, limit), application_id)
    if channel is not None:
        applications.channel_state(app, channel)
    return app
