"""Page cursors are signed with the master key, and refused when forged or reused elsewhere."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.core import config, cursors, stack_keys
from chalicelib.core.errors import ApiError


@pytest.fixture
def fresh_key(monkeypatch):
    def use(**env):
        for name in ("KIRIM_MASTER_KEY", "MASTER_KEY_SECRET_ARN", "CURSOR_SECRET", "CURSOR_SECRET_ARN", "KIRIM_STAGE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        config.get_settings.cache_clear()
        stack_keys.clear_cache()
    yield use
    monkeypatch.undo()
    config.get_settings.cache_clear()
    stack_keys.clear_cache()


def test_the_key_comes_from_secrets_manager(aws, fresh_key):
    # moto's CloudFormation cannot create AWS::SecretsManager::Secret, so the secret is made here
    # as the stack would make it, and its ARN given as deploy.py gives the stack output.
    arn = boto3.client("secretsmanager").create_secret(Name="kirim-dev-cursor-secret-test",
                                                       SecretString="s3cret-from-the-stack")["ARN"]
    fresh_key(KIRIM_STAGE="dev", MASTER_KEY_SECRET_ARN=arn)
    signed = cursors.encode({"after": "01ABC"}, "scope")
    assert cursors.decode(signed, "scope") == {"after": "01ABC"}
    fresh_key(KIRIM_STAGE="dev", KIRIM_MASTER_KEY="another key")
    with pytest.raises(ApiError) as refused:
        cursors.decode(signed, "scope")
    assert refused.value.code == 39 and refused.value.field == "cursor"


def test_a_shared_stage_without_a_secret_refuses_to_sign(fresh_key):
    fresh_key(KIRIM_STAGE="prod")
    with pytest.raises(RuntimeError):
        cursors.encode({"after": "01ABC"}, "scope")


def test_the_names_before_the_rename_are_still_read(aws, fresh_key):
    """A stack deployed before the rename gives CURSOR_SECRET_ARN only (an app stack packaged then)."""
    arn = boto3.client("secretsmanager").create_secret(Name="kirim-dev-cursor-secret-old-name",
                                                       SecretString="the same key")["ARN"]
    fresh_key(KIRIM_STAGE="dev", MASTER_KEY_SECRET_ARN=arn)
    signed = cursors.encode({"after": "01ABC"}, "scope")
    fresh_key(KIRIM_STAGE="dev", CURSOR_SECRET_ARN=arn)
    assert cursors.decode(signed, "scope") == {"after": "01ABC"}


def test_a_cursor_made_before_key_ids_still_pages(fresh_key):
    """Cursors handed out before the keyring carry no key id: they were signed by the one key, id 0."""
    from itsdangerous import URLSafeSerializer

    fresh_key(KIRIM_STAGE="dev", KIRIM_MASTER_KEY="the one key")
    old = URLSafeSerializer(b"the one key", salt="kirim-cursor").dumps({"k": {"after": "01ABC"}, "s": "scope"})
    assert "~" not in old and cursors.decode(old, "scope") == {"after": "01ABC"}
    assert cursors.encode({"after": "01ABC"}, "scope").startswith("0~")
