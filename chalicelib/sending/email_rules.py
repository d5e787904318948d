"""Checks for the email send route's content: base64 HTML, subject, sender name and attachment.

Every refusal is bad_parameter(field, ...): 406, OCA code 39, with the field named.
"""
from __future__ import annotations

import binascii
import re
from typing import TYPE_CHECKING

from chalicelib.core.errors import ApiError, bad_parameter
from chalicelib.providers.base import Attachment

if TYPE_CHECKING:
    import mimetypes

MAX_HTML_BYTES = 1_048_576        # decoded HTML; a mail over ~100 KB of HTML is already clipped by Gmail
MAX_ATTACHMENT_BYTES = 3_145_728  # decoded; as base64 in JSON it is 4 MiB, under Lambda's 6 MB request payload
MAX_FILENAME_LEN = 255            # SES Attachment.FileName maximum
MAX_CONTENT_TYPE_LEN = 78         # SES Attachment.ContentType maximum

# Amazon SES refuses mail carrying these ("Amazon SES unsupported attachment types"), plus
# .jar; refusing them here gives the client a 406 now instead of a Failed status later.
BLOCKED_EXTENSIONS = frozenset("""
    ade adp app asp bas bat cer chm cmd com cpl crt csh der exe fxp gadget hlp hta inf ins isp its
    jar js jse ksh lib lnk mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz msc
    msh msh1 msh2 mshxml msh1xml msh2xml msi msp mst ops pcd pif plg prf prg reg scf scr sct shb shs
    sys ps1 ps1xml ps2 ps2xml psc1 psc2 tmp url vb vbe vbs vps vsmacros vss vst vsw vxd ws wsc wsf
    wsh xnk
""".split())

# C0 controls except tab, DEL, C1 controls. Line breaks are reported on their own.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Bidi overrides let "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MIME_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}"
_MIME_TYPE = re.compile(f"{_MIME_NAME}/{_MIME_NAME}")
# Compressed files: mimetypes reports the compression as an "encoding", not a type.
_COMPRESSED = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz",
               "compress": "application/x-compress", "br": "application/x-brotli"}


# --- base64 ---------------------------------------------------------------------------------

