"""SesEmailProvider on moto's SES v2, plus botocore's Stubber for the failures moto cannot make."""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import parseaddr

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.providers.base import Attachment, Outbound, ProviderRejected, ProviderUnavailable
from chalicelib.providers.ses_email import SesEmailProvider, from_address

REGION = "us-east-1"
SENDER = "halo@kirim.dev"
KIRIM_ID = "01J9Z3K6W8QF2M4T7V0XYZABCD"


def email(**overrides) -> Outbound:
    fields = {
        "message_id": KIRIM_ID, "channel": "email", "target": "budi@example.com",
        "sender_email": SENDER, "sender_name": "Toko Śląsk – Kirim", "subject": "Pesanan INV-1 ✓",
        "html": "<p>Halo <b>Budi</b></p>",
        "attachment": Attachment("invoice.pdf", "application/pdf", b"%PDF-1.4 fake"),
    }
    return Outbound(**{**fields, **overrides})


@dataclass
class Ses:
    client: object
    configuration_set: str
    first: int  # moto's sent_messages before this test: the session's moto may hold other tests' mail
    requests: list[dict] = field(default_factory=list)

    def delivered(self) -> list:
        """What moto recorded as sent during this test."""
        return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[self.first:]


@pytest.fixture
def ses():
    """moto's sesv2 with a verified sender and a configuration set of this test's own.

    Names are unique because mock_aws nests: inside the suite's session-wide moto, state is shared."""
    with mock_aws():
        client = boto3.client("sesv2", region_name=REGION)
        client.create_email_identity(EmailIdentity=SENDER)
        configuration_set = f"kirim-events-{uuid.uuid4().hex[:8]}"
        client.create_configuration_set(ConfigurationSetName=configuration_set)
        state = Ses(client, configuration_set, len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages))
        # moto's Simple path drops tags and attachments, so the wire body is captured too.
        client.meta.events.register(
            "before-call.sesv2.SendEmail", lambda params, **_: state.requests.append(json.loads(params["body"]))
        )
        yield state


def test_send_reaches_ses_with_tag_subject_html_attachment_and_encoded_name(ses):
    provider = SesEmailProvider(ses.client, configuration_set=ses.configuration_set)

    message_id = provider.send(email())

    [recorded] = ses.delivered()
    assert recorded.id == message_id
    assert recorded.subject == "Pesanan INV-1 ✓"
    assert recorded.body == "<p>Halo <b>Budi</b></p>"
    assert recorded.destinations == {"ToAddresses": ["budi@example.com"]}
    # The From header is pure ASCII, with the non-ASCII name as an RFC 2047 encoded word.
    assert recorded.source.isascii() and "=?utf-8?" in recorded.source
    name, address = parseaddr(recorded.source)
    assert address == SENDER
    assert str(make_header(decode_header(name))) == "Toko Śląsk – Kirim"

    [body] = ses.requests
    assert body["EmailTags"] == [{"Name": "kirim_id", "Value": KIRIM_ID}]
    assert body["ConfigurationSetName"] == ses.configuration_set
    simple = body["Content"]["Simple"]
    assert simple["Subject"] == {"Data": "Pesanan INV-1 ✓", "Charset": "UTF-8"}
    assert simple["Body"] == {"Html": {"Data": "<p>Halo <b>Budi</b></p>", "Charset": "UTF-8"}}
    [attachment] = simple["Attachments"]
    assert base64.b64decode(attachment["RawContent"]) == b"%PDF-1.4 fake"
    assert attachment["FileName"] == "invoice.pdf"
    assert attachment["ContentType"] == "application/pdf"
    assert attachment["ContentDisposition"] == "ATTACHMENT"


def test_send_without_attachment_or_configuration_set(ses):
    SesEmailProvider(ses.client).send(email(attachment=None, sender_name="Kirim"))
    [body] = ses.requests
    assert "Attachments" not in body["Content"]["Simple"]
    assert "ConfigurationSetName" not in body
    assert body["FromEmailAddress"] == f"Kirim <{SENDER}>"
    assert len(ses.delivered()) == 1


