"""An application's team: roles, invitations by email, members.

Roles: owner (everything), developer (keys, templates, settings), viewer (overview, monitoring,
reports). What each role may do is decided in one place, applications.access.

An invitation is a single-use token `kirim_inv_<application id>.<invitation id>.<secret>`: only the
secret's SHA-256 is stored (on the application, with the invitation's email, role and expiry), and it
is compared in constant time. It is accepted by a signed-in account with the invited email.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications.models import Application, Member, member_key
from chalicelib.core import clock, opaque_tokens
from chalicelib.core.db import busy, cancellation_reasons, connection, plain
from chalicelib.core.errors import CONFLICT, FORBIDDEN, NOT_FOUND, ApiError, bad_parameter, not_found

if TYPE_CHECKING:
    from chalicelib.accounts.service import Principal

OWNER, DEVELOPER, VIEWER = "owner", "developer", "viewer"
ROLES = (OWNER, DEVELOPER, VIEWER)
INVITED_ROLES = (DEVELOPER, VIEWER)   # one owner per application: the one who created it
INVITATION_PREFIX = "kirim_inv_"
INVITATION_DAYS = 7
MAX_TEAM = 50                         # members and pending invitations together
ATTEMPTS = 3
INVITATION_INVALID = "This invitation is not valid: it was used, withdrawn or has expired"


def _map(value: Any) -> dict[str, dict[str, Any]]:
    return {key: plain(entry) for key, entry in plain(value).items()} if value else {}


def members_of(app: Application) -> dict[str, dict[str, Any]]:
    return _map(app.members)


def invitations_of(app: Application) -> dict[str, dict[str, Any]]:
    return _map(app.invitations)


def role_of(app: Application, user_id: str) -> str | None:
    """The account's role in the application, None when it has none."""
    if app.owner_id == user_id:
        return OWNER
    member = members_of(app).get(user_id)
    return str(member["role"]) if member else None


def _change(application_id: str, change: Callable[[Application, dict, dict, TransactWrite], Any]) -> Any:
    """Read the application, let `change` edit its members and invitations (and add items to the
    transaction), write both maps back on condition no other change came between."""
    from chalicelib.applications import service as applications

    for _ in range(ATTEMPTS):
        app = applications.get(application_id)
        members, invitations = members_of(app), invitations_of(app)
        version = app.team_version
        try:
            with TransactWrite(connection=connection()) as transaction:
                result = change(app, members, invitations, transaction)
                condition = (Application.team_version.does_not_exist() if version is None
                             else Application.team_version == version)
                transaction.update(app, [Application.members.set(members), Application.invitations.set(invitations),
                                         Application.team_version.set((version or 0) + 1)], condition=condition)
            return result
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in cancellation_reasons(error):
                raise busy(error) or error from None
    raise ApiError(CONFLICT, "The team changed meanwhile; try again", reason="conflict")


def _expired(invitation: dict[str, Any]) -> bool:
    return int(invitation["expires_at_epoch"]) <= clock.epoch()


def invite(app: Application, inviter: Principal, email: str, role: str) -> tuple[dict[str, Any], str]:
    """A new invitation and its token (shown this once)."""
    if role not in INVITED_ROLES:
        raise bad_parameter("role", f"role must be one of: {', '.join(INVITED_ROLES)}")
    secret = secrets.token_urlsafe(32)
    invitation_id = secrets.token_hex(8)
    token = f"{INVITATION_PREFIX}{app.application_id}.{invitation_id}.{secret}"

    def change(app: Application, members: dict, invitations: dict, _: TransactWrite) -> dict[str, Any]:
        if email == (app.owner_email or inviter.email).lower():   # only the owner invites
            raise ApiError(CONFLICT, "This person owns the application", field="email", reason="is_owner")
        if any(member["email"] == email for member in members.values()):
            raise ApiError(CONFLICT, "This person is in the team already", field="email", reason="already_member")
        for key in [key for key, old in invitations.items() if old["email"] == email or _expired(old)]:
            del invitations[key]   # a new invitation to the same email replaces the old one
        if len(members) + len(invitations) >= MAX_TEAM:
            raise ApiError(CONFLICT, f"A team has at most {MAX_TEAM} people and invitations", reason="team_full",
                           params={"max": MAX_TEAM})
        expires = clock.now() + timedelta(days=INVITATION_DAYS)
        invitations[invitation_id] = {"email": email, "role": role, "secret_hash": opaque_tokens.digest(secret),
                                      "created_at": clock.now_iso(), "expires_at": clock.iso(expires),
                                      "expires_at_epoch": int(expires.timestamp()), "invited_by": inviter.email}
        return invitations[invitation_id]

    return render_invitation(invitation_id, _change(app.application_id, change)), token