def decode_base64(value: object, field: str, max_bytes: int) -> bytes:
    """Strict base64 (standard or URL-safe alphabet, not both; padding optional but never wrong).

    Surrounding whitespace and line breaks anywhere are ignored (MIME clients wrap at 76);
    any other whitespace is refused, because it is usually a '+' that form encoding turned
    into a space, and decoding around it would silently corrupt the content.
    """
    if not isinstance(value, str):
        raise bad_parameter(field, f"{field} must be a base64-encoded string")
    text = value.strip().replace("\r", "").replace("\n", "")
    if not text:
        raise bad_parameter(field, f"{field} is required")
    # Refuse oversize input before decoding it: 4 base64 characters per 3 bytes.
    if len(text) > 4 * -(-max_bytes // 3):
        raise bad_parameter(field, f"{field} is larger than {max_bytes} bytes once decoded")
    standard, urlsafe = ("+" in text or "/" in text), ("-" in text or "_" in text)
    if standard and urlsafe:
        raise bad_parameter(field, f"{field} mixes the standard and URL-safe base64 alphabets")
    if urlsafe:
        text = text.translate(str.maketrans("-_", "+/"))
    if "=" not in text:
        text += "=" * (-len(text) % 4)
    try:
        data = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise bad_parameter(field, f"{field} is not valid base64 ({exc})") from None
    if len(data) > max_bytes:
        raise bad_parameter(field, f"{field} is larger than {max_bytes} bytes once decoded")
    return data


def decode_html(value: object, field: str = "message", max_bytes: int = MAX_HTML_BYTES) -> str:
    """The HTML body OCA sends base64-encoded, decoded as UTF-8 (a leading BOM is dropped).
    Refused: not a string, empty, not base64, over `max_bytes` decoded, not UTF-8, only whitespace."""
    data = decode_base64(value, field, max_bytes)
    try:
        html = data.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_parameter(field, f"{field} is not UTF-8 text once base64-decoded") from None
    html = html.removeprefix("\ufeff")
    if not html.strip():
        raise bad_parameter(field, f"{field} is empty once base64-decoded")
    return html


STORED_BODY_CHARS = 2000  # what status and history show of the HTML (a message item stays small)


def html_body(value: object, field: str = "message", max_bytes: int = MAX_HTML_BYTES) -> str:
    """OCA's `message` is base64 HTML; some clients (a public Laravel one among them) send the
    text itself. A value that is not strict base64 of UTF-8 text is taken as written: refusing it
    would break those clients, and base64 of real text never fails that test. Empty, not a
    string, or larger than `max_bytes` is still refused."""
    if not isinstance(value, str) or not value.strip():
        return decode_html(value, field, max_bytes)  # the refusal, with its usual words
    try:
        html = decode_html(value, field, max_bytes)
    except ApiError:
        html = None
    if html is not None and not _CONTROL.search(html):
        return html
    text = value.strip()
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise bad_parameter(field, f"{field} is larger than {max_bytes} bytes")
    return text


def stored_body(html: str) -> str:
    return html if len(html) <= STORED_BODY_CHARS else html[:STORED_BODY_CHARS] + "…"


# --- header values ----------------------------------------------------------------------------

def _header_text(value: object, field: str, max_len: int) -> str:
    """A stripped string safe to put in a mail header: no line breaks (header injection), no
    control characters, no lone surrogates (not encodable)."""
    if not isinstance(value, str):
        raise bad_parameter(field, f"{field} must be a string")
    if _LINE_BREAK.search(value):
        raise bad_parameter(field, f"{field} must not contain line breaks")
    if _CONTROL.search(value) or _SURROGATE.search(value):
        raise bad_parameter(field, f"{field} must not contain control characters")
    text = value.strip()
    if len(text) > max_len:
        raise bad_parameter(field, f"{field} must be at most {max_len} characters")
    return text


def check_subject(value: object, field: str = "subject", max_len: int = 998) -> str:
    """The subject, stripped. Required; tabs allowed; at most `max_len` characters
    (998 is RFC 5322's line limit; SES folds longer encoded headers itself)."""
    if value is None:
        raise bad_parameter(field, f"{field} is required")
    text = _header_text(value, field, max_len)
    if not text:
        raise bad_parameter(field, f"{field} is required")
    return text


def check_sender_name(value: object, field: str = "sender_name", max_len: int = 100) -> str | None:
    """The display name, stripped, or None when absent, empty or only whitespace."""
    if value is None:
        return None
    text = _header_text(value, field, max_len)
    return text or None


# --- attachment -------------------------------------------------------------------------------

def _check_filename(value: object, field: str) -> str:
    """A bare file name, stripped of surrounding whitespace. Paths are refused, not reduced to
    their basename: a client sending one has a bug we should show it."""
    if not isinstance(value, str) or not value.strip():
        raise bad_parameter(field, f"{field} is required")
    name = value.strip()
    if "/" in name or "\\" in name:
        raise bad_parameter(field, f"{field} must be a file name without '/' or '\\'")
    if _LINE_BREAK.search(name) or _CONTROL.search(name) or _SURROGATE.search(name) or _BIDI.search(name):
        raise bad_parameter(field, f"{field} must not contain control or bidirectional-override characters")
    if not name.strip("."):
        raise bad_parameter(field, f"{field} must be a file name, not '{name}'")
    if len(name) > MAX_FILENAME_LEN:
        raise bad_parameter(field, f"{field} must be at most {MAX_FILENAME_LEN} characters")
    # Windows drops trailing dots and spaces, so "x.exe. " opens as x.exe.
    base = name.rstrip(". ")
    extension = base.rsplit(".", 1)[1].lower() if "." in base else ""
    if extension in BLOCKED_EXTENSIONS:
        raise bad_parameter(field, f"attachments of type .{extension} are not allowed (executable or script files)")
    return name


_mime: mimetypes.MimeTypes | None = None


def guess_content_type(filename: str) -> str:
    """From the extension, with Python's built-in table only (not the host's /etc/mime.types,
    so the answer is the same on a laptop and on Lambda); application/octet-stream if unknown."""
    global _mime
    if _mime is None:
        import mimetypes

        _mime = mimetypes.MimeTypes()
    kind, encoding = _mime.guess_type(filename, strict=False)
    if encoding:
        return _COMPRESSED.get(encoding, "application/octet-stream")
    return kind or "application/octet-stream"


def _content_type(value: object, filename: str, field: str) -> str:
    """The given type/subtype (parameters dropped, lowercased), or the guess from the file name
    when absent, empty, or the generic application/octet-stream (curl -F sends that for all files)."""
    if value is None or value == "":
        return guess_content_type(filename)
    if not isinstance(value, str):
        raise bad_parameter(field, f"{field} must be a string")
    kind = value.split(";", 1)[0].strip().lower()
    if len(kind) > MAX_CONTENT_TYPE_LEN or not _MIME_TYPE.fullmatch(kind):
        raise bad_parameter(field, f"{field} must be a media type such as application/pdf")
    if kind == "application/octet-stream":
        return guess_content_type(filename)
    return kind


def _check_size(data: bytes, field: str, max_bytes: int) -> None:
    if not data:
        raise bad_parameter(field, f"{field} is empty")
    if len(data) > max_bytes:
        raise bad_parameter(field, f"{field} is larger than {max_bytes} bytes")


def attachment_from_json(value: object, field: str = "attachment",
                         max_bytes: int = MAX_ATTACHMENT_BYTES) -> Attachment | None:
    """`{"filename": str, "content_type": str?, "content": base64}` -> Attachment; None when the
    value is None or "" (an empty form field means no attachment). Errors name the sub-field:
    attachment.filename, attachment.content_type, attachment.content. Other keys are ignored."""
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise bad_parameter(field, f"{field} must be an object with filename and content")
    filename = _check_filename(value.get("filename"), f"{field}.filename")
    content_type = _content_type(value.get("content_type"), filename, f"{field}.content_type")
    data = decode_base64(value.get("content"), f"{field}.content", max_bytes)
    _check_size(data, f"{field}.content", max_bytes)
    return Attachment(filename=filename, content_type=content_type, data=data)


def attachment_from_part(filename: object, content_type: object, data: bytes, field: str = "attachment",
                         max_bytes: int = MAX_ATTACHMENT_BYTES) -> Attachment:
    """A multipart file part (as parse_form returns it) -> Attachment. Every error names `field`."""
    name = _check_filename(filename, field)
    if not isinstance(data, (bytes, bytearray)):
        raise bad_parameter(field, f"{field} must be a file")
    _check_size(bytes(data), field, max_bytes)
    return Attachment(filename=name, content_type=_content_type(content_type, name, field), data=bytes(data))
