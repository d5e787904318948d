"""Builds the console into chalicelib/console_dist/ when its source changed; `make run` and `make test`
call it, so nobody types an npm command.

First the API types, src/api/openapi.d.ts, are regenerated from the OpenAPI document when it changed
(`python -m local.console_types`, with a Python that can import the app; without one, the committed file
is used). Then a hash of the source, the lock file and the config files, kept in a stamp file beside the
build, says whether to build; `npm ci` runs only when package-lock.json changed (or node_modules is
missing); the build type-checks (tsc --noEmit) before Vite bundles. Stdlib only.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

CONSOLE = Path(__file__).resolve().parent
ROOT = CONSOLE.parent
DIST = ROOT / "chalicelib" / "console_dist"
BUILD_STAMP = DIST / ".source-hash"
MODULES_STAMP = CONSOLE / "node_modules" / ".lock-hash"
CONFIG_FILES = ("package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "index.html", "build.py")


def _hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(CONSOLE)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_hash() -> str:
    files = [CONSOLE / name for name in CONFIG_FILES]
    files += sorted(p for p in (CONSOLE / "src").rglob("*") if p.is_file())
    return _hash(files)


def _run(args: list[str]) -> None:
    print("console |", " ".join(args), flush=True)
    subprocess.run(args, cwd=CONSOLE, check=True)


def _install() -> None:
    lock_hash = _hash([CONSOLE / "package-lock.json"])
    installed = MODULES_STAMP.read_text().strip() if MODULES_STAMP.exists() else ""
    if installed != lock_hash:
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"])
        MODULES_STAMP.write_text(lock_hash)


def _app_python() -> str | None:
    """A Python that can import the app (the document is built from it): this one, else the project's .venv."""
    if importlib.util.find_spec("chalice") is not None:
        return sys.executable
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else None


def _api_types() -> None:
    python = _app_python()
    if python is None:
        print("console | no Python with the app's packages (make install): using the committed src/api/openapi.d.ts",
              flush=True)
        return
    subprocess.run([python, "-m", "local.console_types"], cwd=ROOT, check=True)


def build(force: bool = False) -> bool:
    """Builds if needed; True when it built."""
    if shutil.which("npm") is None:
        raise SystemExit("The console needs Node 20 and npm (https://nodejs.org); install them and run make again.")
    DIST.parent.mkdir(parents=True, exist_ok=True)
    with open(CONSOLE / ".build.lock", "w") as lock:  # two builds at once (pytest workers) wait in turn
        fcntl.flock(lock, fcntl.LOCK_EX)
        _install()  # openapi-typescript is one of the packages
        _api_types()
        wanted = source_hash()
        built = BUILD_STAMP.read_text().strip() if BUILD_STAMP.exists() else ""
        if not force and built == wanted and (DIST / "index.html").exists():
            return False
        _run(["npm", "run", "--silent", "build"])
        BUILD_STAMP.write_text(wanted)
        return True


if __name__ == "__main__":
    try:
        print("console | built" if build("--force" in sys.argv) else "console | up to date", flush=True)
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
