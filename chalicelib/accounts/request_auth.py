"""Who is calling: the account behind a request's session (dashboard) or Basic credentials (OCA V1)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Request

from chalicelib.accounts import dashboard_limits
from chalicelib.web import credentials

if TYPE_CHECKING:
    from chalicelib.accounts.service import Principal

# accounts.service (and the tables behind it) is imported by the first authenticated request, not
# by `import app`: a cold start pays only for the slices its route uses.


def session_principal(request: Request, limit: dashboard_limits.Kind | None = dashboard_limits.REQUESTS
                      ) -> Principal:
    """The session's account, its request counted in the account's `limit` window (None: not
    counted, for logging out)."""
    from chalicelib.accounts import service as accounts

    principal = accounts.session_principal(credentials.session_token(request))
    if limit is not None:
        dashboard_limits.hit(principal.user_id, limit)
    return principal


def basic_principal(request: Request) -> Principal:
    from chalicelib.accounts import service as accounts

    return accounts.basic_principal(*credentials.basic_credentials(request), source_address(request))


def source_address(request: Request) -> str:
    """The caller's address as API Gateway saw it (never a header the client could set)."""
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")
