"""Small builders for the OpenAPI document's JSON Schemas (OpenAPI 3.1 uses JSON Schema 2020-12)."""
from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A named schema of components.schemas (the console's types are generated from these names)."""
    return {"$ref": f"#/components/schemas/{name}"}


def string(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def nullable(schema: Schema) -> Schema:
    """`schema` or null. A list of allowed values (enum, const) or a $ref cannot take null in its type, so
    those become anyOf."""
    if "type" in schema and not {"enum", "const"} & schema.keys():
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], required: list[str] | tuple[str, ...] = (), **extra: Any) -> Schema:
    """An object; Kirim's extras may be added inside objects, so other keys are allowed unless said."""
    schema: Schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


TIME = string(format="date-time", description="ISO 8601, UTC, with a Z")
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TRUE = {"type": "boolean", "const": True}
