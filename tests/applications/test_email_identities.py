"""Issue 20, item 8: email sender identities belong to one application. The owner adds an address or
a domain, the provider verifies it (the simulator here, SES on moto below), and only a verified identity
the application owns sends: on V1, V2 and Verify alike; anything else is a 406 naming sender_email.
Two applications never hold one identity (first claim wins, 409)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.core.errors import BAD_PARAMETER, CONFLICT, NOT_FOUND
from tests.conftest import Api, Shop, assert_dashboard_error, assert_oca_error
from tests.sends import email_body


def _domain(word: str = "toko") -> str:
    return f"{word}-{uuid.uuid4().hex[:10]}.example"


def add(shop: Shop, identity: str):
    return shop.api.call("POST", f"/applications/{shop.app_id}/email-identities", {"identity": identity}, shop.session)


def listed(shop: Shop) -> list[dict]:
    answer = shop.api.call("GET", f"/applications/{shop.app_id}/email-identities", headers=shop.session)
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["items"]


def send_v1(shop: Shop, sender: str):
    return shop.api.call("POST", "/api/v1/send-single", email_body(sender=sender), shop.v1())


def send_v2(shop: Shop, sender: str):
    return shop.api.call("POST", "/email/v2/send-single", email_body(sender=sender), shop.v2("email"))


def verify_start(shop: Shop, sender: str | None):
    body = {"to": "budi@example.com", "channel": "email", **({"sender_email": sender} if sender else {})}
    return shop.api.call("POST", "/verify/v2/start", body, shop.v2("email"))


def refused_everywhere(shop: Shop, sender: str) -> None:
    """406 naming sender_email: OCA's validation error on its V1 and V2 routes, Kirim's on Verify's."""
    for answer in (send_v1(shop, sender), send_v2(shop, sender)):
        assert_oca_error(answer, 406, BAD_PARAMETER, "sender_email")
        (detail,) = answer.json_body["errors"][0]["message"]
        assert detail["value"] == sender and sender in detail["msg"], detail
    answer = verify_start(shop, sender)
    assert_dashboard_error(answer, 406, BAD_PARAMETER, "sender_email")
    assert sender in answer.json_body["errors"][0]["message"]


def sends_everywhere(shop: Shop, sender: str) -> None:
    assert send_v1(shop, sender).status_code == 200
    assert send_v2(shop, sender).status_code == 200
    assert verify_start(shop, sender).status_code == 201


def test_an_application_cannot_send_as_an_address_it_does_not_own(api):
    """The report: any tenant could send as any address ("sender_email only has to be valid")."""
    email, session = api.user()
    app_id = api.application(session, ["email"])["application_id"]
    token = {"Authorization": f"Bearer {api.token(session, app_id, 'email')}"}
    from tests.conftest import basic
    for route, auth in (("/email/v2/send-single", token), ("/api/v1/send-single", basic(email))):
        for sender in ("noreply@kirim.dev", "ceo@bank.example"):
            assert_oca_error(api.call("POST", route, email_body(sender=sender), auth), 406, BAD_PARAMETER,
                             "sender_email")
    answer = api.call("POST", "/verify/v2/start", {"to": "budi@example.com", "channel": "email",
                                                    "sender_email": "ceo@bank.example"}, token)
    assert_dashboard_error(answer, 406, BAD_PARAMETER, "sender_email")


@pytest.fixture(scope="module")
def first(client) -> Shop:
    return Shop(Api(client))


@pytest.fixture(scope="module")
def second(client) -> Shop:
    return Shop(Api(client))


def test_a_domain_shows_its_dkim_records_and_an_address_none(first):
    domain, address = _domain(), f"halo@{_domain()}"
    made = add(first, domain)
    assert made.status_code == 201, made.json_body
    assert made.json_body["kind"] == "domain" and made.json_body["status"] == "verified"
    records = made.json_body["dns_records"]
    assert len(records) == 3 and all(r["type"] == "CNAME" and r["name"].endswith(f"._domainkey.{domain}")
                                     and r["value"].endswith(".dkim.amazonses.com") for r in records)
    assert add(first, address.upper()).json_body == {**add(first, address).json_body}  # lowercased, one claim
    again = add(first, domain)
    assert again.status_code == 200 and again.json_body["identity"] == domain
    shown = {item["identity"]: item for item in listed(first)}
    assert shown[address]["kind"] == "address" and shown[address]["dns_records"] == []
    assert {domain, address, first.sender_domain} <= set(shown)
    one = first.api.call("GET", f"/applications/{first.app_id}/email-identities/{address.replace('@', '%40')}",
                         headers=first.session)
    assert one.status_code == 200 and one.json_body == shown[address]