def test_extra_headers_go_as_simple_contents_headers(ses):
    """A broadcast's List-Unsubscribe pair (RFC 8058) reaches SES on the wire; an email without any sends none."""
    unsubscribe = {"List-Unsubscribe": "<https://api.kirim.example/unsubscribe/0~abc.def>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    SesEmailProvider(ses.client).send(email(attachment=None, headers=unsubscribe))
    SesEmailProvider(ses.client).send(email(attachment=None))
    with_headers, without = ses.requests
    assert with_headers["Content"]["Simple"]["Headers"] == [
        {"Name": "List-Unsubscribe", "Value": "<https://api.kirim.example/unsubscribe/0~abc.def>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}]
    assert "Headers" not in without["Content"]["Simple"]
    assert len(ses.delivered()) == 2


def test_unverified_sender_is_rejected(ses):
    with pytest.raises(ProviderRejected) as caught:
        SesEmailProvider(ses.client).send(email(sender_email="stranger@elsewhere.example"))
    assert caught.value.provider_status == "MessageRejected"
    assert ses.delivered() == []


def test_message_id_that_is_not_a_valid_tag_is_refused_before_sending(ses):
    with pytest.raises(ProviderRejected) as caught:
        SesEmailProvider(ses.client).send(email(message_id="has space"))
    assert caught.value.provider_status == "InvalidTag"
    assert ses.requests == []


@pytest.mark.parametrize("name, expected", [
    ("Kirim", f"Kirim <{SENDER}>"),
    ('Toko "Budi", Jakarta', f'"Toko \\"Budi\\", Jakarta" <{SENDER}>'),
    ("", SENDER),
    (None, SENDER),
    ("Evil\r\nBcc: x@y.z", f'"Evil Bcc: x@y.z" <{SENDER}>'),  # no header injection
])
def test_from_address(name, expected):
    assert from_address(name, SENDER) == expected


def stubbed_client():
    return boto3.client("sesv2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")


@pytest.mark.parametrize("code, status, unavailable", [
    ("TooManyRequestsException", 429, True),
    ("LimitExceededException", 400, True),
    ("SendingPausedException", 400, True),
    ("NotFoundException", 404, True),
    ("InternalFailure", 500, True),
    ("MessageRejected", 400, False),
    ("MailFromDomainNotVerifiedException", 400, False),
    ("BadRequestException", 400, False),
    ("AccountSuspendedException", 400, False),
])
def test_client_errors_are_classified(code, status, unavailable):
    client = stubbed_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code=code, service_message="nope",
                                 http_status_code=status)
        expected = ProviderUnavailable if unavailable else ProviderRejected
        with pytest.raises(expected) as caught:
            SesEmailProvider(client).send(email())
        if not unavailable:
            assert caught.value.provider_status == code
        stubber.assert_no_pending_responses()


def test_stubbed_success_sends_the_exact_request():
    client = stubbed_client()
    message = email(attachment=None, sender_name="Kirim")
    with Stubber(client) as stubber:
        stubber.add_response("send_email", {"MessageId": "ses-1"}, {
            "FromEmailAddress": f"Kirim <{SENDER}>",
            "Destination": {"ToAddresses": ["budi@example.com"]},
            "Content": {"Simple": {
                "Subject": {"Data": "Pesanan INV-1 ✓", "Charset": "UTF-8"},
                "Body": {"Html": {"Data": "<p>Halo <b>Budi</b></p>", "Charset": "UTF-8"}},
            }},
            "EmailTags": [{"Name": "kirim_id", "Value": KIRIM_ID}],
            "ConfigurationSetName": "cs",
        })
        assert SesEmailProvider(client, configuration_set="cs").send(message) == "ses-1"


@pytest.mark.parametrize("error", [
    botocore.exceptions.ReadTimeoutError(endpoint_url="x"),
    botocore.exceptions.ConnectTimeoutError(endpoint_url="x"),
    botocore.exceptions.EndpointConnectionError(endpoint_url="x"),
])
def test_transport_errors_are_unavailable(error, monkeypatch):
    client = stubbed_client()

    def fail(**_):
        raise error

    monkeypatch.setattr(client, "send_email", fail)
    with pytest.raises(ProviderUnavailable):
        SesEmailProvider(client).send(email())


def test_default_client_is_lazy_with_short_timeouts():
    provider = SesEmailProvider()
    assert provider._client is None
    client = provider.client
    # The client the provider builds carries short timeouts, not botocore's 60 s defaults, and
    # no retry: a resent email could arrive twice (sending.dispatch decides what is sent again).
    assert client.meta.service_model.service_name == "sesv2"
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (2, 4)
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert provider.client is client  # built once
