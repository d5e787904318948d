"""XLSX report rows -> a zip byte stream, written by hand: no temporary files, flat memory, and
resumable at any checkpoint (see zip_stream.py and docs/reports.md for why not openpyxl).

- Sheets "Messages", "Messages 2"... of at most 1,048,575 data rows (Excel's 1,048,576 less the
  header), each under the header row, inside the one zip stream. A full last sheet does not start
  an empty one. A sheet whose XML nears 4 GiB (rows of 4 KB on average) is closed early.
- Text cells are inline strings (`t="inlineStr"`): a shared-strings table would grow with the
  report (message bodies are nearly all distinct) and would have to be part of every checkpoint.
- Formula safety (cells.py): no cell is ever a formula; text that could read as one gets the
  `quotePrefix` style, so Excel shows it as written, without an apostrophe.
- Text loses the characters XML 1.0 forbids (C0 controls but tab, LF and CR; lone surrogates;
  U+FFFE, U+FFFF) before that check, so "\\x01=cmd" is still caught; CR is kept (as `&#13;`);
  leading or trailing blanks are kept (`xml:space="preserve"`); a cell holds at most 32,767
  characters (Excel's limit). Numbers, bools and Decimals stay numbers; NaN and infinity are text.
- The small parts that depend on the number of sheets (workbook, its relationships, content
  types) come last, after the sheets, as openpyxl also writes them.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, Iterable
from xml.sax.saxutils import quoteattr

from chalicelib.reports.cells import FORMULA_FIRST, SEPARATED_FORMULA, as_text, could_be_formula
from chalicelib.reports.zip_stream import MAX_ENTRY_BYTES, ZipStream

MAX_XLSX_ROWS_PER_SHEET = 1_048_575
ROWS_PER_SHEET = MAX_XLSX_ROWS_PER_SHEET  # a new file's sheets (tests make it small)
MAX_XLSX_TEXT = 32_767
SHEET_TITLE = "Messages"
BATCH_ROWS = 1000  # rows turned into XML, CRC'd and deflated together
STYLE_QUOTE_PREFIX = 1  # cellXfs index in styles.xml

# Text needing the slow path: XML specials, CR, characters XML forbids, a separated formula.
_ATTENTION = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|" + SEPARATED_FORMULA.pattern)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EDGE_FIRST = FORMULA_FIRST | frozenset("\n")
_BLANK = frozenset("\t\r\n ")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_ML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_HEAD = _XML + f'<worksheet xmlns="{_MAIN}"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"
STYLES = (_XML + f'<styleSheet xmlns="{_MAIN}">'
          '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills>'
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>'
          '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
          '</styleSheet>')
ROOT_RELS = (_XML + f'<Relationships xmlns="{_PACKAGE_REL}">'
             f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_title(number: int) -> str:
    return SHEET_TITLE if number == 1 else f"{SHEET_TITLE} {number}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def text_cell(ref: str, text: str) -> str:
    """One text cell the careful way: clean, cut, escape, style ('' when nothing is left)."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    text = text[:MAX_XLSX_TEXT]
    if not text:
        return ""
    style = f' s="{STYLE_QUOTE_PREFIX}"' if could_be_formula(text) else ""
    space = ' xml:space="preserve"' if text[0] in _BLANK or text[-1] in _BLANK else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def other_cell(ref: str, value: Any) -> str:
    """Anything but str and int: bools, floats, Decimals, times, bytes..."""
    if value.__class__ is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"><v>{value!r}</v></c>' if math.isfinite(value) else text_cell(ref, str(value))
    if isinstance(value, Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>' if value.is_finite() else text_cell(ref, str(value))
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    return text_cell(ref, as_text(value))


def rows_xml(letters: list[str], rows: Iterable[list], first: int) -> str:
    """<row> elements numbered from `first` (1 is the header). Plain text and ints, nearly every
    cell of a report, are inlined here; the rest takes a call."""
    out: list[str] = []
    append = out.append
    attention = _ATTENTION.search
    edge, blank = _EDGE_FIRST, _BLANK
    n = first
    for values in rows:
        append(f'<row r="{n}">')
        for letter, v in zip(letters, values):
            cls = v.__class__
            if cls is str:
                if v and v[0] not in edge and v[-1] not in blank and len(v) <= MAX_XLSX_TEXT and attention(v) is None:
                    append(f'<c r="{letter}{n}" t="inlineStr"><is><t>{v}</t></is></c>')
                elif v:
                    append(text_cell(f"{letter}{n}", v))
            elif cls is int:
                append(f'<c r="{letter}{n}"><v>{v}</v></c>')
            elif v is not None:
                append(other_cell(f"{letter}{n}", v))
        append("</row>")
        n += 1
    return "".join(out)


def workbook_xml(count: int) -> str:
    sheets = "".join(f'<sheet name={quoteattr(sheet_title(i))} sheetId="{i}" r:id="rId{i}"/>'
                     for i in range(1, count + 1))
    return (_XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
            f'<sheets>{sheets}</sheets></workbook>')


def workbook_rels(count: int) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, count + 1))
    rels += f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return _XML + f'<Relationships xmlns="{_PACKAGE_REL}">{rels}</Relationships>'


