"""`make deploy` adds (or removes) a table's indexes one per stack update.

DynamoDB creates or deletes one global secondary index per UpdateTable, and CloudFormation fails, then
rolls back, a stack update that adds or removes two or more on one table ("Cannot perform more than one GSI
creation or deletion in a single update"). moto enforces neither, and its CloudFormation does not even
apply a table's new indexes: `AwsLikeCloudFormation` below wraps moto's client to do both, as AWS does.

The stack upgraded is the real template without the three indexes the messages table gained since the
2026-11-30 release (by_recipient, by_broadcast, by_wamid), as that release deployed it.
"""
from __future__ import annotations

import copy
import importlib.util
import re
import warnings

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError, WaiterError
from moto import mock_aws

from tests.infra.fake_aws import fake_credentials
from tests.infra.template_yaml import ROOT, CfnLoader

_spec = importlib.util.spec_from_file_location("kirim_infra_deploy_index_steps", ROOT / "infra" / "deploy.py")
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)

TEMPLATE = ROOT / "infra" / "template.yaml"
NEW_INDEXES = ("by_recipient", "by_broadcast", "by_wamid")
NEW_KEYS = {"by_recipient": "app_recipient", "by_broadcast": "app_broadcast", "by_wamid": "wamid"}
ONE_AT_A_TIME = "Cannot perform more than one GSI creation or deletion in a single update"


def without_indexes(text: str, *names: str) -> str:
    """The template with the messages table lacking the named indexes and their key attributes."""
    start = text.index("  MessagesTable:\n")
    end = text.index("\n  # Daily counters", start)
    table = text[start:end]
    for name in names:
        table, removed = re.subn(rf"        - IndexName: {name}\n(?:          .*\n|            .*\n)*", "", table)
        assert removed == 1, name
        table, removed = re.subn(rf"        - AttributeName: {NEW_KEYS[name]}\n          AttributeType: S\n", "", table)
        assert removed == 1, name
    return text[:start] + table + text[end:]


def gsi_names(body) -> dict[str, set[str]]:
    """{table's logical id: its index names} of a template, read on its own (not with infra's code)."""
    template = body if isinstance(body, dict) else yaml.load(body, Loader=CfnLoader)  # noqa: S506
    return {logical: {i["IndexName"] for i in r["Properties"].get("GlobalSecondaryIndexes", [])}
            for logical, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}


# The template each stack holds as AWS would (the last update that passed), when moto holds another.
HELD: dict[str, str] = {}


def without_tables(template: dict, tables) -> dict:
    """The template without the named tables' indexes and attribute definitions."""
    template = copy.deepcopy(template)
    for table in tables:
        template["Resources"][table]["Properties"].pop("GlobalSecondaryIndexes", None)
        template["Resources"][table]["Properties"].pop("AttributeDefinitions", None)
    return template


def template_of(call: dict) -> str:
    """The template a create or update was given, inline or by URL (refused inline past AWS's 51,200
    bytes, which moto does not check)."""
    if "TemplateBody" in call:
        if len(call["TemplateBody"].encode()) > 51_200:
            raise ClientError({"Error": {"Code": "ValidationError", "Message": "1 validation error detected: Value "
                                         "at 'templateBody' failed to satisfy constraint: Member must have length "
                                         "less than or equal to 51200"}}, "UpdateStack")
        return call["TemplateBody"]
    bucket_key = call["TemplateURL"].split("://", 1)[1]
    bucket, key = bucket_key.split(".", 1)[0], bucket_key.split("/", 1)[1]
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()


