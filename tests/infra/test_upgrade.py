"""Upgrades: `make deploy` reads the layout of the data the stage's stack holds (its template's mark,
or for a stack deployed before templates carried one, its messages table's by_app key) and refuses,
before changing anything, to deploy over a layout the release cannot take in place, saying what to
do; an older stack of the current layout is upgraded in place (the operator told that its callback queue
is replaced by the FIFO one), and marked.

The stacks are made with the real template changed back to what those releases deployed: by_app
keyed on application_id (before the message-index shards), the standard callback queue (before it
became FIFO), and no layout mark.
"""
from __future__ import annotations

import importlib.util
import warnings

import boto3
import pytest
from moto import mock_aws

from tests.infra.fake_aws import fake_credentials
from tests.infra.template_yaml import ROOT

_spec = importlib.util.spec_from_file_location("kirim_infra_deploy_upgrade", ROOT / "infra" / "deploy.py")
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)

TEMPLATE = ROOT / "infra" / "template.yaml"
MARK = """Metadata:
  Kirim:
    Layout: 2
    UpgradesInPlaceFrom: 2
"""


def without_mark(text: str) -> str:
    assert MARK in text
    return text.replace(MARK, "")


def unsharded(text: str) -> str:
    """by_app keyed on the application, as the releases before the message-index shards made it."""
    assert text.count("AttributeName: app_shard") == 2
    return without_mark(text).replace("AttributeName: app_shard", "AttributeName: application_id")


def standard_callback_queue(text: str) -> str:
    """The callback queue and its DLQ as standard queues, as before the queue became FIFO."""
    for line in ("      FifoQueue: true\n", "      DeduplicationScope: messageGroup\n",
                 "      FifoThroughputLimit: perMessageGroupId\n"):
        text = text.replace(line, "")
    return without_mark(text).replace("callbacks.fifo", "callbacks").replace("callbacks-dlq.fifo", "callbacks-dlq")


@pytest.fixture
def moto(monkeypatch, tmp_path):
    """moto, and a project to deploy (the real app, a copy of its config) in tmp_path."""
    (tmp_path / "app.py").symlink_to(ROOT / "app.py")
    (tmp_path / "chalicelib").symlink_to(ROOT / "chalicelib")
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text((ROOT / ".chalice" / "config.json").read_text())
    fake_credentials(monkeypatch)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*AWS::SNS::TopicPolicy.*")
        with mock_aws():
            yield tmp_path
            # Inside the session's moto (tests/conftest.py), state outlives this block: the stack goes.
            cfn = boto3.client("cloudformation")
            cfn.delete_stack(StackName="kirim-dev")
            cfn.get_waiter("stack_delete_complete").wait(StackName="kirim-dev", WaiterConfig={"Delay": 1})


def deployed(stage: str, text: str, tmp_path) -> str:
    """A stack kirim-<stage> of `text`, as an earlier release's deploy left it."""
    path = tmp_path / f"{stage}-template.yaml"
    path.write_text(text)
    deploy.deploy_stack(boto3.client("cloudformation"), stage, path)
    return boto3.client("cloudformation").get_template(StackName=f"kirim-{stage}")["TemplateBody"]


def run(stage: str, tmp_path, *extra: str) -> int:
    return deploy.main(["--stage", stage, "--skip-chalice", "--no-input", "--config",
                        str(tmp_path / ".chalice" / "config.json"), *extra])


def test_a_stack_of_the_unsharded_layout_is_refused_before_anything_changes(moto, capsys):
    before = deployed("dev", unsharded(TEMPLATE.read_text()), moto)
    capsys.readouterr()
    assert run("dev", moto) == 2
    said = capsys.readouterr().err
    assert "deploy stopped: the stack kirim-dev holds layout 1: the message indexes in one partition" in said
    assert "This release makes layout 2" in said and "nothing was changed" in said
    assert "make teardown STAGE=dev" in said and "docs/operating.md#upgrade" in said
    # Nothing changed: the stack's template, the table's index, and no config.json written.
    assert boto3.client("cloudformation").get_template(StackName="kirim-dev")["TemplateBody"] == before
    table = boto3.client("dynamodb").describe_table(TableName="kirim-dev-messages")["Table"]
    by_app = next(i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "by_app")
    assert by_app["KeySchema"][0]["AttributeName"] == "application_id"
    assert (moto / ".chalice" / "config.json").read_text() == (ROOT / ".chalice" / "config.json").read_text()
    # A pipeline's check says the same, and prod is told how to remove a protected stack.
    assert run("dev", moto, "--check-layout") == 2 and "holds layout 1" in capsys.readouterr().err
    prod = deploy.refusal("prod", 1, 2)
    assert "turn termination protection off" in prod and "export-table-to-point-in-time" in prod


def test_a_stack_of_the_current_layout_from_before_the_mark_is_upgraded_in_place(moto, capsys):
    deployed("dev", standard_callback_queue(TEMPLATE.read_text()), moto)
    sqs = boto3.client("sqs")
    assert sqs.get_queue_url(QueueName="kirim-dev-callbacks")
    capsys.readouterr()
    assert run("dev", moto, "--check-layout") == 0
    assert "note: this update replaces the callback queue kirim-dev-callbacks with kirim-dev-callbacks.fifo" in (
        capsys.readouterr().out)
    assert run("dev", moto) == 0
    out = capsys.readouterr().out
    assert "callback sweeper queues their deliveries again" in out and "stack kirim-dev ready" in out
    # CloudFormation replaces a queue whose QueueName or FifoQueue changes (and chalice deploy then maps
    # callbacks_worker to the new one, deleting the old mapping). moto 5.2.5 updates a queue in place
    # whatever changed: pinned, so a moto that replaces it makes this fail and the test grow.
    queues = [url.rsplit("/", 1)[-1] for url in sqs.list_queues(QueueNamePrefix="kirim-dev-callbacks")["QueueUrls"]]
    assert sorted(queues) == ["kirim-dev-callbacks", "kirim-dev-callbacks-dlq"]
    # The stack is marked with its layout.
    stack = boto3.client("cloudformation").describe_stacks(StackName="kirim-dev")["Stacks"][0]
    assert deploy.stack_layout(boto3.client("cloudformation"), boto3.client("dynamodb"), stack) == 2
    assert "Layout: 2" in boto3.client("cloudformation").get_template(StackName="kirim-dev")["TemplateBody"]


def test_a_stack_of_a_newer_layout_is_refused_by_an_older_release(moto):
    deployed("dev", TEMPLATE.read_text().replace("    Layout: 2\n", "    Layout: 3\n"), moto)
    with pytest.raises(deploy.DeployError, match="holds layout 3: a newer layout; this release makes layout 2"):
        deploy.check_layout(boto3.client("cloudformation"), boto3.client("dynamodb"), "dev")


def test_a_first_deploy_has_nothing_to_check(moto, tmp_path):
    assert deploy.check_layout(boto3.client("cloudformation"), boto3.client("dynamodb"), "dev") == []
    unmarked = tmp_path / "unmarked.yaml"
    unmarked.write_text(without_mark(TEMPLATE.read_text()))
    deployed("dev", TEMPLATE.read_text(), moto)
    with pytest.raises(deploy.DeployError, match="has no Metadata.Kirim.Layout"):
        deploy.check_layout(boto3.client("cloudformation"), boto3.client("dynamodb"), "dev", unmarked)
