"""The console's TypeScript types are generated from the OpenAPI document (local/console_types.py, run by
console/build.py): the committed console/src/api/openapi.d.ts is exactly a fresh generation, it covers the
dashboard and every named schema, and a change to the document makes it stale."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from local import console_types
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def source() -> str:
    return console_types.source_json()


def test_the_committed_types_are_a_fresh_generation_of_the_document(source):
    assert console_types.TYPES.read_text(encoding="utf-8") == console_types.generate(source), \
        "console/src/api/openapi.d.ts is stale: run `python -m local.console_types` (make console does) and commit it"
    if os.environ.get("CI") and (ROOT / ".git").exists():
        # In CI's fresh clone, the file the build may have just rewritten must be the committed one too.
        committed = subprocess.run(["git", "show", f"HEAD:{console_types.TYPES.relative_to(ROOT)}"], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout
        assert committed == console_types.TYPES.read_text(encoding="utf-8"), "commit console/src/api/openapi.d.ts"


def test_the_types_cover_the_dashboard_and_every_named_schema_but_not_ocas_routes(source):
    from chalicelib.apidocs.openapi import document

    part = json.loads(source)
    assert part["components"] == document()["components"]
    assert "/applications/{application_id}/whatsapp/templates" in part["paths"] and "/auth/login" in part["paths"]
    assert not any(path.startswith(("/api/", "/sms/", "/console", "/docs", "/webhooks")) for path in part["paths"])
    text = console_types.TYPES.read_text(encoding="utf-8")
    for name in document()["components"]["schemas"]:
        assert f"\n        {name}: " in text, name
    assert '"/applications/{application_id}/overview": {' in text and '"/api/v2/push/message"' not in text


def test_a_change_to_the_document_makes_the_file_stale(source, monkeypatch):
    assert console_types.is_current(source)
    assert console_types.main(["--check"]) == 0
    changed = source.replace('"Active"', '"Enabled"')
    assert changed != source and not console_types.is_current(changed)
    monkeypatch.setattr(console_types, "source_json", lambda: changed)
    assert console_types.main(["--check"]) == 1
    assert console_types.TYPES.read_text(encoding="utf-8").startswith(console_types.HEADER.format(
        hash=console_types.source_hash(source)))  # --check writes nothing
    # The generator's version is part of what the file was made from.
    monkeypatch.setattr(console_types, "_generator_version", lambda: "0.0.0")
    assert not console_types.is_current(source)
