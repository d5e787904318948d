"""The master key's rotation (infra/master_key.py): what was made with the old key keeps working
through the rotation (receivers' signing secrets, pending Verify codes, cursors), new values are
made with the new key, and once the rotation is complete the old key is accepted nowhere. The
steps are safe to run again and to resend.

Before the keyring, the master key was one plain secret (`kirim-<stage>-cursor-secret`): the only
way to rotate it was to put a new value, and every receiver's `whsec_` secret, every pending code
and every cursor stopped verifying at once.
"""
from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import datetime, timezone

import boto3
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from chalicelib.core import config, stack_keys
from tests.conftest import Api, assert_oca_error
from tests.infra.template_yaml import ROOT

_spec = importlib.util.spec_from_file_location("kirim_infra_master_key", ROOT / "infra" / "master_key.py")
master_key = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(master_key)

LEGACY = "a-key-cloudformation-generated-48-characters-long"


@pytest.fixture
def secret(aws, monkeypatch):
    """The stage's master key as CloudFormation creates it (one plain key), read by the app."""
    arn = boto3.client("secretsmanager").create_secret(Name=f"kirim-local-master-{uuid.uuid4().hex[:8]}",
                                                       SecretString=LEGACY)["ARN"]
    for name in ("KIRIM_MASTER_KEY", "CURSOR_SECRET", "CURSOR_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MASTER_KEY_SECRET_ARN", arn)
    config.get_settings.cache_clear()
    stack_keys.clear_cache()
    yield arn
    monkeypatch.undo()
    config.get_settings.cache_clear()
    stack_keys.clear_cache()


def keyring(arn: str) -> dict:
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def step(name: str, arn: str, **extra):
    client = boto3.client("secretsmanager")
    return getattr(master_key, name)(client, arn, _now(), **extra)


def _now() -> datetime:
    from chalicelib.core import clock

    return clock.now()


def hooked_application(api: Api) -> tuple[str, dict, str]:
    """(application id, the owner's session, the whsec_ secret its receiver holds)."""
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    answer = api.call("PUT", f"/applications/{app_id}/settings", {"callback_url": "http://127.0.0.1:9/hook"}, session)
    assert answer.status_code == 200, answer.json_body
    return app_id, session, answer.json_body["callback_secret"]


