"""web.forms: multipart and urlencoded bodies as OCA clients send them."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.providers.base import Attachment
from chalicelib.sending.email_rules import attachment_from_part, decode_html
from chalicelib.web.forms import MAX_FORM_FIELDS, nest, parse_form
from tests.conftest import refused

BOUNDARY = "----KirimFormBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
HTML = "<p>???</p>"
HTML_B64 = "PHA+Pz8/PC9wPg=="  # its base64 has a "+"


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
    (MULTIPART, multipart(*[field(f"f{i}", "x") for i in range(MAX_FORM_FIELDS + 1)])),
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
    b"email", b"a=1&&b=2", b"a=%ff", "a=é".encode(), b"&".join([b"a%d=1" % i for i in range(MAX_FORM_FIELDS + 1)]),
])
def test_urlencoded_malformed(body: bytes) -> None:
    refused(lambda: parse_form("application/x-www-form-urlencoded", body), "body")


def test_urlencoded_duplicates_are_refused() -> None:
    refused(lambda: parse_form("application/x-www-form-urlencoded", b"email=a%40x.id&email=b%40x.id"), "email")
    refused(lambda: parse_form("application/x-www-form-urlencoded", b"=x"), "body")


# --- bracket keys, as PHP's http_build_query and jQuery's $.param write them --------------------

def test_php_http_build_query_of_a_whatsapp_push_nests_back() -> None:
    from urllib.parse import unquote_plus
    # What PHP's http_build_query($data) writes for OCA's media example (numeric list indexes).
    body = ("phone_number=6281234567890&message%5Btype%5D=template"
            "&message%5Btemplate%5D%5Btemplate_code_id%5D=marketing%3Apromo"
            "&message%5Btemplate%5D%5Bpayload%5D%5B0%5D%5Bposition%5D=header"
            "&message%5Btemplate%5D%5Bpayload%5D%5B0%5D%5Bparameters%5D%5B0%5D%5Btype%5D=image"
            "&message%5Btemplate%5D%5Bpayload%5D%5B0%5D%5Bparameters%5D%5B0%5D%5Bimage%5D%5Burl%5D="
            "https%3A%2F%2Fcdn.x.id%2Fa.jpg"
            "&message%5Btemplate%5D%5Bpayload%5D%5B1%5D%5Bposition%5D=body"
            "&message%5Btemplate%5D%5Bpayload%5D%5B1%5D%5Bparameters%5D%5B0%5D%5Btype%5D=text"
            "&message%5Btemplate%5D%5Bpayload%5D%5B1%5D%5Bparameters%5D%5B0%5D%5Btext%5D=Budi+Santoso")
    assert "message[template][payload][0][position]=header" in unquote_plus(body)
    fields, files = parse_form("application/x-www-form-urlencoded", body.encode())
    assert files == {} and nest(fields) == {"phone_number": "6281234567890", "message": {
        "type": "template", "template": {"template_code_id": "marketing:promo", "payload": [
            {"position": "header", "parameters": [{"type": "image", "image": {"url": "https://cdn.x.id/a.jpg"}}]},
            {"position": "body", "parameters": [{"type": "text", "text": "Budi Santoso"}]}]}}}


def test_jquery_param_lists_of_scalars_and_objects() -> None:
    # $.param({tags: ["a", "b"], items: [{k: 1}]}) -> tags[]=a&tags[]=b&items[0][k]=1
    fields, _ = parse_form("application/x-www-form-urlencoded", b"tags%5B%5D=a&tags%5B%5D=b&items%5B0%5D%5Bk%5D=1")
    assert nest(fields) == {"tags": ["a", "b"], "items": [{"k": "1"}]}


def test_sparse_indexes_stay_an_object_and_the_body_stays_an_object() -> None:
    fields, _ = parse_form("application/x-www-form-urlencoded", b"a%5B0%5D=x&a%5B2%5D=y&0=z")
    assert nest(fields) == {"a": {"0": "x", "2": "y"}, "0": "z"}


@pytest.mark.parametrize("body,name", [
    (b"a=1&a%5Bb%5D=2", "a[b]"),              # a value and an object
    (b"a%5Bb%5D=1&a%5Bb%5D%5Bc%5D=2", "a[b][c]"),
    (b"a%5Bb=1", "a[b"),                      # unbalanced
    (b"a" + b"%5Bx%5D" * 20 + b"=1", "a" + "[x]" * 20),  # deeper than MAX_KEY_DEPTH
])
def test_bracket_keys_that_cannot_nest_are_refused_naming_them(body: bytes, name: str) -> None:
    fields, _ = parse_form("application/x-www-form-urlencoded", body)
    refused(lambda: nest(fields), name)
