"""A minimal XLSX written by hand, so a test can hold what openpyxl cannot write: a formula with the
value Excel cached for it, a formula with none, numbers the way Excel stores phone numbers."""
from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
         '</Relationships>')
_BOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
         '<sheet name="Pelanggan" sheetId="1" r:id="rId1"/></sheets></workbook>')
_BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
              '</Relationships>')


def cell(ref: str, value: object = None, formula: str | None = None, number: str | None = None) -> str:
    """A cell's XML: text as an inline string, numbers as numbers (`number`: as Excel wrote it,
    "6.281234567891E12"), a formula with its cached value (or none)."""
    f = f"<f>{escape(formula)}</f>" if formula else ""
    if number is not None:
        return f'<c r="{ref}">{f}<v>{number}</v></c>'
    if value is None:
        return f'<c r="{ref}">{f}</c>'
    if isinstance(value, str):
        if formula:
            return f'<c r="{ref}" t="str">{f}<v>{escape(value)}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}">{f}<v>{value}</v></c>'


def workbook(rows: dict[int, list[str]], dimension: str | None = None) -> bytes:
    """rows: {row number: [cell XML, ...]}; `dimension`: the range the sheet claims to hold ("A1:B2")."""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             + (f'<dimension ref="{dimension}"/>' if dimension else "") + '<sheetData>' + "".join(f'<row r="{n}">{"".join(cells)}</row>' for n, cells in sorted(rows.items()))
             + '</sheetData></worksheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _BOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()
