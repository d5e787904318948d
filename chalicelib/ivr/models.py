"""The ivr table: GetItem by application and ivr id; Query to list an application's scripts."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import strings, table


class IvrScript(Model):
    Meta = table("ivr_table")

    application_id = UnicodeAttribute(hash_key=True)
    ivr_id = UnicodeAttribute(range_key=True)
    ivr_name, script, created_at = strings(3)
    required_variable = ListAttribute(of=UnicodeAttribute)