def test_another_applications_verified_sender_is_406_on_v1_v2_and_verify(first, second):
    # The first application's own domain sends, its addresses too; to the second, none of it does.
    sends_everywhere(first, first.sender_email)
    sends_everywhere(first, f"billing@{first.sender_domain}")
    refused_everywhere(second, first.sender_email)
    refused_everywhere(second, f"billing@{first.sender_domain}")
    address = f"owner@{_domain()}"
    assert add(first, address).status_code == 201
    refused_everywhere(second, address)
    # An address nobody claimed sends for no one; the second's own domain sends for it.
    refused_everywhere(second, f"noreply@{_domain()}")
    sends_everywhere(second, second.sender_email)


def test_two_applications_never_hold_one_identity(first, second):
    domain, address = _domain(), f"sales@{_domain()}"
    assert add(first, domain).status_code == 201 and add(first, address).status_code == 201
    for taken in (domain, address, address.upper()):
        assert_dashboard_error(add(second, taken), 409, CONFLICT, "identity")
    # Under a domain another application verified: neither an address nor a subdomain.
    for under in (f"ceo@{domain}", f"mail.{domain}", f"x@mail.{domain}"):
        assert_dashboard_error(add(second, under), 409, CONFLICT, "identity")
    assert address not in {item["identity"] for item in listed(second)}


def test_only_a_verified_identity_sends_and_a_pending_one_blocks_no_one(first, second, monkeypatch, frozen_clock):
    pending = f"pending@{_domain()}"
    made = add(first, pending)
    assert made.status_code == 201 and made.json_body["status"] == "pending"
    refused_everywhere(first, pending)
    # The simulator verifies a `slow...` identity 10 s after the request (here in real time).
    monkeypatch.setenv("SIMULATOR_TIME_SCALE", "1")
    slow = f"slow@{_domain()}"
    assert add(first, slow).json_body["status"] == "pending"
    refused_everywhere(first, slow)
    frozen_clock.advance(11)
    assert {i["identity"]: i["status"] for i in listed(first)}[slow] == "verified"
    sends_everywhere(first, slow)
    # A domain nobody verified yet does not keep another application from an address under it.
    domain = f"pending-{uuid.uuid4().hex[:8]}.example"
    assert add(first, domain).json_body["status"] == "pending"
    assert add(second, f"me@{domain}").status_code == 201
    sends_everywhere(second, f"me@{domain}")


def test_a_claim_that_never_verified_can_be_taken_over_after_72_hours(first, second, frozen_clock):
    failed = f"fail-{uuid.uuid4().hex[:8]}.example"
    assert add(first, failed).json_body["status"] == "failed"
    assert add(second, failed).status_code == 201            # failed: free at once
    assert failed not in {item["identity"] for item in listed(first)}
    waiting = f"pending@{_domain()}"
    assert add(first, waiting).status_code == 201
    assert_dashboard_error(add(second, waiting), 409, CONFLICT, "identity")
    frozen_clock.advance(72 * 3600 + 1)
    session = second.api.login(second.email)                  # three days on: a new session
    taken = second.api.call("POST", f"/applications/{second.app_id}/email-identities", {"identity": waiting}, session)
    assert taken.status_code == 201                            # SES has given up on it by now
    first_session = first.api.login(first.email)
    assert waiting not in {item["identity"] for item in first.api.call(
        "GET", f"/applications/{first.app_id}/email-identities", headers=first_session).json_body["items"]}


def test_the_operators_verify_sender_is_the_verify_default_for_all_and_claimable_by_none(first, second):
    from chalicelib.core.config import get_settings

    default = get_settings().verify_sender_email
    assert verify_start(second, None).status_code == 201        # Verify's own text, from the operator
    assert verify_start(second, default).status_code == 201
    assert_oca_error(send_v2(second, default), 406, BAD_PARAMETER, "sender_email")  # any other text: no
    domain = default.rpartition("@")[2]
    for reserved in (default, domain, f"mail.{domain}", f"ceo@{domain}"):
        assert_dashboard_error(add(second, reserved), 409, CONFLICT, "identity")


