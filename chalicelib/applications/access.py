"""The one check every /applications/{id} route makes: the caller's session has a role in the
application (404 to anyone else, never 403), the role allows what the route needs (403 when it does
not), and, when asked, that the application has the channel.

Each route names what it needs: READ (overview, monitoring, reports), DEVELOP (keys, templates,
settings, callbacks, IVR, email senders) or MANAGE (the team, and anything else the owner alone does,
the default, so a route that names nothing is the owner's). tests/applications/test_roles.py walks
every route for every role."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Request

from chalicelib.accounts import dashboard_limits
from chalicelib.accounts.request_auth import session_principal

if TYPE_CHECKING:
    from chalicelib.applications.models import Application

READ, DEVELOP, MANAGE = "read", "develop", "manage"
PERMISSIONS = {"owner": frozenset({READ, DEVELOP, MANAGE}), "developer": frozenset({READ, DEVELOP}),
               "viewer": frozenset({READ})}


def application_access(request: Request, application_id: str, need: str = MANAGE, channel: str | None = None, *,
                       limit: dashboard_limits.Kind = dashboard_limits.REQUESTS) -> tuple[Application, str]:
    """(the application, the caller's role). `limit`: the account's window the request counts in
    (accounts.dashboard_limits)."""
    from chalicelib.applications import service as applications  # on first use: see request_auth
    from chalicelib.applications import team
    from chalicelib.core.errors import FORBIDDEN, ApiError, not_found

    principal = session_principal(request, limit)
    app = applications.get(application_id)
    role = team.role_of(app, principal.user_id)
    if role is None:
        raise not_found(applications.APP_NOT_FOUND)
    if need not in PERMISSIONS[role]:
        raise ApiError(FORBIDDEN, status=403)
    if channel is not None:
        applications.channel_state(app, channel)
    return app, role


def owned_application(request: Request, application_id: str, channel: str | None = None, *, need: str = MANAGE,
                      limit: dashboard_limits.Kind = dashboard_limits.REQUESTS) -> Application:
    """The application, when the caller's role allows `need` (see application_access)."""
    return application_access(request, application_id, need, channel, limit=limit)[0]
