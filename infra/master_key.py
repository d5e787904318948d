#!/usr/bin/env python
"""Rotate a stage's master key (docs/operating.md#the-master-key).

    python infra/master_key.py --stage prod status|start|complete [--region R] [--endpoint-url URL]
    (make master-key STAGE=prod DO=status|start|complete)

The master key derives every status callback signing secret (`whsec_`), every Verify code hash
and signs page cursors (chalicelib/core/stack_keys.py). It is a keyring in the stage's secret, and
every derived value records the id of the key it was made with, so a rotation never breaks them:

- start: a new random key becomes current; the old one stays in the keyring. Within
  stack_keys.CACHE_SECONDS every function makes new values with the new key, and everything made
  before still checks against the old one. Refused while functions of an older release (that read
  the secret as one plain key) run, and while another rotation is in progress.
- complete: once WAIT_SECONDS have passed since start (every function has the new key, and every
  Verify code made with the old one has expired), moves every application's callback signing keys
  onto the new key without changing the secrets receivers hold, then removes the old key. Cursors
  signed with it are answered 406 "cursor has expired" from then on (within CACHE_SECONDS).

Both are safe to run again, or to resend: the walk writes only what is still on the old key, on
condition that it is unchanged, and each secret version is written with a ClientRequestToken made
from the version it replaces and the step, so a resend is the same version and a concurrent second
command is refused. Nothing secret is printed.
"""
import argparse
import os
import secrets
import sys
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.deploy import DeployError, NoAws, aws_session, function_name, outputs_to_env, stack_name  # noqa: E402

OUTPUT = "MasterKeySecretArn"
VARIABLE = "MASTER_KEY_SECRET_ARN"  # what a function of this release reads (outputs_to_env)


def wait_seconds():
    """From start to complete: every container's cached keyring, then every Verify code made
    with the old key, has run out; plus a minute of margin."""
    from chalicelib.core import stack_keys
    from chalicelib.verify import service as verify

    return stack_keys.CACHE_SECONDS + verify.TTL_SECONDS + 60


class Refused(DeployError):
    """A step that cannot run now; the message says why and what to do (exit status 2)."""


def read(secrets_client, arn):
    """(keyring, the secret's current version id)."""
    from chalicelib.core import stack_keys

    answer = secrets_client.get_secret_value(SecretId=arn)
    return stack_keys.parse(answer["SecretString"]), answer["VersionId"]


def write(secrets_client, arn, ring, replaces, step):
    """A new version of the secret, once: the token names the version it replaces and the step."""
    token = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kirim-master-key:{replaces}:{step}"))
    try:
        secrets_client.put_secret_value(SecretId=arn, SecretString=ring.dump(), ClientRequestToken=token)
    except secrets_client.exceptions.ResourceExistsException:
        raise Refused("the master key changed meanwhile (another command?); run status, then the step again") from None


def _next_kid(ring):
    return str(max(int(k) for k in ring.keys if k.isdigit()) + 1) if any(k.isdigit() for k in ring.keys) else "1"


def _old_functions(lambda_client, stage):
    """The stage's functions that do not read MASTER_KEY_SECRET_ARN: an older release's, which
    would take a keyring's JSON for one plain key and break every value it derives."""
    api = function_name(stage, "api_handler")   # the others are kirim-<stage>-<name>
    old = []
    for page in lambda_client.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            name = function["FunctionName"]
            if name == api or name.startswith(api + "-"):
                if VARIABLE not in function.get("Environment", {}).get("Variables", {}):
                    old.append(name)
    return sorted(old)


def status(secrets_client, arn, now):
    from chalicelib.core import clock

    ring, _ = read(secrets_client, arn)
    lines = [f"current key: {ring.current}; keys held: {', '.join(sorted(ring.keys))}"]
    if ring.rotation:
        ready = clock.parse_iso(ring.rotation["started_at"]) + timedelta(seconds=wait_seconds())
        lines.append(f"rotation from key {ring.rotation['from']} started at {ring.rotation['started_at']}; "
                     f"complete can run from {clock.iso(ready)}" + (" (now)" if now >= ready else ""))
    else:
        lines.append("no rotation in progress")
    return "\n".join(lines)


