"""Audio files for IVR (OCA's upload-audio, list and delete routes): a multipart `audio` file, MP3
or WAV told by its first bytes (never by its name or declared type), at most MAX_AUDIO_BYTES,
stored in the report bucket under audio/ and described by an item in the ivr table.

The answer's `url` plays the file to anyone holding it (OCA's URLs work the same way): the name is
a random UUID, and /audio/play/<filename> redirects to a presigned S3 URL valid LINK_SECONDS.
Kirim's calls speak SSML through End User Messaging, whose SSML (Amazon Polly's) has no <audio>:
the files are stored and served for OCA clients' flows, but a call cannot play them yet.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

from chalice.app import Request, Response

from chalicelib.core import aws, clock
from chalicelib.core.config import get_settings
from chalicelib.core.errors import bad_parameter, not_found
from chalicelib.ivr.models import AudioFile, audio_key
from chalicelib.web.request_url import base_url

MAX_AUDIO_BYTES = 4 * 1024 * 1024   # as base64 inside Lambda's 6 MB request payload
MAX_NAME = 255
LINK_SECONDS = 15 * 60
FIELD = "audio"
_PLAYABLE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(mp3|wav)")
_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_NAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\]")
AUDIO_NOT_FOUND = "Audio file not found"


def kind_of(data: bytes) -> tuple[str, str] | None:
    """("mp3", "audio/mpeg") or ("wav", "audio/wav") from the file's first bytes, else None."""
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06):
        return "mp3", "audio/mpeg"   # an ID3 tag, or an MPEG audio frame sync with a layer set
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav", "audio/wav"
    return None


def render(item: AudioFile, request: Request) -> dict[str, Any]:
    return {"id": item.audio_id, "filename": item.filename, "name": item.name,
            "url": f"{base_url(request)}/audio/play/{item.filename}", "size": int(item.size),
            "created_at": item.created_at}


def upload(application_id: str, request: Request) -> dict[str, Any]:
    from chalicelib.web.bodies import fields_and_files

    fields, files = fields_and_files(request)
    if FIELD not in files:
        raise bad_parameter(FIELD, f"{FIELD} is required: an MP3 or WAV file sent as multipart/form-data")
    name, _declared_type, data = files[FIELD]
    if not data:
        raise bad_parameter(FIELD, f"{FIELD} is empty")
    if len(data) > MAX_AUDIO_BYTES:
        raise bad_parameter(FIELD, f"{FIELD} is larger than {MAX_AUDIO_BYTES} bytes")
    kind = kind_of(data)
    if kind is None:
        raise bad_parameter(FIELD, f"{FIELD} must be an MP3 or WAV file (its content is neither)")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or _NAME_BAD.search(name):
        raise bad_parameter(FIELD, f"{FIELD} needs a file name of 1 to {MAX_NAME} characters, without paths")
    extension, content_type = kind
    from ulid import ULID

    filename = f"{uuid.uuid4()}.{extension}"
    # The bytes first: a failure between the two writes leaves an unlisted object, never a listed
    # file that does not play.
    aws.client("s3").put_object(Bucket=get_settings().report_bucket, Key=audio_key(filename), Body=data,
                                ContentType=content_type)
    item = AudioFile(application_id, AudioFile.key(str(ULID())), filename=filename, name=name,
                     content_type=content_type, size=len(data), created_at=clock.now_iso())
    item.save(condition=AudioFile.sk.does_not_exist())
    return render(item, request)


def list_for(application_id: str, request: Request) -> list[dict[str, Any]]:
    return [render(item, request) for item in AudioFile.files_of(application_id)]


def delete(application_id: str, audio_id: str) -> dict[str, Any]:
    if not _ID.fullmatch(audio_id or ""):
        raise not_found(AUDIO_NOT_FOUND)
    try:
        item = AudioFile.get(application_id, AudioFile.key(audio_id), consistent_read=True)
    except AudioFile.DoesNotExist:
        raise not_found(AUDIO_NOT_FOUND) from None
    item.delete()
    aws.client("s3").delete_object(Bucket=get_settings().report_bucket, Key=audio_key(item.filename))
    return {"success": True, "id": audio_id}


def play(filename: str) -> Response:
    """A redirect to the file, for a player following an upload's `url`."""
    if not _PLAYABLE.fullmatch(filename or ""):
        raise not_found(AUDIO_NOT_FOUND)
    s3 = aws.client("s3")
    bucket = get_settings().report_bucket
    try:  # one byte, to answer 404 for a deleted file rather than redirect to S3's error page
        s3.get_object(Bucket=bucket, Key=audio_key(filename), Range="bytes=0-0")["Body"].close()
    except s3.exceptions.ClientError:
        raise not_found(AUDIO_NOT_FOUND) from None
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": audio_key(filename)},
                                    ExpiresIn=LINK_SECONDS)
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})
