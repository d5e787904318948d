"""The ivr table, keyed by application: its IVR scripts (sort key: the script's ULID) and its
uploaded audio files (sort key "audio#<ULID>"). ULIDs are upper-case letters and digits, so every
script sorts before the lower-case "audio#" prefix: one Query reads either kind, never both."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import strings, table

AUDIO_PREFIX = "audio#"


class IvrScript(Model):
    Meta = table("ivr_table")

    application_id = UnicodeAttribute(hash_key=True)
    ivr_id = UnicodeAttribute(range_key=True)
    ivr_name, script, created_at = strings(3)
    required_variable = ListAttribute(of=UnicodeAttribute)

    @classmethod
    def scripts_of(cls, application_id: str):  # noqa: ANN206 - a PynamoDB result iterator
        return cls.query(application_id, cls.ivr_id < AUDIO_PREFIX)


class AudioFile(Model):
    """An uploaded audio file; the bytes are in the report bucket at audio_key(filename)."""

    Meta = table("ivr_table")

    application_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, attr_name="ivr_id")
    filename, name, content_type, created_at = strings(4)
    size = NumberAttribute()

    @staticmethod
    def key(audio_id: str) -> str:
        return AUDIO_PREFIX + audio_id

    @property
    def audio_id(self) -> str:
        return self.sk.removeprefix(AUDIO_PREFIX)

    @classmethod
    def files_of(cls, application_id: str):  # noqa: ANN206 - a PynamoDB result iterator
        return cls.query(application_id, cls.sk.startswith(AUDIO_PREFIX))


def audio_key(filename: str) -> str:
    """Where the file's bytes are in the bucket (never expired by the bucket's lifecycle rules)."""
    return f"audio/{filename}"