def test_removing_a_sender_stops_its_sends_and_frees_it(first, second):
    domain = _domain()
    assert add(first, domain).status_code == 201
    sends_everywhere(first, f"a@{domain}")
    path = f"/applications/{first.app_id}/email-identities/{domain}"
    assert_dashboard_error(second.api.call("DELETE", f"/applications/{second.app_id}/email-identities/{domain}",
                                           headers=second.session), 404, NOT_FOUND)
    assert first.api.call("DELETE", path, headers=first.session).status_code == 204
    assert_dashboard_error(first.api.call("DELETE", path, headers=first.session), 404, NOT_FOUND)
    refused_everywhere(first, f"a@{domain}")
    assert add(second, domain).status_code == 201
    sends_everywhere(second, f"a@{domain}")


def test_bad_input_is_406_naming_identity_and_at_most_20(client):
    shop = Shop(Api(client))
    for bad in ("", "   ", "localhost", "a..b.example", "-x.example", "x@", "ä@b.example", 42, None):
        assert_dashboard_error(add(shop, bad), 406, BAD_PARAMETER, "identity")
    assert_dashboard_error(shop.api.call("POST", f"/applications/{shop.app_id}/email-identities",
                                         {"identity": _domain(), "verify": True}, shop.session),
                           406, BAD_PARAMETER, "verify")
    for _ in range(19):  # the shop has its own domain already
        assert add(shop, _domain()).status_code == 201
    assert_dashboard_error(add(shop, _domain()), 406, BAD_PARAMETER, "identity")
    # Another account cannot see or use the routes of this application.
    other = Shop(Api(client))
    assert_dashboard_error(other.api.call("GET", f"/applications/{shop.app_id}/email-identities",
                                          headers=other.session), 404, NOT_FOUND)


# --- SES (moto) -----------------------------------------------------------------------------------------

@pytest.fixture
def ses(monkeypatch):
    """Switches the stage's email to SES v2 on moto (call it once the shop exists), which answers
    AlreadyExists for an identity it has, as SES does (moto overwrites it)."""
    from chalicelib.core.config import get_settings
    from chalicelib.providers import registry

    sesv2 = boto3.client("sesv2")

    def already_exists(params, **_):
        try:
            sesv2.get_email_identity(EmailIdentity=params["EmailIdentity"])
        except ClientError:
            return
        raise ClientError({"Error": {"Code": "AlreadyExistsException", "Message": "exists"},
                           "ResponseMetadata": {"HTTPStatusCode": 400}}, "CreateEmailIdentity")

    def use():
        monkeypatch.setenv("PROVIDER_EMAIL", "ses")
        get_settings.cache_clear()
        registry.reset()
        registry.identity_verifier().client.meta.events.register("before-parameter-build.sesv2.CreateEmailIdentity",
                                                                 already_exists)
        return sesv2

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()
    registry.reset()


def statuses(shop: Shop) -> dict[str, str]:
    return {item["identity"]: item["status"] for item in listed(shop)}


def test_ses_verifies_a_claim_tagged_with_its_application_and_forgets_it_on_removal(client, ses, frozen_clock):
    shop = Shop(Api(client))
    sesv2 = ses()
    domain = _domain()
    made = add(shop, domain)
    assert made.status_code == 201 and made.json_body["status"] == "pending"   # SES checks the DNS first
    assert sesv2.get_email_identity(EmailIdentity=domain)["Tags"] == [
        {"Key": "kirim:owner", "Value": f"local/{shop.app_id}"}]
    refused_everywhere(shop, f"a@{domain}")
    frozen_clock.advance(11)                                                    # asked again at most every 10 s
    assert statuses(shop)[domain] == "verified"
    sends_everywhere(shop, f"a@{domain}")
    # The simulator's word does not count for SES: the shop's own domain is asked for at SES.
    refused_everywhere(shop, shop.sender_email)
    assert statuses(shop)[shop.sender_domain] == "pending"
    frozen_clock.advance(11)
    assert statuses(shop)[shop.sender_domain] == "verified"
    assert shop.api.call("DELETE", f"/applications/{shop.app_id}/email-identities/{domain}",
                         headers=shop.session).status_code == 204
    with pytest.raises(ClientError):
        sesv2.get_email_identity(EmailIdentity=domain)