class AwsLikeCloudFormation:
    """moto's CloudFormation client, with what AWS does on a stack update and moto does not. It stands in
    for AWS's rule: an update that creates or deletes more than one GSI of a table fails with AWS's reason
    and is rolled back (the stack keeps its template). An update that passes creates or deletes its index
    on the table with UpdateTable, as CloudFormation does (moto's CloudFormation cannot update a table: it
    is handed the rest of the update, if any, with the tables as it holds them, and get_template answers
    what AWS would hold).
    `fail` also fails the update of that number (1 = the first), as any failure of a step would. Every
    template an update got is in `updates`, with what it changed of each table ({logical id: (added,
    removed)})."""

    def __init__(self, fail: int | None = None):
        self.cfn = boto3.client("cloudformation")
        self.dynamodb = boto3.client("dynamodb")
        self.fail = fail
        self.updates: list[tuple[str, dict]] = []
        self.creates = 0
        self.failed = None
        self.forwarded = True

    def __getattr__(self, name):
        return getattr(self.cfn, name)

    def create_stack(self, **kwargs):
        self.creates += 1
        template_of(kwargs)
        return self.cfn.create_stack(**kwargs)

    def get_template(self, **kwargs):
        if kwargs["StackName"] in HELD:
            return {"TemplateBody": HELD[kwargs["StackName"]]}
        return self.cfn.get_template(**kwargs)

    def update_stack(self, **kwargs):
        name = kwargs["StackName"]
        before_template = yaml.load(self.get_template(StackName=name, TemplateStage="Original")["TemplateBody"],
                                    Loader=CfnLoader)  # noqa: S506
        body = template_of(kwargs)
        kwargs = {k: v for k, v in kwargs.items() if k not in ("TemplateBody", "TemplateURL")}
        after_template = yaml.load(body, Loader=CfnLoader)  # noqa: S506
        before, after = gsi_names(before_template), gsi_names(after_template)
        changed = {t: (sorted(after[t] - before[t]), sorted(before[t] - after[t]))
                   for t in after if t in before and after[t] != before[t]}
        self.updates.append((body, changed))
        self.failed = None
        for table, (added, removed) in changed.items():
            if len(added) + len(removed) > 1:
                self.failed = (table, ONE_AT_A_TIME)
        if self.failed is None and len(self.updates) == self.fail:
            self.failed = ("MessagesTable", "injected failure of this step")
        if self.failed:
            return {"StackId": name}
        if before_template == after_template:
            raise ClientError({"Error": {"Code": "ValidationError", "Message": "No updates are to be performed."}},
                              "UpdateStack")
        self.forwarded = without_tables(before_template, changed) != without_tables(after_template, changed)
        answer = {"StackId": name}
        if self.forwarded:  # the rest of the update, with the tables as moto holds them
            for_moto = copy.deepcopy(after_template)
            moto_holds = yaml.load(self.cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"],
                                   Loader=CfnLoader)  # noqa: S506
            for table in changed:
                for_moto["Resources"][table] = moto_holds["Resources"][table]
            answer = self.cfn.update_stack(**{**kwargs, "TemplateBody": yaml.safe_dump(for_moto, sort_keys=False)})
        HELD[name] = body
        for table, (added, removed) in changed.items():
            physical = self.cfn.describe_stack_resource(StackName=name, LogicalResourceId=table)[
                "StackResourceDetail"]["PhysicalResourceId"]
            properties = after_template["Resources"][table]["Properties"]
            for index in removed:
                self.dynamodb.update_table(TableName=physical, GlobalSecondaryIndexUpdates=[
                    {"Delete": {"IndexName": index}}])
            for index in added:
                spec = next(i for i in properties["GlobalSecondaryIndexes"] if i["IndexName"] == index)
                keys = {k["AttributeName"] for k in spec["KeySchema"]}
                self.dynamodb.update_table(
                    TableName=physical,
                    AttributeDefinitions=[a for a in properties["AttributeDefinitions"] if a["AttributeName"] in keys],
                    GlobalSecondaryIndexUpdates=[{"Create": spec}])
        return answer

    def get_waiter(self, name):
        if name == "stack_update_complete" and not self.failed and not self.forwarded:
            return type("Done", (), {"wait": lambda self, **_: None})()  # only the tables changed
        if name != "stack_update_complete" or not self.failed:
            return self.cfn.get_waiter(name)
        failed = self.failed

        class RolledBack:
            def wait(self, **_):
                raise WaiterError(name=name, reason='Waiter encountered a terminal failure state: For expression '
                                  '"Stacks[].StackStatus" we matched expected path: "UPDATE_ROLLBACK_COMPLETE"',
                                  last_response={})

        self.last_failure = failed
        return RolledBack()

    def describe_stack_events(self, **kwargs):
        if not self.failed:
            return self.cfn.describe_stack_events(**kwargs)
        table, reason = self.failed
        return {"StackEvents": [{"LogicalResourceId": table, "ResourceStatus": "UPDATE_FAILED",
                                 "ResourceStatusReason": reason}]}


