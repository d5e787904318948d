"""Form bodies as OCA clients send them: multipart/form-data (with files) and
application/x-www-form-urlencoded. Every refusal is bad_parameter(field, ...): 406, code 39."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from chalicelib.core.errors import bad_parameter

if TYPE_CHECKING:
    import email.message

MAX_FORM_FIELDS = 200   # a WhatsApp payload as bracket keys is 3 fields per parameter
MAX_KEY_DEPTH = 16
_LINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")


def parse_form(content_type_header: str,
               raw_body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """multipart/form-data or application/x-www-form-urlencoded -> (fields, files).

    files maps a part name to (filename, content_type, data); content_type is the part's
    Content-Type as sent, or "" when it has none. A file part with an empty filename and no
    data (a browser's "no file chosen") is left out. A name that appears twice (or as both a
    field and a file) is refused with that name as the field: which value the client meant
    would be a guess. Text fields are UTF-8 (or the part's charset). Anything malformed, and
    any other Content-Type, is bad_parameter("body", ...).
    """
    if not isinstance(content_type_header, str) or _LINE_BREAK.search(content_type_header):
        raise bad_parameter("body", "Content-Type header is missing or malformed")
    try:
        header = content_type_header.encode("ascii")
    except UnicodeEncodeError:
        raise bad_parameter("body", "Content-Type header is missing or malformed") from None

    import email.parser
    import email.policy

    if not isinstance(raw_body, (bytes, bytearray)):
        raise bad_parameter("body", "form body is missing")
    raw_body = bytes(raw_body)
    # The stdlib's header parser reads the media type and its quoted or RFC 2231 parameters.
    with _header_charsets("Content-Type header"):
        outer = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + header + b"\r\n\r\n", headersonly=True)
        kind = outer.get_content_type()  # text/plain when the header does not parse
        boundary = outer.get_boundary()
    if kind == "application/x-www-form-urlencoded":
        return _parse_urlencoded(raw_body), {}
    if kind == "multipart/form-data":
        return _parse_multipart(raw_body, boundary)
    raise bad_parameter("body", "Content-Type must be multipart/form-data or application/x-www-form-urlencoded")


@contextmanager
def _header_charsets(what: str) -> Iterator[None]:
    """The email package decodes an RFC 2231 parameter (name*=idna''xn--a) with whatever codec it
    names, and some (idna, punycode, undefined) raise instead of decoding: a 406, never a 500."""
    try:
        yield
    except (LookupError, ValueError):  # UnicodeError is a ValueError
        raise bad_parameter("body", f"{what} names a charset its value cannot be decoded with") from None


def _parse_urlencoded(raw_body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(raw_body.decode("ascii"), keep_blank_values=True, strict_parsing=True,
                          encoding="utf-8", errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise bad_parameter("body", "form body is not ASCII, or a percent-encoded value is not UTF-8") from None
    except ValueError as exc:
        raise bad_parameter("body", f"form body is malformed ({exc})") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        _add(fields, name, value, {})
    return fields


def _add(target: dict, name: str, value: object, other: dict) -> None:
    """One field; a name ending in [] (PHP's and jQuery's list items) may repeat and collects a list."""
    if not name:
        raise bad_parameter("body", "form body has a field without a name")
    if name.endswith("[]") and isinstance(value, str) and name not in other:
        target.setdefault(name, []).append(value)
        return
    if name in target or name in other:
        raise bad_parameter(name, f"{name} appears more than once in the form")
    target[name] = value


# --- bracket keys -------------------------------------------------------------------------------
# PHP's http_build_query and jQuery's $.param write nested data as bracket keys:
# message[template][payload][0][position]=header, tags[]=a&tags[]=b.

_NAME = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_STEP = re.compile(r"\[([^\[\]]*)\]")


def nest(fields: dict[str, str | list[str]]) -> dict[str, Any]:
    """Flat form fields -> the object they describe. Plain names stay strings; `a[b]` makes
    objects, `a[]` appends, and an object whose keys are exactly 0..n-1 becomes a list (as
    in PHP). A name that is both a value and an object, or nests deeper than MAX_KEY_DEPTH,
    is refused naming it."""
    root: dict[str, Any] = {}
    for name, value in fields.items():
        match = _NAME.fullmatch(name)
        if match is None:
            raise bad_parameter(name, f"{name!r} is not a form field name (unbalanced brackets)")
        steps = [match.group(1), *_STEP.findall(match.group(2))]
        if len(steps) > MAX_KEY_DEPTH:
            raise bad_parameter(name, f"{name} nests deeper than {MAX_KEY_DEPTH} levels")
        for item in value if isinstance(value, list) else [value]:
            _put(root, steps, item, name)
    return {key: _lists(value) for key, value in root.items()}  # the body itself stays an object


def _put(node: dict[str, Any], steps: list[str], value: str, name: str) -> None:
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if step == "":  # a[]: the next index of this object
            step = str(sum(1 for key in node if key.isdigit()))
        if last:
            if step in node:
                raise bad_parameter(name, f"{name} appears more than once in the form")
            node[step] = value
            return
        child = node.setdefault(step, {})
        if not isinstance(child, dict):
            raise bad_parameter(name, f"{name} is both a value and an object in the form")
        node = child


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and sorted(converted) == sorted(str(i) for i in range(len(converted))):
        return [converted[str(i)] for i in range(len(converted))]
    return converted


def _parse_multipart(raw_body: bytes, boundary: object
                     ) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for headers, data in _split_multipart(raw_body, boundary):
        part = _part_headers(headers)
        with _header_charsets("a multipart part's header"):
            name, filename = _part_name(part)
        if filename is None:
            _add(fields, name, _part_text(part, name, data), files)
        elif filename or data:
            # As sent (attachment_from_part validates it): get_content_type() would turn a
            # malformed value into text/plain without a word.
            with _header_charsets(f"{name}'s Content-Type"):
                content_type = str(part["content-type"]).strip() if "content-type" in part else ""
            _add(files, name, (filename, content_type, data), fields)
    return fields, files


def _split_multipart(body: bytes, boundary: object) -> list[tuple[bytes, bytes]]:
    """(header block, content) of each part, split on the CRLF "--" boundary delimiters (RFC 2046).

    Done with bytes.find rather than the email package's line-by-line parser: the content is
    kept byte for byte, and a crafted body of 10 MB of newlines costs milliseconds, not seconds.
    """
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 70 or not boundary.isascii():
        raise bad_parameter("body", "multipart Content-Type needs a boundary of 1 to 70 characters")
    delimiter = b"\r\n--" + boundary.encode("ascii")
    # The first delimiter opens the body or ends a preamble (which is ignored).
    if body.startswith(delimiter[2:]):
        position = len(delimiter) - 2
    else:
        found = body.find(delimiter)
        if found < 0:
            raise bad_parameter("body", "multipart body does not contain its boundary")
        position = found + len(delimiter)
    parts: list[tuple[bytes, bytes]] = []
    while not body.startswith(b"--", position):  # "--" after a delimiter closes the body; the epilogue is ignored
        line_end = body.find(b"\r\n", position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise bad_parameter("body", "multipart body is malformed (a boundary line has extra characters)")
        end = body.find(delimiter, line_end)
        if end < 0:
            raise bad_parameter("body", "multipart body is malformed (it is not closed by its boundary)")
        if len(parts) == MAX_FORM_FIELDS:
            raise bad_parameter("body", f"form body has more than {MAX_FORM_FIELDS} parts")
        part = body[line_end + 2:end]
        split = part.find(b"\r\n\r\n")
        if part.startswith(b"\r\n"):  # no headers at all; refused by _part_headers
            parts.append((b"", part[2:]))
        elif split >= 0:
            parts.append((part[:split], part[split + 4:]))
        elif part.endswith(b"\r\n"):  # headers and no content at all (RFC 2046 allows it)
            parts.append((part[:-2], b""))
        else:
            raise bad_parameter("body", "multipart body has a part without a blank line after its headers")
        position = end + len(delimiter)
    return parts


def _part_headers(headers: bytes) -> email.message.Message:
    import email.parser
    import email.policy

    with _header_charsets("a multipart part's header"):
        part = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(headers + b"\r\n\r\n", headersonly=True)
        if part.defects or part.get_payload():  # a line that is not a header
            raise bad_parameter("body", "multipart body has a part with malformed headers")
        # RFC 7578 forbids transfer encodings in form data; refusing beats decoding half of them.
        if part.get("content-transfer-encoding", "binary").strip().lower() not in ("binary", "8bit", "7bit"):
            raise bad_parameter("body", "multipart parts must not use a Content-Transfer-Encoding")
        if part.get_content_maintype() == "multipart":
            raise bad_parameter("body", "nested multipart parts are not supported; send one file per field")
    return part


def _part_name(part: email.message.Message) -> tuple[str, str | None]:
    import email.utils

    if part.get_content_disposition() != "form-data":
        raise bad_parameter("body", "every multipart part needs Content-Disposition: form-data")
    name = part.get_param("name", header="content-disposition")
    if isinstance(name, tuple):  # RFC 2231 name*=utf-8''...
        name = email.utils.collapse_rfc2231_value(name)
    if not isinstance(name, str) or not name:
        raise bad_parameter("body", "a multipart part has no name")
    return name, part.get_filename()


def _part_text(part: email.message.Message, name: str, data: bytes) -> str:
    with _header_charsets(f"{name}'s Content-Type"):
        charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset)
    except (LookupError, ValueError):  # idna and punycode raise UnicodeError, not UnicodeDecodeError
        raise bad_parameter(name, f"{name} is not valid {charset} text") from None
