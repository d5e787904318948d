"""moto's DynamoDB, faster for the tests and the local stack, with the same answers.

- Query without the whole-table sort. moto 5.2.5 answers every Query (a table's or an index's) by sorting
  all of the table's items and then walking them; a table of a few thousand items (a test session's, a
  local stack's after a while) made each Query cost a sort of thousands, so tests ran slower the later they
  came. Here a table's Query walks only its partition's items, and an index's Query walks the items
  unsorted (moto sorts the matches by the index's keys afterwards). The table's keys are unique, so both
  orders are total.
- Attribute values written out directly. moto's response serializer looks up each of an attribute value's
  ten possible members through four alias rules, for every attribute of every item; a value already in
  DynamoDB's wire shape ({"S": "x"}, {"M": {...}}, ...) is written out as the generic path would write it.
  Anything else (binary, an unexpected shape) still takes the generic path. The same for a stream record's
  keys and images (GetRecords): the stream consumers' reads of a few thousand seeded messages took most of
  a test's setup.
- A projection converts the item once. moto turned the whole item into plain JSON again for each path of a
  ProjectionExpression (seven paths: seven conversions of every item a Query returned).
- SendMessage without counting the queue. moto's SendMessage reads the queue's attributes for one flag
  (ContentBasedDeduplication), and those attributes count every message in the queue three times: each send
  to a queue of n messages cost O(n) (the simulator's event queue in a broadcast run: most of moto's time).
  While a send runs, the three counts answer 0; the send never reads them.

- TransactWriteItems backs up what it touches, not whole tables. moto deep-copied every table a transaction
  names, items and stream records included, before each transaction, to swap the copy back in if it was
  canceled: every send (a transaction) copied the session's messages, so sends got slower as the tables grew,
  and a test worker's memory grew with them to 16 GB, where the kernel killed it. Here each touched item and each table's stream length is saved first,
  and a canceled transaction puts those items back and drops its stream records.

`install()` patches moto once; it does nothing with another moto version (then moto is as slow as it was,
never wrong), since the patches lean on that version's internals.
"""
from __future__ import annotations

import threading
from typing import Any

VERSION = "5.2.5"
_local = threading.local()
original: dict[str, Any] = {}  # moto's own functions, once patched
_STRINGS, _BOOLEANS = ("S", "N"), ("BOOL", "NULL")
_DYNAMODB = ("dynamodb", "dynamodbstreams")  # a stream record's images are attribute values too


def _wire(value: Any) -> Any:
    """An attribute value as moto's JSON serializer writes it, or None for the generic path."""
    if type(value) is not dict or len(value) != 1:
        return None
    ((kind, inner),) = value.items()
    if kind in _STRINGS:
        return value if type(inner) is str else None
    if kind in _BOOLEANS:
        return value if type(inner) is bool else None
    if kind in ("SS", "NS"):
        return value if type(inner) is list and all(type(v) is str for v in inner) else None
    if kind == "M" and type(inner) is dict:
        members = {}
        for name, member in inner.items():
            members[name] = _wire(member)
            if members[name] is None:
                return None
        return {"M": members}
    if kind == "L" and type(inner) is list:
        items = [_wire(item) for item in inner]
        return None if any(item is None for item in items) else {"L": items}
    return None


