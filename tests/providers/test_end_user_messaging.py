"""EumSmsProvider through botocore's Stubber (which validates against the real service model),
and build_ssml."""
from __future__ import annotations

from xml.etree import ElementTree

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.ivr.ssml import MissingVariables, build_ssml
from chalicelib.providers.base import Outbound, ProviderRejected, ProviderUnavailable, ProviderUnsure
from chalicelib.providers.end_user_messaging import OPTED_OUT, EumSmsProvider

KIRIM_ID = "01J9Z3K6W8QF2M4T7V0XYZABCD"
OTP_ARN = "arn:aws:sms-voice:us-east-1:111122223333:sender-id/KIRIM/ID"


def client():
    return boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x")


def provider(sms_client, **options) -> EumSmsProvider:
    defaults = {"configuration_set": "kirim-sms", "sender_identities": {"KIRIM": OTP_ARN},
                "default_origination_identity": "pool-abc", "default_voice_identity": "+6221500000"}
    return EumSmsProvider(sms_client, **{**defaults, **options})


def sms(**overrides) -> Outbound:
    fields = {"message_id": KIRIM_ID, "channel": "sms", "target": "+6281234567890", "text": "Halo Budi"}
    return Outbound(**{**fields, **overrides})


def test_plain_sms_request():
    sms_client = client()
    with Stubber(sms_client) as stubber:
        stubber.add_response("send_text_message", {"MessageId": "m-1"}, {
            "DestinationPhoneNumber": "+6281234567890", "MessageBody": "Halo Budi",
            "MessageType": "TRANSACTIONAL", "OriginationIdentity": "pool-abc",
            "ConfigurationSetName": "kirim-sms", "Context": {"kirim_id": KIRIM_ID},
        })
        assert provider(sms_client).send(sms()) == "m-1"
        stubber.assert_no_pending_responses()


def test_plain_sms_message_type_option_and_no_origination():
    sms_client = client()
    with Stubber(sms_client) as stubber:
        stubber.add_response("send_text_message", {"MessageId": "m-2"}, {
            "DestinationPhoneNumber": "+6281234567890", "MessageBody": "Promo",
            "MessageType": "PROMOTIONAL", "Context": {"kirim_id": KIRIM_ID},
        })
        plain = EumSmsProvider(sms_client, sms_message_type="PROMOTIONAL")
        assert plain.send(sms(text="Promo")) == "m-2"


def test_otp_is_transactional_under_the_mapped_masking():
    sms_client = client()
    with Stubber(sms_client) as stubber:
        stubber.add_response("send_text_message", {"MessageId": "otp-1"}, {
            "DestinationPhoneNumber": "+6281234567890", "MessageBody": "Kode 123456",
            "MessageType": "TRANSACTIONAL", "OriginationIdentity": OTP_ARN,
            "ConfigurationSetName": "kirim-sms", "Context": {"kirim_id": KIRIM_ID},
        })
        otp = sms(channel="sms_otp", sender_id="KIRIM", text="Kode 123456")
        # Even when plain SMS is configured as promotional.
        assert provider(sms_client, sms_message_type="PROMOTIONAL").send(otp) == "otp-1"


def test_otp_with_an_unmapped_masking_uses_the_name_as_sender_id():
    sms_client = client()
    with Stubber(sms_client) as stubber:
        stubber.add_response("send_text_message", {"MessageId": "otp-2"}, {
            "DestinationPhoneNumber": "+6281234567890", "MessageBody": "Kode 1",
            "MessageType": "TRANSACTIONAL", "OriginationIdentity": "TOKOBUDI",
            "ConfigurationSetName": "kirim-sms", "Context": {"kirim_id": KIRIM_ID},
        })
        provider(sms_client).send(sms(channel="sms_otp", sender_id="TOKOBUDI", text="Kode 1"))


def test_ivr_sends_ssml_built_by_build_ssml():
    ssml = build_ssml("Halo {{name}}, pesanan {{order}} siap.", {"name": "Budi & Ani", "order": "<INV-1>"})
    sms_client = client()
    with Stubber(sms_client) as stubber:
        stubber.add_response("send_voice_message", {"MessageId": "call-1"}, {
            "DestinationPhoneNumber": "+6281234567890", "OriginationIdentity": "+6221999999",
            "MessageBody": "<speak>Halo Budi &amp; Ani, pesanan &lt;INV-1&gt; siap.</speak>",
            "MessageBodyTextType": "SSML", "VoiceId": "JOANNA",
            "ConfigurationSetName": "kirim-sms", "Context": {"kirim_id": KIRIM_ID},
        })
        call = sms(channel="ivr", text=None, ssml=ssml, from_number="+6221999999")
        assert provider(sms_client, voice_id="JOANNA").send(call) == "call-1"


def test_ivr_defaults_to_the_voice_identity_and_omits_voice_id():
    sms_client = client()
    with Stubber(sms_client) as stubber:
        stubber.add_response("send_voice_message", {"MessageId": "call-2"}, {
            "DestinationPhoneNumber": "+6281234567890", "OriginationIdentity": "+6221500000",
            "MessageBody": "<speak>Halo</speak>", "MessageBodyTextType": "SSML",
            "ConfigurationSetName": "kirim-sms", "Context": {"kirim_id": KIRIM_ID},
        })
        provider(sms_client).send(sms(channel="ivr", text=None, ssml="<speak>Halo</speak>"))


def test_ivr_without_any_caller_id_is_rejected_before_calling():
    sms_client = client()
    # No response queued: any call would fail the test.
    with Stubber(sms_client), pytest.raises(ProviderRejected):
        EumSmsProvider(sms_client).send(sms(channel="ivr", ssml="<speak>x</speak>"))


