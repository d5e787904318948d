"""The console's message catalogue (console/src/locales/, one file per language, English text as the key, ICU
plurals): both languages have the same keys and the same placeholders, and every t('…') in the console's
source is in it (a string missing there would show in English on the Indonesian page)."""
from __future__ import annotations

import json
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "console" / "src"


def _load(lang: str) -> dict[str, str]:
    return json.loads((SRC / "locales" / f"{lang}.json").read_text("utf-8"))


def _placeholders(message: str) -> set[str]:
    # {{1}} and {{variable}} are WhatsApp's own words, not ours
    return set(re.findall(r"(?<!\{)\{\s*(\w+)\s*[,}](?!\})", message))


def test_both_languages_have_the_same_keys():
    en, id_ = _load("en"), _load("id")
    assert sorted(set(en) - set(id_)) == [], "English entries with no Indonesian"
    assert sorted(set(id_) - set(en)) == [], "Indonesian entries with no English"


def test_every_entry_keeps_its_placeholders_and_plurals_have_other():
    for lang in ("en", "id"):
        for key, message in _load(lang).items():
            assert message.strip(), (lang, key)
            assert _placeholders(message) == _placeholders(key), (lang, key, message)
            if re.search(r",\s*plural\s*,", message):
                assert re.search(r"\bother\s*\{", message), (lang, key, message)


def test_every_string_of_the_source_is_in_the_catalogue():
    en = _load("en")
    missing = set()
    for path in SRC.rglob("*.ts*"):
        if path.name == "openapi.d.ts":
            continue
        for match in re.finditer(r"""\bt\(\s*(['"])((?:(?!\1)[^\\]|\\.)*)\1""", path.read_text("utf-8")):
            key = re.sub(r"\\(.)", r"\1", match.group(2))
            if key not in en:
                missing.add(f"{path.name}: {key}")
    assert sorted(missing) == []