def test_a_create_whose_answer_was_lost_is_this_applications_own(client, ses):
    shop = Shop(Api(client))
    sesv2 = ses()
    domain = _domain()
    # The first create reached SES and its answer was lost: the retry meets AlreadyExists with its own tag.
    sesv2.create_email_identity(EmailIdentity=domain, Tags=[{"Key": "kirim:owner", "Value": f"local/{shop.app_id}"}])
    made = add(shop, domain)
    assert made.status_code == 201 and made.json_body["status"] == "verified", made.json_body


def test_an_identity_made_outside_kirim_is_the_operators_and_cannot_be_claimed(client, ses):
    shop = Shop(Api(client))
    sesv2 = ses()
    outside, other_stage = _domain("operator"), _domain("dev")
    sesv2.create_email_identity(EmailIdentity=outside)   # verified by hand in the SES console: no tag
    sesv2.create_email_identity(EmailIdentity=other_stage, Tags=[{"Key": "kirim:owner", "Value": "dev/01X"}])
    for taken in (outside, other_stage, f"ceo@{outside}"):   # nor an address under it (SES sends it on the domain)
        assert_dashboard_error(add(shop, taken), 409, CONFLICT, "identity")
    assert set(statuses(shop)) == {shop.sender_domain}
    sesv2.get_email_identity(EmailIdentity=outside)      # never deleted
    # The operator may give it to an application (the admin CLI).
    from chalicelib.applications import email_identities
    assert email_identities.assign(shop.app_id, outside).status == "verified"
    sends_everywhere(shop, f"ceo@{outside}")


def test_a_simulators_verification_of_an_identity_ses_has_for_someone_else_fails(client, ses, frozen_clock):
    """The stage moves from the simulator to SES: a claim the simulator verified is asked for at SES,
    where the operator verified it by hand (no tag) or another stage made it: not this claim's."""
    shop = Shop(Api(client))
    theirs, other_stage = _domain("bank"), _domain("dev")
    assert add(shop, theirs).json_body["status"] == "verified" and add(shop, other_stage).status_code == 201
    sesv2 = ses()
    sesv2.create_email_identity(EmailIdentity=theirs)
    sesv2.create_email_identity(EmailIdentity=other_stage, Tags=[{"Key": "kirim:owner", "Value": "dev/01X"}])
    refused_everywhere(shop, f"ceo@{theirs}")
    assert statuses(shop) == {shop.sender_domain: "pending", theirs: "failed", other_stage: "failed"}
    frozen_clock.advance(11)
    assert statuses(shop) == {shop.sender_domain: "verified", theirs: "failed", other_stage: "failed"}
    one = shop.api.call("GET", f"/applications/{shop.app_id}/email-identities/{theirs}", headers=shop.session)
    assert one.json_body["status"] == "failed"
    refused_everywhere(shop, f"ceo@{theirs}")
    sesv2.get_email_identity(EmailIdentity=theirs)       # and it stays the operator's


def test_a_takeover_races_nothing_away(first, second, frozen_clock):
    """The stale claim is taken on condition it is still the one read: a claim made meanwhile wins."""
    from chalicelib.applications import email_identities
    from chalicelib.applications.models import EmailIdentity, email_identity_key

    waiting = f"pending@{_domain()}"
    assert add(first, waiting).status_code == 201
    frozen_clock.advance(timedelta(hours=73).total_seconds())
    stale = EmailIdentity.get(email_identity_key(waiting))
    EmailIdentity(email_identity_key(waiting)).update(actions=[EmailIdentity.created_at.set("2099-01-01T00:00:00.000Z")])
    with pytest.raises(Exception) as refused:
        email_identities._write(email_identities._new_claim(waiting, "address", second.app_id), stale)
    assert getattr(refused.value, "status", None) == 409


def test_the_operator_moves_a_sender_with_the_admin_cli(first, second, capsys):
    import json

    from chalicelib.applications import admin

    domain = _domain()
    assert add(first, domain).status_code == 201
    assert admin.main(["email-sender", second.app_id, domain]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["status"] == "verified"
    assert domain not in {item["identity"] for item in listed(first)}
    refused_everywhere(first, f"a@{domain}")
    sends_everywhere(second, f"a@{domain}")
    assert admin.main(["email-sender", second.app_id, "not a domain"]) == 1