@pytest.mark.parametrize("code, status, modeled, expected", [
    ("ValidationException", 400, {"Reason": "INVALID_PARAMETER"}, ProviderRejected),
    ("ConflictException", 400, {"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT"}, ProviderRejected),
    ("ConflictException", 400, {"Reason": "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"}, ProviderRejected),
    ("ResourceNotFoundException", 404, {"ResourceType": "sender-id"}, ProviderRejected),
    ("ThrottlingException", 400, {}, ProviderUnavailable),
    ("ServiceQuotaExceededException", 400, {"Reason": "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"}, ProviderUnavailable),
    ("AccessDeniedException", 400, {"Reason": "ACCOUNT_DISABLED"}, ProviderUnavailable),
    ("InternalServerException", 500, {}, ProviderUnsure),    # it may have been sent
])
def test_errors_are_classified(code, status, modeled, expected):
    sms_client = client()
    with Stubber(sms_client) as stubber:
        stubber.add_client_error("send_text_message", service_error_code=code, service_message="nope",
                                 http_status_code=status, modeled_fields=modeled or None)
        with pytest.raises(expected) as caught:
            provider(sms_client).send(sms())
        assert type(caught.value) is expected
        if expected is ProviderRejected:
            # An opted-out recipient is told apart, so the suppression list learns it.
            opted_out = modeled.get("Reason") == "DESTINATION_PHONE_NUMBER_OPTED_OUT"
            assert caught.value.provider_status == (OPTED_OUT if opted_out else code)
            if "Reason" in modeled:
                assert modeled["Reason"] in caught.value.reason


def test_empty_text_is_rejected_by_validation():
    sms_client = client()  # no Stubber: botocore's own validation runs before anything is sent

    def never_sent(**_):
        raise AssertionError("the request reached the network")

    sms_client.meta.events.register("before-send", never_sent)
    with pytest.raises(ProviderRejected) as caught:
        provider(sms_client).send(sms(text=""))  # MessageBody min 1 (botocore checks no max)
    assert caught.value.provider_status == "ParamValidation"


@pytest.mark.parametrize("error, expected", [
    (botocore.exceptions.ReadTimeoutError(endpoint_url="x"), ProviderUnsure),          # sent, unanswered
    (botocore.exceptions.ConnectionClosedError(endpoint_url="x"), ProviderUnsure),
    (botocore.exceptions.EndpointConnectionError(endpoint_url="x"), ProviderUnavailable),  # never sent
    (botocore.exceptions.ConnectTimeoutError(endpoint_url="x"), ProviderUnavailable),
])
def test_no_answer_is_unsure_and_no_connection_unavailable(monkeypatch, error, expected):
    sms_client = client()

    def fail(**_):
        raise error

    monkeypatch.setattr(sms_client, "send_voice_message", fail)
    with pytest.raises(ProviderUnavailable) as caught:
        provider(sms_client).send(sms(channel="ivr", ssml="<speak>x</speak>"))
    assert type(caught.value) is expected


# --- build_ssml ---

def test_build_ssml_escapes_script_and_values():
    ssml = build_ssml('Tom & "Jerry" {{a}} <b>', {"a": "x < y & 'z' > \"w\""})
    root = ElementTree.fromstring(ssml)
    assert root.tag == "speak"
    assert root.text == 'Tom & "Jerry" x < y & \'z\' > "w" <b>'
    assert "<b>" not in ssml


def test_build_ssml_values_cannot_inject_tags_or_placeholders():
    ssml = build_ssml("{{a}} {{ b }}", {"a": '<break time="3s"/>', "b": "{{a}}"})
    root = ElementTree.fromstring(ssml)
    assert list(root) == []  # no child elements
    assert root.text == '<break time="3s"/> {{a}}'


def test_build_ssml_missing_variables_are_all_named():
    with pytest.raises(MissingVariables) as caught:
        build_ssml("{{name}} {{order}} {{name}} {{otp}}", {"order": "1"})
    assert caught.value.names == ["name", "otp"]
    assert isinstance(caught.value, ValueError)


def test_build_ssml_length_limit():
    assert len(build_ssml("x" * (6000 - len("<speak></speak>")), {})) == 6000
    with pytest.raises(ValueError):
        build_ssml("x" * (6001 - len("<speak></speak>")), {})
    with pytest.raises(ValueError):  # escaping counts: '&' becomes 5 characters
        build_ssml("{{v}}", {"v": "&" * 1200})


def test_build_ssml_drops_characters_xml_cannot_hold():
    ssml = build_ssml("a\x00b{{v}}", {"v": "c\x1bd\ud800e\r\nf"})
    assert ElementTree.fromstring(ssml).text == "abcde\r\nf"


def _xml_char(ch: str) -> bool:
    """XML 1.0's Char production, written from the spec: what a document may hold at all."""
    code = ord(ch)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def _kept(text: str) -> str:
    return "".join(ch for ch in text if _xml_char(ch))


@settings(max_examples=200, deadline=None)
@given(script=st.text(max_size=200).filter(lambda s: "{" not in s and "}" not in s),
       values=st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True), st.text(max_size=200),
                              max_size=4))
def test_build_ssml_is_always_valid_xml_holding_exactly_the_script_and_values(script, values):
    template = script + "".join(f" {{{{{name}}}}}" for name in values)
    root = ElementTree.fromstring(build_ssml(template, values))
    assert root.tag == "speak" and list(root) == []
    # Exactly the text, every character kept but those XML cannot hold (CR included, not
    # turned into LF), each value in its place, once, and nothing of it read as markup.
    assert (root.text or "") == _kept(script) + "".join(" " + _kept(value) for value in values.values())
