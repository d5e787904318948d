"""The reports table: GetItem by application and report id; Query to list an application's reports;
Query `by_due` for the reports whose job has not been heard from in time (the sweeper), never Scan."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.db import strings, table


class ByDue(GlobalSecondaryIndex):
    """Reports still Processing or Preparing, by status and by when their job must have been heard
    from (`due_at`, epoch seconds). Sparse: Done and Failed reports drop `due_at`, and leave it."""

    class Meta:
        index_name = "by_due"
        projection = KeysOnlyProjection()

    status = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class Report(Model):
    """A report job: Processing -> Preparing -> Done | Failed; the file is reports/<app>/<id>.<ext>.

    While Preparing, the job works in slices (reports/worker.py). `checkpoint` (JSON) says where the
    file is: the multipart upload and its parts, the last message id written, the rows and the
    writer's state. `lease_token` fences every write of a slice: a slice whose lease was taken
    over can no longer save progress, a checkpoint or Done."""

    Meta = table("reports_table")

    application_id = UnicodeAttribute(hash_key=True)
    report_id = UnicodeAttribute(range_key=True)
    name, channel, format, status, created_at = strings(5)
    statuses = ListAttribute(of=UnicodeAttribute)
    start, end = strings(2)             # the range, resolved in the application's zone (UTC ISO)
    from_text, to_text, timezone = strings(3)   # the range as the owner gave it, and its zone
    rows = NumberAttribute(default=0)           # rows written so far (never moves back)
    expected_rows = NumberAttribute(default=0)  # the total, from the counters of the range
    size = NumberAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    lease_token = UnicodeAttribute(null=True)
    write_id = UnicodeAttribute(null=True)      # core.db.update_if's mark
    due_at = NumberAttribute(null=True)
    checkpoint = UnicodeAttribute(null=True)
    strikes = NumberAttribute(default=0)        # claims in a row that saved no checkpoint
    slices = NumberAttribute(default=0)         # slices run (claims)
    finished_at = UnicodeAttribute(null=True)
    broadcast_id = UnicodeAttribute(null=True)  # a broadcast's results: only its messages
    by_due = ByDue()
