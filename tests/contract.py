"""Every dashboard answer the tests receive is checked against the OpenAPI document, the way schemathesis checks
the answers it gets from `make run`'s stack: its status must be documented for the operation and its JSON body
must conform to the documented schema (formats included). schemathesis fuzzes only the demo account; the slices'
tests reach the states it never sees (rejected templates, failed reports, message histories, ...), so the
document's precise schemas are held to what the app really answers there too. tests/conftest.py's Api.call
runs it on every call.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

ROOT_URI = "urn:kirim:openapi"


@lru_cache(maxsize=1)
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, dict[str, Any]]]]:
    """(path regex, path, operations), literal paths first so /templates/preview beats /templates/{id}."""
    from chalicelib.apidocs.openapi import document

    found = []
    for path, operations in document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        found.append((pattern, path, operations))
    return sorted(found, key=lambda item: item[1].count("{"))


@lru_cache(maxsize=1)
def _registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from chalicelib.apidocs.openapi import document

    return Registry().with_resource(ROOT_URI, Resource.from_contents(document(), default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@lru_cache(maxsize=256)
def _validator(pointer: str) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator({"$ref": f"{ROOT_URI}#/{pointer}"}, registry=_registry(),
                                format_checker=FormatChecker())


def operation_of(method: str, url: str) -> tuple[str, dict[str, Any]] | None:
    path = url.split("?", 1)[0]
    for pattern, template, operations in _operations():
        if pattern.match(path):
            operation = operations.get(method.lower())
            return (template, operation) if operation else None
    return None


def check_dashboard_answer(method: str, url: str, status: int, content_type: str | None, body: bytes) -> None:
    """AssertionError when a dashboard operation answers something its document does not say."""
    found = operation_of(method, url)
    if found is None or "x-oca" in found[1]:
        return  # not a dashboard operation (OCA's routes have their own tests and schemathesis)
    template, operation = found
    label = f"{method.upper()} {url} -> {status}"
    responses = operation["responses"]
    assert str(status) in responses, f"{label}: status not in the document ({sorted(responses)})"
    media = (responses[str(status)].get("content") or {})
    if "application/json" not in media:
        return
    # Chalice's test client leaves out the Content-Type the gateway adds to a dict answer (application/json).
    assert content_type is None or content_type.startswith("application/json"), f"{label}: Content-Type {content_type}"
    pointer = _pointer("paths", template, method.lower(), "responses", str(status), "content", "application/json",
                       "schema")
    errors = sorted(_validator(pointer).iter_errors(json.loads(body)), key=lambda e: list(e.absolute_path))
    assert not errors, f"{label}: the answer does not conform to the document:\n" + "\n".join(map(_why, errors[:5]))


def _why(error: Any) -> str:
    # anyOf (a nullable part): each branch's reason, so "issued_at is required" is not hidden by "not null"
    reasons = " / ".join(branch.message[:200] for branch in error.context) if error.context else error.message[:300]
    return f"  at {'/'.join(map(str, error.absolute_path)) or '(root)'}: {reasons}"
