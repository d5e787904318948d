"""Page cursors are signed with the stack's secret, and refused when forged or reused elsewhere."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.core import config, cursors
from chalicelib.core.errors import ApiError


@pytest.fixture
def fresh_key(monkeypatch):
    def use(**env):
        for name in ("CURSOR_SECRET", "CURSOR_SECRET_ARN", "KIRIM_STAGE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        config.get_settings.cache_clear()
        cursors._key.cache_clear()
    yield use
    monkeypatch.undo()
    config.get_settings.cache_clear()
    cursors._key.cache_clear()


def test_the_key_comes_from_secrets_manager(aws, fresh_key):
    # moto's CloudFormation cannot create AWS::SecretsManager::Secret, so the secret is made here
    # as the stack would make it, and its ARN given as deploy.py gives the stack output.
    arn = boto3.client("secretsmanager").create_secret(Name="kirim-dev-cursor-secret-test",
                                                       SecretString="s3cret-from-the-stack")["ARN"]
    fresh_key(KIRIM_STAGE="dev", CURSOR_SECRET_ARN=arn)
    signed = cursors.encode({"after": "01ABC"}, "scope")
    assert cursors.decode(signed, "scope") == {"after": "01ABC"}
    fresh_key(KIRIM_STAGE="dev", CURSOR_SECRET="another key")
    with pytest.raises(ApiError) as refused:
        cursors.decode(signed, "scope")
    assert refused.value.code == 39 and refused.value.field == "cursor"


def test_a_shared_stage_without_a_secret_refuses_to_sign(fresh_key):
    fresh_key(KIRIM_STAGE="prod")
    with pytest.raises(RuntimeError):
        cursors.encode({"after": "01ABC"}, "scope")
