"""Property-based fuzz of the parsers every request goes through (issue 20, item 10): whatever the
bytes, Content-Type, boundary or charset, a body parser either parses or raises ApiError (a 4xx the
middleware renders in the route's dialect), never another exception (a 500). The same for date
ranges and times. Each property is bounded to a few seconds; schemathesis covers the routes."""
from __future__ import annotations

import encodings.aliases
import json
import string
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.core import clock, validation
from chalicelib.core.errors import ApiError
from chalicelib.monitoring.ranges import parse_range
from chalicelib.sending import idempotency
from chalicelib.web import bodies

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every codec name Python knows, and more often the few that raise on decode or are no text encoding.
RISKY = ["idna", "punycode", "undefined", "rot13", "base64", "utf-16", "utf-7", "unicode_escape", "utf-8"]
CODECS = sorted(set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values()) | set(RISKY))
charsets = st.one_of(st.sampled_from(RISKY), st.sampled_from(CODECS), st.text(max_size=12))
contents = st.one_of(st.binary(max_size=40), st.sampled_from([b"xn--a", b"xn--zz", b"a-999", b"\\", b"+AGE-"]))
header_text = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=30)
names = st.text(alphabet=string.ascii_letters + string.digits + "[]_.-é ", min_size=0, max_size=20)
boundaries = st.text(alphabet=string.ascii_letters + string.digits + "'()+_,-./:=? ", min_size=0, max_size=75)


def _request(content_type: str | None, raw: bytes) -> SimpleNamespace:
    headers = {} if content_type is None else {"content-type": content_type}
    return SimpleNamespace(headers=headers, raw_body=raw)


def parses_or_refuses(call) -> object:
    """The parsed value, or None after a 4xx ApiError; anything else fails the property."""
    try:
        return call()
    except ApiError as refused:
        assert 400 <= refused.status < 500, refused.body()
        return None


@st.composite
def parameter(draw, key: str) -> str:
    """A header parameter as clients (and attackers) write it: plain, quoted, or RFC 2231."""
    value = draw(header_text)
    style = draw(st.sampled_from(["plain", "quoted", "rfc2231"]))
    if style == "plain":
        return f"; {key}={value}"
    if style == "quoted":
        return f'; {key}="{value}"'
    return f"; {key}*={draw(charsets)}''{quote(value.encode('latin-1'))}"


@st.composite
def multipart_bodies(draw) -> tuple[str, bytes]:
    boundary = draw(boundaries) or "b"
    raw = b""
    for _ in range(draw(st.integers(0, 4))):
        disposition = "form-data" if draw(st.booleans()) else draw(header_text)
        disposition += draw(parameter("name")) if draw(st.booleans()) else f'; name="{draw(names)}"'
        if draw(st.booleans()):
            disposition += draw(parameter("filename"))
        lines = [f"Content-Disposition: {disposition}"]
        if draw(st.booleans()):
            lines.append(f"Content-Type: {draw(st.sampled_from(['text/plain', 'application/pdf', 'multipart/mixed']))}"
                         f"{draw(parameter('charset'))}")
        if draw(st.booleans()):
            lines.append(f"Content-Transfer-Encoding: {draw(st.sampled_from(['binary', 'base64', '8bit']))}")
        head = "\r\n".join([f"--{boundary}", *lines]).encode("latin-1", "replace")
        raw += head + b"\r\n\r\n" + draw(contents) + b"\r\n"
    raw += f"--{boundary}--\r\n".encode("latin-1", "replace") if draw(st.booleans()) else b""
    if draw(st.booleans()):  # damage it
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=8)) + raw[cut + 1:]
    content_type = "multipart/form-data" + draw(st.sampled_from([f"; boundary={boundary}", f'; boundary="{boundary}"',
                                                                  "", "; boundary=other"]))
    if draw(st.booleans()):
        content_type += draw(parameter("boundary"))
    return content_type, raw


@FUZZ
@given(multipart_bodies())
@example(("multipart/form-data; boundary=b",
          b'--b\r\nContent-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=idna\r\n\r\n'
          b"xn--a\r\n--b--\r\n"))
@example(("multipart/form-data; boundary*=idna''xn--a", b"--b--\r\n"))
def test_multipart_bodies_parse_or_are_refused(case):
    content_type, raw = case
    parsed = parses_or_refuses(lambda: bodies.fields_and_files(_request(content_type, raw)))
    if parsed is not None:
        fields, files = parsed
        assert idempotency.body_hash(fields, files).startswith("c1:")  # what an Idempotency-Key's record holds