@pytest.fixture
def moto(monkeypatch, tmp_path):
    fake_credentials(monkeypatch)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*AWS::SNS::TopicPolicy.*")
        with mock_aws():
            HELD.clear()
            yield tmp_path
            # Inside the session's moto (tests/conftest.py), state outlives this block: the stack goes.
            cfn = boto3.client("cloudformation")
            cfn.delete_stack(StackName="kirim-dev")
            cfn.get_waiter("stack_delete_complete").wait(StackName="kirim-dev", WaiterConfig={"Delay": 1})


def release_stack(tmp_path, text: str) -> None:
    """kirim-dev of `text`, as an earlier release's make deploy left it."""
    path = tmp_path / "release.yaml"
    path.write_text(text)
    deploy.deploy_stack(boto3.client("cloudformation"), "dev", path, dynamodb_client=boto3.client("dynamodb"))


def message_indexes() -> list[str]:
    table = boto3.client("dynamodb").describe_table(TableName="kirim-dev-messages")["Table"]
    assert table["TableStatus"] == "ACTIVE" and all(i["IndexStatus"] == "ACTIVE" for i in table["GlobalSecondaryIndexes"])
    return sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"])


def upgrade(cfn) -> dict:
    return deploy.deploy_stack(cfn, "dev", TEMPLATE, dynamodb_client=boto3.client("dynamodb"))


ALL = sorted(gsi_names(TEMPLATE.read_text())["MessagesTable"])
ITEM = {"message_id": {"S": "m-before"}, "app_shard": {"S": "a1#3"}, "status": {"S": "delivered"}}


def test_an_upgrade_adding_three_indexes_adds_one_per_stack_update(moto, capsys):
    release_stack(moto, without_indexes(TEMPLATE.read_text(), *NEW_INDEXES))
    boto3.client("dynamodb").put_item(TableName="kirim-dev-messages", Item=ITEM)
    assert message_indexes() == sorted(set(ALL) - set(NEW_INDEXES))
    capsys.readouterr()

    cfn = AwsLikeCloudFormation()
    outputs = upgrade(cfn)
    assert outputs["MessagesTable"] == "kirim-dev-messages"
    # Each update CloudFormation got added one index, in the template's order; the last is the template.
    assert [changed for _, changed in cfn.updates] == [{"MessagesTable": ([name], [])} for name in NEW_INDEXES]
    assert cfn.updates[-1][0] == TEMPLATE.read_text()
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("deploy:")] == [
        "deploy: kirim-dev messages table: adding index by_recipient (1 of 3)",
        "deploy: kirim-dev messages table: adding index by_broadcast (2 of 3)",
        "deploy: kirim-dev messages table: adding index by_wamid (3 of 3), with the rest of the template"]
    # Only the indexes changed before the last step: the rest of each step is the release's template.
    release = yaml.load(without_indexes(TEMPLATE.read_text(), *NEW_INDEXES), Loader=CfnLoader)  # noqa: S506
    for body, _ in cfn.updates[:-1]:
        step = yaml.load(body, Loader=CfnLoader)  # noqa: S506
        # DynamoDB refuses an attribute definition no key uses: a step defines exactly its keys'.
        table = step["Resources"]["MessagesTable"]["Properties"]
        keys = {k["AttributeName"] for i in table["GlobalSecondaryIndexes"] for k in i["KeySchema"]} | {"message_id"}
        assert sorted(a["AttributeName"] for a in table["AttributeDefinitions"]) == sorted(keys)
        step["Resources"]["MessagesTable"]["Properties"].pop("GlobalSecondaryIndexes")
        step["Resources"]["MessagesTable"]["Properties"].pop("AttributeDefinitions")
        release["Resources"]["MessagesTable"]["Properties"].pop("GlobalSecondaryIndexes", None)
        release["Resources"]["MessagesTable"]["Properties"].pop("AttributeDefinitions", None)
        assert step == release
    # The table has every index, and what it held before.
    assert message_indexes() == ALL
    assert boto3.client("dynamodb").get_item(TableName="kirim-dev-messages", Key={"message_id": ITEM["message_id"]})[
        "Item"] == ITEM
    assert cfn.get_template(StackName="kirim-dev", TemplateStage="Original")["TemplateBody"] == TEMPLATE.read_text()

    # Again: nothing left to do, in one step.
    again = AwsLikeCloudFormation()
    assert upgrade(again) == outputs
    assert [changed for _, changed in again.updates] == [{}]
    assert "deploy:" not in capsys.readouterr().out


