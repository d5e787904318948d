"""A .pyc beside every module of a Lambda zip, for `make package` and `make deploy` alike.

Lambda's file system is read-only, so Python cannot cache what it compiles there: without them every
cold start compiles Kirim and its libraries from source (451 vs 262 ms of CPU to the first send).
"""
import marshal
import os
import sys
import zipfile
from importlib.util import MAGIC_NUMBER, source_hash
from pathlib import Path, PurePosixPath


def _pyc(source, name):
    """The .pyc of `source`, unchecked-hash (PEP 552: magic, flags 0b01, source hash, code): Python loads
    it without looking at the source's mtime, which the zip does not keep (Chalice writes 1980-01-01),
    and a deployed package never changes, so there is nothing to check."""
    code = compile(source, name, "exec", dont_inherit=True)
    return MAGIC_NUMBER + (0b01).to_bytes(4, "little") + source_hash(source) + marshal.dumps(code)


def add_bytecode(zip_path, runtime):
    """Rewrites the zip with `__pycache__/<module>.<tag>.pyc` beside each .py, compiled by this Python,
    which must be the functions' runtime (bytecode is per Python version; Chalice picks the runtime
    from the Python running it, so they match). Any .pyc already in the zip (a developer's, checked
    by mtime) is left out. Returns the files that do not compile (left to be compiled at import)."""
    ours = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != ours:
        sys.exit(f"the functions run {runtime} but this is {ours}: bytecode is per Python version, "
                 f"so package with {runtime}")
    tag = sys.implementation.cache_tag  # cpython-311
    skipped = []
    rebuilt = Path(zip_path).with_suffix(".tmp")
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if "__pycache__/" in info.filename or info.filename.endswith(".pyc"):
                continue
            data = source.read(info)
            target.writestr(info, data)
            if not info.filename.endswith(".py"):
                continue
            try:
                pyc = _pyc(data, info.filename)
            except (SyntaxError, ValueError):
                skipped.append(info.filename)
                continue
            path = PurePosixPath(info.filename)
            entry = zipfile.ZipInfo(str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc"), info.date_time)
            entry.external_attr, entry.compress_type = info.external_attr, zipfile.ZIP_DEFLATED
            target.writestr(entry, pyc)
    os.replace(rebuilt, zip_path)
    return skipped
