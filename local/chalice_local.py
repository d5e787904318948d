"""`chalice local` as `make run` needs it, closer to the deployed API Gateway:

- An unknown path gets Kirim's gateway response (infra/chalice-merge.yaml): 404 with OCA's body,
  never the Authorization header. Plain `chalice local` answers a raw 403 that quotes the header
  back (a credential in a response body, and a crash on a non-ASCII header).
- Each request carries its client's real address in `requestContext.identity.sourceIp`, as API
  Gateway does. Plain `chalice local` says 127.0.0.1 for everyone, so every script, test suite and
  browser on the machine would share one registration and login budget.
- One terminal line per request (method, path, status, time), tagged `api`; the app's own JSON
  log lines go to `make run`'s log file (local/run.py sorts them).
- `/docs/guide/` serves the built documentation site (`site/`, from `make docs`), or says how to build it.
- The auto-reloader watches the app's code only (app.py, chalicelib/, .chalice/). Chalice's own
  walks the whole project every second (.venv and node_modules included) and restarts the server
  on any write, `make run`'s own log files among them.

It imports nothing of Kirim's, because chalice's reloader runs this file again as a program.
"""
from __future__ import annotations

import json
import mimetypes
import os
import sys
import time
from pathlib import Path

import chalice.local
from chalice.cli import cli, reloader
from chalice.cli.filewatch.stat import StatFileWatcher, StatWorkerProcess

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
CODE = (ROOT / "app.py", ROOT / "chalicelib", ROOT / ".chalice" / "config.json")
GUIDE = "/docs/guide/"
# The body and headers of infra/chalice-merge.yaml's MISSING_AUTHENTICATION_TOKEN response.
NOT_FOUND_BODY = json.dumps({"errors": [{"message": "Not found", "code": 33}]}, separators=(",", ":")).encode()
NOT_FOUND_HEADERS = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*",
                     "X-Content-Type-Options": "nosniff"}


class UnknownPath(chalice.local.LocalGatewayException):
    CODE = 404

    def __init__(self) -> None:
        super().__init__(dict(NOT_FOUND_HEADERS), NOT_FOUND_BODY)


class GuideNotBuilt(chalice.local.LocalGatewayException):
    CODE = 404

    def __init__(self) -> None:
        super().__init__({"Content-Type": "text/html; charset=utf-8"}, (
            b"<!doctype html><title>Kirim guide</title><h1>The guide is not built yet</h1>"
            b"<p>Run <code>make docs</code> in the repository, then reload this page.</p>"))


class StaticFile(chalice.local.LocalGatewayException):
    """A file of the documentation site, sent as the gateway's answer (it never reaches the app)."""
    CODE = 200

    def __init__(self, path: Path) -> None:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        super().__init__({"Content-Type": kind, "Cache-Control": "no-cache"}, path.read_bytes())


def _site_file(path: str) -> Path | None:
    relative = path.split("?", 1)[0][len(GUIDE):]
    candidate = (SITE / relative).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    # Only files inside site/: a "../" in the path must not reach the rest of the disk.
    if SITE.resolve() in candidate.parents and candidate.is_file():
        return candidate
    return None


class KirimLocalGateway(chalice.local.LocalGateway):
    source_ip = chalice.local.LambdaEventConverter.LOCAL_SOURCE_IP

    def _generate_lambda_event(self, method, path, headers, body):  # noqa: ANN001, ANN202 - chalice's signature
        event = super()._generate_lambda_event(method, path, headers, body)
        event["requestContext"]["identity"]["sourceIp"] = self.source_ip
        return event

    def handle_request(self, method, path, headers, body):  # noqa: ANN001, ANN201 - chalice's signature
        if method in ("GET", "HEAD") and path.startswith(GUIDE):
            if not SITE.is_dir():
                raise GuideNotBuilt()
            found = _site_file(path)
            raise StaticFile(found) if found else UnknownPath()
        try:
            self.event_converter.create_lambda_event(method=method, path=path, headers=headers, body=body)
        except ValueError:  # no route matches the path
            raise UnknownPath() from None
        return super().handle_request(method, path, headers, body)


class KirimRequestHandler(chalice.local.ChaliceRequestHandler):
    def _generic_handle(self) -> None:
        started = time.monotonic()
        self.local_gateway.source_ip = self.client_address[0]
        try:
            super()._generic_handle()
        finally:
            self._log_line(started)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def log_request(self, code="-", size="-") -> None:  # noqa: ANN001 - http.server's signature
        self._status = code

    def _log_line(self, started: float) -> None:
        # The path without its query (cursors and filters only, but long); never a header or a body.
        path = self.path.split("?", 1)[0]
        took = (time.monotonic() - started) * 1000
        print(f"api     | {self.command} {path} {getattr(self, '_status', '-')} {took:.0f} ms", flush=True)


class KirimLocalDevServer(chalice.local.LocalDevServer):
    def __init__(self, app_object, config, host, port, handler_cls=KirimRequestHandler,  # noqa: ANN001
                 server_cls=chalice.local.ThreadedHTTPServer) -> None:
        super().__init__(app_object, config, host, port, handler_cls, server_cls)


class CodeWatcher(StatFileWatcher):
    def _recursive_walk_files(self, root_dir):  # noqa: ANN001, ANN202 - chalice's signature
        for path in CODE:
            if path.is_file():
                yield str(path)
            for folder, folders, files in os.walk(path):
                folders[:] = [f for f in folders if f != "__pycache__"]
                yield from (os.path.join(folder, name) for name in files)

    def _seed_mtime_cache(self, root_dir):  # noqa: ANN001, ANN202 - chalice's signature
        self._mtime_cache = {path: self._osutils.mtime(path) for path in self._recursive_walk_files(root_dir)}


class CodeWorkerProcess(StatWorkerProcess):
    def _start_file_watcher(self, project_dir):  # noqa: ANN001, ANN202 - chalice's signature
        CodeWatcher().watch_for_file_changes(project_dir, self._on_file_change)

    def _on_file_change(self) -> None:
        print("api     | the code changed: restarting the API", flush=True)
        super()._on_file_change()


def install() -> None:
    # Looked up at each request (LocalGateway), server start (LocalDevServer) and reload (reloader).
    chalice.local.LocalGateway = KirimLocalGateway
    chalice.local.LocalDevServer = KirimLocalDevServer
    reloader.get_best_worker_process = lambda: CodeWorkerProcess


def main(args: list[str]) -> int:
    install()
    # chalice's reloader starts `sys.argv` again as a program: run it through this Python, so the
    # file needs no executable bit (a clone without it failed every `make run`).
    sys.argv = [sys.executable, os.path.abspath(__file__), *args]
    return cli.main(args=args, prog_name="chalice", obj={})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
