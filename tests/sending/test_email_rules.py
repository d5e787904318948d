"""sending.email_rules: base64 HTML, header values and attachments for the email send route."""
from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.providers.base import Attachment
from chalicelib.sending.email_rules import (
    MAX_HTML_BYTES,
    attachment_from_json,
    attachment_from_part,
    check_sender_name,
    check_subject,
    decode_html,
)
from tests.conftest import refused


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


# --- decode_html ------------------------------------------------------------------------------

HTML = "<p>???</p>"           # chosen so its base64 has both '+' and '/'
HTML_B64 = "PHA+Pz8/PC9wPg=="


def test_decode_html_standard_and_urlsafe() -> None:
    assert b64(HTML) == HTML_B64
    assert decode_html(HTML_B64) == HTML
    assert decode_html("PHA-Pz8_PC9wPg==") == HTML
    assert decode_html("PHA-Pz8_PC9wPg") == HTML       # URL-safe without padding
    assert b64("<p>x</p>").endswith("=")
    assert decode_html(b64("<p>x</p>").rstrip("=")) == "<p>x</p>"  # standard without padding


def test_decode_html_wrapped_lines_and_surrounding_whitespace() -> None:
    html = "<html><body>" + "Halo dunia, ini surel dari Kirim. " * 40 + "é€😀</body></html>"
    wrapped = base64.encodebytes(html.encode()).decode()       # \n every 76 characters
    assert "\n" in wrapped.strip()
    assert decode_html(wrapped) == html
    assert decode_html(wrapped.replace("\n", "\r\n")) == html
    assert decode_html("  \r\n" + b64(html) + "\r\n  ") == html


def test_decode_html_drops_a_bom_and_keeps_unicode() -> None:
    assert decode_html(b64("\ufeff<p>Terima kasih é€</p>")) == "<p>Terima kasih é€</p>"


@pytest.mark.parametrize("value", [
    "not base64!", "PHA+Pz8_PC9wPg==",  # mixed alphabets
    "QQ=", "QQ===", "=QQ=", "QQ==QQ==", "Q",
    "PHA+Pz8/ PC9wPg==",                # a space inside: usually a '+' that form encoding ate
    "PHA+Pz8/\tPC9wPg==", "PHA+Pz8/PC9wPg==é",
])
def test_decode_html_refuses_bad_base64(value: str) -> None:
    assert "base64" in refused(lambda: decode_html(value), "message").message


@pytest.mark.parametrize("value", [None, 12, b"PHA+", ["PHA+"], {"a": 1}])
def test_decode_html_refuses_non_strings(value: object) -> None:
    refused(lambda: decode_html(value, field="html"), "html")


@pytest.mark.parametrize("value", ["", "   ", "\r\n"])
def test_decode_html_refuses_empty(value: str) -> None:
    assert "required" in refused(lambda: decode_html(value), "message").message


def test_decode_html_refuses_empty_once_decoded_and_non_utf8() -> None:
    assert "empty" in refused(lambda: decode_html(b64("  \n ")), "message").message
    assert "UTF-8" in refused(lambda: decode_html(b64(b"<p>\xff\xfe</p>")), "message").message
    assert "UTF-8" in refused(lambda: decode_html(b64("é".encode("latin-1"))), "message").message


@pytest.mark.parametrize("limit", [10, 11, 12, 13])
def test_decode_html_size_limit_exactly(limit: int) -> None:
    assert decode_html(b64("x" * limit), max_bytes=limit) == "x" * limit
    error = refused(lambda: decode_html(b64("x" * (limit + 1)), max_bytes=limit), "message")
    assert str(limit) in error.message


def test_decode_html_default_limit() -> None:
    assert len(decode_html(b64("x" * MAX_HTML_BYTES))) == MAX_HTML_BYTES
    assert "1048576" in refused(lambda: decode_html(b64("x" * (MAX_HTML_BYTES + 1))), "message").message
    # Far over the limit is refused before any decoding.
    refused(lambda: decode_html("A" * 10 * MAX_HTML_BYTES), "message")


