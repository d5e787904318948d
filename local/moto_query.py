"""moto's DynamoDB Query without the whole-table sort, for the tests and the local stack.

moto 5.2.5 answers every Query (a table's or an index's) by sorting all of the table's items and then
walking them; a table of a few thousand items (a test session's, a local stack's after a while) makes
each Query cost a sort of thousands, so tests ran slower the later they came. Here a table's Query walks
only its partition's items, and an index's Query walks the items unsorted (moto sorts the matches by the
index's keys afterwards). Same answers: the table's keys are unique, so both orders are total.

`install()` patches moto's Table once; it does nothing with another moto version (then moto is as slow as
it was, never wrong), since the patch leans on that version's internals.
"""
from __future__ import annotations

import threading
from typing import Any

VERSION = "5.2.5"
_local = threading.local()
original: dict[str, Any] = {}  # moto's own Table.query and Table.all_items, once patched


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

    fast_query._kirim_fast = True  # type: ignore[attr-defined]
    Table.all_items = all_items
    Table.query = fast_query
    return True
