"""Status callbacks' fixtures: a real local receiver, and an account whose application calls it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import standardwebhooks.webhooks as swh

from chalicelib.core import clock, config
from tests.conftest import Api
from tests.fakes import webhook_receiver


class _ReceiverTime(datetime):
    """The receiver's own clock is Kirim's (frozen in some tests), so its 5-minute timestamp
    tolerance is judged against the time the attempt was made in."""

    @classmethod
    def now(cls, tz=None):
        return clock.now().astimezone(tz or timezone.utc)


def _receiving(monkeypatch):
    monkeypatch.setattr(swh, "datetime", _ReceiverTime)
    receiver, server = webhook_receiver.start()
    yield receiver
    server.shutdown()


@pytest.fixture
def receiver(monkeypatch):
    yield from _receiving(monkeypatch)


@pytest.fixture
def other_receiver(monkeypatch):
    """A second customer's receiver."""
    yield from _receiving(monkeypatch)


def hook(api: Api, url: str) -> dict:
    """A new account whose application sends its status callbacks to `url`."""
    email, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    token = api.token(session, app_id, "sms")
    answer = api.call("PUT", f"/applications/{app_id}/settings", {"callback_url": url}, session)
    assert answer.status_code == 200, answer.json_body
    return {"api": api, "session": session, "app_id": app_id, "token": token, "email": email,
            "secret": answer.json_body["callback_secret"]}


@pytest.fixture
def hooked(client, receiver):
    """An account whose application sends its status callbacks to the receiver."""
    return hook(Api(client), receiver.url)


@pytest.fixture
def stage(monkeypatch):
    """Switch the stage (and CALLBACK_PORTS) for one test."""
    def use(name: str, ports: str = "") -> None:
        monkeypatch.setenv("KIRIM_STAGE", name)
        monkeypatch.setenv("KIRIM_MASTER_KEY", "test-only")
        monkeypatch.setenv("CALLBACK_PORTS", ports)
        config.get_settings.cache_clear()
    yield use
    monkeypatch.undo()
    config.get_settings.cache_clear()


def message_image(app_id: str, message_id: str, statuses: list[str]) -> dict:
    """A messages-table image after `statuses` (as the stream gives it, in plain values)."""
    history = [{"status": s, "at": clock.iso(clock.now()), "provider_status": f"P_{s.upper()}"} for s in statuses]
    return {"message_id": message_id, "application_id": app_id, "channel": "sms", "status": statuses[-1],
            "updated_at": history[-1]["at"], "history": history}
