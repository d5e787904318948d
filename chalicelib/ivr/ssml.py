"""SSML for IVR calls: the script spoken as `<speak>...</speak>`, its {{variables}} filled in.

The script and the values are plain text: both are escaped (xml.sax.saxutils), so the result
is valid XML and no value can inject SSML tags.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

SSML_MAX = 6000  # End User Messaging's VoiceMessageBody limit for SSML (service model)

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
# Characters XML 1.0 forbids even when escaped: they are dropped, not escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Beyond & < >: quotes, and CR as a reference so a parser keeps it rather than turning it into LF.
_ENTITIES = {'"': "&quot;", "'": "&apos;", "\r": "&#13;"}


class MissingVariables(ValueError):
    """The script names variables that were not given; `names` lists all of them, sorted."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("missing variables: " + ", ".join(names))
        self.names = names


def xml_text(value: str) -> str:
    """Text safe inside an XML element: escaped, with XML-forbidden characters removed."""
    return escape(_NOT_XML.sub("", value), _ENTITIES)


def build_ssml(script: str, variables: Mapping[str, str], limit: int | None = SSML_MAX) -> str:
    """Substitution is one pass: a value that itself looks like `{{x}}` is spoken as written.
    Raises MissingVariables (a ValueError) naming every placeholder without a value, and
    ValueError when the SSML exceeds SSML_MAX characters."""
    missing = sorted({name for name in _PLACEHOLDER.findall(script) if name not in variables})
    if missing:
        raise MissingVariables(missing)
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(script):
        parts.append(xml_text(script[last:match.start()]))
        parts.append(xml_text(str(variables[match.group(1)])))
        last = match.end()
    parts.append(xml_text(script[last:]))
    ssml = "<speak>" + "".join(parts) + "</speak>"
    if limit is not None and len(ssml) > limit:
        raise ValueError(f"SSML is {len(ssml)} characters; the limit is {limit}")
    return ssml