def delivery_verifies_with(app_id: str, receivers_secret: str) -> bool:
    """A delivery signed as the callbacks worker signs it (every active secret of the application),
    checked as the customer's receiver checks it."""
    from chalicelib.applications import callback_secrets
    from chalicelib.applications.models import Application
    from chalicelib.callbacks import signing

    body = json.dumps({"message_id": "01TESTMASTERKEY" + "0" * 11, "status": "Delivered"})
    # Stamped with the real time: the receiver's library refuses a timestamp off by 5 minutes.
    headers = signing.headers("dlv_" + uuid.uuid4().hex, datetime.now(timezone.utc), body,
                              callback_secrets.active(Application.get(app_id, consistent_read=True)))
    try:
        Webhook(receivers_secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def pending_code(app_id: str, code: str) -> str:
    from chalicelib.verify import models, service

    started = service.start(models.new_verification_id(), app_id, "sms", "+628123" + uuid.uuid4().hex[:6].translate(
        str.maketrans("abcdef", "123456")), code, "en")
    return started.verification_id


def checks(verification_id: str, code: str) -> str:
    from chalicelib.verify import service

    return service.check(service.find(verification_id), code)


def test_a_rotation_breaks_no_receiver_code_or_cursor_and_then_retires_the_old_key(client, secret, frozen_clock):
    from chalicelib.applications.models import Application
    from chalicelib.core import cursors
    from chalicelib.verify.models import Verification

    api = Api(client)
    # Given a receiver holding its secret, a code waiting to be checked and a cursor in a client's hands,
    # all made with the key CloudFormation generated.
    app_id, session, receivers_secret = hooked_application(api)
    before = pending_code(app_id, "482913")
    cursor = cursors.encode({"message_id": "01ABC"}, "scope")
    assert delivery_verifies_with(app_id, receivers_secret)

    # When a rotation starts
    print(step("start", secret))
    ring = keyring(secret)
    assert (ring["current"], sorted(ring["keys"]), ring["rotation"]["from"]) == ("1", ["0", "1"], "0")
    assert ring["keys"]["0"] == LEGACY
    frozen_clock.advance(stack_keys.CACHE_SECONDS)   # every container has read the keyring again

    # Then everything made before still works...
    assert delivery_verifies_with(app_id, receivers_secret)
    assert checks(before, "482913") == "approved"
    assert cursors.decode(cursor, "scope") == {"message_id": "01ABC"}
    # ...and everything new is made with the new key.
    during = pending_code(app_id, "731106")
    assert Verification.get(during).code_hash.startswith("1:")
    assert cursors.encode({"message_id": "01ABC"}, "scope").startswith("1~")
    new_app, _, new_secret = hooked_application(api)
    assert [key["kid"] for key in Application.get(new_app).callback_keys] == ["1"]

    # When the rotation completes, once every container has the new key and the old codes have expired
    with pytest.raises(master_key.Refused, match="too early"):
        step("complete", secret)
    frozen_clock.advance(master_key.wait_seconds() - stack_keys.CACHE_SECONDS)
    late = pending_code(app_id, "550021")   # made with the new key, still pending at completion
    print(step("complete", secret))

    # Then the old key is gone from the keyring and refused everywhere...
    ring = keyring(secret)
    assert (ring["current"], list(ring["keys"]), ring.get("rotation")) == ("1", ["1"], None)
    frozen_clock.advance(stack_keys.CACHE_SECONDS)
    with pytest.raises(stack_keys.RetiredKey):
        stack_keys.key("0")
    answer = api.call("GET", f"/applications/{app_id}/messages?cursor={cursor}", headers=session)
    assert_oca_error(answer, 406, 39, "cursor")
    assert "expired" in answer.json_body["errors"][0]["message"]
    # ...while the receivers keep the secrets they hold: now hung on the new key, never stored in the clear.
    assert delivery_verifies_with(app_id, receivers_secret) and delivery_verifies_with(new_app, new_secret)
    stored = Application.get(app_id, consistent_read=True).callback_keys
    assert [(key["kid"], bool(key.get("wrapped"))) for key in stored] == [("1", True)]
    raw = json.dumps(boto3.client("dynamodb").get_item(
        TableName="kirim-local-applications", Key={"application_id": {"S": app_id}})["Item"])
    assert receivers_secret.removeprefix("whsec_") not in raw
    assert checks(late, "550021") == "approved"


def test_the_steps_refuse_what_would_break_something_and_are_safe_to_run_again(client, secret, frozen_clock):
    assert "no rotation in progress" in step("status", secret)
    assert step("complete", secret) == "no rotation in progress; key 0 is current"

    class Functions:
        """list_functions of a stage whose message_stream still runs the release before the keyring."""
        def __init__(self, old: bool) -> None:
            self.old = old

        def get_paginator(self, _):
            variables = {"USERS_TABLE": "t"} if self.old else {"MASTER_KEY_SECRET_ARN": secret}
            functions = [{"FunctionName": "kirim-dev", "Environment": {"Variables": {"MASTER_KEY_SECRET_ARN": secret}}},
                         {"FunctionName": "kirim-dev-message_stream", "Environment": {"Variables": variables}},
                         {"FunctionName": "kirim-devx-other"}]
            return type("Pages", (), {"paginate": lambda self: [{"Functions": functions}]})()

    with pytest.raises(master_key.Refused, match="kirim-dev-message_stream. Deploy this release first"):
        step("start", secret, lambda_client=Functions(old=True), stage="dev")
    assert keyring_text(secret) == LEGACY
    step("start", secret, lambda_client=Functions(old=False), stage="dev")
    with pytest.raises(master_key.Refused, match="in progress since"):
        step("start", secret)
    assert "complete can run from" in step("status", secret)
    # The same version written again (botocore's resend of a lost answer) is one version; another
    # command's different value written over the same version is refused.
    ring, version = master_key.read(boto3.client("secretsmanager"), secret)
    versions = len(boto3.client("secretsmanager").list_secret_version_ids(SecretId=secret)["Versions"])
    master_key.write(boto3.client("secretsmanager"), secret, ring._replace(rotation=None), "v-old", "test")
    master_key.write(boto3.client("secretsmanager"), secret, ring._replace(rotation=None), "v-old", "test")
    assert len(boto3.client("secretsmanager").list_secret_version_ids(SecretId=secret)["Versions"]) == versions + 1
    with pytest.raises(master_key.Refused, match="changed meanwhile"):
        master_key.write(boto3.client("secretsmanager"), secret, ring, "v-old", "test")


def keyring_text(arn: str) -> str:
    return boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]