def test_a_rerun_after_a_failed_step_goes_on_from_where_the_table_is(moto, capsys):
    release_stack(moto, without_indexes(TEMPLATE.read_text(), *NEW_INDEXES))
    boto3.client("dynamodb").put_item(TableName="kirim-dev-messages", Item=ITEM)
    failing = AwsLikeCloudFormation(fail=2)
    with pytest.raises(RuntimeError) as failed:
        upgrade(failing)
    # Stopped with the stack's reasons, as any failed update; the first step's index stays.
    assert "stack kirim-dev failed" in str(failed.value)
    assert "MessagesTable: UPDATE_FAILED injected failure of this step" in str(failed.value)
    assert len(failing.updates) == 2
    assert message_indexes() == sorted(set(ALL) - {"by_broadcast", "by_wamid"})
    capsys.readouterr()

    rerun = AwsLikeCloudFormation()
    upgrade(rerun)
    assert [changed for _, changed in rerun.updates] == [{"MessagesTable": (["by_broadcast"], [])},
                                                          {"MessagesTable": (["by_wamid"], [])}]
    out = capsys.readouterr().out
    assert "deploy: kirim-dev messages table: adding index by_broadcast (1 of 2)\n" in out
    assert "deploy: kirim-dev messages table: adding index by_wamid (2 of 2), with the rest of the template\n" in out
    assert message_indexes() == ALL
    assert boto3.client("dynamodb").get_item(TableName="kirim-dev-messages", Key={"message_id": ITEM["message_id"]})[
        "Item"] == ITEM


def test_the_rule_moto_lacks_fails_the_one_step_update_and_passes_the_steps(moto, monkeypatch):
    """AwsLikeCloudFormation's check stands in for AWS's rule (one GSI created or deleted per table and
    stack update), which moto does not have: the one-step update make deploy made before fails it, with
    AWS's reason, and leaves the table as it was; the steps pass it."""
    release_stack(moto, without_indexes(TEMPLATE.read_text(), *NEW_INDEXES))
    before = message_indexes()
    with monkeypatch.context() as old:
        old.setattr(deploy, "_index_steps", lambda *_: ({}, []))  # no steps: the template in one update
        with pytest.raises(RuntimeError, match=f"MessagesTable: UPDATE_FAILED {ONE_AT_A_TIME}"):
            upgrade(AwsLikeCloudFormation())
    assert message_indexes() == before
    cfn = AwsLikeCloudFormation()
    upgrade(cfn)
    assert len(cfn.updates) == 3 and message_indexes() == ALL


def test_a_first_deploy_is_one_step(moto, capsys):
    cfn = AwsLikeCloudFormation()
    upgrade(cfn)
    assert (cfn.creates, cfn.updates) == (1, [])
    assert message_indexes() == ALL and "index" not in capsys.readouterr().out


def test_an_upgrade_adding_one_index_is_one_step(moto, capsys):
    release_stack(moto, without_indexes(TEMPLATE.read_text(), "by_wamid"))
    capsys.readouterr()
    cfn = AwsLikeCloudFormation()
    upgrade(cfn)
    assert cfn.updates == [(TEMPLATE.read_text(), {"MessagesTable": (["by_wamid"], [])})]
    assert capsys.readouterr().out.splitlines()[0] == "deploy: kirim-dev messages table: adding index by_wamid (1 of 1)"
    assert message_indexes() == ALL


