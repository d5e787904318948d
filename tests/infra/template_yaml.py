"""infra/template.yaml as data, with CloudFormation's tags kept (!Ref x -> {"Ref": "x"})."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"


class CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation tags."""


def _cfn_tag(loader, suffix, node):
    tag = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {tag: value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def roles() -> dict[str, dict]:
    """{logical id: role resource} for every IAM role of the stack."""
    return {name: r for name, r in load_template()["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def statements(role: dict) -> list[dict]:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]
