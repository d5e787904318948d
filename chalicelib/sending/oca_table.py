"""OCA's channel routes as data (oca_routes.txt): what each route is, and in which dialect its
errors answer (V1, V2 or WhatsApp; core.errors knows the shapes). Read by the routes, the HTTP
middleware and the OpenAPI document."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from chalicelib.core import errors
from chalicelib.core.channels import EMAIL, WHATSAPP

ROUTE_TABLE = Path(__file__).with_name("oca_routes.txt")
ACTIONS = ("send", "history", "status", "sender_ids", "ivr_list", "audio_upload", "audio_list", "audio_delete",
           "caller_ids", "audio_play")
# Sends that take OCA's form encodings with a file (the others take forms without files).
FILE_ACTIONS = {("send", EMAIL), ("audio_upload", "ivr")}


class Route(NamedTuple):
    version: int
    method: str
    path: str
    channel: str
    action: str

    @property
    def dialect(self) -> str:
        if self.channel == WHATSAPP:
            return errors.OCA_WHATSAPP
        return errors.OCA_V1 if self.version == 1 else errors.OCA_V2

    @property
    def takes_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH")

    @property
    def takes_files(self) -> bool:
        return (self.action, self.channel) in FILE_ACTIONS

    @property
    def authenticated(self) -> bool:
        return self.action != "audio_play"  # a player follows the URL an upload answered


def _read() -> tuple[Route, ...]:
    rows = [line.split() for line in ROUTE_TABLE.read_text().splitlines() if line.strip() and line[0] != "#"]
    routes = tuple(Route(int(version), method, path, channel, action)
                   for version, method, path, channel, action in rows)
    assert all(route.action in ACTIONS for route in routes), "unknown action in oca_routes.txt"
    return routes


ROUTES = _read()
_DIALECTS = {route.path: route.dialect for route in ROUTES}


@lru_cache(maxsize=256)
def dialect_of(resource_path: str | None) -> str:
    """The error dialect of a Chalice resource path: OCA's for its routes, the dashboard's otherwise."""
    return _DIALECTS.get(resource_path or "", errors.DASHBOARD)
