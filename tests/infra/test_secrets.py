"""Provider secrets: taken from the operator once, stored in Secrets Manager, read by the
functions at first use with a cache; nothing secret in .chalice/config.json; a stage whose
provider is not configured fails the deploy, not the first send."""
from __future__ import annotations

import importlib.util
import json

import boto3
import pytest
from moto import mock_aws

from tests.infra.template_yaml import ROOT

_spec = importlib.util.spec_from_file_location("kirim_infra_deploy_secrets", ROOT / "infra" / "deploy.py")
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)

META = ["META_PHONE_NUMBER_ID", "META_WABA_ID", "META_ACCESS_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN"]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())


def prod_env():
    return deploy.stage_environment(CONFIG, "prod")


def test_prod_selects_meta_and_without_its_settings_the_deploy_stops_naming_them():
    with pytest.raises(deploy.DeployError) as stopped:
        deploy.gather_settings("prod", prod_env(), stored={}, environ={})
    message = str(stopped.value)
    for name in META:
        assert f"  {name} (provider meta)\n" in message
    assert "make deploy STAGE=prod" in message and "kirim-prod-providers" in message
    assert stopped.value.code == 2


def test_settings_come_from_the_environment_the_store_or_a_prompt():
    given = deploy.gather_settings("prod", prod_env(), stored={}, environ={name: f"v-{name}" for name in META})
    assert given == {name: f"v-{name}" for name in META}
    # Stored once, a later deploy needs nothing more, and writes nothing.
    assert deploy.gather_settings("prod", prod_env(), stored=given, environ={}) == {}
    # A terminal is asked for what is missing; credentials without echo.
    asked = []

    def ask(name, secret):
        asked.append((name, secret))
        return "typed"

    result = deploy.gather_settings("prod", prod_env(), stored={"META_WABA_ID": "1", "META_PHONE_NUMBER_ID": "2"},
                                    environ={"META_VERIFY_TOKEN": "env"}, ask=ask)
    assert asked == [("META_ACCESS_TOKEN", True), ("META_APP_SECRET", True)]
    assert result == {"META_VERIFY_TOKEN": "env", "META_ACCESS_TOKEN": "typed", "META_APP_SECRET": "typed"}
    # The simulator needs nothing.
    assert deploy.gather_settings("dev", deploy.stage_environment(CONFIG, "dev"), stored={}, environ={}) == {}


def test_an_unknown_provider_stops_the_deploy():
    with pytest.raises(deploy.DeployError, match="provider 'twilio'"):
        deploy.needed_settings({"PROVIDER_SMS": "twilio"})


def test_the_deploy_refuses_before_creating_anything(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in META:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "app.py").symlink_to(ROOT / "app.py")
    (tmp_path / "chalicelib").symlink_to(ROOT / "chalicelib")
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(CONFIG))
    with mock_aws():
        assert deploy.main(["--stage", "prod", "--config", str(tmp_path / ".chalice" / "config.json"),
                            "--no-input"]) == 2
        assert [s for s in boto3.client("cloudformation").list_stacks()["StackSummaries"]
                if s["StackName"] == "kirim-prod"] == []
    assert json.loads((tmp_path / ".chalice" / "config.json").read_text()) == CONFIG


def test_store_merges_into_the_stacks_secret(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("secretsmanager")
        arn = client.create_secret(Name="kirim-prod-providers", SecretString="{}")["ARN"]
        assert deploy.store_settings(client, {"ProviderSecretArn": arn}, {}, {"META_ACCESS_TOKEN": "a"})
        stored = deploy.stored_settings(client, "prod")
        assert stored == {"META_ACCESS_TOKEN": "a"}
        assert deploy.store_settings(client, {"ProviderSecretArn": arn}, stored, {"META_APP_SECRET": "b"})
        assert deploy.stored_settings(client, "prod") == {"META_ACCESS_TOKEN": "a", "META_APP_SECRET": "b"}
        def versions():  # ids and stages: a read moves LastAccessedDate, a write adds a version
            listed = client.list_secret_version_ids(SecretId=arn)["Versions"]
            return [(v["VersionId"], v.get("VersionStages")) for v in listed]

        before = versions()
        assert not deploy.store_settings(client, {"ProviderSecretArn": arn}, stored, {})  # nothing new, no write
        assert versions() == before
        assert deploy.stored_settings(client, "dev") == {}  # no secret yet: nothing stored


def test_nothing_secret_in_the_chalice_config():
    settings = set(deploy.known_settings())
    for where, variables in [("global", CONFIG.get("environment_variables", {}))] + [
            (stage, body.get("environment_variables", {})) for stage, body in CONFIG["stages"].items()]:
        assert not settings & set(variables), where
        assert not [k for k in variables if any(w in k for w in ("TOKEN", "SECRET", "PASSWORD", "KEY"))
                    and not k.endswith("_ARN")], where
    assert not (ROOT / ".chalice" / "policy-dev.json").exists()


def test_functions_read_the_secret_once_and_cache_it(aws, monkeypatch):
    from chalicelib.core import secrets
    from chalicelib.core.config import get_settings
    from chalicelib.providers import registry
    from local import call_counter

    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="kirim-local-providers-test", SecretString=json.dumps(
        {"META_PHONE_NUMBER_ID": "123", "META_ACCESS_TOKEN": "from-secret", "META_WABA_ID": "9",
         "META_VERIFY_TOKEN": "verify-from-secret"}))["ARN"]
    monkeypatch.setenv("PROVIDER_SECRET_ARN", arn)
    monkeypatch.setenv("PROVIDER_WHATSAPP", "meta")
    monkeypatch.setenv("META_ACCESS_TOKEN", "from-env")  # the secret wins
    get_settings.cache_clear()
    registry.reset()
    try:
        with call_counter.counting() as calls:
            provider = registry.provider_for("whatsapp")
            assert provider._access_token == "from-secret" and provider.phone_number_id == "123"
            assert secrets.provider_setting("META_VERIFY_TOKEN") == "verify-from-secret"
            assert secrets.provider_setting("META_APP_SECRET") is None
        assert calls[("secretsmanager", "GetSecretValue")] == 1
        client.put_secret_value(SecretId=arn, SecretString="{}")
        with pytest.raises(secrets.MissingSetting, match="META_PHONE_NUMBER_ID is not configured for stage local"):
            registry.reset()
            registry.template_reviewer()
    finally:
        monkeypatch.delenv("PROVIDER_SECRET_ARN")
        monkeypatch.delenv("PROVIDER_WHATSAPP")
        get_settings.cache_clear()
        registry.reset()
