"""Run by bench/cold_import.py: starts a moto server with the stack and an SMS application, then in
two fresh interpreters makes one V2 SMS send and records the modules that send imported; prints
both lists as JSON.

    python bench/first_send_imports.py                     # both lists: [kirim, bare]
    python bench/first_send_imports.py kirim TOKEN         # after `import app`, through the app
    python bench/first_send_imports.py bare APP_ID TOKEN   # after the bare libraries, the calls by hand

Kirim's views import their slices when first used, and a first call loads parts of boto3 too, so
`import app` alone leaves a cold start's real cost out: these lists are what each side loads
before it has sent.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _loaded(before: set[str]) -> list[str]:
    # Not "__mp_main__" and the like: aliases that multiprocessing registers, not importable names.
    return sorted(name for name in set(sys.modules) - before if not name.startswith(("chalice.test", "__")))


def kirim(token: str) -> list[str]:
    from chalice.test import Client  # the test client's own imports are not the app's

    from app import app

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        before = set(sys.modules)
        response = client.http.post("/sms/v2/sms", headers={"Authorization": token, "Content-Type": "application/json"},
                                    body=json.dumps({"phone": "081234567890", "message": "Halo dari Kirim"}))
        assert response.status_code == 200, response.body
        return _loaded(before)


def bare(app_id: str, token: str) -> list[str]:
    import boto3  # noqa: F401
    import chalice  # noqa: F401
    import pynamodb.models  # noqa: F401

    endpoint = os.environ["AWS_ENDPOINT_URL"]
    from bench.send_path import _bare_calls  # its import sets the fake environment, endpoint aside

    os.environ["AWS_ENDPOINT_URL"] = endpoint
    before = set(sys.modules)
    _bare_calls(app_id, token)()
    return _loaded(before)


def both() -> list[list[str]]:
    import subprocess

    from bench.send_path import sms_sender  # sets the fake AWS environment
    from local import moto_server
    from local.moto_stack import STAGE, apply_what_moto_skips
    from local.ports import free_port

    port = free_port()
    stop = moto_server.start("127.0.0.1", port)
    try:
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
        import boto3

        from infra.deploy import deploy_stack, outputs_to_env

        os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), STAGE,
                                                      str(ROOT / "infra" / "template.yaml"))))
        apply_what_moto_skips(STAGE)
        app_id, token = sms_sender()

        def recorded(*args: str) -> list[str]:
            child = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=dict(os.environ), check=True,
                                   capture_output=True, text=True)
            return json.loads(child.stdout.strip().splitlines()[-1])

        return [recorded("kirim", token), recorded("bare", app_id, token)]
    finally:
        stop()


if __name__ == "__main__":
    if len(sys.argv) == 1:
        print(json.dumps(both()))
    else:
        print(json.dumps(kirim(sys.argv[2]) if sys.argv[1] == "kirim" else bare(sys.argv[2], sys.argv[3])))
