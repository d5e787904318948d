"""Inputs that once made the dashboard's reading routes answer 500 (fuzzed): dates at the ends of
the calendar on every route that parses dates, and digits that are not ASCII. Each is a 406
naming the field."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BAD_PARAMETER
from tests.conftest import assert_dashboard_error

EDGES = [("from", "9999-12-31"), ("to", "9999-12-31"), ("from", "0001-01-01"), ("to", "0001-01-01"),
         ("from", "9999-12-31T23:59:59"), ("to", "0001-01-01T00:00:00+14:00")]


@pytest.mark.parametrize("field,value", EDGES)
@pytest.mark.parametrize("route", ["overview", "messages"])
def test_calendar_edges_in_a_range_are_406_on_overview_and_messages(shop, route, field, value):
    response = shop.api.call("GET", f"/applications/{shop.app_id}/{route}?{field}={value}", headers=shop.session)
    assert response.status_code == 406, response.body
    assert_dashboard_error(response, 406, BAD_PARAMETER)
    assert response.json_body["errors"][0]["field"] in ("from", "to")


@pytest.mark.parametrize("field,value", EDGES)
def test_calendar_edges_in_a_report_are_406(shop, field, value):
    body = {"name": "Edges", "channel": "sms", "statuses": ["Delivered"], "format": "csv",
            "from": "2026-11-01", "to": "2026-11-30", field: value}
    response = shop.api.call("POST", f"/applications/{shop.app_id}/reports", body, shop.session)
    assert_dashboard_error(response, 406, BAD_PARAMETER)
    assert response.json_body["errors"][0]["field"] in ("from", "to")


@pytest.mark.parametrize("limit", ["²", "١٠", "1e2", "-1", "٣"])
def test_a_limit_of_non_ascii_digits_is_406(shop, limit):
    from urllib.parse import quote
    response = shop.api.call("GET", f"/applications/{shop.app_id}/messages?limit={quote(limit)}", headers=shop.session)
    assert_dashboard_error(response, 406, BAD_PARAMETER, "limit")
