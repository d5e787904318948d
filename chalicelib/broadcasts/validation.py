"""Validating a whole recipient file before anything is sent.

The run's worker calls

    validate(s3, bucket, application_id, broadcast_id, filename, spec, *, suppressed) -> Summary

It reads plan.upload_key(...) once, streaming (recipient_file.open_rows), and writes
- the valid recipients in chunk files, plan.chunk_key(app, broadcast, 0 .. chunks - 1), each
  plan.CHUNK_SIZE recipients (the last may hold fewer) in the file's order, plan.encode_chunk;
- the bad rows, if any, at plan.errors_key(..., lang) for each of row_words.LANGUAGES: a CSV (UTF-8
  with BOM, every field quoted, cells made formula-safe by chalicelib.reports.cells) of "line",
  "code" (the same in every language), "reason" (words in the file's language; the header too) and
  the row's own columns; when no row is bad earlier errors files are deleted;
and answers a Summary (the API's validation.errors_file is `summary.invalid > 0`); a file refused
whole raises recipient_file.FileProblem, possibly after some chunks were written: only a Summary's
`chunks` says which chunks belong to a validation. It needs s3:GetObject (HEAD and ranged GETs),
s3:PutObject (chunks, the errors file, its multipart parts), s3:AbortMultipartUpload and
s3:DeleteObject on the broadcast's keys.

Each data row is exactly one of: invalid (a row error: its recipient is missing or not a phone
number / email address, a placeholder's value is missing, too long or badly spaced, the SMS it makes
is too long), a duplicate (its normalised target was on an earlier row: the first row wins),
suppressed (`suppressed(targets)` named it: called once per batch of CHUNK_SIZE new targets, so the
caller can BatchGet), or valid. rows = valid + invalid + duplicates + suppressed.

Memory stays flat: rows stream, duplicates are found in a table of fixed size (dedupe.Seen), at most
two chunks of recipients and one part of each language's errors file are held. (An XLSX adds its shared strings
table, which openpyxl holds whole: see xlsx_rows.) Run again on the same file, it
writes byte-identical chunks (gzip with mtime 0) with the same rows, so the run's idempotency keys
(the row) are the same.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Callable, Iterable, NamedTuple

from chalicelib.broadcasts import plan
from chalicelib.broadcasts import row_words
from chalicelib.broadcasts.dedupe import Seen
from chalicelib.broadcasts.limits import FileProblem
from chalicelib.broadcasts.targets import for_channel
from chalicelib.reports.cells import neutralise
from chalicelib.reports.s3_sink import PART_BYTES, MultipartUpload
from chalicelib.sending.sms_segments import count_segments

# Meta: a template's text parameter has no newline or tab and no more than 4 spaces in a row.
WHATSAPP_SPACING = re.compile(r"[\n\r\t]| {5,}")
LIMITS = {"whatsapp": 1024, "whatsapp_header": 60, "whatsapp_button": 2000, "email": 10_000, "ivr": 1024}
SMS_MAX_SEGMENTS = 10  # what a single SMS send allows (sending.sms_segments.check_sms_text)
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
# Plain ASCII that GSM-7 holds one septet a character: segments without walking the text.
_GSM7_SLOW = re.compile(r"[^\n\r\x20-\x7e]|[`^{}\\\[\]~|]")



class RowProblem(NamedTuple):
    """Why a row is bad: a row_words code and what its words name ({name}, {limit}, ...)."""
    code: str
    params: dict[str, Any]


class Spec(NamedTuple):
    """What a broadcast needs from each row: `recipient` the column of the phone number (or email
    address), `values` the API's mapping.values ({placeholder: {"column": name} | {"value": text}}),
    `content` the broadcast's content (the SMS text for its segments, ...)."""
    channel: str
    recipient: str
    values: dict[str, dict[str, str]]
    content: dict[str, Any]


class Summary(NamedTuple):
    rows: int
    valid: int
    invalid: int
    duplicates: int
    suppressed: int
    units: int      # quota units the valid rows need (SMS segments; 1 per message otherwise)
    chunks: int     # chunk files written: plan.chunk_key(app, broadcast, 0 .. chunks - 1)


