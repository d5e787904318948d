"""The test inbox: the simulator's deliveries in full, newest first, for their owner only, in
the local stage only."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, drain
from tests.sends import email_body, sms_body


def test_the_owner_reads_what_the_simulator_delivered_newest_first(shop, api, worker):
    first = api.call("POST", "/sms/v2/sms", sms_body("081299990001", "Halo pertama"), shop.v2("sms")).json_body
    second = api.call("POST", "/sms/v2/sms", sms_body("081299990001", "Halo kedua"), shop.v2("sms")).json_body
    api.call("POST", "/email/v2/send-single", shop.fill(email_body("inbox@example.com")), shop.v2("email"))
    drain(worker)
    listed = api.call("GET", "/simulator/messages?to=081299990001", headers=shop.session).json_body["items"]
    assert [i["message_id"] for i in listed] == [second["msg_uid"], first["msg_uid"]]
    assert listed[0]["body"]["text"] == "Halo kedua" and listed[0]["to"] == "+6281299990001"
    assert listed[0]["channel"] == "sms" and listed[0]["application_id"] == shop.app_id
    emails = api.call("GET", "/simulator/messages?channel=email&to=inbox@example.com", headers=shop.session)
    assert emails.json_body["items"][0]["body"]["subject"] == "Pesanan dikirim"
    assert "<h1>Halo</h1>" in emails.json_body["items"][0]["body"]["html"]
    # Another owner sees none of it, even asking for the same number.
    _, stranger = api.user()
    assert api.call("GET", "/simulator/messages?to=081299990001", headers=stranger).json_body == {"items": []}
    assert api.call("GET", "/simulator/messages").status_code == 401
    assert api.call("GET", "/simulator/messages?channel=fax", headers=shop.session).status_code == 406
    assert api.call("GET", "/simulator/messages?limit=0", headers=shop.session).status_code == 406


def test_the_route_does_not_exist_outside_the_local_stage():
    """The dev and prod apps have no such route (and their template has no inbox table)."""
    script = "import json, app; print(json.dumps(sorted(app.app.routes)))"
    routes = {}
    for stage in ("local", "dev", "prod"):
        env = {**os.environ, "KIRIM_STAGE": stage, "KIRIM_MASTER_KEY": "x"}
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout
        routes[stage] = set(json.loads(out.strip().splitlines()[-1]))
    assert "/simulator/messages" in routes["local"]
    assert "/simulator/messages" not in routes["dev"] and "/simulator/messages" not in routes["prod"]
    assert routes["dev"] == routes["local"] - {"/simulator/messages"}
    from tests.infra.template_yaml import load_template
    table = load_template()["Resources"]["SimulatorInboxTable"]
    assert table["Condition"] == "IsLocal"
    assert load_template()["Conditions"]["IsLocal"] == {"Fn::Equals": [{"Ref": "Stage"}, "local"]}


def test_only_the_local_stage_records_to_the_inbox(monkeypatch):
    import boto3

    from chalicelib.core import aws, config
    from chalicelib.providers.base import Outbound
    from chalicelib.providers.simulator import SimulatorProvider

    sent = []
    monkeypatch.setattr(aws, "client", lambda name: type("C", (), {
        "send_message_batch": lambda self, **kw: sent.append(kw),
        "put_object": lambda self, **kw: None})())   # the simulator's record of what it took
    monkeypatch.setattr(aws, "queue_url", lambda name: "q")
    for stage, expected in (("local", True), ("dev", False)):
        monkeypatch.setenv("KIRIM_STAGE", stage)
        config.get_settings.cache_clear()
        SimulatorProvider().send(Outbound("01X", "sms", "+6281234567890", text="Kode 123456"))
        bodies = [json.loads(e["MessageBody"]) for e in sent[-1]["Entries"]]
        assert any("inbox" in b for b in bodies) is expected, stage
    monkeypatch.undo()
    config.get_settings.cache_clear()
    assert boto3  # (the real clients are back for the next test)