def install() -> bool:
    """Returns whether moto was patched."""
    import moto
    from moto.dynamodb.models.table import Table

    if moto.__version__ != VERSION:
        return False
    if getattr(Table.query, "_kirim_fast", False):
        return True
    sorted_all_items, query = Table.all_items, Table.query
    original.update(query=query, all_items=sorted_all_items)

    def all_items(self: Table) -> list:
        chosen = getattr(_local, "chosen", None)
        if chosen is not None and chosen[0] is self:
            return chosen[1]
        return sorted_all_items(self)

    def fast_query(self: Table, hash_key: Any, range_comparison: Any, range_objs: Any, limit: Any,
                   exclusive_start_key: Any, scan_index_forward: Any, projection_expressions: Any,
                   index_name: str | None = None, *args: Any, **kwargs: Any):
        if index_name:
            items = [item for bucket in self.items.values()
                     for item in (bucket.values() if self.range_key_attr else (bucket,))]
        else:
            bucket = self.items.get(hash_key)  # .get: a defaultdict would grow on []
            items = [] if bucket is None else list(bucket.values()) if self.range_key_attr else [bucket]
        # Per thread: the in-process mock serves concurrent tests' threads.
        _local.chosen = (self, items)
        try:
            return query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                         scan_index_forward, projection_expressions, index_name, *args, **kwargs)
        finally:
            _local.chosen = None

    from moto.core.serialize import BaseJSONSerializer

    structure = BaseJSONSerializer._serialize_type_structure
    original.update(serialize_structure=structure)

    def serialize_structure(self, serialized, value, shape, key) -> None:
        if key and shape.name == "AttributeValue" and self.service_model.service_name in _DYNAMODB:
            wire = _wire(value)
            if wire is not None:
                self._default_serialize(serialized, wire, shape, key)
                return
        structure(self, serialized, value, shape, key)

    import copy

    from moto.dynamodb.models import dynamo_type

    original.update(project=dynamo_type.Item.project)

    def project(self, projection_expressions):
        result: dict[str, Any] = {}
        plain = self.to_regular_json()
        for expr in projection_expressions:
            # A copy of the found part, as each fresh conversion was: merging never touches `plain`.
            dynamo_type.merge_dicts(result, copy.deepcopy(dynamo_type.find_nested_key(expr, plain)))
        return dynamo_type.Item(hash_key=self.hash_key, range_key=self.range_key,
                                attrs=dynamo_type.serializer.serialize(result)["M"])

    dynamo_type.Item.project = project
    _send_without_counting()
    _transactions_back_up_items()
    fast_query._kirim_fast = True  # type: ignore[attr-defined]
    Table.all_items = all_items
    Table.query = fast_query
    BaseJSONSerializer._serialize_type_structure = serialize_structure
    return True


_COUNTS = ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
           "approximate_number_of_messages_not_visible")


def _send_without_counting() -> None:
    from moto.sqs.models import Queue, SQSBackend

    for name in _COUNTS:
        counted = getattr(Queue, name)
        original[name] = counted

        def count(self: Queue, _counted: property = counted) -> int:
            return 0 if getattr(_local, "sending", False) else _counted.fget(self)

        setattr(Queue, name, property(count))
    for name in ("send_message", "_validate_message"):
        method = getattr(SQSBackend, name)
        original[name] = method

        def sending(self: SQSBackend, *args: Any, _method: Any = method, **kwargs: Any) -> Any:
            outer = getattr(_local, "sending", False)
            _local.sending = True
            try:
                return _method(self, *args, **kwargs)
            finally:
                _local.sending = outer

        setattr(SQSBackend, name, sending)


def _transactions_back_up_items() -> None:
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: Any = None) -> Any:
        # moto's own backup of a whole table: the table itself (its swap back is then a no-op), ours instead.
        if getattr(_local, "backing_up", False) and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    # moto's module calls copy.deepcopy through its global `copy`; everything else in it is the real module's.
    models.copy = types.SimpleNamespace(**{**vars(copy), "deepcopy": deepcopy})
    transact = DynamoDBBackend.transact_write_items
    original.update(transact_write_items=transact)

    def saved(backend: DynamoDBBackend, transact_items: Any) -> tuple[list[tuple], dict[Table, int]]:
        """(table, hash, range, a copy of the item or None) per key the transaction names, and the
        length of each such table's stream."""
        items: list[tuple] = []
        for item in transact_items if isinstance(transact_items, list) else []:
            for op in item.values() if isinstance(item, dict) else []:
                table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
                try:
                    key = op["Item"] if "Item" in op else op["Key"]
                    hash_key = DynamoType(key[table.hash_key_attr])
                    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                except (AttributeError, KeyError, TypeError):
                    continue  # moto refuses it before writing anything
                bucket = table.items.get(hash_key)  # .get: a defaultdict would grow on []
                current = bucket.get(range_key) if range_key is not None and bucket is not None else bucket
                items.append((table, hash_key, range_key, copy.deepcopy(current)))
        streams = {table: len(table.stream_shard.items) for table, *_ in items if table.stream_shard is not None}
        return items, streams

    def put_back(items: list[tuple], streams: dict[Table, int]) -> None:
        for table, length in streams.items():
            del table.stream_shard.items[length:]
        for table, hash_key, range_key, before in reversed(items):  # first save of a key wins
            if range_key is None:
                if before is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = before
            elif before is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = before

    def transact_write_items(self: DynamoDBBackend, transact_items: Any) -> None:
        items, streams = saved(self, transact_items)
        _local.backing_up = True
        try:
            return transact(self, transact_items)
        except BaseException:
            put_back(items, streams)
            raise
        finally:
            _local.backing_up = False

    DynamoDBBackend.transact_write_items = transact_write_items
