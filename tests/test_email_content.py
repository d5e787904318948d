"""email_content: base64 HTML, header values, attachments and form bodies for the email send route."""
from __future__ import annotations

import base64
from typing import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.sending.email_rules import (
    MAX_HTML_BYTES, attachment_from_json, attachment_from_part, check_sender_name, check_subject,
    decode_html, parse_form,
)
from chalicelib.core.errors import ApiError
from chalicelib.providers.base import Attachment


def refused(call: Callable[[], object], field: str) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    error = info.value
    assert (error.code, error.status, error.field) == (39, 406, field), error.body()
    return error


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


# --- parse_form ---------------------------------------------------------------------------------

BOUNDARY = "----KirimFormBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, bytes], boundary: str = BOUNDARY, close: bool = True) -> bytes:
    """A body as browsers and curl write it: each part is (its header lines, its content)."""
    out = b""
    for headers, content in parts:
        out += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"
    return out + (f"--{boundary}--\r\n".encode() if close else b"")


def field(name: str, value: str | bytes, extra: str = "") -> tuple[str, bytes]:
    data = value.encode() if isinstance(value, str) else value
    return f'Content-Disposition: form-data; name="{name}"{extra}', data


def file(name: str, filename: str, data: bytes, content_type: str | None = "application/pdf") -> tuple[str, bytes]:
    headers = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'
    if content_type is not None:
        headers += f"\r\nContent-Type: {content_type}"
    return headers, data


def test_multipart_fields_and_file() -> None:
    binary = bytes(range(256)) + b"\r\n--not-the-boundary\r\n\r" + b"\r"
    body = multipart(
        field("email", "budi@example.com"), field("subject", "Tagihan Mei é€"), field("message", HTML_B64),
        field("sender_name", ""), file("attachment", "laporan mei.pdf", binary),
    )
    fields, files = parse_form(MULTIPART, body)
    assert fields == {"email": "budi@example.com", "subject": "Tagihan Mei é€", "message": HTML_B64,
                      "sender_name": ""}
    assert files == {"attachment": ("laporan mei.pdf", "application/pdf", binary)}
    assert attachment_from_part(*files["attachment"]) == Attachment("laporan mei.pdf", "application/pdf", binary)


def test_multipart_built_with_the_email_package() -> None:
    from email.message import EmailMessage
    from email.policy import SMTP  # CRLF line endings, as HTTP wants

    form = EmailMessage(policy=SMTP)
    form.set_type("multipart/form-data")
    text = EmailMessage(policy=SMTP)
    text.set_payload(b"Halo", charset=None)
    text["Content-Disposition"] = 'form-data; name="subject"'
    form.attach(text)
    attached = EmailMessage(policy=SMTP)
    # The generator rewrites line endings in 8bit content, so this content has none.
    content = b"%PDF-1.4 \x00\xff binary"
    attached.set_content(content, maintype="application", subtype="pdf", disposition="form-data",
                         filename="nota.pdf", cte="8bit")
    attached.set_param("name", "attachment", header="Content-Disposition")
    form.attach(attached)
    raw = form.as_bytes()
    body = raw.split(b"\r\n\r\n", 1)[1]
    fields, files = parse_form(f'multipart/form-data; boundary="{form.get_boundary()}"', body)
    assert fields == {"subject": "Halo"}
    name, kind, data = files["attachment"]
    assert (name, kind, data) == ("nota.pdf", "application/pdf", content)


def test_multipart_details() -> None:
    body = b"preamble to ignore\r\n" + multipart(
        field("a", "1"),
        field("latin", "é".encode("latin-1"), extra="\r\nContent-Type: text/plain; charset=iso-8859-1"),
        ('Content-Disposition: form-data; name="f"; filename*=UTF-8\'\'caf%C3%A9%20%E2%82%AC.pdf', b"x"),
        file("raw", "café.pdf", b"y", content_type=None),
        file("nofile", "", b"", content_type="application/octet-stream"),  # a browser's "no file chosen"
    ) + b"epilogue to ignore"
    fields, files = parse_form(MULTIPART.replace("multipart/form-data", "Multipart/Form-Data"), body)
    assert fields == {"a": "1", "latin": "é"}
    assert files == {"f": ("café €.pdf", "", b"x"), "raw": ("café.pdf", "", b"y")}
    # Transport padding after a boundary, and a part with headers and no content at all.
    body = (f"--{BOUNDARY}  \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"empty\"\r\n"
            f"\r\n--{BOUNDARY}--").encode()
    assert parse_form(MULTIPART, body) == ({"a": "1", "empty": ""}, {})
    # A quoted boundary.
    assert parse_form(f'multipart/form-data; boundary="{BOUNDARY}"', multipart(field("a", "1"))) == ({"a": "1"}, {})


@given(st.binary(max_size=300), st.binary(max_size=50))
def test_multipart_file_bytes_round_trip(data: bytes, other: bytes) -> None:
    body = multipart(file("attachment", "a.bin", data), field("x", other.hex()))
    fields, files = parse_form(MULTIPART, body)
    assert files["attachment"][2] == data
    assert fields == {"x": other.hex()}


