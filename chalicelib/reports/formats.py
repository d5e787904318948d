"""Report formats: a format as a user may name it -> the canonical one (also the file's extension),
and each canonical format's Content-Type. Light, so the API imports it without the writers."""
from __future__ import annotations

FORMATS = {"csv": "csv", "xlsx": "xlsx", "xls": "xlsx"}
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}
