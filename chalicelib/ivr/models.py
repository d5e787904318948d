"""The ivr table: GetItem by application and ivr id; Query to list an application's scripts."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.config import get_settings
from chalicelib.core.db import BaseMeta


class IvrScript(Model):
    class Meta(BaseMeta):
        table_name = get_settings().ivr_table

    application_id = UnicodeAttribute(hash_key=True)
    ivr_id = UnicodeAttribute(range_key=True)
    ivr_name = UnicodeAttribute()
    script = UnicodeAttribute()
    required_variable = ListAttribute(of=UnicodeAttribute)
    created_at = UnicodeAttribute()
