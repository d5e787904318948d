"""IVR scripts: the text a call speaks, with {{variable}} placeholders the caller fills in.

Scripts never change once created and their ids are made here, so a warm container keeps
what it has read (misses too: an id that did not exist never will), bounded by an LRU.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator

from chalicelib.core import clock, validation
from chalicelib.core.errors import bad_parameter
from chalicelib.ivr.models import IvrScript

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
MAX_SCRIPT = 3000      # End User Messaging takes 3000 characters of text (6000 of SSML)
MAX_VALUE = 500        # a variable's value, counted as spoken (escaped in the SSML)


def required_variables(script: str) -> list[str]:
    """The placeholder names in order of first use, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(script)))


def create(application_id: str, body: dict[str, Any]) -> IvrScript:
    name = validation.string(body, "name", max_len=100)
    script = validation.string(body, "script", max_len=MAX_SCRIPT)
    if "{{" in PLACEHOLDER.sub("", script) or "}}" in PLACEHOLDER.sub("", script):
        raise bad_parameter("script", "Placeholders are {{name}}: letters, digits and _, starting with a letter",
                            "placeholder_format")
    _check_longest_call(script)
    from ulid import ULID

    item = IvrScript(application_id, str(ULID()), ivr_name=name, script=script,
                     required_variable=required_variables(script), created_at=clock.now_iso())
    item.save(condition=IvrScript.ivr_id.does_not_exist())
    return item


def _check_longest_call(script: str) -> None:
    """Every call of the script must fit End User Messaging's SSML limit, so the limit is checked
    here, with each variable at its longest (MAX_VALUE characters once escaped), not at call time."""
    from chalicelib.ivr.ssml import SSML_MAX, build_ssml

    longest = build_ssml(script, {name: "x" * MAX_VALUE for name in required_variables(script)}, limit=None)
    if len(longest) > SSML_MAX:
        raise bad_parameter("script", f"With every variable at its longest ({MAX_VALUE} characters), a call's SSML "
                                      f"would be {len(longest)} characters; End User Messaging takes {SSML_MAX}. "
                                      "Shorten the script, use fewer variables, or fewer & < > and quotes "
                                      "(each is spoken as several characters)", "script_too_long")


def list_for(application_id: str) -> Iterator[IvrScript]:
    return IvrScript.scripts_of(application_id)


@lru_cache(maxsize=1024)
def _get(application_id: str, ivr_id: str) -> IvrScript | None:
    try:
        return IvrScript.get(application_id, ivr_id)
    except IvrScript.DoesNotExist:
        return None


def get(application_id: str, ivr_id: Any) -> IvrScript:
    if not isinstance(ivr_id, str) or not ivr_id or len(ivr_id) > 64:
        raise bad_parameter("ivr_id", "ivr_id is required")
    script = _get(application_id, ivr_id)
    if script is None:
        raise bad_parameter("ivr_id", f"No IVR script {ivr_id!r} in this application")
    return script


def variables_for(script: IvrScript, value: Any) -> dict[str, str]:
    """The caller's `variable` object, checked against what the script needs."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise bad_parameter("variable", "variable must be an object of name: value")
    for name in script.required_variable:
        if name not in value:
            raise bad_parameter(f"variable.{name}", f"The IVR script needs variable {name!r}")
    from chalicelib.ivr.ssml import xml_text  # lazy: only calls need it

    clean = {}
    for name in script.required_variable:
        text = value[name]
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str) or not text.strip() or len(xml_text(text)) > MAX_VALUE:
            raise bad_parameter(f"variable.{name}", f"variable {name!r} must be text of 1 to {MAX_VALUE} characters "
                                                    "(& < > and quotes count as the several characters SSML spells "
                                                    "them with)")
        clean[name] = text
    return clean


def render(script: IvrScript) -> dict[str, Any]:
    return {"ivr_id": script.ivr_id, "ivr_name": script.ivr_name, "required_variable": list(script.required_variable),
            "created_at": script.created_at}
