"""Issue 12, item 8 and the outside attack on reviews: a submit claims the template before it
calls Meta, tells a concurrent change from a wrong status, and gives the claim back when Meta
does not take it; Meta's reviews apply in the order Meta made them, so a replayed or late
APPROVED never re-approves a paused template or approves content Meta never saw."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import CONFLICT, TEMPLATE_NOT_FOUND
from chalicelib.providers.base import ProviderUnavailable
from chalicelib.templates import service as templates
from tests.conftest import ORDER_TEMPLATE, Api, Shop, assert_oca_error
from tests.fakes.meta_server import FakeMeta, signed_webhook, template_review_webhook
from tests.sends import whatsapp_body


@pytest.fixture
def shop(client):
    return Shop(Api(client))


def _path(shop, suffix=""):
    return f"/applications/{shop.app_id}/whatsapp/templates{suffix}"


class Reviewer:
    def __init__(self, on_submit=None) -> None:
        self.submitted, self.on_submit = [], on_submit

    def submit(self, application_id, template_id, meta_template):
        if self.on_submit:
            self.on_submit()
        self.submitted.append(meta_template["name"])
        return None


def test_an_edit_racing_a_submit_is_a_clear_conflict_and_meta_never_sees_the_submit(shop, monkeypatch):
    draft = shop.api.call("POST", _path(shop), {**ORDER_TEMPLATE, "name": "raced"}, shop.session).json_body
    reviewer = Reviewer()
    monkeypatch.setattr("chalicelib.providers.registry.template_reviewer", lambda: reviewer)
    real_get = templates.get

    def get_then_someone_edits(application_id, template_id):
        template = real_get(application_id, template_id)
        monkeypatch.setattr(templates, "get", real_get)   # once: the other request's own edit
        templates.edit(application_id, template_id, {"footer": {"text": "Edited meanwhile"}})
        return template

    monkeypatch.setattr(templates, "get", get_then_someone_edits)
    with pytest.raises(templates.ApiError) as refused:
        templates.submit(shop.app_id, draft["template_id"], {"accept_terms": True})
    assert refused.value.status == 409 and "changed meanwhile" in refused.value.message
    assert reviewer.submitted == []                    # claim first: Meta was never called
    current = templates.get(shop.app_id, draft["template_id"])
    assert current.status == "DRAFT" and current.content.as_dict()["footer"]["text"] == "Edited meanwhile"
    # A wrong status is told apart.
    approved = shop.api.call("POST", _path(shop), {**ORDER_TEMPLATE, "name": "already_in", "submit": True},
                             shop.session).json_body
    resubmit = shop.api.call("POST", _path(shop, f"/{approved['template_id']}/submit"), None, shop.session)
    assert_oca_error(resubmit, 409, CONFLICT)
    assert "SUBMITTED template cannot be submitted" in resubmit.json_body["errors"][0]["message"]


def test_meta_not_answering_gives_the_claim_back(shop, monkeypatch):
    draft = shop.api.call("POST", _path(shop), {**ORDER_TEMPLATE, "name": "meta_down"}, shop.session).json_body

    def unavailable():
        raise ProviderUnavailable("Meta: 503")

    monkeypatch.setattr("chalicelib.providers.registry.template_reviewer", lambda: Reviewer(unavailable))
    answer = shop.api.call("POST", _path(shop, f"/{draft['template_id']}/submit"), {"accept_terms": True},
                           shop.session)
    assert answer.status_code == 503 and answer.json_body["errors"][0]["code"] == 13
    assert templates.get(shop.app_id, draft["template_id"]).status == "DRAFT"
    monkeypatch.setattr("chalicelib.providers.registry.template_reviewer", lambda: Reviewer())
    again = shop.api.call("POST", _path(shop, f"/{draft['template_id']}/submit"), {"accept_terms": True},
                          shop.session)
    assert again.status_code == 200 and again.json_body["status"] == "SUBMITTED"


@pytest.fixture
def meta(monkeypatch):
    with FakeMeta(access_token="t") as fake:
        for key, value in {"PROVIDER_WHATSAPP": "meta", "META_PHONE_NUMBER_ID": "1065", "META_ACCESS_TOKEN": "t",
                           "META_BASE_URL": fake.base_url, "META_WABA_ID": "102290129340398",
                           "META_APP_SECRET": "app-secret"}.items():
            monkeypatch.setenv(key, value)
        from chalicelib.core import config
        from chalicelib.providers import registry
        config.get_settings.cache_clear()
        registry.reset()
        yield fake
        config.get_settings.cache_clear()
        registry.reset()


def _review(shop, meta_id, event, at, reason="NONE"):
    payload = template_review_webhook(meta_id, event, name="paused_later", reason=reason)
    payload["entry"][0]["time"] = at
    raw, headers = signed_webhook(b"app-secret", payload)
    response = shop.api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers)
    assert response.status_code == 200
    return templates.get(shop.app_id, template_id(shop)).status


def template_id(shop):
    return next(t.template_id for t in templates.list_for(shop.app_id) if t.name == "paused_later")


def test_a_replayed_or_late_approval_never_reapproves(shop, meta):
    created = shop.api.call("POST", _path(shop), {**ORDER_TEMPLATE, "name": "paused_later", "submit": True},
                            shop.session).json_body
    [meta_id] = meta.templates
    t = int(templates.clock.epoch())
    assert _review(shop, meta_id, "APPROVED", t + 10) == "APPROVED"
    assert _review(shop, meta_id, "PAUSED", t + 20, "LOW_QUALITY") == "REJECTED"
    # The same signed APPROVED body again (a replay), and one made before the pause (late).
    assert _review(shop, meta_id, "APPROVED", t + 10) == "REJECTED"
    assert _review(shop, meta_id, "APPROVED", t + 15) == "REJECTED"
    body = whatsapp_body()
    body["message"]["template"]["template_code_id"] = created["template_code_id"]
    sent = shop.api.call("POST", "/api/v2/push/message", body, shop.v2("whatsapp"))
    assert_oca_error(sent, 406, TEMPLATE_NOT_FOUND)   # nothing goes out on a paused template
    # Edited after the pause: an approval Meta made afterwards is still for content it never saw.
    edited = shop.api.call("PATCH", _path(shop, f"/{created['template_id']}"),
                           {"footer": {"text": "New footer"}}, shop.session)
    assert edited.status_code == 200
    assert _review(shop, meta_id, "APPROVED", t + 30) == "REJECTED"
    # Meta lifting the pause of the content it reviewed (newer, unedited) does approve.
    resubmitted = shop.api.call("POST", _path(shop, f"/{created['template_id']}/submit"), None, shop.session)
    assert resubmitted.status_code == 200
    [_, new_meta_id] = meta.templates
    assert _review(shop, new_meta_id, "APPROVED", int(templates.clock.epoch()) + 40) == "APPROVED"


def test_a_submit_whose_claim_answer_was_lost_still_reaches_meta_once(shop, monkeypatch):
    """Issue 20, item 1: the claim's UpdateItem landed, its answer was lost, and botocore's
    second attempt met its own change. It used to be told 409 "changed meanwhile", leaving the
    template SUBMITTED and never sent to Meta; the claim's mark now tells it apart."""
    from local import faults

    draft = shop.api.call("POST", _path(shop), {**ORDER_TEMPLATE, "name": "lost_claim"}, shop.session).json_body
    reviewer = Reviewer()
    monkeypatch.setattr("chalicelib.providers.registry.template_reviewer", lambda: reviewer)
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True,
                         when=lambda call: call["TableName"].endswith("-templates")) as fault:
        submitted = templates.submit(shop.app_id, draft["template_id"], {"accept_terms": True})
    assert fault.hits == 1 and submitted.status == "SUBMITTED"
    assert reviewer.submitted == ["lost_claim"]