@given(st.text(min_size=1).filter(lambda s: s.strip() and not s.startswith("\ufeff")
                                  and all(not 0xD800 <= ord(c) <= 0xDFFF for c in s)),
       st.booleans(), st.booleans())
def test_decode_html_round_trips(html: str, urlsafe: bool, strip_padding: bool) -> None:
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(html.encode()).decode()
    if strip_padding:
        encoded = encoded.rstrip("=")
    assert decode_html(encoded) == html


# --- subject and sender name ------------------------------------------------------------------

def test_subject_ok() -> None:
    assert check_subject("  Tagihan Anda\tMei  ") == "Tagihan Anda\tMei"
    assert check_subject("s" * 998) == "s" * 998


@pytest.mark.parametrize("value", [
    "Hi\r\nBcc: victim@example.com", "Hi\nBcc: x@y", "Hi\rX", "Hi\u2028there", "Hi\x85there", "Hi\r\n",
])
def test_subject_refuses_line_breaks(value: str) -> None:
    assert "line breaks" in refused(lambda: check_subject(value), "subject").message


@pytest.mark.parametrize("value", ["Hi\x00", "Hi\x1b[31m", "Hi\x7f", "Hi\x9b", "Hi\ud800"])
def test_subject_refuses_control_characters(value: str) -> None:
    refused(lambda: check_subject(value), "subject")


@pytest.mark.parametrize("value", [None, "", "   ", 5, ["s"]])
def test_subject_refuses_missing_or_not_string(value: object) -> None:
    refused(lambda: check_subject(value), "subject")


def test_subject_length() -> None:
    assert "998" in refused(lambda: check_subject("s" * 999), "subject").message
    assert check_subject("s" * 10, max_len=10) == "s" * 10
    refused(lambda: check_subject("s" * 11, field="judul", max_len=10), "judul")


def test_sender_name() -> None:
    assert check_sender_name(None) is None
    assert check_sender_name("") is None
    assert check_sender_name("   ") is None
    assert check_sender_name(" Toko Kirim ") == "Toko Kirim"
    assert check_sender_name('"Kirim, PT" <x>') == '"Kirim, PT" <x>'  # quoting is the mail library's job
    assert check_sender_name("n" * 100) == "n" * 100


@pytest.mark.parametrize("value", ["Kirim\r\nBcc: x@y", "Kirim\n", "Kirim\x07", "Kirim\x00", 7, ["Kirim"], "n" * 101])
def test_sender_name_refusals(value: object) -> None:
    refused(lambda: check_sender_name(value), "sender_name")


# --- attachments --------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n\x00\xff binary \r\n"


def test_attachment_from_json() -> None:
    assert attachment_from_json(None) is None
    assert attachment_from_json("") is None
    got = attachment_from_json({"filename": "invoice.pdf", "content": b64(PDF)})
    assert got == Attachment("invoice.pdf", "application/pdf", PDF)
    got = attachment_from_json({"filename": "data", "content_type": "Text/CSV; charset=utf-8", "content": b64("a,b")})
    assert got == Attachment("data", "text/csv", b"a,b")
    for unknown in ("x.unknownext", "noext"):
        got = attachment_from_json({"filename": unknown, "content": b64("x")})
        assert got.content_type == "application/octet-stream"
    assert attachment_from_json({"filename": "a.tar.gz", "content": b64("x")}).content_type == "application/gzip"
    # URL-safe, unpadded and wrapped content is accepted like the HTML.
    assert attachment_from_json({"filename": "p.png", "content": "-_8"}).data == b"\xfb\xff"
    assert attachment_from_json({"filename": "p.png", "content": "+/8=\r\n"}).content_type == "image/png"
    # An explicit generic type is improved from the file name.
    assert attachment_from_json({"filename": "a.pdf", "content_type": "application/octet-stream",
                                 "content": b64(PDF)}).content_type == "application/pdf"


@pytest.mark.parametrize("value", ["x.pdf", " ", 5, [], True])
def test_attachment_from_json_must_be_an_object(value: object) -> None:
    refused(lambda: attachment_from_json(value), "attachment")


