"""Report formats: a format as a user may name it -> the canonical one (also the file's extension),
and each canonical format's Content-Type. Light, so the API imports it without the writers."""
from __future__ import annotations

FORMATS = {"csv": "csv", "xlsx": "xlsx", "xls": "xlsx", "csv.gz": "csv.gz"}
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE, "csv.gz": "application/gzip"}


def content_disposition(name: str, extension: str) -> str:
    """`attachment` with the report's name as the file name (RFC 6266): a plain ASCII name as is;
    any other also as `filename*` (RFC 8187, UTF-8, percent-encoded), after an ASCII stand-in for
    the clients that do not read it. The header stays ASCII, as S3 metadata must be."""
    import unicodedata
    from urllib.parse import quote

    name = "".join(c if c not in "/\\" else "_" for c in name if c.isprintable()).strip() or "report"
    filename = f"{name}.{extension}"
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in
                       unicodedata.normalize("NFKD", filename) if not unicodedata.combining(c))
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
