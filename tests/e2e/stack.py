"""The real local stack (`python -m local.run`: moto, `chalice local`, the worker) on free ports, with the
built console, for the browser tests and the console benchmark."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from local.ports import free_port
from tests.local.process_output import follow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KIRIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-quic", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]


def build_console() -> None:
    subprocess.run([sys.executable, str(ROOT / "console" / "build.py")], cwd=ROOT, check=True)


@dataclass
class Stack:
    api: str
    demo: dict[str, str]
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    @property
    def console(self) -> str:
        return self.api + "/console/"

    def request(self, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None
                ) -> tuple[int, dict | list | None, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        request = urllib.request.Request(self.api + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None), dict(response.headers)
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, (json.loads(raw) if raw else None), dict(error.headers)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_stack(demo_env: Path, timeout: float = 240) -> Stack:
    build_console()
    moto_port, api_port = free_port(), free_port()
    env = {**os.environ, "KIRIM_MOTO_PORT": str(moto_port), "KIRIM_API_PORT": str(api_port),
           "KIRIM_DEMO_ENV": str(demo_env), "KIRIM_NO_AUTORELOAD": "1"}
    env.pop("AWS_SESSION_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "local.run"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    output, ready = follow(process)
    stack = Stack(api=f"http://127.0.0.1:{api_port}", demo={}, process=process, output=output)
    ready.wait(timeout)
    text = "".join(stack.output)
    if "Kirim is running." not in text:
        stack.stop()
        raise RuntimeError("the local stack did not start:\n" + text[-4000:])
    stack.demo = dict(re.findall(r"export (\w+)='([^']*)'", demo_env.read_text()))
    return stack