def test_multipart_duplicates_are_refused() -> None:
    body = multipart(field("email", "a@x.id"), field("email", "b@x.id"))
    error = refused(lambda: parse_form(MULTIPART, body), "email")
    assert "more than once" in error.message
    refused(lambda: parse_form(MULTIPART, multipart(field("attachment", "x"), file("attachment", "a.pdf", b"x"))),
            "attachment")
    body = multipart(file("attachment", "a.pdf", b"x"), file("attachment", "b.pdf", b"y"))
    refused(lambda: parse_form(MULTIPART, body), "attachment")


def test_multipart_text_field_not_utf8() -> None:
    error = refused(lambda: parse_form(MULTIPART, multipart(field("subject", b"\xff\xfe"))), "subject")
    assert "utf-8" in error.message


@pytest.mark.parametrize("content_type, body", [
    (MULTIPART, b"garbage"),
    (MULTIPART, b""),
    (MULTIPART, multipart(field("a", "1"), close=False)),                       # never closed
    (MULTIPART, multipart(field("a", "1"), boundary="other")),                 # another boundary
    ("multipart/form-data", multipart(field("a", "1"))),                       # no boundary
    ("multipart/form-data; boundary=" + "b" * 71, multipart(field("a", "1"), boundary="b" * 71)),
    (MULTIPART, multipart(("Content-Type: text/plain", b"no disposition"))),
    (MULTIPART, multipart(("Content-Disposition: attachment; name=\"a\"", b"1"))),
    (MULTIPART, multipart(("Content-Disposition: form-data", b"no name"))),
    (MULTIPART, multipart(('Content-Disposition: form-data; name=""', b"empty name"))),
    (MULTIPART, multipart(("", b"no headers"))),
    (MULTIPART, multipart(('Content-Disposition: form-data; name="a"\r\nnot a header', b"1"))),
    (MULTIPART, multipart(field("a", "1")).replace(b"\r\n\r\n", b"\r\n", 1)),        # no blank line
    (MULTIPART, multipart(field("a", "1")).replace(b"\r\n", b"\n")),                   # LF line endings
    (MULTIPART, multipart(field("a", "1")).replace(BOUNDARY.encode() + b"\r\n", BOUNDARY.encode() + b"x\r\n", 1)),
    (MULTIPART, multipart(field("a", "1"))[:-10]),                                   # truncated
    (MULTIPART, multipart(*[field(f"f{i}", "x") for i in range(51)])),
    (MULTIPART + "\r\nX-Injected: 1", multipart(field("a", "1"))),
    ("multipart/form-daté; boundary=x", b""),
    ("application/json", b'{"a": 1}'),
    ("text/plain", b"a=1"),
    ("", b"a=1"),
    ("not a content type", b"a=1"),
])
def test_malformed_forms_are_refused(content_type: str, body: bytes) -> None:
    refused(lambda: parse_form(content_type, body), "body")


def test_transfer_encodings_are_refused() -> None:
    # RFC 7578 section 4.7: senders must not use them; 8bit, 7bit and binary mean "as is".
    body = multipart(field("a", "MQ==", extra="\r\nContent-Transfer-Encoding: base64"))
    refused(lambda: parse_form(MULTIPART, body), "body")
    body = multipart(field("a", "1", extra="\r\nContent-Transfer-Encoding: 8bit"))
    assert parse_form(MULTIPART, body) == ({"a": "1"}, {})


def test_nested_multipart_is_refused() -> None:
    inner = multipart(file("x", "a.pdf", b"x"), boundary="inner")
    body = multipart(('Content-Disposition: form-data; name="files"\r\nContent-Type: multipart/mixed; boundary=inner',
                      inner.rstrip(b"\r\n")))
    refused(lambda: parse_form(MULTIPART, body), "body")


def test_urlencoded() -> None:
    body = b"email=budi%40example.com&subject=Tagihan+Mei+%E2%82%AC&message=PHA%2BPz8%2FPC9wPg%3D%3D&sender_name="
    fields, files = parse_form("application/x-www-form-urlencoded; charset=UTF-8", body)
    assert fields == {"email": "budi@example.com", "subject": "Tagihan Mei €", "message": HTML_B64, "sender_name": ""}
    assert files == {}
    assert decode_html(fields["message"]) == HTML
    assert parse_form("application/x-www-form-urlencoded", b"") == ({}, {})


def test_urlencoded_unescaped_plus_in_base64_is_refused_not_corrupted() -> None:
    fields, _ = parse_form("application/x-www-form-urlencoded", b"message=" + HTML_B64.encode())
    assert fields["message"] == HTML_B64.replace("+", " ")
    refused(lambda: decode_html(fields["message"]), "message")


@pytest.mark.parametrize("body", [
    b"email", b"a=1&&b=2", b"a=%ff", "a=é".encode(), b"&".join([b"a%d=1" % i for i in range(60)]),
])
def test_urlencoded_malformed(body: bytes) -> None:
    refused(lambda: parse_form("application/x-www-form-urlencoded", body), "body")


def test_urlencoded_duplicates_are_refused() -> None:
    refused(lambda: parse_form("application/x-www-form-urlencoded", b"email=a%40x.id&email=b%40x.id"), "email")
    refused(lambda: parse_form("application/x-www-form-urlencoded", b"=x"), "body")
