"""infra/template.yaml as data, with CloudFormation's tags kept (!Ref x -> {"Ref": "x"})."""
from __future__ import annotations

from pathlib import Path

import yaml

from infra.index_steps import CfnLoader

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"


def load_template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def roles() -> dict[str, dict]:
    """{logical id: role resource} for every IAM role of the stack."""
    return {name: r for name, r in load_template()["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def statements(role: dict) -> list[dict]:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]
