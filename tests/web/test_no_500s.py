"""Inputs that answered 500 in an outside run of hand-made requests (issue 20, item 10), each now a
clear 4xx in the dialect of the route called: OCA's validation body on a channel route, the
dashboard's body on a dashboard route. tests/web/test_parser_fuzz.py fuzzes the same parsers."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from chalicelib.core.errors import BAD_PARAMETER
from tests.conftest import assert_dashboard_error, assert_oca_error

BOUNDARY = "kirim-boundary"
FORM = f"multipart/form-data; boundary={BOUNDARY}"


def _form(disposition: str, headers: str, content: bytes) -> bytes:
    phone = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="phone"\r\n\r\n081234567890\r\n'.encode()
    lines = [f"Content-Disposition: {disposition}", *([headers] if headers else [])]
    part = f"--{BOUNDARY}\r\n" + "\r\n".join(lines) + "\r\n\r\n"
    part = part.encode() + content
    return phone + part + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize("charset,content", [("idna", b"xn--a"), ("idna", b"xn--zz"), ("punycode", b"a-999"),
                                             ("undefined", b"Halo")])
def test_a_part_in_a_charset_that_cannot_decode_it_is_406_naming_the_field(shop, charset, content):
    raw = _form('form-data; name="message"', f"Content-Type: text/plain; charset={charset}", content)
    response = shop.api.call("POST", "/sms/v2/sms", raw=raw, headers={**shop.v2("sms"), "Content-Type": FORM})
    assert_oca_error(response, 406, BAD_PARAMETER, "message")
    response = shop.api.call("POST", "/api/v1/sms", raw=raw, headers={**shop.v1(), "Content-Type": FORM})
    assert_oca_error(response, 406, BAD_PARAMETER, "message")


@pytest.mark.parametrize("disposition", ["form-data; name*=idna''xn--a", "form-data; name*=undefined''message",
                                         "form-data; name=\"a\"; filename*=idna''xn--a"])
def test_a_part_whose_name_is_in_a_charset_that_cannot_decode_it_is_406(shop, disposition):
    raw = _form(disposition, "", b"Halo")
    response = shop.api.call("POST", "/sms/v2/sms", raw=raw, headers={**shop.v2("sms"), "Content-Type": FORM})
    assert_oca_error(response, 406, BAD_PARAMETER, "body")


@pytest.mark.parametrize("boundary", ["idna''xn--a", "undefined''b"])
def test_a_boundary_in_a_charset_that_cannot_decode_it_is_406(shop, boundary):
    raw = _form('form-data; name="message"', "", b"Halo")
    response = shop.api.call("POST", "/sms/v2/sms", raw=raw,
                             headers={**shop.v2("sms"), "Content-Type": f"multipart/form-data; boundary*={boundary}"})
    assert_oca_error(response, 406, BAD_PARAMETER, "body")


NEAR_THE_END = [("9999-12-30T00:00:00Z", "9999-12-31T23:59:59Z"), ("9999-12-31T00:00:00Z", "9999-12-31T12:00:00Z"),
                ("9999-12-30", "9999-12-31T10:00:00-05:00")]


@pytest.mark.parametrize("start,end", NEAR_THE_END)
@pytest.mark.parametrize("route", ["overview", "messages"])
def test_a_range_near_the_end_of_the_calendar_is_406_on_the_dashboard(shop, route, start, end):
    response = shop.api.call("GET", f"/applications/{shop.app_id}/{route}?from={quote(start)}&to={quote(end)}",
                             headers=shop.session)
    assert_dashboard_error(response, 406, BAD_PARAMETER)
    assert response.json_body["errors"][0]["field"] in ("from", "to")


@pytest.mark.parametrize("start,end", NEAR_THE_END)
def test_a_report_near_the_end_of_the_calendar_is_406(shop, start, end):
    body = {"name": "Edges", "channel": "sms", "statuses": ["Delivered"], "format": "csv", "from": start, "to": end}
    response = shop.api.call("POST", f"/applications/{shop.app_id}/reports", body, shop.session)
    assert_dashboard_error(response, 406, BAD_PARAMETER)
    assert response.json_body["errors"][0]["field"] in ("from", "to")


@pytest.mark.parametrize("start,end", [("0001-01-01T00:00:00+07:00", "0001-01-02T10:00:00+07:00"),
                                       ("0001-01-01T05:00:00+14:00", "0001-01-02T00:00:00Z")])
def test_a_callback_range_in_year_1_with_a_positive_offset_is_406(shop, start, end):
    query = f"from={quote(start)}&to={quote(end)}"
    response = shop.api.call("GET", f"/applications/{shop.app_id}/callbacks/failed?{query}", headers=shop.session)
    assert_dashboard_error(response, 406, BAD_PARAMETER, "from")
    response = shop.api.call("POST", f"/applications/{shop.app_id}/callbacks/replay", {"from": start, "to": end},
                             shop.session)
    assert_dashboard_error(response, 406, BAD_PARAMETER, "from")