@pytest.mark.parametrize("filename", [
    None, "", "   ", 5, "../etc/passwd", "dir/a.pdf", "C:\\temp\\a.pdf", "a\x00.pdf", "a\r\n.pdf", "a\x1b.pdf",
    "invoice\u202efdp.exe", "invoice\u202efdp.txt", ".", "..", "n" * 252 + ".pdf",
])
def test_attachment_filename_refusals(filename: object) -> None:
    refused(lambda: attachment_from_json({"filename": filename, "content": b64(PDF)}), "attachment.filename")


@pytest.mark.parametrize("filename", [
    "setup.exe", "run.bat", "run.cmd", "x.com", "app.js", "macro.vbs", "screen.scr", "lib.jar", "pkg.msi",
    "script.ps1", "a.hta", "a.lnk", "a.reg", "a.wsf", "a.cpl", "a.vbe", "a.jse", "a.pif",
    "SETUP.EXE", "invoice.pdf.exe", "setup.exe.", "setup.exe . .",
])
def test_attachment_blocked_types(filename: str) -> None:
    error = refused(lambda: attachment_from_json({"filename": filename, "content": b64(PDF)}), "attachment.filename")
    assert "not allowed" in error.message and "." + filename.rstrip(". ").rsplit(".", 1)[1].lower() in error.message
    error = refused(lambda: attachment_from_part(filename, "application/pdf", PDF), "attachment")
    assert "not allowed" in error.message


@pytest.mark.parametrize("filename", ["setup.exe.pdf", "exe", "Laporan Mei 2024 (final).xlsx", "café €.docx"])
def test_attachment_allowed_names(filename: str) -> None:
    assert attachment_from_json({"filename": filename, "content": b64(PDF)}).filename == filename


def test_attachment_filename_length() -> None:
    assert attachment_from_json({"filename": "n" * 251 + ".pdf", "content": b64(PDF)}) is not None


@pytest.mark.parametrize("content", [None, "", "not base64!", 5, "QQ="])
def test_attachment_content_refusals(content: object) -> None:
    refused(lambda: attachment_from_json({"filename": "a.pdf", "content": content}), "attachment.content")


@pytest.mark.parametrize("content_type", [
    "pdf", "application/", "/pdf", "a/b/c", "text/plain\r\nX: y", 5, "a/" + "b" * 80,
])
def test_attachment_content_type_refusals(content_type: object) -> None:
    refused(lambda: attachment_from_json({"filename": "a.pdf", "content_type": content_type, "content": b64(PDF)}),
            "attachment.content_type")


def test_attachment_size_limit_exactly() -> None:
    for limit in (4, 5, 6):
        ok = attachment_from_json({"filename": "a.bin", "content": b64("x" * limit)}, max_bytes=limit)
        assert len(ok.data) == limit
        error = refused(lambda: attachment_from_json({"filename": "a.bin", "content": b64("x" * (limit + 1))},
                                                     max_bytes=limit), "attachment.content")
        assert str(limit) in error.message
        assert attachment_from_part("a.bin", "", b"x" * limit, max_bytes=limit).data == b"x" * limit
        refused(lambda: attachment_from_part("a.bin", "", b"x" * (limit + 1), max_bytes=limit), "attachment")


def test_attachment_from_part() -> None:
    assert attachment_from_part("r.pdf", "application/pdf", PDF) == Attachment("r.pdf", "application/pdf", PDF)
    assert attachment_from_part("r.pdf", "", PDF).content_type == "application/pdf"
    assert attachment_from_part("r.pdf", None, PDF).content_type == "application/pdf"
    assert attachment_from_part("r.pdf", "application/octet-stream", PDF).content_type == "application/pdf"
    assert attachment_from_part("r.bin", "application/octet-stream", PDF).content_type == "application/octet-stream"
    assert attachment_from_part("r.txt", "text/plain; charset=utf-8", b"x").content_type == "text/plain"
    refused(lambda: attachment_from_part("r.pdf", "application/pdf", b""), "attachment")
    refused(lambda: attachment_from_part("r.pdf", "application/pdf", "text"), "attachment")  # type: ignore[arg-type]
    refused(lambda: attachment_from_part("", "application/pdf", PDF, field="file"), "file")
    refused(lambda: attachment_from_part("r.pdf", "garbage", PDF), "attachment")