def withdraw(app: Application, invitation_id: str) -> None:
    def change(app: Application, members: dict, invitations: dict, _: TransactWrite) -> None:
        if invitations.pop(invitation_id, None) is None:
            raise not_found("Invitation not found")

    _change(app.application_id, change)


def _parse(token: str) -> tuple[str, str, str]:
    if not isinstance(token, str) or not token.startswith(INVITATION_PREFIX):
        raise ApiError(NOT_FOUND, INVITATION_INVALID, reason="invitation_invalid")
    parts = token[len(INVITATION_PREFIX):].split(".")
    if len(parts) != 3 or not all(parts):
        raise ApiError(NOT_FOUND, INVITATION_INVALID, reason="invitation_invalid")
    return parts[0], parts[1], parts[2]


def accept(principal: Principal, token: str) -> tuple[Application, str]:
    """The invited account joins with the invitation's role; the invitation is spent."""
    application_id, invitation_id, secret = _parse(token)

    def change(app: Application, members: dict, invitations: dict, transaction: TransactWrite) -> str:
        invitation = invitations.get(invitation_id)
        if invitation is None or _expired(invitation) or not hmac.compare_digest(
                str(invitation["secret_hash"]), opaque_tokens.digest(secret)):
            raise ApiError(NOT_FOUND, INVITATION_INVALID, reason="invitation_invalid")
        if invitation["email"] != principal.email.lower():
            raise ApiError(FORBIDDEN, "This invitation is for another email address: sign in with "
                                      f"{invitation['email']}", status=403, reason="invitation_other_email")
        if app.owner_id == principal.user_id:
            raise ApiError(CONFLICT, "You own this application", reason="own_application")
        del invitations[invitation_id]
        joined = clock.now_iso()
        members[principal.user_id] = {"email": principal.email.lower(), "role": invitation["role"],
                                      "joined_at": joined}
        transaction.save(Member(member_key(principal.user_id, app.application_id), member_id=principal.user_id,
                                member_of=app.application_id, created_at=joined))
        return str(invitation["role"])

    from chalicelib.applications import service as applications

    try:
        role = _change(application_id, change)
    except ApiError as error:
        if error.status == 404 and error.message != INVITATION_INVALID:
            raise ApiError(NOT_FOUND, INVITATION_INVALID, reason="invitation_invalid") from None  # the application is gone
        raise
    return applications.get(application_id), role


def set_role(app: Application, user_id: str, role: str) -> dict[str, Any]:
    if role not in INVITED_ROLES:
        raise bad_parameter("role", f"role must be one of: {', '.join(INVITED_ROLES)}")

    def change(app: Application, members: dict, invitations: dict, _: TransactWrite) -> dict[str, Any]:
        if user_id not in members:
            raise not_found("Member not found")
        members[user_id]["role"] = role
        return members[user_id]

    return render_member(user_id, _change(app.application_id, change))


def remove(app: Application, user_id: str) -> None:
    def change(app: Application, members: dict, invitations: dict, transaction: TransactWrite) -> None:
        if members.pop(user_id, None) is None:
            raise not_found("Member not found")
        transaction.delete(Member(member_key(user_id, app.application_id)))

    _change(app.application_id, change)


def shared_with(principal: Principal, limit: int = 100) -> list[tuple[Application, str]]:
    """The applications the account is a member of (not owner), newest membership first, with its role."""
    from chalicelib.applications import service as applications

    ids = [member.member_of for member in
           Member.by_member.query(principal.user_id, scan_index_forward=False, limit=limit)]
    found = applications.get_many(set(ids))
    shared = []
    for application_id in ids:
        app = found.get(application_id)
        role = role_of(app, principal.user_id) if app else None
        if app is not None and role is not None and role != OWNER:
            shared.append((app, role))
    return shared


def render_member(user_id: str, member: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": user_id, "email": member["email"], "role": member["role"],
            "joined_at": member.get("joined_at")}


def render_invitation(invitation_id: str, invitation: dict[str, Any]) -> dict[str, Any]:
    return {"invitation_id": invitation_id, "email": invitation["email"], "role": invitation["role"],
            "created_at": invitation["created_at"], "expires_at": invitation["expires_at"]}


def render(app: Application) -> dict[str, Any]:
    """The owner first, then members by joining, then pending invitations (expired ones left out)."""
    owner = {"user_id": app.owner_id, "email": app.owner_email, "role": OWNER, "joined_at": app.created_at}
    members = sorted(members_of(app).items(), key=lambda item: str(item[1].get("joined_at")))
    invitations = sorted(invitations_of(app).items(), key=lambda item: str(item[1]["created_at"]))
    return {"members": [owner, *(render_member(user_id, member) for user_id, member in members)],
            "invitations": [render_invitation(key, value) for key, value in invitations if not _expired(value)]}
