"""OCA's IVR audio routes (upload, list, delete; V1 and V2), the numbers collection, and the public
play URL an upload answers."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from tests.conftest import assert_oca_error

BOUNDARY = "----WebKitFormBoundaryKirimAudio"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 200


def _form(data: bytes, filename: str = "OCA Audio Rekam.mp3", field: str = "audio", content_type="audio/mpeg"):
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.mark.parametrize("version", [1, 2])
def test_upload_list_play_and_delete(shop, version):
    auth = shop.v2("ivr") if version == 2 else shop.v1()
    base = "/call/v2" if version == 2 else "/api/v1"
    raw, headers = _form(MP3)
    uploaded = shop.api.call("POST", f"{base}/upload-audio", raw=raw, headers={**auth, **headers})
    assert uploaded.status_code == 200, uploaded.body
    audio = uploaded.json_body
    # OCA's answer: id, filename, name, url, all strings.
    assert {k: type(audio[k]) for k in ("id", "filename", "name", "url")} == dict.fromkeys(
        ("id", "filename", "name", "url"), str)
    assert audio["name"] == "OCA Audio Rekam.mp3" and audio["filename"].endswith(".mp3")
    assert audio["url"].endswith(f"/audio/play/{audio['filename']}")
    listed = shop.api.call("GET", f"{base}/audio-list", headers=auth).json_body
    assert audio["id"] in [a["id"] for a in listed]
    # The URL plays without credentials: a redirect to the stored bytes.
    played = shop.api.call("GET", f"/audio/play/{audio['filename']}")
    assert played.status_code == 302
    import boto3

    from chalicelib.core.config import get_settings
    bucket = get_settings().report_bucket
    assert bucket in played.headers["Location"] and "audio/" + audio["filename"] in played.headers["Location"]
    stored = boto3.client("s3").get_object(Bucket=bucket, Key="audio/" + audio["filename"])
    assert stored["Body"].read() == MP3 and stored["ContentType"] == "audio/mpeg"
    # The IVR script listing never shows audio items (one table, two kinds).
    assert all("ivr_id" in s for s in shop.api.call("GET", f"{base}/ivr-list", headers=auth).json_body)
    deleted = shop.api.call("DELETE", f"{base}/delete-audio/{audio['id']}", headers=auth)
    assert deleted.status_code == 200 and deleted.json_body == {"success": True, "id": audio["id"]}
    assert audio["id"] not in [a["id"] for a in shop.api.call("GET", f"{base}/audio-list", headers=auth).json_body]
    assert_oca_error(shop.api.call("GET", f"/audio/play/{audio['filename']}"), 404, NOT_FOUND)
    assert_oca_error(shop.api.call("DELETE", f"{base}/delete-audio/{audio['id']}", headers=auth), 404, NOT_FOUND)


def test_wav_is_told_by_its_bytes_not_its_name(shop):
    raw, headers = _form(WAV, filename="pengumuman.mp3", content_type="audio/mpeg")
    audio = shop.api.call("POST", "/call/v2/upload-audio", raw=raw, headers={**shop.v2("ivr"), **headers}).json_body
    assert audio["filename"].endswith(".wav")


@pytest.mark.parametrize("data,filename,field", [
    (b"<html>not audio</html>", "a.mp3", "audio"),
    (b"MZ\x90\x00executable", "a.mp3", "audio"),
    (MP3, "a.mp3", "file"),          # OCA's field is `audio`
    (MP3 + b"\x00" * (4 * 1024 * 1024), "a.mp3", "audio"),
])
def test_refused_uploads_name_the_field(shop, data, filename, field):
    raw, headers = _form(data, filename=filename, field=field)
    response = shop.api.call("POST", "/call/v2/upload-audio", raw=raw, headers={**shop.v2("ivr"), **headers})
    assert_oca_error(response, 406, BAD_PARAMETER, "audio")


def test_another_applications_audio_cannot_be_deleted(shop, api):
    from tests.conftest import Shop
    raw, headers = _form(MP3)
    audio = shop.api.call("POST", "/call/v2/upload-audio", raw=raw, headers={**shop.v2("ivr"), **headers}).json_body
    other = Shop(api)
    assert_oca_error(api.call("DELETE", f"/call/v2/delete-audio/{audio['id']}", headers=other.v2("ivr")), 404,
                     NOT_FOUND)
    assert audio["id"] in [a["id"] for a in api.call("GET", "/call/v2/audio-list", headers=shop.v2("ivr")).json_body]


def test_numbers_collection_and_calls_from_it_only(shop):
    for path, auth in (("/call/v2/number", shop.v2("ivr")), ("/api/v1/number", shop.v1())):
        assert shop.api.call("GET", path, headers=auth).json_body == {"from_number": ["+622150001234"]}
    body = {"from_number": "02199999999", "to_number": "081234567890", "ivr_id": shop.ivr_id,
            "variable": {"name": "Budi", "order": "INV-7"}}
    assert_oca_error(shop.api.call("POST", "/call/v2/call", body, shop.v2("ivr")), 406, BAD_PARAMETER, "from_number")


def test_the_v2_masking_list(shop):
    assert shop.api.call("GET", "/sms/v2/masking", headers=shop.v2("sms_otp")).json_body == {
        "sender_id": ["KIRIM", "TOKO"]}
