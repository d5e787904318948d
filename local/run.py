"""`make run`: moto on 127.0.0.1:4566 with infra/ deployed, the API on 127.0.0.1:8000
(`chalice local`), and the local worker; then a demo login and a curl that works.
The terminal shows the banner, the requests and the worker's events (local/terminal.py); each
process's whole output is in `.kirim/<name>.log`. Ctrl-C stops all three."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# `make run API_PORT=8001 MOTO_PORT=4567` sets these, to run beside another `make run`.
MOTO_PORT = int(os.environ.get("KIRIM_MOTO_PORT", "4566"))
API_PORT = int(os.environ.get("KIRIM_API_PORT", "8000"))
ENDPOINT = f"http://127.0.0.1:{MOTO_PORT}"
API = f"http://127.0.0.1:{API_PORT}"
DEMO_ENV = Path(os.environ.get("KIRIM_DEMO_ENV", ROOT / ".kirim" / "demo.env"))
LOGS = DEMO_ENV.parent  # each process's whole output, beside the demo's tokens


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _log_of(process: subprocess.Popen) -> Path:
    return LOGS / f"{process.name}.log"


def _died(process: subprocess.Popen) -> str:
    """What a newcomer needs when a part of the stack dies: which, and the end of its log."""
    tail = _log_of(process).read_text(errors="replace").splitlines()[-15:]
    return (f"{process.name} stopped (exit {process.returncode}); the end of {_shown(_log_of(process))}:\n"
            + "".join(f"  {line}\n" for line in tail))


def _wait_for(url: str, seconds: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            time.sleep(0.2)  # the relay's last lines
            raise SystemExit(_died(process))
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f}s")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"AWS_ENDPOINT_URL": ENDPOINT, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "KIRIM_STAGE": "local",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "PYTHONUNBUFFERED": "1"})
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return env


def _start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    from local import terminal

    log_file = open(LOGS / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115 - open while it runs
    # Own process group, so Ctrl-C here stops each child and everything it started.
    process = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    process.name = name
    terminal.relay(name, process.stdout, log_file)
    return process


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    for name, port in (("MOTO_PORT", MOTO_PORT), ("API_PORT", API_PORT)):
        if _port_busy(port):
            print(f"Port {port} on 127.0.0.1 is in use: stop whatever holds it (an earlier `make run`?), "
                  f"or choose another, e.g. `make run {name}={port + 1}`.")
            return 1
    env = _environment()
    os.environ.update(env)
    LOGS.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen] = []
    # A shell that starts us in the background sets SIGINT to "ignore", and Python keeps that;
    # Ctrl-C (and SIGTERM) must always stop everything.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        processes.append(_start("moto", [sys.executable, "-m", "local.moto_server", "--port", str(MOTO_PORT)], env))
        _wait_for(ENDPOINT + "/moto-api/", 30, processes[0])

        import boto3

        sys.path.insert(0, str(ROOT))
        from infra.deploy import deploy_stack, outputs_to_env

        outputs = deploy_stack(boto3.client("cloudformation"), "local", str(ROOT / "infra" / "template.yaml"))
        from local.moto_stack import apply_what_moto_skips

        apply_what_moto_skips("local")
        env.update(outputs_to_env(outputs))
        os.environ.update(env)
        print(f"moto    | {ENDPOINT}: stack kirim-local deployed ({len(outputs)} outputs)", flush=True)

        from local.seed import seed

        demo = seed()
        _write_demo_env(demo)
        # Reloading on file changes suits a developer; KIRIM_NO_AUTORELOAD=1 keeps a test's server steady.
        reload = ["--no-autoreload"] if os.environ.get("KIRIM_NO_AUTORELOAD") else []
        # chalice local, answering unknown paths as the deployed gateway does (local/chalice_local.py).
        processes.append(_start("api", [sys.executable, str(ROOT / "local" / "chalice_local.py"), "local",
                                        "--stage", "local", "--host", "127.0.0.1", "--port", str(API_PORT), *reload],
                                env))
        _wait_for(API + "/openapi.json", 60, processes[-1])
        processes.append(_start("worker", [sys.executable, "-m", "local.worker"], env))
        _print_demo(demo)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        failed = next(p for p in processes if p.poll() is not None)
        time.sleep(0.2)  # the relay's last lines
        print(_died(failed) + "Stopping the rest.", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nStopping Kirim...")
        return 0
    finally:
        _stop(processes)


def _write_demo_env(demo) -> None:
    DEMO_ENV.parent.mkdir(parents=True, exist_ok=True)
    lines = {"KIRIM": API, "KIRIM_EMAIL": demo.email, "KIRIM_PASSWORD": demo.password,
             "KIRIM_SESSION": demo.session_token, "KIRIM_APP": demo.application_id,
             **{f"KIRIM_{channel.upper()}_TOKEN": token for channel, token in demo.tokens.items()},
             "KIRIM_WHATSAPP_TEMPLATE": demo.whatsapp_template}
    # It holds a password, a session and live tokens: readable by its owner only, even if an
    # older copy was more open.
    descriptor = os.open(DEMO_ENV, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("".join(f"export {k}='{v}'\n" for k, v in lines.items()))


def _print_demo(demo) -> None:
    shown_env = _shown(DEMO_ENV)
    guide = (f"{API}/docs/guide/" if (ROOT / "site" / "index.html").exists()
             else "`make docs` builds it; then it is served here at /docs/guide/")
    check = urllib.request.Request(f"{API}/applications/{demo.application_id}",
                                   headers={"Authorization": f"Bearer {demo.session_token}"})
    with urllib.request.urlopen(check, timeout=10) as response:
        assert json.load(response)["application_id"] == demo.application_id
    print(f"""
Kirim is running.
  API       {API}   (reference: {API}/docs)
  Console   {API}/console/   (sign in as {demo.email} / {demo.password})
  Guide     {guide}
  moto      {ENDPOINT}
  worker    runs the queues, streams and schedules as Lambda would
  Logs      {_shown(LOGS)}/moto.log, api.log, worker.log   (KIRIM_LOG=debug shows them here too)

Demo login:  {demo.email} / {demo.password}
Application: {demo.application_id}
Channel tokens (shown once; also in {shown_env}):
""" + "".join(f"  {channel:<9}{token}\n" for channel, token in demo.tokens.items()) + f"""
Try it (or `source {shown_env}` and use the README's curls):
  curl -s {API}/applications/{demo.application_id} -H 'Authorization: Bearer {demo.session_token}'
  curl -s {API}/sms/v2/number -H 'Authorization: {demo.tokens['sms_otp']}'
  curl -s -u '{demo.email}:{demo.password}' {API}/sms/api/v1/number
  curl -s {API}/sms/v2/sms -H 'Authorization: {demo.tokens['sms']}' -H 'Content-Type: application/json' -d '{{"phone": "081234567890", "message": "Halo dari Kirim"}}'
then, a few seconds later, with the msg_uid it answered:
  curl -s {API}/sms/v2/sms/status/<msg_uid> -H 'Authorization: {demo.tokens['sms']}'

Below: each request to the API and each event of the worker.
Ctrl-C stops everything.
""", flush=True)


if __name__ == "__main__":
    sys.exit(main())