def described_as_deployed(template: dict) -> dict:
    """DescribeTable's answer for the messages table as `template` made it."""
    properties = template["Resources"]["MessagesTable"]["Properties"]
    return {"MessagesTable": {"TableName": "kirim-dev-messages",
                              "AttributeDefinitions": properties["AttributeDefinitions"],
                              "GlobalSecondaryIndexes": properties["GlobalSecondaryIndexes"]}}


def test_removing_two_indexes_removes_one_a_step():
    """The steps of a template that drops two indexes (data only): the first step drops one, and the key
    attributes it alone used; the new template drops the other."""
    from infra import index_steps

    new_text = without_indexes(TEMPLATE.read_text(), "by_broadcast", "by_wamid")
    deployed, new = index_steps.load(TEMPLATE.read_text()), index_steps.load(new_text)
    described = described_as_deployed(deployed)
    planned = index_steps.changes(deployed, new, described)
    assert [c.describe("kirim-dev") for c in planned["MessagesTable"]] == [
        "kirim-dev messages table: removing index by_broadcast (1 of 2)",
        "kirim-dev messages table: removing index by_wamid (2 of 2)"]
    [(step, made)] = index_steps.step_templates(deployed, new, described, planned)
    assert made == planned["MessagesTable"][:1]
    table = yaml.load(index_steps.dump(step), Loader=CfnLoader)["Resources"]["MessagesTable"]["Properties"]  # noqa: S506
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == set(ALL) - {"by_broadcast"}
    names = [a["AttributeName"] for a in table["AttributeDefinitions"]]
    assert "app_broadcast" not in names and "wamid" in names and len(names) == len(set(names))


def test_a_step_waits_for_the_index_being_built(monkeypatch, capsys):
    """DynamoDB builds one index of a table at a time, in the background; the next step (and the app's
    code) waits until it is ACTIVE."""
    answers = iter(["CREATING", "CREATING", "ACTIVE"])

    class Table:
        def describe_table(self, TableName):
            return {"Table": {"TableName": TableName, "TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [
                {"IndexName": "by_app", "IndexStatus": "ACTIVE"},
                {"IndexName": "by_wamid", "IndexStatus": next(answers)}]}}

    slept = []
    monkeypatch.setattr(deploy.time, "sleep", slept.append)
    deploy.wait_for_indexes(Table(), ["kirim-dev-messages", "kirim-dev-messages"])
    assert slept == [deploy.INDEX_POLL_SECONDS] * 2
    assert capsys.readouterr().out.splitlines() == [
        "deploy: waiting for table kirim-dev-messages: by_wamid (CREATING) (the table keeps serving; interrupting "
        "and running make deploy again is safe)"]


def test_an_index_whose_projection_changes_is_removed_then_added():
    """CloudFormation deletes and creates again an index whose key or projection changes: two changes of
    one table, so a step removes it and the template adds it back."""
    from infra import index_steps

    deployed = index_steps.load(TEMPLATE.read_text())
    new = copy.deepcopy(deployed)
    [by_wamid] = [i for i in new["Resources"]["MessagesTable"]["Properties"]["GlobalSecondaryIndexes"]
                  if i["IndexName"] == "by_wamid"]
    by_wamid["Projection"] = {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["application_id"]}
    described = described_as_deployed(deployed)
    planned = index_steps.changes(deployed, new, described)
    assert [c.describe("kirim-dev") for c in planned["MessagesTable"]] == [
        "kirim-dev messages table: removing index by_wamid (1 of 2)",
        "kirim-dev messages table: adding index by_wamid (2 of 2)"]
    [(step, _)] = index_steps.step_templates(deployed, new, described, planned)
    assert "by_wamid" not in gsi_names(step)["MessagesTable"]
    # The same index again, or one whose projection an intrinsic function makes, is no change.
    assert index_steps.changes(deployed, deployed, described) == {}
    by_wamid["Projection"] = {"ProjectionType": {"Fn::If": ["IsProd", "ALL", "KEYS_ONLY"]}}
    assert index_steps.changes(deployed, new, described) == {}
