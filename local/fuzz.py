"""Fuzz a running Kirim with schemathesis, from its own /openapi.json, with the demo account's credentials
(`make run` writes them to .kirim/demo.env):

    python -m local.fuzz http://127.0.0.1:8000 .kirim/demo.env

Every operation gets its documented examples, then generated valid and invalid requests (a fixed seed:
run it with PYTHONHASHSEED=0 for the same requests every time). It fails on any 5xx, any response
that does not conform to the document (status, content type, headers, body), and any response that
carries back a credential the request sent; it prints the counts.
"""
from __future__ import annotations

import base64
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

EXAMPLES_PER_OPERATION = 9   # per generation mode: about 1,300 requests over the document's operations
CHANNELS = ("sms", "sms_otp", "email", "ivr", "whatsapp")
# Operations fuzzed with a real application id would revoke the demo's tokens, change its settings or
# end its session half way: they are fuzzed against ids and sessions of no one (still checked).
DESTRUCTIVE = {("post", "/applications/{application_id}/channels/{channel}/token"),
               ("delete", "/applications/{application_id}/channels/{channel}/token"),
               ("put", "/applications/{application_id}/settings"), ("post", "/auth/logout")}


def credentials(demo: dict[str, str]) -> dict[str, str]:
    basic = base64.b64encode(f"{demo['KIRIM_EMAIL']}:{demo['KIRIM_PASSWORD']}".encode()).decode()
    return {"basic": f"Basic {basic}", "session": f"Bearer {demo['KIRIM_SESSION']}",
            **{channel: demo[f"KIRIM_{channel.upper()}_TOKEN"] for channel in CHANNELS}}


def _auth_for(raw: dict[str, Any], creds: dict[str, str], destructive: bool) -> str | None:
    security = {name for requirement in raw.get("security", []) for name in requirement}
    if "basicAuth" in security:
        return creds["basic"]
    if "channelToken" in security:
        # OCA's routes name their channel; the Verify API's default channel (sms) sends through sms_otp.
        return creds[raw["x-oca"]["channel"]] if "x-oca" in raw else creds["sms_otp"]
    if "session" in security and not destructive:
        return creds["session"]
    return None


def _summary(failure: BaseException) -> str:
    """The failed checks' titles and what they say, without the reproduction (it holds credentials)."""
    parts = getattr(failure, "exceptions", None) or [failure]
    return " || ".join(" | ".join(line.strip() for line in str(part).split("Reproduce with:")[0].splitlines()
                                  if line.strip())[:400] for part in parts)


def fuzz(api: str, demo: dict[str, str], examples: int = EXAMPLES_PER_OPERATION) -> tuple[Counter, list[str], int]:
    """(responses by status class, failures, operations)."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    creds = credentials(demo)
    secrets = [demo["KIRIM_PASSWORD"], demo["KIRIM_SESSION"], creds["basic"].split()[1],
               *(creds[c] for c in CHANNELS)]
    session = requests.Session()
    # Fuzzing is fast: let the demo application take it without its 25 requests per second.
    session.put(f"{api}/applications/{demo['KIRIM_APP']}/settings", json={"rate_limit": 1000},
                headers={"Authorization": creds["session"]}).raise_for_status()
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance]
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        method, path = operation.method.lower(), operation.path
        destructive = (method, path) in DESTRUCTIVE
        auth = _auth_for(operation.definition.raw, creds, destructive)
        overrides = {"application_id": demo["KIRIM_APP"]} if "{application_id}" in path and not destructive else None
        operations += 1

        def check(case: Any, mode: str) -> None:
            headers = {"Authorization": auth} if auth and "Authorization" not in (case.headers or {}) else {}
            if overrides:
                case.path_parameters = {**(case.path_parameters or {}), **overrides}
            response = case.call(base_url=api, session=session, headers=headers, allow_redirects=False, timeout=30)
            statuses[f"{response.status_code // 100}xx"] += 1
            label = f"{method.upper()} {path} -> {response.status_code} [{mode}]"
            text = response.text or ""
            echoed = " ".join(f"{k}: {v}" for k, v in response.headers.items()) + text
            failures.extend(f"{label}: echoes a credential ({secret[:10]}...)" for secret in secrets
                            if secret in echoed)
            try:
                case.validate_response(response, checks=checks)
            except Exception as failure:  # noqa: BLE001 - collected, all reported at the end
                failures.append(f"{label}: {_summary(failure)}")

        strategies = [("example", s) for s in operation.get_strategies_from_examples()] + [
            (mode.value, operation.as_strategy(generation_mode=mode, path_parameters=overrides))
            for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)]
        for mode, strategy in strategies:
            @settings(max_examples=1 if mode == "example" else examples, derandomize=True, database=None,
                      deadline=None, suppress_health_check=list(HealthCheck), phases=["generate"])
            @given(case=strategy)
            def run(case: Any) -> None:
                check(case, mode)

            try:
                run()
            except Unsatisfiable:
                pass
    return statuses, failures, operations


def main(argv: list[str]) -> int:
    api, demo_env = argv[0].rstrip("/"), Path(argv[1])
    demo = dict(re.findall(r"export (\w+)='([^']*)'", demo_env.read_text()))
    statuses, failures, operations = fuzz(api, demo)
    total = sum(statuses.values())
    for failure in dict.fromkeys(failures):
        print("FAIL", failure)
    print(f"schemathesis: {operations} operations, {total} requests, by status class "
          f"{dict(sorted(statuses.items()))}, {len(failures)} failures")
    return 1 if failures or statuses["5xx"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