def start(secrets_client, arn, now, lambda_client=None, stage=None):
    from chalicelib.core import clock, stack_keys

    ring, version = read(secrets_client, arn)
    if ring.rotation:
        raise Refused(f"a rotation from key {ring.rotation['from']} to {ring.current} is in progress since "
                      f"{ring.rotation['started_at']}: complete it first")
    if lambda_client is not None:
        old = _old_functions(lambda_client, stage)
        if old:
            raise Refused("these functions run a release older than the master key's keyring: "
                          f"{', '.join(old)}. Deploy this release first (make deploy STAGE={stage})")
    kid = _next_kid(ring)
    new = stack_keys.Keyring(kid, {**ring.keys, kid: secrets.token_urlsafe(48)},
                             {"from": ring.current, "started_at": clock.iso(now)})
    write(secrets_client, arn, new, version, f"start-{kid}")
    ready = now + timedelta(seconds=wait_seconds())
    return (f"rotation started: new values are made with key {kid} within {stack_keys.CACHE_SECONDS // 60} "
            f"minutes; key {ring.current} still checks what was made before.\n"
            f"Run complete from {clock.iso(ready)}.")


def complete(secrets_client, arn, now):
    from chalicelib.applications import callback_secrets
    from chalicelib.core import clock, stack_keys

    ring, version = read(secrets_client, arn)
    if not ring.rotation:
        return f"no rotation in progress; key {ring.current} is current" + (
            "" if len(ring.keys) == 1 else f" (keys held: {', '.join(sorted(ring.keys))})")
    ready = clock.parse_iso(ring.rotation["started_at"]) + timedelta(seconds=wait_seconds())
    if now < ready:
        raise Refused(f"too early: functions may still make values with key {ring.rotation['from']}, and "
                      f"Verify codes made with it may still be pending. Run complete from {clock.iso(ready)}")
    stack_keys.clear_cache()
    if stack_keys.current_kid() != ring.current:
        raise Refused(f"this process reads another master key than {arn}: check {VARIABLE}")
    seen, moved = callback_secrets.move_everyone_to_current()
    print(f"callback signing keys: {seen} applications, {moved} moved onto key {ring.current}")
    write(secrets_client, arn, stack_keys.Keyring(ring.current, {ring.current: ring.keys[ring.current]}),
          version, f"complete-{ring.current}")
    stack_keys.clear_cache()
    return (f"rotation complete: key {ring.rotation['from']} removed; functions stop accepting it within "
            f"{stack_keys.CACHE_SECONDS // 60} minutes (cursors it signed are then answered 406).")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=["local", "dev", "prod", "test"])
    parser.add_argument("step", choices=["status", "start", "complete"])
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url", help="e.g. http://127.0.0.1:4566 for moto server")
    args = parser.parse_args(argv)
    try:
        session = aws_session("make master-key", args.region)

        def client(service):
            return session.client(service, endpoint_url=args.endpoint_url)

        stack = client("cloudformation").describe_stacks(StackName=stack_name(args.stage))["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        arn = outputs.get(OUTPUT)
        if args.stage == "local":
            raise Refused("the local stage has no master key secret (its key comes from the stage name, or "
                          "KIRIM_MASTER_KEY): there is nothing to rotate")
        if not arn:
            raise Refused(f"the stack {stack_name(args.stage)} has no {OUTPUT} output: deploy this release "
                          f"first (make deploy STAGE={args.stage})")
        # The tables and the secret of the stage, as its functions see them (the walk uses chalicelib).
        os.environ.update(outputs_to_env(outputs), KIRIM_STAGE=args.stage, AWS_DEFAULT_REGION=session.region_name)
        if args.endpoint_url:
            os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
        from chalicelib.core import clock

        secrets_client, now = client("secretsmanager"), clock.now()
        if args.step == "status":
            print(status(secrets_client, arn, now))
        elif args.step == "start":
            print(start(secrets_client, arn, now, client("lambda"), args.stage))
        else:
            print(complete(secrets_client, arn, now))
        return 0
    except NoAws as err:
        print(err, file=sys.stderr)
        return 2
    except DeployError as err:
        print(f"master key: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
