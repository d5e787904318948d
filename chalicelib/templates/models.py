"""The templates table: a WhatsApp template (sk "tpl#<template_id>") or a name lock
(sk "name#<name>#<language>") per item. GetItem by application and sk; Query "tpl#" to list;
Query `by_provider_template` for Meta's review webhook."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, MapAttribute, UnicodeAttribute
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.config import get_settings
from chalicelib.core.db import BaseMeta, index

TEMPLATE_PREFIX = "tpl#"


class Template(Model):
    """`content` holds header, body, footer, buttons and authentication (docs/whatsapp-templates.md)."""

    class Meta(BaseMeta):
        table_name = get_settings().templates_table

    application_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    template_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    content = MapAttribute(null=True)
    accept_terms = BooleanAttribute(null=True)
    rejection_reason = UnicodeAttribute(null=True)
    provider_template_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    by_provider_template = index("by_provider_template", "provider_template_id", projection=KeysOnlyProjection())

    @staticmethod
    def template_key(template_id: str) -> str:
        return TEMPLATE_PREFIX + template_id

    @staticmethod
    def name_key(name: str, language: str) -> str:
        return f"name#{name}#{language}"