def sms_segments(text: str) -> int:
    """count_segments(text).segments, without its per-character walk for plain ASCII text."""
    if text.isascii() and _GSM7_SLOW.search(text) is None:
        size = len(text)
        return 1 if size <= 160 else -(-size // 153)
    return count_segments(text).segments


def _column(columns: list[str], name: Any) -> int:
    wanted = str(name).strip().casefold() if isinstance(name, str) else None
    for index, column in enumerate(columns):
        if column.casefold() == wanted:
            return index
    raise FileProblem("missing_column", f"The file has no column named \"{str(name)[:60]}\". "
                                        f"Its columns are: {', '.join(columns)[:300]}.")


def _limit(channel: str, name: str) -> tuple[int | None, bool]:
    """(the value's maximum length, whether Meta's spacing rule applies) for a placeholder."""
    if channel == "whatsapp":
        if name == "header":
            return LIMITS["whatsapp_header"], True
        if name.startswith("button"):
            return LIMITS["whatsapp_button"], False
        return LIMITS["whatsapp"], True
    if channel in ("email", "ivr"):
        return LIMITS[channel], False
    return None, False


class _Checker:
    """A row's cells -> (target, values, units) or raises ValueError(RowProblem)."""

    def __init__(self, columns: list[str], spec: Spec) -> None:
        self.recipient = _column(columns, spec.recipient)
        self.target = for_channel(spec.channel)
        self.sources: list[tuple[str, int | None, str, int | None, bool]] = []
        for name, source in (spec.values or {}).items():
            limit, spacing = _limit(spec.channel, name)
            if isinstance(source, dict) and "column" in source:
                self.sources.append((name, _column(columns, source["column"]), "", limit, spacing))
            else:
                fixed = source.get("value") if isinstance(source, dict) else source
                self.sources.append((name, None, "" if fixed is None else str(fixed), limit, spacing))
        content = spec.content or {}
        self.sms = content.get("text") if spec.channel == "sms" else None
        if self.sms is not None and not isinstance(self.sms, str):
            self.sms = str(self.sms)
        self.subject = set(PLACEHOLDER.findall(str(content.get("subject") or ""))) \
            if spec.channel == "email" else set()

    def check(self, cells: list[str]) -> tuple[str, dict[str, str], int]:
        try:
            target = self.target(cells[self.recipient])
        except ValueError as error:
            raise ValueError(RowProblem(str(error), {})) from None
        values: dict[str, str] = {}
        for name, index, fixed, limit, spacing in self.sources:
            value = (cells[index] if index is not None else fixed).strip()
            label = "{{" + name + "}}"
            if not value:
                raise ValueError(RowProblem("missing_value", {"name": label}))
            if limit is not None and len(value) > limit:
                raise ValueError(RowProblem("value_too_long", {"name": label, "limit": limit}))
            if spacing and WHATSAPP_SPACING.search(value):
                raise ValueError(RowProblem("value_spacing", {"name": label}))
            if name in self.subject and ("\n" in value or "\r" in value):
                raise ValueError(RowProblem("value_line_break", {"name": label}))
            values[name] = value
        units = 1
        if self.sms is not None:
            text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.sms)
            units = sms_segments(text)
            if units > SMS_MAX_SEGMENTS:
                raise ValueError(RowProblem("sms_too_long", {"segments": units, "limit": SMS_MAX_SEGMENTS}))
        return target, values, units


class ErrorsFile:
    """The bad rows as CSV in one language, streamed: parts of PART_BYTES through a multipart upload, or
    one PUT."""

    def __init__(self, s3: Any, bucket: str, key: str, columns: list[str], lang: str = "en") -> None:
        self.s3, self.bucket, self.key, self.lang = s3, bucket, key, lang
        self.disposition = f'attachment; filename="{row_words.FILENAME[lang]}"'
        self.text = io.StringIO()
        self.writer = csv.writer(self.text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        self.writer.writerow([*row_words.HEADER[lang]] + [neutralise(c) for c in columns])
        self.pending = bytearray(b"\xef\xbb\xbf")
        self.upload: MultipartUpload | None = None
        self.rows = 0

    def add(self, line: int, problem: RowProblem, cells: list[str]) -> None:
        self.writer.writerow([line, problem.code, row_words.words(problem.code, self.lang, problem.params)]
                             + [neutralise(c) for c in cells])
        self.rows += 1
        if self.text.tell() > 1 << 16:
            self._move()
            if len(self.pending) >= PART_BYTES:
                if self.upload is None:
                    self.upload = MultipartUpload.create(self.s3, self.bucket, self.key, content_type="text/csv",
                                                         content_disposition=self.disposition)
                self.upload.upload(bytes(self.pending))
                self.pending = bytearray()

    def _move(self) -> None:
        self.pending += self.text.getvalue().encode("utf-8", "replace")
        self.text.seek(0)
        self.text.truncate()

    def finish(self) -> None:
        self._move()
        if self.upload is not None:
            if self.pending:
                self.upload.upload(bytes(self.pending))
            self.upload.complete()
        elif self.rows:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.pending), ContentType="text/csv",
                               ContentDisposition=self.disposition)
        else:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)

    def abort(self) -> None:
        if self.upload is not None:
            self.upload.abort()


