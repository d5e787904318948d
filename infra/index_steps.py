"""A stack update in steps of at most one index per DynamoDB table.

DynamoDB creates or deletes one global secondary index per UpdateTable, and CloudFormation fails (and
rolls back) a stack update that adds or removes two or more on one table: "Cannot perform more than one
GSI creation or deletion in a single update". moto does neither. So before the update, each
AWS::DynamoDB::Table of the new template is compared with its deployed table (DescribeTable), and when one
would gain or lose more than one index, the deployed template is updated first with one index more (or
less) per table and step; the new template, with every other change, comes last.

Templates are read with their short-form intrinsics kept (!Ref x -> {"Ref": x}) and a step is written as
YAML in long form, which CloudFormation reads the same.
"""
import copy

import yaml


class CfnLoader(yaml.SafeLoader):
    """YAML that keeps CloudFormation's short-form tags, as their long form."""


def _tag(loader, suffix, node):
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def load(body):
    """A template (YAML or JSON text, or what boto3 already decoded) as data with its intrinsics."""
    return copy.deepcopy(body) if isinstance(body, dict) else yaml.load(body, Loader=CfnLoader)  # noqa: S506


def dump(template):
    return yaml.safe_dump(template, sort_keys=False, default_flow_style=False, width=1000)


def tables(template):
    """{logical id: properties} of the template's DynamoDB tables."""
    return {logical: resource.get("Properties") or {} for logical, resource in (template.get("Resources") or {}).items()
            if resource.get("Type") == "AWS::DynamoDB::Table"}


def _indexes(properties):
    return {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes") or []}


def _from_table(description):
    """An index of DescribeTable as a template's GlobalSecondaryIndexes entry (one the templates lack)."""
    index = {"IndexName": description["IndexName"], "KeySchema": description["KeySchema"],
             "Projection": description["Projection"]}
    throughput = description.get("ProvisionedThroughput") or {}
    if throughput.get("ReadCapacityUnits"):
        index["ProvisionedThroughput"] = {k: throughput[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
    return index


def _shape(index):
    """An index's key and projection, or None when an intrinsic function makes part of it."""
    projection = index.get("Projection") or {}
    values = [(k.get("AttributeName"), k.get("KeyType")) for k in index.get("KeySchema") or []]
    values.append((projection.get("ProjectionType", "ALL"), *(projection.get("NonKeyAttributes") or [])))
    if not all(isinstance(v, str) for group in values for v in group):
        return None
    return values[:-1], values[-1][0], sorted(values[-1][1:])


def _differs(deployed, wanted):
    """Whether the template's index has another key or projection than the table's (a part not known
    before the update, made by an intrinsic function, counts as the same)."""
    shape = _shape(wanted)
    return shape is not None and _shape(deployed) != shape


class Change:
    """One index added to or removed from one table: `number` of `count` for that table."""

    def __init__(self, logical, table_name, verb, index, number, count):
        self.logical, self.table_name, self.verb, self.index = logical, table_name, verb, index
        self.number, self.count = number, count

    def describe(self, stack):
        table = self.table_name.removeprefix(f"{stack}-")
        return f"{stack} {table} table: {self.verb} index {self.index} ({self.number} of {self.count})"


def changes(deployed, new, described):
    """{logical id: [Change]} for every table of both templates whose deployed indexes (described:
    {logical id: DescribeTable's Table}) differ from the new template's; removals first (a table holds at
    most 20 indexes). A table the update replaces (another name or key) gets its
    indexes with its creation, so it is left to the update."""
    planned = {}
    old_tables, new_tables = tables(deployed), tables(new)
    for logical, properties in new_tables.items():
        table = described.get(logical)
        if table is None or logical not in old_tables:
            continue
        old = old_tables[logical]
        if (old.get("TableName"), old.get("KeySchema")) != (properties.get("TableName"), properties.get("KeySchema")):
            continue
        have = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        want = _indexes(properties)
        # An index whose key or projection changes is deleted and created again: two changes.
        rebuilt = [name for name in want if name in have and _differs(have[name], want[name])]
        steps = [("removing", name) for name in have if name not in want or name in rebuilt]
        steps += [("adding", name) for name in want if name not in have or name in rebuilt]
        if steps:
            planned[logical] = [Change(logical, table["TableName"], verb, name, number, len(steps))
                                for number, (verb, name) in enumerate(steps, 1)]
    return planned


def step_templates(deployed, new, described, planned):
    """[(template, [Change])]: the deployed template with each table's indexes as its table has them
    plus its first change, then its second..., up to (not including) each table's last change, which
    the new template makes with everything else."""
    current = copy.deepcopy(deployed)
    for logical in planned:
        known = _indexes(tables(deployed)[logical])
        tables(current)[logical]["GlobalSecondaryIndexes"] = [
            copy.deepcopy(known.get(i["IndexName"])) or _from_table(i)
            for i in described[logical].get("GlobalSecondaryIndexes", [])]
    steps = []
    for step in range(max((len(c) for c in planned.values()), default=1) - 1):
        made = []
        for logical, table_changes in planned.items():
            if step < len(table_changes) - 1:
                _apply(tables(current)[logical], tables(deployed)[logical], tables(new)[logical],
                       described[logical], table_changes[step])
                made.append(table_changes[step])
        steps.append((copy.deepcopy(current), made))
    return steps


def _apply(properties, old, new, table, change):
    """Add (from the new template) or remove one index in a step's table, with exactly the key
    attributes its table and indexes use (DynamoDB refuses a definition nothing uses)."""
    indexes = [i for i in properties.get("GlobalSecondaryIndexes") or [] if i["IndexName"] != change.index]
    if change.verb == "adding":
        indexes.append(copy.deepcopy(_indexes(new)[change.index]))
    properties["GlobalSecondaryIndexes"] = indexes
    if not indexes:
        properties.pop("GlobalSecondaryIndexes")
    types = {a["AttributeName"]: a for a in (*table.get("AttributeDefinitions", []),
                                             *old.get("AttributeDefinitions", []),
                                             *new.get("AttributeDefinitions", []))}
    used = [k["AttributeName"] for k in properties.get("KeySchema", [])]
    used += [k["AttributeName"] for i in indexes for k in i["KeySchema"]]
    used += [k["AttributeName"] for i in properties.get("LocalSecondaryIndexes") or [] for k in i["KeySchema"]]
    properties["AttributeDefinitions"] = [copy.deepcopy(types[name]) for name in dict.fromkeys(used)]


def index_changes(old, new):
    """{logical id: (indexes added, indexes removed)} between two templates' tables: what one stack
    update asks of CloudFormation."""
    found = {}
    old_tables = tables(old)
    for logical, properties in tables(new).items():
        if logical in old_tables:
            before, after = set(_indexes(old_tables[logical])), set(_indexes(properties))
            if before != after:
                found[logical] = (sorted(after - before), sorted(before - after))
    return found
