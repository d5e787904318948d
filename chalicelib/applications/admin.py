"""Operator CLI: `python -m chalicelib.applications.admin --help`.

Uses the same settings as the app (KIRIM_STAGE, AWS_ENDPOINT_URL for moto).
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Sequence

from chalicelib.accounts.models import User
from chalicelib.applications import quota_alerts, sending_settings
from chalicelib.applications import service as applications
from chalicelib.applications.models import Application
from chalicelib.core import jobs
from chalicelib.core.channels import CHANNELS
from chalicelib.core.errors import ApiError


def _accounts(args: argparse.Namespace) -> None:
    for user in User.by_kind.query("user", scan_index_forward=False, limit=args.limit):
        apps = [a.application_id for a in Application.by_owner.query(user.user_id)]
        print(json.dumps({"email": user.email, "user_id": user.user_id, "name": user.name,
                          "created_at": user.created_at, "applications": apps}))


def _top_up(args: argparse.Namespace) -> None:
    top_up_id = args.id or str(uuid.uuid4())
    balance, added = applications.top_up_once(args.application, args.channel, args.amount, top_up_id)
    quota_alerts.follow_top_up(args.application, args.channel, args.amount)  # a percentage alert follows it
    print(json.dumps({"application_id": args.application, "channel": args.channel, "quota_remaining": balance,
                      "top_up_id": top_up_id, "added": added}))


def _set_quota(args: argparse.Namespace) -> None:
    balance = applications.set_quota(args.application, args.channel, args.units)
    print(json.dumps({"application_id": args.application, "channel": args.channel, "quota_remaining": balance}))


def _settings(args: argparse.Namespace) -> None:
    body = {}
    if args.rate_limit is not None:
        body["rate_limit"] = args.rate_limit
    if args.sender_id is not None:
        body["sender_ids"] = args.sender_id
    if args.caller_id is not None:
        body["caller_ids"] = args.caller_id
    app = sending_settings.update(applications.get(args.application), body, by_operator=True)
    print(json.dumps(sending_settings.render(app)))


def _email_sender(args: argparse.Namespace) -> None:
    from chalicelib.applications import email_identities

    claim = email_identities.assign(args.application, args.identity)
    print(json.dumps(email_identities.render(claim)))


def _recount(args: argparse.Namespace) -> None:
    application_id = applications.get(args.application).application_id
    # No zone change: every message's day is checked against the application's zone.
    jobs.enqueue(jobs.RECOUNT, {"application_id": application_id, "old_zone": None})
    print(json.dumps({"application_id": application_id, "recount": "queued on the dispatch queue"}))


def _show(args: argparse.Namespace) -> None:
    print(json.dumps(applications.render(applications.get(args.application)), indent=2))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m chalicelib.applications.admin",
                                   description="Kirim operator commands")
    commands = root.add_subparsers(dest="command", required=True)
    accounts = commands.add_parser("accounts", help="list accounts, newest first, with their applications")
    accounts.add_argument("--limit", type=int, default=100)
    accounts.set_defaults(run=_accounts)
    top_up = commands.add_parser("topup", help="add quota to one channel of an application")
    top_up.add_argument("application")
    top_up.add_argument("channel", choices=CHANNELS)
    top_up.add_argument("amount", type=int)
    top_up.add_argument("--id", help="this top-up's id (printed when left out): the same id again adds nothing, "
                                     "so a top-up whose answer was lost can be sent again")
    top_up.set_defaults(run=_top_up)
    set_quota = commands.add_parser("setquota", help="set one channel's quota to exactly UNITS (a correction; "
                                                     "debits and refunds still in flight come on top)")
    set_quota.add_argument("application")
    set_quota.add_argument("channel", choices=CHANNELS)
    set_quota.add_argument("units", type=int)
    set_quota.set_defaults(run=_set_quota)
    settings = commands.add_parser("settings", help="set an application's rate limit, OTP sender ids and IVR caller numbers")
    settings.add_argument("application")
    settings.add_argument("--rate-limit", type=int)
    settings.add_argument("--sender-id", action="append", help="repeat for each name; replaces the list")
    settings.add_argument("--caller-id", action="append", help="an IVR caller number; repeat; replaces the list")
    settings.set_defaults(run=_settings)
    sender = commands.add_parser("email-sender", help="give an application an email sender (an address or a "
                                 "domain), whoever claimed it before; the operator's own identities too")
    sender.add_argument("application")
    sender.add_argument("identity")
    sender.set_defaults(run=_email_sender)
    recount = commands.add_parser("recount", help="queue a recount of an application's daily counters")
    recount.add_argument("application")
    recount.set_defaults(run=_recount)
    show = commands.add_parser("show", help="print an application")
    show.add_argument("application")
    show.set_defaults(run=_show)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
