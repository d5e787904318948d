"""The templates table: a WhatsApp template (sk "tpl#<template_id>") or a name lock
(sk "name#<name>#<language>") per item. GetItem by application and sk; Query "tpl#" to list;
Query `by_provider_template` for Meta's review webhook."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, MapAttribute, UnicodeAttribute
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.db import index, numbers, strings, table

TEMPLATE_PREFIX = "tpl#"


class Template(Model):
    """`content` holds header, body, footer, buttons and authentication (docs/whatsapp-templates.md)."""

    Meta = table("templates_table")

    application_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # A name lock carries only template_id, so every attribute is optional.
    template_id, name, language, category, status = strings(5, null=True)
    rejection_reason, provider_template_id, created_at, updated_at = strings(4, null=True)
    content = MapAttribute(null=True)
    accept_terms = BooleanAttribute(null=True)
    # `version` grows with every edit; `submitted_version` is the version Meta was given at
    # `submitted_at`, and `review_at` the time (Meta's, epoch seconds) of the newest review of
    # that submission: a review older than either, or an approval of content edited since, is
    # stale and dropped.
    version, submitted_version, submitted_at, review_at = numbers(4, null=True)
    write_id = UnicodeAttribute(null=True)  # core.db.update_if's mark
    by_provider_template = index("by_provider_template", "provider_template_id", projection=KeysOnlyProjection())

    @staticmethod
    def template_key(template_id: str) -> str:
        return TEMPLATE_PREFIX + template_id

    @staticmethod
    def name_key(name: str, language: str) -> str:
        return f"name#{name}#{language}"
