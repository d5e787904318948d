"""The reports table: GetItem by application and report id; Query to list an application's reports."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import strings, table


class Report(Model):
    """A report job: Processing -> Preparing -> Done | Failed; the file is reports/<app>/<id>.<ext>."""

    Meta = table("reports_table")

    application_id = UnicodeAttribute(hash_key=True)
    report_id = UnicodeAttribute(range_key=True)
    name, channel, format, status, created_at = strings(5)
    statuses = ListAttribute(of=UnicodeAttribute)
    start, end = strings(2)             # the range, resolved in the application's zone (UTC ISO)
    from_text, to_text, timezone = strings(3)   # the range as the owner gave it, and its zone
    rows = NumberAttribute(default=0)
    expected_rows = NumberAttribute(default=0)
    size = NumberAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