def test_a_complete_cut_short_by_a_lost_answer_is_finished_by_running_it_again(client, secret, frozen_clock):
    from local import faults

    api = Api(client)
    apps = [hooked_application(api) for _ in range(3)]
    step("start", secret)
    frozen_clock.advance(master_key.wait_seconds())
    # The first move's write is made but its answer is lost.
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True,
                         when=lambda call: call["TableName"] == "kirim-local-applications"):
        try:
            step("complete", secret)
        except Exception as error:  # noqa: BLE001 - whatever the caller saw, the operator runs it again
            print(f"complete stopped: {error!r}")
    if len(keyring(secret)["keys"]) == 2:
        step("complete", secret)
    assert list(keyring(secret)["keys"]) == ["1"]
    assert all(delivery_verifies_with(app_id, receivers_secret) for app_id, _, receivers_secret in apps)


def test_an_owner_rotating_meanwhile_never_puts_the_old_key_back(client, secret, frozen_clock):
    from chalicelib.applications import callback_secrets
    from chalicelib.applications.models import Application
    from chalicelib.core.errors import ApiError

    app_id, session, receivers_secret = hooked_application(Api(client))
    step("start", secret)
    frozen_clock.advance(master_key.wait_seconds())
    read_before = Application.get(app_id, consistent_read=True)   # the owner's request reads...
    assert callback_secrets.move_to_current(app_id)                  # ...the walk moves the key...
    with pytest.raises(ApiError) as conflict:                        # ...and the owner's write is refused
        callback_secrets.rotate(read_before)
    assert conflict.value.status == 409
    rotated = callback_secrets.rotate(Application.get(app_id, consistent_read=True))
    assert [key.get("kid") for key in Application.get(app_id).callback_keys] == ["1", "1"]
    step("complete", secret)
    assert delivery_verifies_with(app_id, receivers_secret)          # the overlap's old secret
    assert delivery_verifies_with(app_id, rotated["callback_secret"])


def test_a_container_with_an_older_keyring_reads_it_again_for_a_key_it_does_not_hold(client, secret, frozen_clock):
    from chalicelib.core import cursors

    assert stack_keys.current_kid() == "0"   # this container read the keyring before the start
    boto3.client("secretsmanager").put_secret_value(SecretId=secret, SecretString=stack_keys.Keyring(
        "1", {"0": LEGACY, "1": "the new key"}, {"from": "0", "started_at": "2026-12-01T00:00:00.000Z"}).dump())
    from itsdangerous import URLSafeSerializer

    made_elsewhere = "1~" + URLSafeSerializer(b"the new key", salt="kirim-cursor").dumps({"k": {"a": "1"}, "s": "s"})
    assert cursors.decode(made_elsewhere, "s") == {"a": "1"}
    assert stack_keys.current_kid() == "1"
    # A key id nobody made is looked up once, then not again for a while (forged cursors cost little).
    calls = []
    boto3_client = boto3.client("secretsmanager")
    stack_keys.clear_cache()
    stack_keys.ring()
    from chalicelib.core import aws

    original = aws.client

    def counting(service):
        calls.append(service)
        return original(service) if service != "secretsmanager" else boto3_client
    aws.client = counting
    try:
        for _ in range(3):
            with pytest.raises(stack_keys.RetiredKey):
                stack_keys.key("7")
    finally:
        aws.client = original
    assert calls == ["secretsmanager"]


def test_the_command_says_what_it_cannot_do_in_one_line(aws, capsys):
    """The local stage has no secret to rotate; a stage without credentials is told what to set."""
    import subprocess
    import sys

    assert master_key.main(["--stage", "local", "status"]) == 2
    said = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("No Moto")]  # moto's own
    assert said == [
        "master key: the local stage has no master key secret (its key comes from the stage name, or "
        "KIRIM_MASTER_KEY): there is nothing to rotate"]
    env = {"PATH": "/usr/bin:/bin", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
           "AWS_EC2_METADATA_DISABLED": "true"}
    done = subprocess.run([sys.executable, str(ROOT / "infra" / "master_key.py"), "--stage", "prod", "start"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith("make master-key needs AWS credentials and an AWS region")