def run(rows: Iterable[tuple[int, list[str]]], columns: list[str], spec: Spec, *,
        write_chunk: Callable[[int, bytes], Any], suppressed: Callable[[list[str]], set[str]],
        bad_row: Callable[[int, RowProblem, list[str]], Any]) -> Summary:
    """The pass itself, on any rows (the benchmark feeds it without S3): `write_chunk(number, data)`,
    `bad_row(line, problem, cells)`."""
    checker = _Checker(columns, spec)
    seen = Seen(exact_phones=spec.channel != "email")
    counts = {"rows": 0, "invalid": 0, "duplicates": 0, "suppressed": 0, "valid": 0, "units": 0, "chunks": 0}
    pending: list[tuple[plan.Recipient, int]] = []
    ready: list[plan.Recipient] = []

    def settle() -> None:
        if pending:
            hits = suppressed([r.to for r, _ in pending]) or set()
            for recipient, units in pending:
                if recipient.to in hits:
                    counts["suppressed"] += 1
                else:
                    ready.append(recipient)
                    counts["valid"] += 1
                    counts["units"] += units
            pending.clear()
        while len(ready) >= plan.CHUNK_SIZE:
            emit(plan.CHUNK_SIZE)

    def emit(size: int) -> None:
        write_chunk(counts["chunks"], plan.encode_chunk(ready[:size]))
        del ready[:size]
        counts["chunks"] += 1

    check = checker.check
    for line, cells in rows:
        counts["rows"] += 1
        try:
            target, values, units = check(cells)
        except ValueError as error:
            counts["invalid"] += 1
            bad_row(line, error.args[0], cells)
            continue
        if not seen.add(target):
            counts["duplicates"] += 1
            continue
        pending.append((plan.Recipient(line, target, values), units))
        if len(pending) >= plan.CHUNK_SIZE:
            settle()
    settle()
    if ready:
        emit(len(ready))
    return Summary(counts["rows"], counts["valid"], counts["invalid"], counts["duplicates"], counts["suppressed"],
                   counts["units"], counts["chunks"])


def validate(s3: Any, bucket: str, application_id: str, broadcast_id: str, filename: str, spec: Spec, *,
             suppressed: Callable[[list[str]], set[str]]) -> Summary:
    """Reads plan.upload_key, writes the chunks (plan.chunk_key) and the bad rows (plan.errors_key);
    raises recipient_file.FileProblem for a file refused whole. Run again on the same file, it
    writes the same chunks. `suppressed(targets)` answers which of them are on the suppression list."""
    from chalicelib.broadcasts.recipient_file import open_rows

    rows = open_rows(s3, bucket, plan.upload_key(application_id, broadcast_id), filename)
    # One file per language, so GET .../errors hands out the asker's without reading the file again.
    files = [ErrorsFile(s3, bucket, plan.errors_key(application_id, broadcast_id, lang), rows.columns, lang)
             for lang in row_words.LANGUAGES]

    def bad_row(line: int, problem: RowProblem, cells: list[str]) -> None:
        for file in files:
            file.add(line, problem, cells)

    try:
        summary = run(rows, rows.columns, spec, suppressed=suppressed, bad_row=bad_row,
                      write_chunk=lambda number, data: s3.put_object(
                          Bucket=bucket, Key=plan.chunk_key(application_id, broadcast_id, number), Body=data,
                          ContentType="application/gzip"))
        for file in files:
            file.finish()
        return summary
    except BaseException:
        for file in files:
            file.abort()
        raise
    finally:
        rows.close()
