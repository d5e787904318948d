"""The reports table: GetItem by application and report id; Query to list an application's reports."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.config import get_settings
from chalicelib.core.db import BaseMeta


class Report(Model):
    """A report job: Processing -> Preparing -> Done | Failed; the file is reports/<app>/<id>.<ext>."""

    class Meta(BaseMeta):
        table_name = get_settings().reports_table

    application_id = UnicodeAttribute(hash_key=True)
    report_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    channel = UnicodeAttribute()
    statuses = ListAttribute(of=UnicodeAttribute)
    format = UnicodeAttribute()
    start = UnicodeAttribute()          # the range, resolved in the application's zone (UTC ISO)
    end = UnicodeAttribute()
    from_text = UnicodeAttribute()      # the range as the owner gave it
    to_text = UnicodeAttribute()
    timezone = UnicodeAttribute()
    status = UnicodeAttribute()
    rows = NumberAttribute(default=0)
    expected_rows = NumberAttribute(default=0)
    size = NumberAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