bracket_keys = st.text(alphabet="ab0[]%.+= é&;\x00", max_size=12)


@FUZZ
@given(st.lists(st.tuples(bracket_keys, st.text(max_size=10)), max_size=8), st.binary(max_size=30), st.booleans())
def test_urlencoded_bodies_with_bracket_keys_parse_or_are_refused(pairs, noise, noisy):
    raw = "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in pairs).encode()
    if noisy:
        raw += noise
    parsed = parses_or_refuses(
        lambda: bodies.fields_and_files(_request("application/x-www-form-urlencoded", raw)))
    if parsed is not None:
        assert idempotency.body_hash(*parsed).startswith("c1:")


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=12)


@FUZZ
@given(json_values, st.sampled_from(["application/json", "text/plain", None, "application/vnd.api+json",
                                     "application/x-www-form-urlencoded"]),
       st.integers(0, 3), st.binary(max_size=12), st.integers(0, 60))
@example({"a": "\ud800"}, "application/json", 0, b"", 0)
def test_json_bodies_parse_or_are_refused(value, content_type, indent, noise, depth):
    raw = ("[" * depth + json.dumps(value, indent=indent or None) + "]" * depth).encode("utf-8", "surrogatepass")
    for body in (raw, raw + noise, noise + raw):
        parsed = parses_or_refuses(lambda: bodies.fields_and_files(_request(content_type, body)))
        if parsed is not None:
            assert idempotency.body_hash(*parsed).startswith("c1:")
        parses_or_refuses(lambda: bodies.json_body(_request(content_type, body)))


@FUZZ
@given(st.text(max_size=40), st.binary(max_size=200))
def test_any_content_type_and_bytes_parse_or_are_refused(content_type, raw):
    parses_or_refuses(lambda: bodies.fields_and_files(_request(content_type, raw)))


# --- times and ranges ---------------------------------------------------------------------------

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
def _datetimes(low: datetime, high: datetime) -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=low, max_value=high, timezones=st.none() | offsets | st.just(timezone.utc))


# The whole calendar, and more often its first and last days, where a zone's offset leaves it.
any_time = st.one_of(_datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)),
                     _datetimes(datetime(1, 1, 1), datetime(1, 1, 3)),
                     _datetimes(datetime(9999, 12, 29), datetime(9999, 12, 31, 23, 59, 59)))
times = st.one_of(
    any_time.map(lambda d: d.isoformat()),
    any_time.map(lambda d: d.date().isoformat()),
    any_time.map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.sampled_from(["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                     "9999-12-31T23:59:59Z", "9999-12-31T20:00:00", "2026-13-01", "", "Z", "2026-11-27T25:00:00"]),
    st.text(max_size=30),
)
zones = st.sampled_from(["Asia/Jakarta", "Asia/Jayapura", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC",
                         "America/St_Johns", "Asia/Kathmandu"])


@st.composite
def close_pairs(draw) -> tuple[str, str]:
    """Two times a few days apart (a range people ask for), written as times or as dates."""
    first = draw(any_time)
    try:
        second = first + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
    except OverflowError:
        second = first
    write = draw(st.sampled_from([datetime.isoformat, lambda d: d.date().isoformat()]))
    return write(first), write(second)


pairs = st.one_of(st.tuples(st.one_of(st.none(), times), st.one_of(st.none(), times)), close_pairs())


@settings(FUZZ, max_examples=400)
@given(pairs, zones)
@example(("9999-12-30T00:00:00Z", "9999-12-31T23:59:59Z"), "Asia/Jakarta")
def test_a_dashboard_range_parses_or_is_refused(pair, zone):
    start, end = pair
    query = {k: v for k, v in (("from", start), ("to", end)) if v is not None}
    span = parses_or_refuses(lambda: parse_range(query, zone))
    if span is not None:
        # What the routes go on to do with it: days, ISO times, the id range of the time.
        assert span.start < span.end and span.first_day <= span.last_day
        assert len(span.days()) <= 366
        clock.iso(span.start), clock.iso(span.end)


@FUZZ
@given(times, offsets, st.booleans())
@example("0001-01-01T00:00:00+07:00", timezone.utc, False)
def test_a_time_parses_to_utc_within_the_calendar_or_is_refused(value, zone, end):
    moment = parses_or_refuses(lambda: validation.moment(value, "from", zone, end=end))
    if moment is not None:
        assert moment.tzinfo is timezone.utc and validation.EARLIEST <= moment <= validation.LATEST
        clock.iso(moment)
        for hours in (-14, 14):  # its local day in any zone exists
            moment.astimezone(timezone(timedelta(hours=hours))).date()
