"""The sender identity verifiers: SES v2's answers read through botocore's Stubber (the states moto never
gives), and the simulator's magic names."""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.core import clock
from chalicelib.providers.base import ABSENT, FAILED, PENDING, VERIFIED, IdentityState, ProviderUnavailable
from chalicelib.providers.ses_identities import OWNER_TAG, SesIdentityVerifier
from chalicelib.providers.simulator import SimulatorIdentityVerifier

OWNER = "prod/01APP"


@pytest.fixture
def stubbed():
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield SesIdentityVerifier(client), stub
        stub.assert_no_pending_responses()


def _identity(status: str, verified: bool = False, tags=None, tokens=None) -> dict:
    answer = {"IdentityType": "DOMAIN", "VerificationStatus": status, "VerifiedForSendingStatus": verified,
              "Tags": tags or []}
    if tokens:
        answer["DkimAttributes"] = {"Tokens": tokens}
    return answer


@pytest.mark.parametrize("status,verified,expected", [
    ("PENDING", False, PENDING), ("TEMPORARY_FAILURE", False, PENDING), ("NOT_STARTED", False, PENDING),
    ("FAILED", False, FAILED), ("SUCCESS", True, VERIFIED), ("PENDING", True, VERIFIED),
])
def test_ses_states_and_the_owner_from_the_tag(stubbed, status, verified, expected):
    verifier, stub = stubbed
    stub.add_response("get_email_identity", _identity(status, verified, [{"Key": OWNER_TAG, "Value": OWNER}],
                                                      ["t1", "t2", "t3"]), {"EmailIdentity": "toko.example"})
    assert verifier.state("toko.example", None) == IdentityState(expected, OWNER, ("t1", "t2", "t3"))


def test_ses_create_tags_the_identity_and_an_existing_one_is_described(stubbed):
    verifier, stub = stubbed
    stub.add_response("create_email_identity", {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": False,
                                                "DkimAttributes": {"Tokens": ["a", "b", "c"]}},
                      {"EmailIdentity": "toko.example", "Tags": [{"Key": OWNER_TAG, "Value": OWNER}]})
    assert verifier.request("toko.example", OWNER) == IdentityState(PENDING, OWNER, ("a", "b", "c"))
    # Made outside Kirim (no tag): AlreadyExists, then what it is.
    stub.add_client_error("create_email_identity", "AlreadyExistsException", http_status_code=400)
    stub.add_response("get_email_identity", _identity("SUCCESS", True), {"EmailIdentity": "op.example"})
    assert verifier.request("op.example", OWNER) == IdentityState(VERIFIED, None, ())
    stub.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
    assert verifier.state("gone.example", None).status == ABSENT
    stub.add_client_error("get_email_identity", "TooManyRequestsException", http_status_code=429)
    with pytest.raises(ProviderUnavailable):
        verifier.state("toko.example", None)


def test_ses_deletes_only_what_this_owner_made(stubbed):
    verifier, stub = stubbed
    stub.add_response("get_email_identity", _identity("SUCCESS", True), {"EmailIdentity": "op.example"})
    verifier.remove("op.example", OWNER)  # untagged: left alone (no delete call)
    stub.add_response("get_email_identity", _identity("SUCCESS", True, [{"Key": OWNER_TAG, "Value": "dev/01APP"}]),
                      {"EmailIdentity": "dev.example"})
    verifier.remove("dev.example", OWNER)  # another stage's: left alone
    stub.add_response("get_email_identity", _identity("PENDING", False, [{"Key": OWNER_TAG, "Value": OWNER}]),
                      {"EmailIdentity": "toko.example"})
    stub.add_response("delete_email_identity", {}, {"EmailIdentity": "toko.example"})
    verifier.remove("toko.example", OWNER)


def test_the_simulator_verifies_at_once_but_for_its_magic_names(frozen_clock, monkeypatch):
    simulator = SimulatorIdentityVerifier()
    assert simulator.request("noreply@toko.example", OWNER) == IdentityState(VERIFIED, OWNER, ())
    domain = simulator.request("toko.example", OWNER)
    assert domain.status == VERIFIED and len(domain.dkim_tokens) == 3
    assert simulator.state("toko.example", None).status == ABSENT  # never asked
    assert simulator.request("pending@toko.example", OWNER).status == PENDING
    assert simulator.request("fail.toko.example", OWNER).status == FAILED
    monkeypatch.setenv("SIMULATOR_TIME_SCALE", "1")
    asked = clock.epoch()
    assert simulator.state("slow.toko.example", asked).status == PENDING
    frozen_clock.advance(10)
    assert simulator.state("slow.toko.example", asked).status == VERIFIED