def content_types(count: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_ML}.worksheet+xml"/>'
                     for i in range(1, count + 1))
    return (_XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_ML}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_ML}.styles+xml"/>{sheets}</Types>')


class XlsxWriter:
    """Rows in, an .xlsx byte stream out to `sink.write` (or a callable), resumable:

        writer = XlsxWriter(sink, columns)
        writer.write_rows(rows)
        state = writer.checkpoint()              # every byte so far is out; `state` is JSON-able
        writer = XlsxWriter.resume(state, sink)  # in another process
        writer.write_rows(more)
        writer.close()                           # last sheet, small parts, zip directory
    """

    def __init__(self, sink: Any, columns: list[str], max_rows_per_sheet: int | None = None, *,
                 level: int = 6, _state: dict | None = None) -> None:
        max_rows_per_sheet = ROWS_PER_SHEET if max_rows_per_sheet is None else max_rows_per_sheet
        if not 1 <= max_rows_per_sheet <= MAX_XLSX_ROWS_PER_SHEET:
            raise ValueError(f"max_rows_per_sheet must be 1..{MAX_XLSX_ROWS_PER_SHEET}")
        out = getattr(sink, "write", sink)
        self.columns = list(columns)
        self.max_rows_per_sheet = max_rows_per_sheet
        self._letters = [column_letter(i) for i in range(len(self.columns))]
        self._pending: list[list] = []
        self._closed = False
        if _state is None:
            self._written, self.sheets, self.sheet_rows = 0, 0, 0
            self._zip = ZipStream(out, level=level)
            self._zip.add("_rels/.rels", ROOT_RELS.encode())
            self._zip.add("xl/styles.xml", STYLES.encode())
            self._new_sheet()
        else:
            self._written, self.sheets, self.sheet_rows = _state["rows"], _state["sheets"], _state["sheet_rows"]
            self._zip = ZipStream.resume(_state["zip"], out)

    @classmethod
    def resume(cls, state: dict, sink: Any, columns: list[str] | None = None) -> "XlsxWriter":
        return cls(sink, columns or state["columns"], state["max_rows_per_sheet"], _state=state)

    @property
    def rows(self) -> int:
        return self._written + len(self._pending)

    @property
    def size(self) -> int:
        """Bytes handed out so far."""
        return self._zip.offset

    @property
    def sheet_titles(self) -> list[str]:
        return [sheet_title(i) for i in range(1, self.sheets + 1)]

    def _new_sheet(self) -> None:
        if self.sheets:
            self._zip.write(SHEET_TAIL.encode())
            self._zip.end()
        self.sheets += 1
        self.sheet_rows = 0
        self._zip.start(f"xl/worksheets/sheet{self.sheets}.xml")
        self._zip.write((SHEET_HEAD + rows_xml(self._letters, [self.columns], 1)).encode())

    def _write(self, rows: list[list]) -> None:
        start = 0
        while start < len(rows):
            if self.sheet_rows >= self.max_rows_per_sheet:
                self._new_sheet()
            batch = rows[start:start + self.max_rows_per_sheet - self.sheet_rows]
            data = rows_xml(self._letters, batch, self.sheet_rows + 2).encode("utf-8", "replace")
            if self.sheet_rows and self._zip.entry_size + len(data) > MAX_ENTRY_BYTES - (1 << 20):
                self._new_sheet()  # rows of 4 KB on average: this sheet ends before it would need ZIP64
                continue
            self._zip.write(data)
            self.sheet_rows += len(batch)
            self._written += len(batch)
            start += len(batch)

    def write_row(self, values: list) -> None:
        """One row, in column order; a full sheet moves on to the next one."""
        if self._closed:
            raise ValueError("report writer is closed")
        if len(values) != len(self.columns):
            raise ValueError(f"row has {len(values)} values for {len(self.columns)} columns")
        self._pending.append(values)
        if len(self._pending) >= BATCH_ROWS:
            self._write(self._pending)
            self._pending = []

    def write_rows(self, rows: list[list]) -> None:
        for values in rows:
            self.write_row(values)

    def checkpoint(self) -> dict:
        """Every byte so far goes out (a zlib full flush); the state `resume` carries on from."""
        if self._pending:
            self._write(self._pending)
            self._pending = []
        self._zip.flush()
        return {"columns": self.columns, "max_rows_per_sheet": self.max_rows_per_sheet, "rows": self._written,
                "sheets": self.sheets, "sheet_rows": self.sheet_rows, "zip": self._zip.state()}

    def close(self) -> None:
        """The last sheet, the parts that depend on the number of sheets, the zip directory."""
        if self._closed:
            return
        if self._pending:
            self._write(self._pending)
            self._pending = []
        self._closed = True
        self._zip.write(SHEET_TAIL.encode())
        self._zip.end()
        self._zip.add("xl/workbook.xml", workbook_xml(self.sheets).encode())
        self._zip.add("xl/_rels/workbook.xml.rels", workbook_rels(self.sheets).encode())
        self._zip.add("[Content_Types].xml", content_types(self.sheets).encode())
        self._zip.close()

    def abort(self) -> None:
        """Stop; nothing more goes out."""
        self._pending = []
        self._closed = True

    def __enter__(self) -> "XlsxWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close() if exc_type is None else self.abort()
